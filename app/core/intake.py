"""Group commit for incoming orders: concurrent submissions are written in one
transaction (one fsync), and each caller is answered only after that commit.

This is how durable intake keeps pace with (and beats) single-row durable commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.core.clock import Clock
from app.core.domain import Order
from app.core.events import EventBus, OrderReceived
from app.core.storage.repos import Database, InsertOutcome

log = logging.getLogger(__name__)
Pending = tuple[Order, str, str, "asyncio.Future[InsertOutcome]"]  # order, hash, source, answer


class IntakeBatcher:
    def __init__(self, db: Database, bus: EventBus, clock: Clock, *, max_batch: int = 200):
        self.db, self.bus, self.clock, self.max_batch = db, bus, clock, max_batch
        self._queue: asyncio.Queue[Pending] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._run(), name="intake-batcher")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        assert self._queue is not None
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, order: Order, payload_hash: str, source: str) -> InsertOutcome:
        if self._task is None:
            self.start()
        assert self._queue is not None
        fut: asyncio.Future[InsertOutcome] = asyncio.get_running_loop().create_future()
        await self._queue.put((order, payload_hash, source, fut))
        return await fut

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            first = await self._queue.get()
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await asyncio.to_thread(
                    self.db.insert_orders, [(o, h, s) for o, h, s, _ in batch], self.clock.now()
                )
            except Exception as e:  # the batch failed as a whole: nobody gets a 2xx
                log.exception("order batch of %d failed", len(batch))
                for *_, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
            else:
                for (_, _, source, fut), out in zip(batch, outcomes, strict=True):
                    if not fut.done():
                        fut.set_result(out)
                    if out.outcome == "created" and out.order.id is not None:
                        self.bus.publish(
                            OrderReceived(out.order.id, out.order.pos_order_id, source)
                        )
            finally:
                for _ in batch:
                    self._queue.task_done()
