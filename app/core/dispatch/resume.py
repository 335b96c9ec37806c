"""Bounded resume after a restart: the auto-dispatch backlog found in the database.

A restart can find a long backlog (the test case: 100,000 orders received in the last
hours and never dispatched). Opening one task per order at start held the window back
for seconds and then fired the whole backlog at the carriers at once. Instead ``start``
only launches one background job: orders due too long ago (``[dispatch]
resume_max_age_min``) are flagged for the cashier in bulk — a rider sent now for a meal
cooked hours ago helps nobody — and the rest are dispatched oldest first by a few
workers, which leave free auto-dispatch slots for orders arriving meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.dispatch.context import DispatchContext
from app.core.domain import Attention, AttentionReason
from app.core.events import AlertKind, AlertRaised, OrderChanged
from app.core.storage import dispatch_repo

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=24)  # older waiting orders are history, not backlog
WORKERS = 4  # of the engine's auto-dispatch slots, at most this many for the backlog
NOTIFY_MAX = 1000  # flagged orders announced one by one (OrderChanged); beyond: a log line


@dataclass
class ResumeStats:
    flagged: int = 0  # too old: left for the cashier
    queued: int = 0  # found to dispatch
    done: int = 0
    running: int = 0
    max_running: int = 0  # never above WORKERS


class Backlog:
    """One background job per start; ``dispatch_one`` is the engine's auto-dispatch of
    one order (it takes an auto-dispatch slot itself)."""

    def __init__(
        self,
        ctx: DispatchContext,
        dispatch_one: Callable[[int], Awaitable[None]],
        *,
        workers: int = WORKERS,
    ) -> None:
        self.ctx = ctx
        self.dispatch_one = dispatch_one
        self.workers = workers
        self.stats = ResumeStats()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = self.ctx.spawn(self.run(), "resume-backlog")

    def stop(self) -> None:
        """Whatever is left is found again in the database at the next start."""
        if self.task is not None:
            self.task.cancel()

    async def run(self) -> None:
        now = self.ctx.now()
        since = now - LOOKBACK
        cutoff = now - timedelta(minutes=self.ctx.settings.resume_max_age_min)
        auto_only = self.ctx.settings.mode != "auto"
        await self.flag_too_old(since, cutoff, auto_only=auto_only)
        db = self.ctx.db
        ids = await db.run(dispatch_repo.orders_waiting, db, since, cutoff, auto_only=auto_only)
        self.stats.queued = len(ids)
        if ids:
            log.info("resuming auto-dispatch of %s waiting orders, oldest first", len(ids))
        todo = iter(ids)
        await asyncio.gather(*(self._worker(todo) for _ in range(self.workers)))

    async def flag_too_old(self, since: datetime, cutoff: datetime, *, auto_only: bool) -> None:
        minutes = f"{self.ctx.settings.resume_max_age_min:g}"
        attention = Attention(
            AttentionReason.TOO_OLD, f"waiting more than {minutes} min when the app restarted"
        )
        db = self.ctx.db
        ids = await db.run(
            dispatch_repo.flag_too_old,
            db,
            since,
            cutoff,
            self.ctx.now(),
            attention.encode(),
            auto_only=auto_only,
        )
        self.stats.flagged = len(ids)
        if not ids:
            return
        log.warning("%s waiting orders too old to dispatch: flagged for the cashier", len(ids))
        message = f"{len(ids)} waiting orders too old to dispatch after a restart"
        self.ctx.bus.publish(
            AlertRaised(None, AlertKind.ATTENTION, message, reason=AttentionReason.TOO_OLD)
        )  # one alert for the batch: the cashier decides, the board lists them
        for oid in ids[:NOTIFY_MAX]:
            self.ctx.bus.publish(OrderChanged(oid, "attention"))

    async def _worker(self, todo: Iterator[int]) -> None:
        for oid in todo:  # one shared iterator: each order is taken by one worker
            self.stats.running += 1
            self.stats.max_running = max(self.stats.max_running, self.stats.running)
            try:
                await self.dispatch_one(oid)
            except Exception:
                log.exception("resuming order %s failed", oid)
            finally:
                self.stats.running -= 1
                self.stats.done += 1
