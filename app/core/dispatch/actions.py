"""Operator actions: cancel with a fee preview, re-dispatch, add a tip, mark
self-delivered (自配送); plus ``cancel_attempt``, the confirmed cancel that failover,
race mode and every action share: a cancel counts only once a query says CANCELLED, and
the carrier's fee is recorded on the abandoned attempt."""

from __future__ import annotations

import asyncio
import logging

from app.core.carriers.base import CarrierError, NotFoundError
from app.core.carriers.registry import SELF_DELIVERY
from app.core.dispatch.submit import DispatchError
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus, OrderState, Rider
from app.core.domain.status import RIDER_ASSIGNED
from app.core.events import AttemptStatusChanged

log = logging.getLogger(__name__)
S = DeliveryStatus
CONFIRM_TRIES = 4
CONFIRM_PAUSE_S = 0.3


class Actions:
    def __init__(self, engine) -> None:
        self.eng = engine

    @property
    def svc(self):
        return self.eng.svc

    async def save(self, att: DeliveryAttempt) -> None:
        await self.svc.db.run(self.svc.db.save_attempt, att, self.svc.clock.now())

    # ------------------------------------------------------------------ confirmed cancel
    async def cancel_attempt(
        self, att: DeliveryAttempt, reason: str, actor: str
    ) -> tuple[bool, DeliveryAttempt]:
        """Cancel at the carrier and confirm by query. True when the attempt is finished
        (cancelled, or it never existed at the carrier)."""
        if att.status is S.SUBMITTING:
            done, att = await self._settle_submitting(att)
            if done is not None:
                return done, att
        if att.status.terminal:
            return att.status is not S.DELIVERED, att
        now = self.svc.clock.now()
        att = att.with_(
            cancelled_by=CancelledBy.MERCHANT,
            cancel_reason=reason[:200],
            extra={**att.extra, "cancel_requested_at": now.isoformat()},
        )
        await self.save(att)
        fee = await self._send_cancel(att, reason)
        if fee is not None:
            att = att.with_(cancel_fee_fen=fee)
            await self.save(att)
        att = await self._confirm(att, refused=fee is None)
        await self.svc.log_event(
            att.order_id,
            "cancel",
            actor,
            f"{att.carrier}: cancel ({reason}) -> {att.status}, fee {att.cancel_fee_fen} fen",
            {"attempt_id": att.id, "fee_fen": att.cancel_fee_fen},
        )
        if not att.status.terminal and fee is not None and att.status is not S.CANCEL_REQUESTED:
            att = await self._mark_requested(att)
        return att.status is S.CANCELLED or att.status is S.CREATE_FAILED, att

    async def _settle_submitting(self, att: DeliveryAttempt) -> tuple[bool | None, DeliveryAttempt]:
        """Outcome unknown: ask the carrier first. (True, _) it never got the order,
        (False, _) we cannot tell yet, (None, att) it exists: go on cancelling."""
        adapter = self.svc.gateway.get(att.carrier).adapter
        try:
            return None, await self.eng.tracker.apply(att, await adapter.query(att), "cancel")
        except NotFoundError:
            att = att.with_(
                status=S.CREATE_FAILED,
                error="cancelled before the carrier had it",
                finished_at=self.svc.clock.now(),
            )
            await self.save(att)
            return True, att
        except CarrierError:
            return False, att

    async def _mark_requested(self, att: DeliveryAttempt) -> DeliveryAttempt:
        """The carrier took the cancel but a query does not show it yet."""
        prev = att.status
        att = att.with_(status=S.CANCEL_REQUESTED)
        await self.save(att)
        assert att.id is not None
        self.svc.bus.publish(
            AttemptStatusChanged(att.order_id, att.id, att.carrier, att.status.value, prev.value)
        )
        return att

    async def _send_cancel(self, att: DeliveryAttempt, reason: str) -> int | None:
        try:
            return await self.svc.gateway.get(att.carrier).adapter.cancel(att, reason)
        except CarrierError as e:
            log.info("cancel %s at %s: %s", att.idempotency_key, att.carrier, e)
            return None

    async def _confirm(self, att: DeliveryAttempt, *, refused: bool) -> DeliveryAttempt:
        adapter = self.svc.gateway.get(att.carrier).adapter
        for i in range(CONFIRM_TRIES):
            try:
                snap = await adapter.query(att)
            except CarrierError as e:
                log.info("confirm cancel %s: %s", att.idempotency_key, e)
            else:
                att = await self.eng.tracker.apply(att, snap, "cancel_confirm")
                if att.status.terminal or (refused and att.status in RIDER_ASSIGNED):
                    return att
            if i + 1 < CONFIRM_TRIES:
                await asyncio.sleep(CONFIRM_PAUSE_S)
        return att

    # ------------------------------------------------------------------ operator
    async def cancel_preview(self, order_id: int) -> int | None:
        live = [a for a in await self.eng.live(order_id) if a.carrier != SELF_DELIVERY]
        if not live:
            return None
        total = 0
        for a in live:
            entry = self.svc.gateway.get(a.carrier)
            if not entry.rules.cancel.cancellable(a.status) and a.status is not S.SUBMITTING:
                return None
            try:
                total += await entry.adapter.cancel_preview(a)
            except CarrierError as e:
                log.info("cancel preview %s: %s", a.idempotency_key, e)
                return None
        return total

    async def cancel(self, order_id: int, reason: str, actor: str) -> int:
        async with self.eng.lock(order_id):
            fee, pending = 0, []
            for a in await self.eng.live(order_id):
                ok, a = await self.cancel_attempt(a, reason, actor)
                fee += a.cancel_fee_fen
                if not ok:
                    pending.append(a.carrier)
            if pending:
                why = f"cancel not confirmed by {', '.join(pending)}"
                await self.eng.set_state(order_id, OrderState.ATTENTION, why)
                raise DispatchError(why)
            await self.eng.set_state(order_id, OrderState.CANCELLED, "", force=True)
            await self.svc.log_event(
                order_id,
                "order_cancelled",
                actor,
                f"order cancelled: {reason} (fees {fee} fen)",
                {"fee_fen": fee},
            )
            return fee

    async def redispatch(self, order_id: int, actor: str) -> DeliveryAttempt:
        async with self.eng.lock(order_id):
            tried: set[str] = set()
            for a in await self.eng.live(order_id):
                ok, a = await self.cancel_attempt(a, "re-dispatch", actor)
                if not ok:
                    raise DispatchError(
                        f"{a.carrier} did not confirm the cancel; not re-dispatching"
                    )
                tried.add(a.carrier)
            if not tried:
                atts = await self.eng.attempts(order_id)
                tried = {atts[-1].carrier} if atts else set()
            tried.discard(SELF_DELIVERY)
            await self.eng.set_state(order_id, OrderState.NEW, "", force=True)
            return await self.eng.plan_and_submit(order_id, None, actor, tried=frozenset(tried))

    async def add_tip(self, order_id: int, amount_fen: int, actor: str) -> int:
        async with self.eng.lock(order_id):
            live = [a for a in await self.eng.live(order_id) if a.carrier != SELF_DELIVERY]
            if not live:
                raise DispatchError("no live delivery to tip")
            a = live[0]
            entry = self.svc.gateway.get(a.carrier)
            rules = entry.rules.tips
            if rules.only_before_accept and a.status is not S.PENDING_ACCEPT:
                raise DispatchError(f"{a.carrier} takes tips only while waiting for a rider")
            times = int(a.extra.get("tip_count", 0))
            why = rules.validate(a.tip_fen, amount_fen, times)
            if why:
                raise DispatchError(why)
            total = await entry.adapter.add_tip(a, amount_fen)
            a = a.with_(tip_fen=total, extra={**a.extra, "tip_count": times + 1})
            await self.save(a)
            await self.svc.log_event(
                order_id,
                "tip_added",
                actor,
                f"tip +{amount_fen} fen at {a.carrier} (total {total})",
                {"attempt_id": a.id, "tip_fen": total},
            )
            return total

    async def mark_self_delivered(self, order_id: int, actor: str) -> None:
        async with self.eng.lock(order_id):
            for a in await self.eng.live(order_id):
                if a.carrier == SELF_DELIVERY:
                    continue
                ok, a = await self.cancel_attempt(a, "self delivery", actor)
                if not ok:
                    raise DispatchError(
                        f"{a.carrier} did not confirm the cancel; not marking self-delivered"
                    )
            await self._self_attempt(order_id)
            await self.eng.set_state(order_id, OrderState.SELF_DELIVERED, "", force=True)
            await self.svc.log_event(
                order_id, "self_delivered", actor, "自配送: delivered by the shop's own rider", {}
            )

    async def _self_attempt(self, order_id: int) -> DeliveryAttempt:
        db, now = self.svc.db, self.svc.clock.now()
        no = await db.run(db.next_attempt_no, order_id)
        att = DeliveryAttempt(
            order_id,
            no,
            SELF_DELIVERY,
            self.eng.key_for(order_id, no),
            S.DELIVERED,
            rider=Rider(name="自配送"),
            created_at=now,
            dispatched_at=now,
            finished_at=now,
            last_seen_at=now,
        )
        att = await db.run(db.insert_attempt, att)
        self.svc.bus.publish(
            AttemptStatusChanged(
                order_id,
                att.id,
                SELF_DELIVERY,  # type: ignore[arg-type]
                S.DELIVERED.value,
                "",
            )
        )
        return att
