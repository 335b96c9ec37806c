"""Request authentication for the POS API: header presence and format, clock skew,
HMAC signature and durable replay protection.

Nonces are remembered durably (``pos_nonces``) through a small group-commit batcher, so
concurrent requests share one fsync instead of paying one each. A nonce is only stored
after its signature checks out: strangers cannot fill the table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from app.core.pos import signature as sig
from app.core.storage.outbox_repo import OutboxRepo

log = logging.getLogger(__name__)


class AuthError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class NonceBatcher:
    """Remembers nonces durably; concurrent calls share one transaction."""

    def __init__(self, repo: OutboxRepo, now: Callable[[], datetime], window_s: int) -> None:
        self.repo, self.now, self.window_s = repo, now, window_s
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[bool]]] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._run(), name="pos-nonces")

    async def stop(self) -> None:
        if self._task is None:
            return
        assert self._queue is not None
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def remember(self, nonce: str) -> bool:
        """True if fresh, False if a replay."""
        self.start()
        assert self._queue is not None
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put((nonce, fut))
        return await fut

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < 500 and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                fresh = await asyncio.to_thread(
                    self.repo.remember_nonces, [n for n, _ in batch], self.now(), self.window_s
                )
            except Exception as e:
                log.exception("storing %d POS nonces failed", len(batch))
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
            else:
                for (_, fut), ok in zip(batch, fresh, strict=True):
                    if not fut.done():
                        fut.set_result(ok)
            finally:
                for _ in batch:
                    self._queue.task_done()


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


async def authenticate(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str,
    now: float,
    skew_s: int,
    nonces: NonceBatcher,
) -> None:
    """Raise ``AuthError`` unless the request is signed, fresh and not a replay."""
    nonce = check_headers(headers, body, secret, now, skew_s)
    if not await nonces.remember(nonce):
        raise AuthError("replayed_nonce", "this nonce was already used", sig.NONCE_HEADER)
