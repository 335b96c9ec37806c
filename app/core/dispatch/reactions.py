"""Reactions to carrier status changes: the order's state, alerts, race losers and
failover follow from each ``AttemptStatusChanged`` on the app's bus, whoever published it
(tracking, a create, a cancel). Each reaction runs as its own task under the order's lock,
so reactions to one order apply in order and never interleave with an operator action;
``settled`` lets a caller wait until an order's reactions have run."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable

from app.core.carriers.base import CarrierError
from app.core.carriers.registry import SELF_DELIVERY
from app.core.dispatch.accept import AcceptTimers
from app.core.dispatch.cancel import Canceller
from app.core.dispatch.context import DispatchContext, FailoverNeeded
from app.core.domain import (
    Attention,
    AttentionReason,
    CancelledBy,
    DeliveryAttempt,
    DeliveryStatus,
    DispatchMode,
    Order,
    OrderState,
)
from app.core.domain.status import RIDER_ASSIGNED
from app.core.events import AlertKind, AlertRaised, AttemptStatusChanged, Severity

S = DeliveryStatus
log = logging.getLogger(__name__)
PROOF_KEY = "proof_of_delivery"  # attempt.extra: {"type", "document" (base64), "bytes", "at"}
# a rider took the order: every status a racer can only reach after acceptance
PAST_PENDING = RIDER_ASSIGNED | {S.DELIVERED, S.RETURNING, S.RETURNED}
_SETTLE_ROUNDS = 5  # a reaction may publish another change of the same order


def is_auto(mode: str, order: Order) -> bool:
    """Auto-dispatch applies to this order (shop-wide auto, or the order asks for it)."""
    return mode == "auto" or order.dispatch_mode is DispatchMode.AUTO


class Reactions:
    def __init__(self, ctx: DispatchContext, timers: AcceptTimers, canceller: Canceller) -> None:
        self.ctx = ctx
        self.timers = timers
        self.canceller = canceller
        self._pending: dict[int, set[asyncio.Task[None]]] = {}
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self.ctx.bus.subscribe(AttemptStatusChanged, self._on_event)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_event(self, ev: AttemptStatusChanged) -> None:
        if ev.carrier == SELF_DELIVERY:
            return  # the operator action that made it owns the order's state
        prev = S(ev.previous) if ev.previous else None
        react = self._react(ev.order_id, ev.attempt_id, S(ev.status), prev)
        task = self.ctx.spawn(react, f"react-{ev.attempt_id}")
        tasks = self._pending.setdefault(ev.order_id, set())
        tasks.add(task)
        task.add_done_callback(lambda t: self._done(ev.order_id, t))

    def _done(self, order_id: int, task: asyncio.Task[None]) -> None:
        tasks = self._pending.get(order_id)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._pending[order_id]

    async def settled(self, order_id: int) -> None:
        """Wait for the reactions to this order's changes so far (never call it while
        holding the order's lock: the reactions need it)."""
        for _ in range(_SETTLE_ROUNDS):
            tasks = self._pending.get(order_id)
            if not tasks:
                return
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _react(
        self, order_id: int, attempt_id: int, status: DeliveryStatus, prev: DeliveryStatus | None
    ) -> None:
        db = self.ctx.db
        async with self.ctx.lock(order_id):
            att = await db.run(db.get_attempt, attempt_id)
            if att is not None:
                await self.on_status(att, status, prev)

    # ------------------------------------------------------------------ reactions
    async def on_status(
        self, att: DeliveryAttempt, st: DeliveryStatus, prev: DeliveryStatus | None
    ) -> None:
        """Order state, race and failover follow-ups of the change ``prev`` -> ``st``.
        ``att`` is the attempt as stored now (it may have moved on since: each change
        gets its own reaction); the caller holds the order's lock."""
        oid = att.order_id
        assigned = st in RIDER_ASSIGNED
        if st in PAST_PENDING and prev not in PAST_PENDING and att.race_group:
            # any forward move past pending wins the race, also a jump straight from
            # pending to delivered between two polls (acceptance never seen)
            await self.cancel_losers(att)
        if st is S.PENDING_ACCEPT and (prev in RIDER_ASSIGNED or prev is S.PENDING_ACCEPT):
            await self._rider_withdrew(att)  # only a reassignment moves back like this
        if assigned or st is S.PENDING_ACCEPT:
            await self.ctx.set_state(oid, OrderState.DISPATCHING)
        elif st is S.DELIVERED:
            await self.ctx.set_state(oid, OrderState.DELIVERED)
            self.ctx.bus.publish(
                AlertRaised(oid, AlertKind.DELIVERED, f"{att.carrier} delivered", Severity.INFO)
            )
            await self._keep_proof_of_delivery(att)
        elif st in (S.RETURNING, S.RETURNED):
            returning = st is S.RETURNING
            why = "goods returning" if returning else "goods returned to the shop"
            reason = (
                AttentionReason.GOODS_RETURNING if returning else AttentionReason.GOODS_RETURNED
            )
            await self.ctx.set_state(oid, OrderState.ATTENTION, Attention(reason, why))
            self.ctx.bus.publish(AlertRaised(oid, AlertKind.RETURNING, f"{att.carrier}: {why}"))
        elif st is S.CANCELLED:
            await self._cancelled(att)

    async def _keep_proof_of_delivery(self, att: DeliveryAttempt) -> None:
        """Carriers that hand out a proof of delivery (Uber Direct: photo, signature):
        fetched once when the attempt is delivered and kept on the attempt; a refusal is
        logged, the delivery stands."""
        gw = self.ctx.gateway
        if PROOF_KEY in att.extra or att.carrier not in gw.ids():
            return
        entry = gw.get(att.carrier)
        fetch = getattr(entry.adapter, "proof_of_delivery", None)
        if fetch is None or not entry.rules.has("proof_of_delivery"):
            return
        try:
            kind, document = await fetch(att)
        except CarrierError as e:
            log.info("%s: no proof of delivery for attempt %s: %s", att.carrier, att.id, e)
            return
        proof = {
            "type": kind,
            "document": base64.b64encode(document).decode("ascii"),
            "bytes": len(document),
            "at": self.ctx.now().isoformat(),
        }
        await self.ctx.save(att.with_(extra={**att.extra, PROOF_KEY: proof}))
        data = {"attempt_id": att.id, "carrier": att.carrier, "type": kind, "bytes": len(document)}
        await self.ctx.log_event(
            att.order_id, "proof_of_delivery", att.carrier, f"proof of delivery: {kind}", data
        )

    async def _rider_withdrew(self, att: DeliveryAttempt) -> None:
        msg = f"{att.carrier}: rider withdrew, re-dispatching"
        self.ctx.bus.publish(AlertRaised(att.order_id, AlertKind.RIDER_CANCELLED, msg))
        if att.status is not S.PENDING_ACCEPT:
            return  # a new rider already took it
        att = att.with_(accept_deadline=self.timers.fresh_deadline(att))
        await self.ctx.save(att)
        self.timers.arm(att)

    async def cancel_losers(self, winner: DeliveryAttempt) -> None:
        """A racer's rider accepted (or the racer moved further): cancel the other
        racers (confirmed; free while they are unaccepted)."""
        for a in await self.ctx.live(winner.order_id):
            if a.id == winner.id or a.race_group != winner.race_group:
                continue
            was = a.status
            _, a = await self.canceller.cancel_attempt(a, "race lost", "race")
            await self.ctx.log_event(
                a.order_id,
                "race_cancel",
                "race",
                f"{winner.carrier} won; cancelled {a.carrier} (was {was}, fee "
                f"{a.cancel_fee_fen} fen)",
                {
                    "attempt_id": a.id,
                    "fee_fen": a.cancel_fee_fen,
                    "winner": winner.carrier,
                    "carrier": a.carrier,
                },
            )

    async def _cancelled(self, att: DeliveryAttempt) -> None:
        oid = att.order_id
        if att.failover_pending:
            self.ctx.signals.publish(FailoverNeeded(oid, "cancel confirmed"))
            return
        if att.cancel_requested_at is not None:
            return  # ours: the cancel / failover flow owns the order state
        by = att.cancelled_by or CancelledBy.UNKNOWN
        why = f"{att.carrier} cancelled the delivery ({by})"
        self.ctx.bus.publish(AlertRaised(oid, AlertKind.RIDER_CANCELLED, why))
        if await self.ctx.live(oid):
            return
        order = await self.ctx.get_order(oid)
        if is_auto(self.ctx.settings.mode, order):
            self.ctx.signals.publish(FailoverNeeded(oid, why))
        else:
            attention = Attention(AttentionReason.RIDER_CANCELLED, why)
            await self.ctx.set_state(oid, OrderState.ATTENTION, attention)
