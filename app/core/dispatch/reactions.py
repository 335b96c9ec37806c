"""Race mode and the reactions to carrier status changes (a mixin of ``Submitter``).

Race (opt-in ``[dispatch] race``): up to ``race_max`` carriers at once, only carriers whose
CancelRules make a cancel before acceptance free; the moment one rider accepts, the
others are cancelled. The money at risk (a loser accepting before our cancel lands) is
computed and logged. Reactions set the order state, raise alerts and start failover.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from app.core.carriers.base import CarrierError
from app.core.dispatch.policy import Scored
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus, Order, OrderState
from app.core.domain.status import RIDER_ASSIGNED
from app.core.events import AlertRaised

S = DeliveryStatus


class Reactions:
    eng: Any
    svc: Any

    # ------------------------------------------------------------------ race
    def racers(self, ranked: list[Scored]) -> list[Scored]:
        gw = self.svc.gateway
        ok = [s for s in ranked if gw.get(s.carrier).rules.cancel.free_before_accept]
        return ok[: max(1, self.eng.settings.race_max)]

    def money_at_risk(self, racers: list[Scored]) -> dict:
        """If a loser's rider accepts before our cancel lands, the cancel may cost: free
        inside the carrier's free-after-accept window, else up to its fee (upper bound)."""
        gw = self.svc.gateway
        per = {
            s.carrier: 0 if gw.get(s.carrier).rules.cancel.free_after_accept_s > 0 else s.fee_fen
            for s in racers
        }
        worst = sum(per.values()) - min(per.values())
        return {"per_carrier_fen": per, "at_risk_fen": worst}

    async def race(self, order: Order, racers: list[Scored], actor: str) -> DeliveryAttempt:
        assert order.id is not None
        group = f"race{int(self.svc.clock.now().timestamp())}"
        risk = self.money_at_risk(racers)
        names = ", ".join(s.carrier for s in racers)
        await self.svc.log_event(
            order.id,
            "race",
            actor,
            f"racing {names}; money at risk {risk['at_risk_fen']} fen",
            {"group": group, **risk},
        )
        first = await self.svc.db.run(self.svc.db.next_attempt_no, order.id)
        results = await asyncio.gather(
            *(
                self.submit(order, s.quote, actor, no=first + i, race=group)
                for i, s in enumerate(racers)
            ),
            return_exceptions=True,
        )
        atts = [r for r in results if isinstance(r, DeliveryAttempt)]
        for s, r in zip(racers, results, strict=True):
            if isinstance(r, CarrierError):
                await self.carrier_failed(order, s.carrier, r, actor)
            elif isinstance(r, BaseException) and not isinstance(r, DeliveryAttempt):
                raise r
        if not atts:
            await self.give_up(order, "every racing carrier failed", {})
        return atts[0]

    async def cancel_losers(self, winner: DeliveryAttempt) -> None:
        group = winner.extra.get("race")
        async with self.eng.lock(winner.order_id):
            for a in await self.eng.live(winner.order_id):
                if a.id == winner.id or a.extra.get("race") != group:
                    continue
                was = a.status
                _, a = await self.eng.actions.cancel_attempt(a, "race lost", "race")
                await self.svc.log_event(
                    a.order_id,
                    "race_cancel",
                    "race",
                    f"{winner.carrier} won; cancelled {a.carrier} (was {was}, fee "
                    f"{a.cancel_fee_fen} fen)",
                    {"attempt_id": a.id, "fee_fen": a.cancel_fee_fen},
                )

    # ------------------------------------------------------------------ reactions
    async def on_status(self, att: DeliveryAttempt, prev: DeliveryStatus, reason: str) -> None:
        """Order state, race and failover follow-ups of an accepted status change.
        Never takes the order lock inline (callers may hold it): follow-ups are spawned."""
        st, oid = att.status, att.order_id
        if st in RIDER_ASSIGNED and prev not in RIDER_ASSIGNED and att.extra.get("race"):
            self.eng.spawn(self.cancel_losers(att), f"race-{oid}")
        if st is S.PENDING_ACCEPT and reason == "reassignment":
            self.svc.bus.publish(
                AlertRaised(
                    oid, "rider_cancelled", f"{att.carrier}: rider withdrew, re-dispatching"
                )
            )
            deadline = self.svc.clock.now() + timedelta(
                seconds=self.svc.gateway.get(att.carrier).accept_timeout_s
            )
            att = att.with_(extra={**att.extra, "accept_deadline": deadline.isoformat()})
            await self.save(att)
            self.arm(att)
        if st in RIDER_ASSIGNED or st is S.PENDING_ACCEPT:
            await self.eng.set_state(oid, OrderState.DISPATCHING, "")
        elif st is S.DELIVERED:
            await self.eng.set_state(oid, OrderState.DELIVERED, "")
            self.svc.bus.publish(AlertRaised(oid, "delivered", f"{att.carrier} delivered", "info"))
        elif st in (S.RETURNING, S.RETURNED):
            why = "goods returning" if st is S.RETURNING else "goods returned to the shop"
            await self.eng.set_state(oid, OrderState.ATTENTION, why)
            self.svc.bus.publish(AlertRaised(oid, "returning", f"{att.carrier}: {why}"))
        elif st is S.CANCELLED:
            await self._cancelled(att)

    async def _cancelled(self, att: DeliveryAttempt) -> None:
        oid = att.order_id
        if att.extra.get("failover_pending"):
            self.eng.spawn(self.eng.redispatch_next(oid, "cancel confirmed"), f"failover-{oid}")
            return
        if att.extra.get("cancel_requested_at"):
            return  # ours: the cancel / failover flow owns the order state
        by = att.cancelled_by or CancelledBy.UNKNOWN
        why = f"{att.carrier} cancelled the delivery ({by})"
        self.svc.bus.publish(AlertRaised(oid, "rider_cancelled", why))
        order = await self.eng.get_order(oid)
        if self.eng.is_auto(order) and not await self.eng.live(oid):
            self.eng.spawn(self.eng.redispatch_next(oid, why), f"failover-{oid}")
        elif not await self.eng.live(oid):
            await self.eng.set_state(oid, OrderState.ATTENTION, why)
