"""Exactly-once create, accept timers, the tip ladder, failover and race mode.

The attempt row, with its idempotency key, is committed as SUBMITTING *before* the
create call. ``OutcomeUnknownError`` leaves it SUBMITTING and ``resolve`` settles it by
``adapter.query`` with that key, never by sending blindly. When the carrier answers
NotFound we re-send the create ONCE with the SAME key: a late copy of the first request
then lands on the same carrier order (carriers dedupe by origin id) instead of becoming a
second delivery, which a new key could not prevent. A second NotFound marks the attempt
CREATE_FAILED and moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from datetime import datetime, timedelta

from app.core.carriers.base import (
    AuthError,
    CarrierError,
    InsufficientBalanceError,
    NotFoundError,
    OutcomeUnknownError,
    RejectedError,
    UnavailableError,
)
from app.core.dispatch.policy import Decision
from app.core.dispatch.reactions import Reactions
from app.core.domain import DeliveryAttempt, DeliveryStatus, Order, OrderState, Quote
from app.core.events import AlertRaised, AttemptStatusChanged

log = logging.getLogger(__name__)

MAX_RECREATE = 1
S = DeliveryStatus


class DispatchError(Exception):
    """Nothing was dispatched (the reason is in the message and the order's log)."""


class DispatchQueued(DispatchError):
    """No carrier reachable: the order waits as QUEUED and is retried by itself."""


class Submitter(Reactions):
    def __init__(self, engine) -> None:
        self.eng = engine
        self._timers: dict[int, asyncio.Task] = {}

    @property
    def svc(self):
        return self.eng.svc

    async def save(self, att: DeliveryAttempt) -> None:
        await self.svc.db.run(self.svc.db.save_attempt, att, self.svc.clock.now())

    # ------------------------------------------------------------------ run a decision
    async def run(self, order: Order, decision: Decision, actor: str) -> DeliveryAttempt:
        ranked = list(decision.ranked)
        if not ranked:
            await self.give_up(order, "no eligible carrier", decision.data.get("why_not", {}))
        if self.eng.settings.race and decision.data["inputs"]["forced"] is None:
            racers = self.racers(ranked)
            if len(racers) >= 2:
                return await self.race(order, racers, actor)
        errors: dict[str, str] = {}
        unreachable: set[str] = set()
        for s in ranked:
            if not self.eng.breakers.get(s.carrier).allow():
                errors[s.carrier] = "circuit breaker open"
                unreachable.add(s.carrier)
                continue
            try:
                return await self.submit_binding(order, s.quote, actor)
            except CarrierError as e:
                errors[s.carrier] = str(e)
                if isinstance(e, UnavailableError):
                    unreachable.add(s.carrier)
                await self.carrier_failed(order, s.carrier, e, actor)
        if errors and unreachable == set(errors):
            return await self.eng.go_offline(order, actor, "every carrier unreachable")
        await self.give_up(order, "every eligible carrier failed", errors)
        raise AssertionError("unreachable")

    async def carrier_failed(self, order: Order, cid: str, e: CarrierError, actor: str) -> None:
        assert order.id is not None
        msg = f"{cid} failed: {e}; trying the next carrier"
        await self.svc.log_event(order.id, "dispatch_skip", actor, msg, {"carrier": cid})
        if isinstance(e, InsufficientBalanceError | AuthError):
            self.svc.bus.publish(AlertRaised(order.id, "carrier_error", msg, "critical"))

    async def give_up(self, order: Order, why: str, detail: dict) -> None:
        assert order.id is not None
        await self.eng.set_state(order.id, OrderState.ATTENTION, why)
        await self.svc.log_event(order.id, "dispatch_failed", "engine", why, {"detail": detail})
        self.svc.bus.publish(AlertRaised(order.id, "carrier_error", why, "critical"))
        raise DispatchError(why)

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
        db, now = self.svc.db, self.svc.clock.now()
        no = no or await db.run(db.next_attempt_no, order.id)
        key = self.eng.key_for(order.id, no)
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
            extra={"race": race} if race else {},
        )
        att = await db.run(db.insert_attempt, att)  # committed BEFORE the create call
        await self.eng.set_state(order.id, OrderState.DISPATCHING, "")
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
        keyed = dataclasses.replace(order, extra={**order.extra, "idempotency_key": key})
        adapter = self.svc.gateway.get(cid).adapter
        q = await asyncio.wait_for(adapter.quote(keyed), self.eng.settings.quote_timeout_s)
        await self.svc.db.run(self.svc.db.add_quote, order.id, q)
        await self.svc.log_event(
            order.id,
            "requoted",
            "engine",
            f"{cid} quote expired; new quote {q.fee_fen} fen",
            {"carrier": cid},
        )
        return q

    async def create(
        self, order: Order, quote: Quote, att: DeliveryAttempt, actor: str
    ) -> DeliveryAttempt:
        breaker = self.eng.breakers.get(att.carrier)
        adapter = self.svc.gateway.get(att.carrier).adapter
        try:
            res = await adapter.create(order, quote, att)
        except OutcomeUnknownError as e:
            breaker.failure()
            att = att.with_(error=str(e)[:300])
            await self.save(att)
            await self.svc.log_event(
                att.order_id,
                "outcome_unknown",
                actor,
                f"{att.carrier}: {e}; resolving by query",
                {"key": att.idempotency_key},
            )
            self.eng.spawn(self.resolve(att), f"resolve-{att.id}")
            return att
        except CarrierError as e:
            if isinstance(e, UnavailableError):
                breaker.failure()
            now = self.svc.clock.now()
            att = att.with_(status=S.CREATE_FAILED, error=str(e)[:300], finished_at=now)
            await self.save(att)
            self._published(att, S.SUBMITTING)
            raise
        breaker.success()
        return await self.created(att, res, actor)

    async def created(self, att: DeliveryAttempt, res, actor: str) -> DeliveryAttempt:
        now = self.svc.clock.now()
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
        await self.save(att)
        self._published(att, S.SUBMITTING)
        await self.svc.log_event(
            att.order_id,
            "dispatched",
            actor,
            f"dispatched to {att.carrier} ({att.quoted_fee_fen} fen)",
            {"attempt_id": att.id, "key": att.idempotency_key},
        )
        self.watch(att)
        self.eng.back_online("a carrier answered")
        return att

    def _published(self, att: DeliveryAttempt, prev: DeliveryStatus) -> None:
        assert att.id is not None
        self.svc.bus.publish(
            AttemptStatusChanged(att.order_id, att.id, att.carrier, att.status.value, prev.value)
        )

    # ------------------------------------------------------------------ resolve
    async def resolve(self, att: DeliveryAttempt) -> None:
        """Settle a SUBMITTING attempt by query with its key (also after a restart)."""
        db, delay = self.svc.db, 0.5
        adapter = self.svc.gateway.get(att.carrier).adapter
        started, flagged = self.svc.clock.monotonic(), False
        while True:
            cur = await db.run(db.get_attempt, att.id)
            if cur is None or cur.status is not S.SUBMITTING:
                return
            if (
                not flagged
                and self.svc.clock.monotonic() - started > self.eng.settings.unresolved_flag_s
            ):
                flagged = True
                await self.flag_unresolved(cur)
            try:
                snap = await adapter.query(cur)
            except NotFoundError:
                async with self.eng.lock(cur.order_id):  # an operator cancel may race us
                    cur = await db.run(db.get_attempt, att.id)
                    if cur is not None and cur.status is S.SUBMITTING:
                        await self.not_found(cur)
                return
            except CarrierError as e:
                log.info("resolve %s: %s; retrying in %.1fs", cur.idempotency_key, e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.eng.settings.offline_retry_s)
                continue
            now = self.svc.clock.now()
            cur = cur.with_(
                dispatched_at=cur.dispatched_at or now,
                carrier_order_id=snap.carrier_order_id or cur.carrier_order_id,
            )
            await self.save(cur)
            cur = await self.eng.tracker.apply(cur, snap, "resolve")
            await self.svc.log_event(
                cur.order_id,
                "resolved",
                "engine",
                f"{cur.carrier} has the order ({cur.status}); no resend",
                {"key": cur.idempotency_key},
            )
            self.watch(cur)
            return

    async def flag_unresolved(self, att: DeliveryAttempt) -> None:
        """The carrier stays unreachable after a create whose outcome is unknown. Sending
        to another carrier could bring two riders, so a human decides; the query goes on
        in the background and settles the attempt if the carrier comes back."""
        why = (
            f"{att.carrier}: create outcome unknown ({att.error or 'no answer'}); "
            "not re-sent to avoid a double delivery — check with the carrier, or cancel"
        )
        await self.eng.set_state(att.order_id, OrderState.ATTENTION, why[:200])
        await self.svc.log_event(
            att.order_id, "outcome_unresolved", "engine", why, {"key": att.idempotency_key}
        )
        self.svc.bus.publish(AlertRaised(att.order_id, "carrier_error", why, "critical"))

    async def not_found(self, att: DeliveryAttempt) -> None:
        n = int(att.extra.get("recreates", 0))
        order = await self.eng.get_order(att.order_id)
        if n < MAX_RECREATE:
            att = att.with_(extra={**att.extra, "recreates": n + 1})
            await self.save(att)
            await self.svc.log_event(
                att.order_id,
                "recreate",
                "engine",
                f"{att.carrier} never got the create; re-sending with the same key",
                {"key": att.idempotency_key},
            )
            quote = await self.quote_for(order, att)
            with contextlib.suppress(CarrierError):
                await self.create(order, quote, att, "resolve")
                return
        else:
            now = self.svc.clock.now()
            att = att.with_(status=S.CREATE_FAILED, error="not found at carrier", finished_at=now)
            await self.save(att)
        self.eng.spawn(
            self.eng.redispatch_next(att.order_id, f"{att.carrier}: create failed"),
            f"failover-{att.order_id}",
        )

    async def quote_for(self, order: Order, att: DeliveryAttempt) -> Quote:
        quotes = await self.svc.db.run(self.svc.db.quotes_for_order, att.order_id)
        now = self.svc.clock.now()
        for q in quotes:
            if q.carrier == att.carrier and not q.expired(now):
                return q
        return await self.requote(order, att.carrier, att.idempotency_key)

    # ------------------------------------------------------------------ timers
    def watch(self, att: DeliveryAttempt) -> None:
        self.eng.tracker.watch(att)
        if att.status in (S.SUBMITTING, S.PENDING_ACCEPT) and att.carrier != "self":
            self.arm(att)

    def resume(self, att: DeliveryAttempt) -> None:
        """After a restart: SUBMITTING is resolved by query first, the rest tracked."""
        if att.status is S.SUBMITTING:
            self.eng.spawn(self.resolve(att), f"resolve-{att.id}")
        self.eng.tracker.watch(att, now_=att.status is not S.SUBMITTING)
        if att.status in (S.SUBMITTING, S.PENDING_ACCEPT):
            self.arm(att)

    def timers(self) -> list[asyncio.Task]:
        return list(self._timers.values())

    def arm(self, att: DeliveryAttempt) -> None:
        assert att.id is not None
        t = self._timers.get(att.id)
        if t is None or t.done():
            self._timers[att.id] = self.eng.spawn(self._accept_watch(att.id), f"accept-{att.id}")

    def deadline(self, att: DeliveryAttempt) -> datetime:
        if att.extra.get("accept_deadline"):
            return datetime.fromisoformat(att.extra["accept_deadline"])
        start = att.dispatched_at or att.created_at or self.svc.clock.now()
        return start + timedelta(seconds=self.svc.gateway.get(att.carrier).accept_timeout_s)

    async def _accept_watch(self, aid: int) -> None:
        db = self.svc.db
        while True:
            att = await db.run(db.get_attempt, aid)
            if att is None or att.status not in (S.SUBMITTING, S.PENDING_ACCEPT):
                return
            wait = (self.deadline(att) - self.svc.clock.now()).total_seconds()
            if wait > 0 or att.status is S.SUBMITTING:
                await asyncio.sleep(max(wait, 0.5))
                continue
            att = await self.eng.tracker.poll_now(att)  # confirm "no rider" by query
            if att.status is not S.PENDING_ACCEPT:
                continue
            if await self.tip_rung(att):
                continue
            timeout = self.svc.gateway.get(att.carrier).accept_timeout_s
            await self.failover(att, f"no rider from {att.carrier} within {timeout}s")
            return

    async def tip_rung(self, att: DeliveryAttempt) -> bool:
        """Next rung of ``tip_ladder_fen`` (total tip levels) within the TipRules."""
        ladder, step = self.eng.settings.tip_ladder_fen, int(att.extra.get("ladder_step", 0))
        if step >= len(ladder):
            return False
        entry = self.svc.gateway.get(att.carrier)
        add, times = ladder[step] - att.tip_fen, int(att.extra.get("tip_count", 0))
        why = (
            entry.rules.tips.validate(att.tip_fen, add, times) if add > 0 else "rung not above tip"
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
        deadline = self.svc.clock.now() + timedelta(seconds=entry.accept_timeout_s)
        att = att.with_(
            tip_fen=total,
            extra={
                **att.extra,
                "ladder_step": step + 1,
                "tip_count": times + 1,
                "accept_deadline": deadline.isoformat(),
            },
        )
        await self.save(att)
        await self.svc.log_event(
            att.order_id,
            "tip_added",
            "tip_ladder",
            f"no rider yet: tip raised to {total} fen at {att.carrier}",
            {"attempt_id": att.id, "tip_fen": total, "step": step},
        )
        return True

    async def _ladder_stops(self, att: DeliveryAttempt, step: int, why: str) -> None:
        att = att.with_(extra={**att.extra, "ladder_step": len(self.eng.settings.tip_ladder_fen)})
        await self.save(att)
        await self.svc.log_event(
            att.order_id,
            "tip_ladder",
            "engine",
            f"tip ladder stops at {att.carrier}: {why}",
            {"step": step},
        )

    async def failover(self, att: DeliveryAttempt, reason: str) -> None:
        async with self.eng.lock(att.order_id):
            ok, att = await self.eng.actions.cancel_attempt(att, reason, "failover")
            if not ok and att.status is S.CANCEL_REQUESTED:
                att = att.with_(extra={**att.extra, "failover_pending": True})
                await self.save(att)
        if ok:
            await self.eng.redispatch_next(att.order_id, reason)
