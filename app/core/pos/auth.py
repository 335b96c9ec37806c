"""Request authentication for the POS API: header presence and format, clock skew,
HMAC signature and durable replay protection.

Nonces are remembered durably (``pos_nonces``). A new order's nonce is stored in the
order's own group commit (``intake.ReplayNonce``); every other signed request's nonce (and
the nonce of an order refused before storage) goes through ``NonceBatcher``, a small group
commit of its own. A nonce is only stored after its signature checks out: strangers cannot
fill the table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from app.core.batching import GroupCommit
from app.core.pos import signature as sig
from app.core.storage.outbox_repo import OutboxRepo


class AuthError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class NonceBatcher:
    """Remembers nonces durably; concurrent calls share one transaction. The window is the
    clock-skew limit: a stored nonce is kept for twice that (``claim_nonces``)."""

    def __init__(self, repo: OutboxRepo, now: Callable[[], datetime], window_s: int) -> None:
        self.repo, self.now, self.window_s = repo, now, window_s
        self._group = GroupCommit(self._commit, max_batch=500, name="pos-nonces")

    def _commit(self, nonces: list[str]) -> list[bool]:
        return self.repo.remember_nonces(nonces, self.now(), self.window_s)

    def start(self) -> None:
        self._group.start()

    async def stop(self) -> None:
        await self._group.stop()

    async def remember(self, nonce: str) -> bool:
        """True if fresh, False if a replay."""
        return await self._group.submit(nonce)


def check_headers(
    headers: Mapping[str, str], body: bytes, secret: str, now: float, skew_s: int
) -> str:
    """Everything but the replay check; returns the nonce to remember."""
    values = {}
    for name in sig.AUTH_HEADERS:
        v = headers.get(name)
        if not v:
            raise AuthError("missing_auth_header", f"header {name} is required", name)
        values[name] = v.strip()
    ts, nonce = values[sig.TIMESTAMP_HEADER], values[sig.NONCE_HEADER]
    if not sig.valid_timestamp(ts):
        raise AuthError(
            "bad_timestamp", "X-Jupei-Timestamp must be unix seconds", sig.TIMESTAMP_HEADER
        )
    if abs(now - int(ts)) > skew_s:
        raise AuthError(
            "clock_skew",
            f"timestamp is more than {skew_s} s away from our clock (check the POS clock)",
            sig.TIMESTAMP_HEADER,
        )
    if not sig.valid_nonce(nonce):
        raise AuthError(
            "bad_nonce", "X-Jupei-Nonce must be 8-64 chars of [A-Za-z0-9_-]", sig.NONCE_HEADER
        )
    if not sig.verify(secret, ts, nonce, body, values[sig.SIGNATURE_HEADER]):
        raise AuthError(
            "bad_signature", "signature does not match (wrong secret or body)", sig.SIGNATURE_HEADER
        )
    return nonce


def replayed() -> AuthError:
    """The refusal for a nonce seen before (by ``NonceBatcher`` or by the order's commit)."""
    return AuthError("replayed_nonce", "this nonce was already used", sig.NONCE_HEADER)
