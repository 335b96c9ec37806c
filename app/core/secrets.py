"""Secrets live in the OS keyring (service ``jupei``), with an env override for
headless use. A missing or plaintext keyring backend is a clear error, never a silent
plaintext fallback. ``MemorySecretStore`` is for tests and ephemeral rehearsal secrets.

Names are dotted: ``pos.secret``, ``manager.pin``, ``carriers.dada.app_secret``; the env
override of ``a.b.c`` is ``JUPEI_A__B__C``.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

import keyring
import keyring.errors

from app.core.logs import REDACTOR

log = logging.getLogger(__name__)
SERVICE = "jupei"


class SecretStoreUnavailable(RuntimeError):
    pass


class SecretStore(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def env_name(name: str) -> str:
    return "JUPEI_" + "__".join(part.upper() for part in name.split("."))


class KeyringSecretStore:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    @staticmethod
    def backend_problem() -> str | None:
        kr = keyring.get_keyring()
        mod = type(kr).__module__
        if mod.startswith("keyring.backends.fail") or mod.startswith("keyring.backends.null"):
            return (
                "no OS keyring backend is available (on Linux: a Secret Service such as "
                "gnome-keyring or KWallet); set secrets through JUPEI_* environment variables"
            )
        if mod.startswith("keyrings.alt.file") and type(kr).__name__ == "PlaintextKeyring":
            return "the only keyring backend stores plaintext files; refusing to use it"
        return None

    def available(self) -> bool:
        return self.backend_problem() is None

    def get(self, name: str) -> str | None:
        env = os.environ.get(env_name(name))
        if env:
            REDACTOR.register(env)
            return env
        problem = self.backend_problem()
        if problem:
            raise SecretStoreUnavailable(problem)
        try:
            value = keyring.get_password(self.service, name)
        except keyring.errors.KeyringError as e:
            raise SecretStoreUnavailable(f"keyring error: {e}") from None
        REDACTOR.register(value)
        return value

    def set(self, name: str, value: str) -> None:
        problem = self.backend_problem()
        if problem:
            raise SecretStoreUnavailable(problem)
        REDACTOR.register(value)
        try:
            keyring.set_password(self.service, name, value)
        except keyring.errors.KeyringError as e:
            raise SecretStoreUnavailable(f"keyring error: {e}") from None

    def delete(self, name: str) -> None:
        if self.backend_problem():
            return
        try:
            keyring.delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            pass


class MemorySecretStore:
    """Process memory only: tests, and rehearsal secrets when no keyring exists."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._d = dict(initial or {})

    def get(self, name: str) -> str | None:
        value = os.environ.get(env_name(name)) or self._d.get(name)
        REDACTOR.register(value)
        return value

    def set(self, name: str, value: str) -> None:
        REDACTOR.register(value)
        self._d[name] = value

    def delete(self, name: str) -> None:
        self._d.pop(name, None)
