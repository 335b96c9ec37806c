"""Exactly-once create, race mode's parallel creates, and settling an unknown outcome.

The attempt row, with its idempotency key, is committed as SUBMITTING *before* the
create call. ``OutcomeUnknownError`` leaves it SUBMITTING and ``resolve`` settles it by
``adapter.query`` with that key, never by sending blindly (a carrier whose rules say a
resend with the same key is the same delivery, ``resend_resolves``, is settled by that
resend: 美团配送 cannot be queried without the id its create answer carries). When the
carrier answers NotFound we re-send the create ONCE with the SAME key: a late copy of the
first request then lands on the same carrier order (carriers dedupe by origin id) instead
of becoming a second delivery, which a new key could not prevent. A second NotFound marks the attempt
CREATE_FAILED and asks for the next carrier (``FailoverNeeded``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

from app.core.carriers.base import (
    AuthError,
    CarrierError,
    CreateResult,
    InsufficientBalanceError,
    NotFoundError,
    OutcomeUnknownError,
    RejectedError,
    UnavailableError,
)
from app.core.dispatch import race as race_rules
from app.core.dispatch.accept import AcceptTimers
from app.core.dispatch.context import DispatchContext, DispatchError, FailoverNeeded
from app.core.dispatch.policy import Decision, Scored
from app.core.dispatch.tracking import Tracker
from app.core.domain import (
    Attention,
    AttentionReason,
    DeliveryAttempt,
    DeliveryStatus,
    Order,
    OrderState,
    Quote,
)
from app.core.events import AlertKind, AlertRaised, Severity

log = logging.getLogger(__name__)

MAX_RECREATE = 1
S = DeliveryStatus


class CarriersUnreachable(DispatchError):
    """Every eligible carrier failed for connectivity: the engine queues the order."""


class Submitter:
    def __init__(self, ctx: DispatchContext, tracker: Tracker, timers: AcceptTimers) -> None:
        self.ctx = ctx
        self.tracker = tracker
        self.timers = timers

    # ------------------------------------------------------------------ run a decision
    async def run(self, order: Order, decision: Decision, actor: str) -> DeliveryAttempt:
        """Create at the best carrier, falling back down the ranking. Raises
        ``CarriersUnreachable`` when nothing answered, ``DispatchError`` when all refused."""
        ranked = list(decision.ranked)
        if not ranked:
            why_not = decision.data.get("why_not", {})
            await self.give_up(
                order, "no eligible carrier", why_not, AttentionReason.DISPATCH_FAILED
            )
        if self.ctx.settings.race and decision.data["inputs"]["forced"] is None:
            racing = self.racers(ranked)
            if len(racing) >= 2:
                return await self.race(order, racing, actor)
        errors: dict[str, str] = {}
        unreachable: set[str] = set()
        reason = AttentionReason.DISPATCH_FAILED
        for s in ranked:
            if not self.ctx.breakers.get(s.carrier).allow():
                errors[s.carrier] = "circuit breaker open"
                unreachable.add(s.carrier)
                continue
            try:
                return await self.submit_binding(order, s.quote, actor)
            except CarrierError as e:
                errors[s.carrier] = str(e)
                if isinstance(e, UnavailableError):
                    unreachable.add(s.carrier)
                if isinstance(e, InsufficientBalanceError):
                    reason = AttentionReason.INSUFFICIENT_BALANCE  # a top-up resolves it
                await self.carrier_failed(order, s.carrier, e, actor)
        if errors and unreachable == set(errors):
            raise CarriersUnreachable("every carrier unreachable")
        await self.give_up(order, "every eligible carrier failed", errors, reason)
        raise AssertionError("unreachable")

    async def carrier_failed(self, order: Order, cid: str, e: CarrierError, actor: str) -> None:
        assert order.id is not None
        msg = f"{cid} failed: {e}; trying the next carrier"
        data = {"carrier": cid, "error": str(e)}
        await self.ctx.log_event(order.id, "dispatch_skip", actor, msg, data)
        if isinstance(e, InsufficientBalanceError | AuthError):
            self.ctx.bus.publish(
                AlertRaised(order.id, AlertKind.CARRIER_ERROR, msg, Severity.CRITICAL)
            )

    async def give_up(
        self, order: Order, why: str, detail: dict[str, Any], reason: AttentionReason
    ) -> None:
        assert order.id is not None
        await self.ctx.set_state(order.id, OrderState.ATTENTION, Attention(reason, why))
        await self.ctx.log_event(order.id, "dispatch_failed", "engine", why, {"detail": detail})
        self.ctx.bus.publish(AlertRaised(order.id, AlertKind.CARRIER_ERROR, why, Severity.CRITICAL))
        raise DispatchError(why)

    # ------------------------------------------------------------------ race
    def racers(self, ranked: list[Scored]) -> list[Scored]:
        return race_rules.racers(self.ctx.gateway, ranked, self.ctx.settings.race_max)

    async def race(self, order: Order, racing: list[Scored], actor: str) -> DeliveryAttempt:
        assert order.id is not None
        group = race_rules.group_name(self.ctx.now().timestamp())
        risk = race_rules.money_at_risk(self.ctx.gateway, racing)
        names = ", ".join(s.carrier for s in racing)
        await self.ctx.log_event(
            order.id,
            "race",
            actor,
            f"racing {names}; money at risk {risk.at_risk_fen} fen",
            {"group": group, "carriers": [s.carrier for s in racing], **dataclasses.asdict(risk)},
        )
        first = await self.ctx.db.run(self.ctx.db.next_attempt_no, order.id)
        results = await asyncio.gather(
            *(
                self.submit(order, s.quote, actor, no=first + i, race=group)
                for i, s in enumerate(racing)
            ),
            return_exceptions=True,
        )
        atts = [r for r in results if isinstance(r, DeliveryAttempt)]
        for s, r in zip(racing, results, strict=True):
            if isinstance(r, CarrierError):
                await self.carrier_failed(order, s.carrier, r, actor)
            elif isinstance(r, BaseException):
                raise r
        if not atts:
            await self.give_up(
                order, "every racing carrier failed", {}, AttentionReason.DISPATCH_FAILED
            )
        return atts[0]

    # ------------------------------------------------------------------ exactly once
    async def submit(
        self,
        order: Order,
        quote: Quote,
        actor: str,
        *,
        no: int | None = None,
        race: str = "",
        force_requote: bool = False,
    ) -> DeliveryAttempt:
        assert order.id is not None
        db, now = self.ctx.db, self.ctx.now()
        if no is None:
            no = await db.run(db.next_attempt_no, order.id)
        key = self.ctx.key_for(order.id, no)
        if quote.binding and (force_requote or quote.expired(now)):
            quote = await self.requote(order, quote.carrier, key)
        att = DeliveryAttempt(
            order.id,
            no,
            quote.carrier,
            key,
            S.SUBMITTING,
            quote_token=quote.token,
            quoted_fee_fen=quote.fee_fen,
            distance_m=quote.distance_m or None,
            created_at=now,
            race_group=race,
        )
        att = await db.run(db.insert_attempt, att)  # committed BEFORE the create call
        await self.ctx.set_state(order.id, OrderState.DISPATCHING)
        return await self.create(order, quote, att, actor)

    async def submit_binding(self, order: Order, quote: Quote, actor: str) -> DeliveryAttempt:
        """A binding quote the carrier refuses (its clock may say expired before ours
        does) gets one fresh quote and one more try at the same carrier."""
        try:
            return await self.submit(order, quote, actor)
        except RejectedError as e:
            if not quote.binding or isinstance(e, InsufficientBalanceError | NotFoundError):
                raise
            log.info("%s refused the quoted create (%s); re-quoting once", quote.carrier, e)
            return await self.submit(order, quote, actor, force_requote=True)

    async def requote(self, order: Order, cid: str, key: str) -> Quote:
        """An expired binding quote is re-quoted for that carrier at dispatch time."""
        assert order.id is not None
        adapter = self.ctx.gateway.get(cid).adapter
        q = await asyncio.wait_for(adapter.quote(order, key=key), self.ctx.settings.quote_timeout_s)
        await self.ctx.db.run(self.ctx.db.add_quote, order.id, q)
        await self.ctx.log_event(
            order.id,
            "requoted",
            "engine",
            f"{cid} quote expired; new quote {q.fee_fen} fen",
            {"carrier": cid, "fee_fen": q.fee_fen},
        )
        return q

    async def create(
        self, order: Order, quote: Quote, att: DeliveryAttempt, actor: str
    ) -> DeliveryAttempt:
        breaker = self.ctx.breakers.get(att.carrier)
        adapter = self.ctx.gateway.get(att.carrier).adapter
        try:
            res = await adapter.create(order, quote, att)
        except OutcomeUnknownError as e:
            breaker.failure()
            att = att.with_(error=str(e)[:300])
            await self.ctx.save(att)
            await self.ctx.log_event(
                att.order_id,
                "outcome_unknown",
                actor,
                f"{att.carrier}: {e}; resolving by query",
                {"key": att.idempotency_key, "carrier": att.carrier},
            )
            self.ctx.spawn(self.resolve(att), f"resolve-{att.id}")
            return att
        except CarrierError as e:
            if isinstance(e, UnavailableError):
                breaker.failure()
            now = self.ctx.now()
            att = att.with_(status=S.CREATE_FAILED, error=str(e)[:300], finished_at=now)
            await self.ctx.save(att)
            self.ctx.published(att, S.SUBMITTING)
            raise
        breaker.success()
        return await self.created(att, res, actor)

    async def created(self, att: DeliveryAttempt, res: CreateResult, actor: str) -> DeliveryAttempt:
        now = self.ctx.now()
        att = att.with_(
            status=S.PENDING_ACCEPT,
            carrier_order_id=res.carrier_order_id,
            error="",
            quoted_fee_fen=res.fee_fen if res.fee_fen is not None else att.quoted_fee_fen,
            distance_m=res.distance_m or att.distance_m,
            tracking_url=res.tracking_url,
            dispatched_at=now,
            last_seen_at=now,
        )
        await self.ctx.save(att)
        self.ctx.published(att, S.SUBMITTING)
        await self.ctx.log_event(
            att.order_id,
            "dispatched",
            actor,
            f"dispatched to {att.carrier} ({att.quoted_fee_fen} fen)",
            {
                "attempt_id": att.id,
                "key": att.idempotency_key,
                "carrier": att.carrier,
                "fee_fen": att.quoted_fee_fen,
            },
        )
        self.watch(att)
        return att

    # ------------------------------------------------------------------ resolve
    async def resolve(self, att: DeliveryAttempt) -> None:
        """Settle a SUBMITTING attempt by query with its key (also after a restart)."""
        assert att.id is not None
        db, delay = self.ctx.db, 0.5
        entry = self.ctx.gateway.get(att.carrier)
        adapter, resend = entry.adapter, entry.rules.has("resend_resolves")
        started, flagged = self.ctx.clock.monotonic(), False
        while True:
            cur = await db.run(db.get_attempt, att.id)
            if cur is None or cur.status is not S.SUBMITTING:
                return
            waited = self.ctx.clock.monotonic() - started
            if not flagged and waited > self.ctx.settings.unresolved_flag_s:
                flagged = True
                await self.flag_unresolved(cur)
            try:
                if resend and not cur.carrier_order_id:
                    async with self.ctx.lock(cur.order_id):  # an operator cancel may race us
                        found = await db.run(db.get_attempt, att.id)
                        if found is None or found.status is not S.SUBMITTING:
                            return
                        cur = await self.resend(found)
                snap = await adapter.query(cur)
            except NotFoundError:
                async with self.ctx.lock(cur.order_id):  # an operator cancel may race us
                    found = await db.run(db.get_attempt, att.id)
                    if found is not None and found.status is S.SUBMITTING:
                        await self.not_found(found)
                return
            except CarrierError as e:
                log.info("resolve %s: %s; retrying in %.1fs", cur.idempotency_key, e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.ctx.settings.offline_retry_s)
                continue
            now = self.ctx.now()
            cur = cur.with_(
                dispatched_at=cur.dispatched_at or now,
                carrier_order_id=snap.carrier_order_id or cur.carrier_order_id,
            )
            await self.ctx.save(cur)
            cur = await self.tracker.apply(cur, snap, "resolve")
            await self.ctx.log_event(
                cur.order_id,
                "resolved",
                "engine",
                f"{cur.carrier} has the order ({cur.status}); no resend",
                {"key": cur.idempotency_key, "carrier": cur.carrier, "status": cur.status.value},
            )
            self.watch(cur)
            return

    async def resend(self, att: DeliveryAttempt) -> DeliveryAttempt:
        """Settle an unknown create by sending it again with the same key, for a carrier
        that documents such a resend as the same delivery (``resend_resolves``) and
        cannot be asked about an order before it has named it (美团配送 needs
        mt_peisong_id for status/query). Any CarrierError leaves the attempt as it was."""
        order = await self.ctx.get_order(att.order_id)
        quote = await self.quote_for(order, att)
        res = await self.ctx.gateway.get(att.carrier).adapter.create(order, quote, att)
        fee = res.fee_fen if res.fee_fen is not None else att.quoted_fee_fen
        cur = att.with_(carrier_order_id=res.carrier_order_id, quoted_fee_fen=fee)
        await self.ctx.save(cur)
        await self.ctx.log_event(
            cur.order_id,
            "resent",
            "engine",
            f"{cur.carrier}: create re-sent with the same key (same delivery by the "
            f"carrier's rules) -> {res.carrier_order_id}",
            {"key": cur.idempotency_key, "carrier": cur.carrier},
        )
        return cur

    async def flag_unresolved(self, att: DeliveryAttempt) -> None:
        """The carrier stays unreachable after a create whose outcome is unknown. Sending
        to another carrier could bring two riders, so a human decides; the query goes on
        in the background and settles the attempt if the carrier comes back."""
        why = (
            f"{att.carrier}: create outcome unknown ({att.error or 'no answer'}); "
            "not re-sent to avoid a double delivery — check with the carrier, or cancel"
        )
        attention = Attention(AttentionReason.CREATE_UNKNOWN, why)
        await self.ctx.set_state(att.order_id, OrderState.ATTENTION, attention)
        await self.ctx.log_event(
            att.order_id,
            "outcome_unresolved",
            "engine",
            why,
            {"key": att.idempotency_key, "carrier": att.carrier},
        )
        self.ctx.bus.publish(
            AlertRaised(att.order_id, AlertKind.CARRIER_ERROR, why, Severity.CRITICAL)
        )

    async def not_found(self, att: DeliveryAttempt) -> None:
        """The carrier never got the create: re-send once with the same key, else move on.
        Caller holds the order's lock."""
        order = await self.ctx.get_order(att.order_id)
        if att.recreates < MAX_RECREATE:
            att = att.with_(recreates=att.recreates + 1)
            await self.ctx.save(att)
            await self.ctx.log_event(
                att.order_id,
                "recreate",
                "engine",
                f"{att.carrier} never got the create; re-sending with the same key",
                {"key": att.idempotency_key, "carrier": att.carrier},
            )
            quote = await self.quote_for(order, att)
            with contextlib.suppress(CarrierError):
                await self.create(order, quote, att, "resolve")
                return
        else:
            now = self.ctx.now()
            att = att.with_(status=S.CREATE_FAILED, error="not found at carrier", finished_at=now)
            await self.ctx.save(att)
        self.ctx.signals.publish(FailoverNeeded(att.order_id, f"{att.carrier}: create failed"))

    async def quote_for(self, order: Order, att: DeliveryAttempt) -> Quote:
        quotes = await self.ctx.db.run(self.ctx.db.quotes_for_order, att.order_id)
        now = self.ctx.now()
        for q in quotes:
            if q.carrier == att.carrier and not q.expired(now):
                return q
        return await self.requote(order, att.carrier, att.idempotency_key)

    # ------------------------------------------------------------------ watching
    def watch(self, att: DeliveryAttempt) -> None:
        self.tracker.watch(att)
        self.timers.arm(att)

    def resume(self, att: DeliveryAttempt) -> None:
        """After a restart: SUBMITTING is resolved by query first, the rest tracked."""
        if att.status is S.SUBMITTING:
            self.ctx.spawn(self.resolve(att), f"resolve-{att.id}")
        self.tracker.watch(att, poll_at_once=att.status is not S.SUBMITTING)
        self.timers.arm(att)
