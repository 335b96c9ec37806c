"""Operator actions: cancel with a fee preview, re-dispatch, add a tip, mark
self-delivered (自配送), refresh now. Each runs under the order's lock and cancels through
``cancel.Canceller`` (a cancel counts only once the carrier confirms it)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.core.carriers.base import CarrierError
from app.core.carriers.registry import SELF_DELIVERY
from app.core.dispatch.cancel import Canceller
from app.core.dispatch.context import DispatchContext, DispatchError
from app.core.dispatch.tracking import Tracker
from app.core.domain import (
    Attention,
    AttentionReason,
    DeliveryAttempt,
    DeliveryStatus,
    OrderState,
    Rider,
)
from app.core.events import AlertKind, AlertRaised

log = logging.getLogger(__name__)

# plan and submit for (order id, actor, carriers already tried); caller holds the lock
Plan = Callable[[int, str, frozenset[str]], Awaitable[DeliveryAttempt]]


class Actions:
    def __init__(self, ctx: DispatchContext, tracker: Tracker, canceller: Canceller) -> None:
        self.ctx = ctx
        self.tracker = tracker
        self.canceller = canceller

    async def cancel_preview(self, order_id: int) -> int | None:
        """The fee a cancel would cost now; None when a live delivery cannot be cancelled."""
        live = [a for a in await self.ctx.live(order_id) if a.carrier != SELF_DELIVERY]
        if not live:
            return None
        total = 0
        for a in live:
            entry = self.ctx.gateway.get(a.carrier)
            submitting = a.status is DeliveryStatus.SUBMITTING
            if not entry.rules.cancel.cancellable(a.status) and not submitting:
                return None
            try:
                total += await entry.adapter.cancel_preview(a)
            except CarrierError as e:
                log.info("cancel preview %s: %s", a.idempotency_key, e)
                return None
        return total

    async def cancel(self, order_id: int, reason: str, actor: str) -> int:
        """Cancel every live delivery, then the order; the fees paid, in fen."""
        async with self.ctx.lock(order_id):
            fee, pending = 0, []
            for a in await self.ctx.live(order_id):
                ok, a = await self.canceller.cancel_attempt(a, reason, actor)
                fee += a.cancel_fee_fen
                if not ok:
                    pending.append(a.carrier)
            if pending:
                why = f"cancel not confirmed by {', '.join(pending)}"
                reason = AttentionReason.CANCEL_UNCONFIRMED
                await self.ctx.set_state(order_id, OrderState.ATTENTION, Attention(reason, why))
                alert = AlertRaised(order_id, AlertKind.ATTENTION, why, reason=reason)
                self.ctx.bus.publish(alert)
                raise DispatchError(why)
            await self.ctx.set_state(order_id, OrderState.CANCELLED, force=True)
            await self.ctx.log_event(
                order_id,
                "order_cancelled",
                actor,
                f"order cancelled: {reason} (fees {fee} fen)",
                {"fee_fen": fee, "cancel_reason": reason},
            )
            return fee

    async def redispatch(self, order_id: int, actor: str, plan: Plan) -> DeliveryAttempt:
        """Cancel the live delivery (confirmed) and plan again without that carrier."""
        async with self.ctx.lock(order_id):
            tried: set[str] = set()
            for a in await self.ctx.live(order_id):
                ok, a = await self.canceller.cancel_attempt(a, "re-dispatch", actor)
                if not ok:
                    raise DispatchError(
                        f"{a.carrier} did not confirm the cancel; not re-dispatching"
                    )
                tried.add(a.carrier)
            if not tried:
                atts = await self.ctx.attempts(order_id)
                tried = {atts[-1].carrier} if atts else set()
            tried.discard(SELF_DELIVERY)
            await self.ctx.set_state(order_id, OrderState.NEW, force=True)
            return await plan(order_id, actor, frozenset(tried))

    async def add_tip(self, order_id: int, amount_fen: int, actor: str) -> int:
        """Add ``amount_fen`` to the live delivery's tip; the new total tip."""
        async with self.ctx.lock(order_id):
            live = [a for a in await self.ctx.live(order_id) if a.carrier != SELF_DELIVERY]
            if not live:
                raise DispatchError("no live delivery to tip")
            a = live[0]
            entry = self.ctx.gateway.get(a.carrier)
            rules = entry.rules.tips
            if rules.only_before_accept and a.status is not DeliveryStatus.PENDING_ACCEPT:
                raise DispatchError(f"{a.carrier} takes tips only while waiting for a rider")
            why = rules.validate(a.tip_fen, amount_fen, a.tip_count)
            if why:
                raise DispatchError(why)
            total = await entry.adapter.add_tip(a, amount_fen)
            a = a.with_(tip_fen=total, tip_count=a.tip_count + 1)
            await self.ctx.save(a)
            await self.ctx.log_event(
                order_id,
                "tip_added",
                actor,
                f"tip +{amount_fen} fen at {a.carrier} (total {total})",
                {
                    "attempt_id": a.id,
                    "tip_fen": total,
                    "amount_fen": amount_fen,
                    "carrier": a.carrier,
                },
            )
            return total

    async def mark_self_delivered(self, order_id: int, actor: str) -> None:
        """Cancel the carrier's delivery (confirmed): the shop's own rider took it."""
        async with self.ctx.lock(order_id):
            for a in await self.ctx.live(order_id):
                if a.carrier == SELF_DELIVERY:
                    continue
                ok, a = await self.canceller.cancel_attempt(a, "self delivery", actor)
                if not ok:
                    raise DispatchError(
                        f"{a.carrier} did not confirm the cancel; not marking self-delivered"
                    )
            await self._self_attempt(order_id)
            await self.ctx.set_state(order_id, OrderState.SELF_DELIVERED, force=True)
            await self.ctx.log_event(
                order_id, "self_delivered", actor, "自配送: delivered by the shop's own rider", {}
            )

    async def refresh(self, order_id: int) -> None:
        """Poll the live attempts now."""
        for a in await self.ctx.live(order_id):
            await self.tracker.poll_now(a)

    async def _self_attempt(self, order_id: int) -> DeliveryAttempt:
        db, now = self.ctx.db, self.ctx.now()
        no = await db.run(db.next_attempt_no, order_id)
        att = DeliveryAttempt(
            order_id,
            no,
            SELF_DELIVERY,
            self.ctx.key_for(order_id, no),
            DeliveryStatus.DELIVERED,
            rider=Rider(name="自配送"),
            created_at=now,
            dispatched_at=now,
            finished_at=now,
            last_seen_at=now,
        )
        att = await db.run(db.insert_attempt, att)
        self.ctx.published(att, None)
        return att
