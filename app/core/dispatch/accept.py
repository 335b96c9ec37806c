"""Accept timers: while a carrier looks for a rider, walk the tip ladder
(``[dispatch] tip_ladder_fen``) and, when no rider accepts in time, cancel (confirmed)
and ask the engine for the next carrier (``FailoverNeeded``)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from app.core.carriers.base import CarrierError
from app.core.dispatch.cancel import Canceller
from app.core.dispatch.context import DispatchContext, FailoverNeeded
from app.core.dispatch.tracking import Tracker
from app.core.domain import DeliveryAttempt, DeliveryStatus

S = DeliveryStatus
_WAITING = (S.SUBMITTING, S.PENDING_ACCEPT)


class AcceptTimers:
    def __init__(self, ctx: DispatchContext, tracker: Tracker, canceller: Canceller) -> None:
        self.ctx = ctx
        self.tracker = tracker
        self.canceller = canceller
        self._timers: dict[int, asyncio.Task[None]] = {}

    def timers(self) -> list[asyncio.Task[None]]:
        return list(self._timers.values())

    def arm(self, att: DeliveryAttempt) -> None:
        """Watch ``att`` until a rider accepts (one timer per attempt)."""
        assert att.id is not None
        if att.status not in _WAITING or att.carrier == "self":
            return
        t = self._timers.get(att.id)
        if t is None or t.done():
            self._timers[att.id] = self.ctx.spawn(self._watch(att.id), f"accept-{att.id}")

    def deadline(self, att: DeliveryAttempt) -> datetime:
        if att.accept_deadline is not None:
            return att.accept_deadline
        start = att.dispatched_at or att.created_at or self.ctx.now()
        return start + timedelta(seconds=self.ctx.gateway.get(att.carrier).accept_timeout_s)

    def fresh_deadline(self, att: DeliveryAttempt) -> datetime:
        """A new full wait from now (after a tip, or a rider who withdrew)."""
        timeout = self.ctx.gateway.get(att.carrier).accept_timeout_s
        return self.ctx.now() + timedelta(seconds=timeout)

    async def _watch(self, aid: int) -> None:
        db = self.ctx.db
        while True:
            att = await db.run(db.get_attempt, aid)
            if att is None or att.status not in _WAITING:
                return
            wait = (self.deadline(att) - self.ctx.now()).total_seconds()
            if wait > 0 or att.status is S.SUBMITTING:
                await asyncio.sleep(max(wait, 0.5))
                continue
            att = await self.tracker.poll_now(att)  # confirm "no rider" by query
            if att.status is not S.PENDING_ACCEPT:
                continue
            if await self.tip_rung(att):
                continue
            timeout = self.ctx.gateway.get(att.carrier).accept_timeout_s
            await self.failover(att, f"no rider from {att.carrier} within {timeout}s")
            return

    async def tip_rung(self, att: DeliveryAttempt) -> bool:
        """Next rung of ``tip_ladder_fen`` (total tip levels) within the TipRules."""
        ladder, step = self.ctx.settings.tip_ladder_fen, att.ladder_step
        if step >= len(ladder):
            return False
        entry = self.ctx.gateway.get(att.carrier)
        add = ladder[step] - att.tip_fen
        why = (
            entry.rules.tips.validate(att.tip_fen, add, att.tip_count)
            if add > 0
            else "rung not above tip"
        )
        total = None
        if why is None:
            try:
                total = await entry.adapter.add_tip(att, add)
            except CarrierError as e:
                why = str(e)
        if total is None:
            await self._ladder_stops(att, step, str(why))
            return False
        att = att.with_(
            tip_fen=total,
            ladder_step=step + 1,
            tip_count=att.tip_count + 1,
            accept_deadline=self.fresh_deadline(att),
        )
        await self.ctx.save(att)
        await self.ctx.log_event(
            att.order_id,
            "tip_added",
            "tip_ladder",
            f"no rider yet: tip raised to {total} fen at {att.carrier}",
            {"attempt_id": att.id, "tip_fen": total, "step": step, "carrier": att.carrier},
        )
        return True

    async def _ladder_stops(self, att: DeliveryAttempt, step: int, why: str) -> None:
        att = att.with_(ladder_step=len(self.ctx.settings.tip_ladder_fen))
        await self.ctx.save(att)
        await self.ctx.log_event(
            att.order_id,
            "tip_ladder",
            "engine",
            f"tip ladder stops at {att.carrier}: {why}",
            {"step": step},
        )

    async def failover(self, att: DeliveryAttempt, reason: str) -> None:
        """Cancel (confirmed) and move on; a cancel the carrier took but has not confirmed
        yet moves on when it is confirmed (``failover_pending``, see the reactions)."""
        async with self.ctx.lock(att.order_id):
            ok, att = await self.canceller.cancel_attempt(att, reason, "failover")
            if not ok and att.status is S.CANCEL_REQUESTED:
                att = att.with_(failover_pending=True)
                await self.ctx.save(att)
        if ok:
            self.ctx.signals.publish(FailoverNeeded(att.order_id, reason))
