"""Outbound status webhook to the POS (``[pos] webhook_url``), delivered at least once.

Bus events (``AttemptStatusChanged``, ``OrderChanged``) become a snapshot of the order's
status; a snapshot that differs from the last one queued for that order is written to
the durable ``outbox`` table, and a sender task POSTs due messages signed exactly like
POS requests (same three headers), retrying with capped exponential backoff. A message
is marked done only after a 2xx, so a crash means a repeat, never a loss; the POS
deduplicates on ``event_id``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from app.core.events import AttemptStatusChanged, OrderChanged
from app.core.pos.signature import signed_headers
from app.core.pos.views import iso
from app.core.storage.outbox_repo import OutboxMessage, OutboxRepo

if TYPE_CHECKING:  # the service builds this sender: the name only, for the checker
    from app.core.service import AppService

log = logging.getLogger(__name__)
KIND = "pos_webhook"


def backoff_s(tries: int, base: float, cap: float) -> float:
    """Delay before try ``tries + 1``: base * 2^tries, capped, with ±20 % jitter."""
    return min(cap, base * float(2 ** min(tries, 30))) * random.uniform(0.8, 1.2)


class WebhookSender:
    def __init__(
        self,
        service: AppService,
        *,
        base_delay_s: float = 2.0,
        max_delay_s: float = 600.0,
        timeout_s: float = 5.0,
        poll_s: float = 5.0,
    ) -> None:
        self.service = service
        self.repo = OutboxRepo(service.db.engine)
        self.base_delay_s, self.max_delay_s, self.poll_s = base_delay_s, max_delay_s, poll_s
        self._timeout = timeout_s
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._pending: set[int] = set()  # order ids waiting for a snapshot
        self._last: dict[int, dict[str, Any]] = {}  # order id -> last snapshot queued
        self._tasks: list[asyncio.Task[None]] = []
        self._snaps: set[asyncio.Task[None]] = set()
        self._unsubs: list[Callable[[], None]] = []

    @property
    def url(self) -> str:
        return self.service.settings.pos.webhook_url

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._timeout)
        bus = self.service.bus
        self._unsubs = [
            bus.subscribe(AttemptStatusChanged, self._on_event),
            bus.subscribe(OrderChanged, self._on_event),
        ]
        self._tasks = [asyncio.create_task(self._send_loop(), name="pos-webhook")]
        now = self.service.clock.now()
        await asyncio.to_thread(self.repo.prune, now - timedelta(days=7))

    async def stop(self) -> None:
        for u in self._unsubs:
            u()
        self._unsubs = []
        if self._snaps:
            await asyncio.gather(*self._snaps, return_exceptions=True)
        if self._pending:
            await self._snapshot_pending()  # nothing seen is lost on a clean stop
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ enqueue
    def _on_event(self, event: AttemptStatusChanged | OrderChanged) -> None:
        first = not self._pending
        self._pending.add(event.order_id)
        if first:  # coalesce a burst of events into one snapshot pass
            task = asyncio.create_task(self._snapshot_soon(), name="pos-wh-snapshot")
            self._snaps.add(task)
            task.add_done_callback(self._snaps.discard)

    async def _snapshot_soon(self) -> None:
        await asyncio.sleep(0)
        try:
            await self._snapshot_pending()
        except Exception:
            log.exception("queuing POS webhook snapshots failed")

    async def _snapshot_pending(self) -> None:
        ids, self._pending = sorted(self._pending), set()
        fresh = []
        for oid in ids:
            snap = await self._snapshot(oid)
            if snap is not None and snap != self._last.get(oid):
                self._last[oid] = snap
                fresh.append(snap)
        if fresh:
            now = self.service.clock.now()
            stamped = [{**s, "at": iso(now)} for s in fresh]
            await asyncio.to_thread(self.repo.enqueue, KIND, stamped, now)
            self._wake.set()

    async def _snapshot(self, order_id: int) -> dict[str, Any] | None:
        detail = await self.service.order_detail(order_id)
        if detail is None:
            return None
        o, a = detail.order, detail.attempt
        return {
            "event": "order.status_changed",
            "order_id": o.id,
            "pos_order_id": o.pos_order_id,
            "status": o.state.value,
            "delivery_status": a.status.value if a else None,
            "carrier": a.carrier if a else None,
            "carrier_order_id": a.carrier_order_id if a else None,
            "rider_name": a.rider.name if a else None,
        }

    # ------------------------------------------------------------------ send
    async def _send_loop(self) -> None:
        while True:
            due = await asyncio.to_thread(self.repo.due, self.service.clock.now())
            for msg in due:
                await self._deliver(msg)
            if len(due) < 50:
                await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        nxt = await asyncio.to_thread(self.repo.next_due_at)
        delay = self.poll_s
        if nxt is not None:
            delay = min(delay, max(0.0, (nxt - self.service.clock.now()).total_seconds()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(delay, 0.01))

    async def _deliver(self, msg: OutboxMessage) -> None:
        assert self._client is not None
        body = json.dumps({**msg.payload, "event_id": msg.id}, ensure_ascii=False).encode()
        headers = signed_headers(self.service.pos_secret(), body, now=time.time())
        headers["Content-Type"] = "application/json"
        try:
            r = await self._client.post(self.url, content=body, headers=headers)
            problem = "" if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            problem = f"{type(e).__name__}: {e}"
        now = self.service.clock.now()
        if not problem:
            await asyncio.to_thread(self.repo.mark_done, msg.id, now)
            return
        delay = backoff_s(msg.tries, self.base_delay_s, self.max_delay_s)
        log.info("POS webhook %d failed (%s); retry in %.1f s", msg.id, problem, delay)
        await asyncio.to_thread(
            self.repo.mark_failed, msg.id, problem, now + timedelta(seconds=delay)
        )
