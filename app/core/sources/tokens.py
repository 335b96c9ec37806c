"""Refreshed OAuth tokens outlive the process (issue 15, item 4).

A connector that refreshes its token (饿了么 ``refresh_token``; any later source with an
OAuth grant) calls ``keep``: the new values are registered with the log redactor at once
and handed, off the event loop (keyring calls block), to ``SourceContext.on_tokens``.
``setup.context_for`` builds that callback as a ``TokenKeeper`` over the secret store's
setter (``sources.<id>.<key>``). When the running value came from an environment
override (``JUPEI_SOURCES__ELEME__ACCESS_TOKEN``) the variable still wins at the next
start, so the keeper warns once that it is stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping

from app.core.logs import REDACTOR
from app.core.secrets import env_name
from app.core.sources.base import SourceContext

log = logging.getLogger(__name__)

SaveSecret = Callable[[str, str], None]  # (dotted name, value): SecretStore.set


def secret_name(source_id: str, key: str) -> str:
    return f"sources.{source_id}.{key}"


class TokenKeeper:
    """Writes refreshed tokens to the secret store; ``env_keys`` are the keys whose
    running value came from a ``JUPEI_SOURCES__<ID>__<KEY>`` override."""

    def __init__(self, source_id: str, save: SaveSecret, env_keys: Collection[str] = ()) -> None:
        self.source_id, self.save = source_id, save
        self.env_keys = frozenset(env_keys)
        self._warned: set[str] = set()

    def __call__(self, tokens: Mapping[str, str]) -> None:
        for key, value in tokens.items():
            if not value:
                continue
            REDACTOR.register(value)
            name = secret_name(self.source_id, key)
            self.save(name, value)
            if key in self.env_keys and key not in self._warned:
                self._warned.add(key)
                log.warning(
                    "%s: %s was refreshed and saved to the secret store, but %s still "
                    "holds the old value and wins at the next start: update or remove it",
                    self.source_id,
                    key,
                    env_name(name),
                )


async def keep(ctx: SourceContext, tokens: Mapping[str, str]) -> None:
    """Called by a connector right after a refresh. A store that cannot be written is
    reported (WARNING), never fatal: the connector keeps working with the new token in memory."""
    for value in tokens.values():
        REDACTOR.register(value)  # before anything can log it
    if ctx.on_tokens is None:
        return
    try:
        await asyncio.to_thread(ctx.on_tokens, dict(tokens))
    except Exception as e:  # SecretStoreUnavailable, or a keyring backend's own error
        log.warning(
            "%s: refreshed token kept in memory only (secret store: %s: %s); "
            "the next start refreshes again",
            ctx.source,
            type(e).__name__,
            e,
        )
    else:
        log.info("%s: refreshed token saved to the secret store", ctx.source)
