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
import logging
import random

import httpx

from app.core.storage.hub_outbox_repo import HubOutboxRepo, OutBatch
from app.hub.client import HubAuthError, HubError

log = logging.getLogger(__name__)


class HubUploader:
    def __init__(
        self,
        repo: HubOutboxRepo,
        *,
        every_s: float = 5.0,
        batch: int = 200,
        retry_max_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.repo = repo
        self.every_s, self.batch_size, self.retry_max_s = every_s, batch, retry_max_s
        self.transport = transport
        self.uploaded = 0  # rows the hub took in this run
        self.last_error = ""
        self._kick = asyncio.Event()

    async def enable(self, store_id: str) -> int:
        """Start capturing (first time for this store: queue every existing row)."""
        n = await asyncio.to_thread(self.repo.enable, store_id)
        if n:
            log.info("hub sync: %d existing rows queued for the first upload", n)
        return n

    async def disable(self) -> None:
        await asyncio.to_thread(self.repo.disable)

    def kick(self) -> None:
        """Upload now instead of at the next interval (tests, a settings action)."""
        self._kick.set()

    async def run(self, url: str, token: str) -> None:
        """Upload until cancelled: everything pending, then every ``every_s``."""
        delay = self.every_s
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(30, connect=5),
            transport=self.transport,
            trust_env=False,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "JuPei/0.1"},
        ) as http:
            while True:
                try:
                    await self.upload_pending(http, url.rstrip("/") + "/hub/v1/sync")
                except HubError as e:
                    self.last_error = str(e)
                    log.info("hub sync: %s; next try in %.0fs", e, delay)
                    pause = delay * random.uniform(0.8, 1.2)
                    delay = min(delay * 2, self.retry_max_s)
                    if isinstance(e, HubAuthError):
                        pause = self.retry_max_s  # revoked: the inbox loop says so
                else:
                    delay, pause = self.every_s, self.every_s
                self._kick.clear()
                try:
                    await asyncio.wait_for(self._kick.wait(), pause)
                except TimeoutError:
                    pass

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

    @staticmethod
    async def _post(http: httpx.AsyncClient, endpoint: str, batch: OutBatch) -> None:
        body = {
            "rows": [
                {"table": r.table, "id": r.id, "version": r.version, "data": r.data}
                for r in batch.rows
            ]
        }
        try:
            resp = await http.post(endpoint, json=body)
        except httpx.HTTPError as e:
            raise HubError(f"hub not reached: {type(e).__name__}") from None
        if resp.status_code in (401, 403):
            raise HubAuthError(f"sync refused (HTTP {resp.status_code})")
        if resp.status_code != 200:
            raise HubError(f"sync not applied (HTTP {resp.status_code}): {resp.text[:200]}")
