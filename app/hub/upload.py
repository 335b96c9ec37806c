"""Store → hub sync, the counter's side (no Qt): upload the outbox (``hub_outbox``) to
``POST /hub/v1/sync`` in batches, forgetting a batch only once the hub answered 200.

Idempotent per (store, table, row id, version): the hub keeps a row only over an older
version, so a batch sent again after a lost answer changes nothing. Resumable: the outbox
is in the PC's own database, written by the same transaction as each change, so a
restart, a hub outage of hours or a crash mid-upload loses nothing. The counter never
waits for it: dispatching, printing and alerts go on while the hub is down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from app.core.privacy import mask_phones_in
from app.core.storage.hub_outbox_repo import HubOutboxRepo, OutBatch
from app.hub.client import HubAuthError, HubError

log = logging.getLogger(__name__)
HEALTH_EVERY_S = 60.0  # an unchanged health report is repeated this often (a heartbeat)


def _iso(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def health_doc(printers: Iterable[Any], sources: Iterable[Any]) -> dict[str, Any]:
    """The store's printer and order-source health as the hub keeps it (phones masked)."""
    doc = {
        "printers": [
            {"name": p.name, "kind": p.kind, "state": p.state, "detail": p.detail} for p in printers
        ],
        "sources": [
            {
                "source": h.source,
                "state": str(h.state),
                "error": h.last_error,
                "last_push_at": _iso(h.last_push_at),
                "last_pull_at": _iso(h.last_pull_at),
            }
            for h in sources
        ],
    }
    masked: dict[str, Any] = json.loads(mask_phones_in(json.dumps(doc, ensure_ascii=False)))
    return masked


class HubUploader:
    def __init__(
        self,
        repo: HubOutboxRepo,
        *,
        every_s: float = 5.0,
        batch: int = 200,
        retry_max_s: float = 60.0,
        health: Callable[[], dict[str, Any]] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.repo = repo
        self.health = health  # printers and sources, sent when changed and every minute
        self._health_sent: tuple[dict[str, Any], float] | None = None
        self.every_s, self.batch_size, self.retry_max_s = every_s, batch, retry_max_s
        self.transport = transport
        self.uploaded = 0  # rows the hub took in this run
        self.last_error = ""
        self._kick = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.settle_s = 0.5  # after a kick: let a burst of changes land in one batch

    async def enable(self, store_id: str) -> int:
        """Start capturing (first time for this store: queue every existing row)."""
        n = await asyncio.to_thread(self.repo.enable, store_id)
        if n:
            log.info("hub sync: %d existing rows queued for the first upload", n)
        return n

    async def disable(self) -> None:
        await asyncio.to_thread(self.repo.disable)

    def kick(self) -> None:
        """A row changed: upload after ``settle_s`` instead of at the next interval (the
        core's order events call it; any thread). Ignored while backing off."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            self._kick.set()
        else:
            try:
                loop.call_soon_threadsafe(self._kick.set)
            except RuntimeError:  # the loop closed after the check: nothing left to wake
                return

    async def run(self, url: str, token: str) -> None:
        """Upload until cancelled: everything pending, then every ``every_s`` or soon
        after a change (``kick``); after a failure, wait (doubling) whatever changes."""
        delay = self.every_s
        self._loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(30, connect=5),
            transport=self.transport,
            trust_env=False,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "JuPei/0.1"},
        ) as http:
            while True:
                self._kick.clear()  # a change from here on is in this round or wakes the next
                try:
                    endpoint = url.rstrip("/") + "/hub/v1/sync"
                    await self.upload_pending(http, endpoint)
                    await self.report_health(http, endpoint)
                except HubError as e:
                    self.last_error = str(e)
                    log.info("hub sync: %s; next try in %.0fs", e, delay)
                    pause = delay * random.uniform(0.8, 1.2)
                    delay = min(delay * 2, self.retry_max_s)
                    if isinstance(e, HubAuthError):
                        pause = self.retry_max_s  # revoked: the inbox loop says so
                    await asyncio.sleep(pause)
                    continue
                delay = self.every_s
                try:
                    await asyncio.wait_for(self._kick.wait(), self.every_s)
                except TimeoutError:
                    continue
                await asyncio.sleep(self.settle_s)

    async def upload_pending(self, http: httpx.AsyncClient, endpoint: str) -> int:
        """Send batches until the outbox is empty; returns the rows sent."""
        sent = 0
        while True:
            batch = await asyncio.to_thread(self.repo.batch, self.batch_size)
            if not batch.rows:
                return sent
            await self._post(http, endpoint, batch)
            await asyncio.to_thread(self.repo.done, batch.hi)
            sent += len(batch.rows)
            self.uploaded += len(batch.rows)
            self.last_error = ""

    async def report_health(self, http: httpx.AsyncClient, endpoint: str) -> bool:
        """Send the store's health when it changed, or a minute after the last report."""
        if self.health is None:
            return False
        doc = self.health()
        now = time.monotonic()
        if self._health_sent is not None:
            last, at = self._health_sent
            if last == doc and now - at < HEALTH_EVERY_S:
                return False
        await self._send(http, endpoint, {"rows": [], "health": doc})
        self._health_sent = (doc, now)
        return True

    @classmethod
    async def _post(cls, http: httpx.AsyncClient, endpoint: str, batch: OutBatch) -> None:
        body = {
            "rows": [
                {"table": r.table, "id": r.id, "version": r.version, "data": r.data}
                for r in batch.rows
            ]
        }
        await cls._send(http, endpoint, body)

    @staticmethod
    async def _send(http: httpx.AsyncClient, endpoint: str, body: dict[str, Any]) -> None:
        try:
            resp = await http.post(endpoint, json=body)
        except httpx.HTTPError as e:
            raise HubError(f"hub not reached: {type(e).__name__}") from None
        if resp.status_code in (401, 403):
            raise HubAuthError(f"sync refused (HTTP {resp.status_code})")
        if resp.status_code != 200:
            raise HubError(f"sync not applied (HTTP {resp.status_code}): {resp.text[:200]}")
