"""``DispatchEngine``: the ``Dispatcher`` the service exposes; it plans and dispatches.

It plans (fan-out + policy + explanation) and hands the decision to
``submit.Submitter`` (exactly-once create, race); ``accept.AcceptTimers`` runs the tip
ladder and the accept timeout, ``tracking.Tracker`` the polling, ``reactions.Reactions``
follows every status change, ``actions.Actions`` does what the cashier asks and
``resume.Backlog`` picks up the waiting orders after a restart. The parts share a
``DispatchContext`` and ask the engine for the next carrier with ``FailoverNeeded``.
Every dispatch for one order runs under that order's lock after checking that no live
attempt exists, so double clicks, auto-dispatch and failover never create two live
deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.core.dispatch import fanout, policy
from app.core.dispatch.accept import AcceptTimers
from app.core.dispatch.actions import Actions
from app.core.dispatch.breaker import Breakers
from app.core.dispatch.cancel import Canceller
from app.core.dispatch.context import (
    FINAL_ORDER_STATES,
    DispatchContext,
    DispatchError,
    DispatchQueued,
    FailoverNeeded,
)
from app.core.dispatch.reactions import Reactions, is_auto
from app.core.dispatch.resume import Backlog
from app.core.dispatch.submit import CarriersUnreachable, Submitter
from app.core.dispatch.tracking import Tracker
from app.core.domain import (
    DeliveryAttempt,
    DeliveryStatus,
    DispatchMode,
    Order,
    OrderState,
    Quote,
)
from app.core.events import (
    AttemptStatusChanged,
    ConnectivityChanged,
    DispatchDecided,
    OrderReceived,
)
from app.core.storage import dispatch_repo

if TYPE_CHECKING:
    from app.core.dispatch.callbacks import CallbackReceiver

log = logging.getLogger(__name__)

__all__ = ["DispatchContext", "DispatchEngine", "DispatchError", "DispatchQueued"]

QUOTE_REUSE_S = 600  # a one-click reuses the quotes on screen if younger than this
DEFAULT_LEAD_S = 600  # acceptance + travel to the shop when no quote says
AUTO_CONCURRENCY = 8  # orders planned at once by auto-dispatch (x6 quote calls each)
DEFAULT_TRAVEL_S = 300  # rider to the shop, when a quote gives only the acceptance time


def dispatchable(order: Order) -> bool:
    """False for a platform order the platform delivers (美团专送, 蜂鸟) or the customer
    picks up: shown and printed, never given to a carrier (``to_order`` sets the flag)."""
    return order.extra.get("dispatch") is not False


def lead_s(q: Quote) -> int:
    """Seconds from the call until a rider is at the shop, from what the quote gives."""
    if q.pickup_eta_s is not None:
        return q.pickup_eta_s
    if q.accept_eta_s is not None:
        return q.accept_eta_s + DEFAULT_TRAVEL_S
    return DEFAULT_LEAD_S


class DispatchEngine:
    def __init__(self, ctx: DispatchContext) -> None:
        self.ctx = ctx
        self.tracker = Tracker(ctx)
        self.canceller = Canceller(ctx, self.tracker)
        self.timers = AcceptTimers(ctx, self.tracker, self.canceller)
        self.submitter = Submitter(ctx, self.tracker, self.timers)
        self.reactions = Reactions(ctx, self.timers, self.canceller)
        self.actions = Actions(ctx, self.tracker, self.canceller)
        self.backlog = Backlog(ctx, self.on_order_received)
        self.callbacks: CallbackReceiver | None = None
        self.online = True
        self._queued: dict[int, asyncio.Task[None]] = {}  # order id -> scheduled auto-dispatch
        self._offline: set[int] = set()
        self._offline_task: asyncio.Task[None] | None = None
        self._auto_slots = asyncio.Semaphore(AUTO_CONCURRENCY)
        self._rel: tuple[float, dict[str, float]] = (-1e9, {})
        self._unsubscribe: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ plumbing
    @property
    def breakers(self) -> Breakers:
        return self.ctx.breakers

    def carriers(self) -> list[str]:
        return self.ctx.gateway.ids()

    def key_for(self, order_id: int, attempt_no: int) -> str:
        return self.ctx.key_for(order_id, attempt_no)

    def is_auto(self, order: Order) -> bool:
        return is_auto(self.ctx.settings.mode, order)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Resume timers and polling for live attempts, then return: the waiting-order
        backlog is resumed in the background (``resume.Backlog``)."""
        ctx = self.ctx
        await ctx.ensure_install_id()
        self.reactions.start()
        self._unsubscribe = [
            ctx.signals.subscribe(FailoverNeeded, self._on_failover_needed),
            ctx.bus.subscribe(AttemptStatusChanged, self._on_attempt_changed),
        ]
        self.tracker.start()
        for a in await ctx.db.run(ctx.db.live_attempts):
            if a.carrier not in ctx.gateway.entries:
                log.error("attempt %s: carrier %s not configured; left as is", a.id, a.carrier)
                continue
            self.submitter.resume(a)
        self.backlog.start()
        if ctx.callbacks.enabled:
            # imported here: the receiver needs aiohttp, and callbacks are off by default
            from app.core.dispatch.callbacks import CallbackReceiver

            self.callbacks = CallbackReceiver(ctx, self.tracker)
            await self.callbacks.start()
        self._unsubscribe.append(ctx.bus.subscribe(OrderReceived, self._on_order_received))
        log.info("dispatch engine started (%s carriers)", len(self.carriers()))

    async def stop(self) -> None:
        """Finish or persist in-flight work."""
        if self.callbacks is not None:
            await self.callbacks.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.reactions.stop()
        # timers, polling and the backlog are rebuilt from the database on start: stop
        # them now and give only in-flight carrier calls (creates, cancels) a moment
        self.backlog.stop()
        for t in [*self._queued.values(), *self.timers.timers()]:
            t.cancel()
        await self.tracker.stop()
        await self.ctx.sup.drain(timeout=1.0)

    def _on_order_received(self, ev: OrderReceived) -> None:
        """Auto-dispatch: every new order (``on_order_received`` decides if it applies)."""
        if ev.dispatch_mode == DispatchMode.MANUAL.value and self.ctx.settings.mode != "auto":
            return  # what is_auto() would decide after reading the order back
        self.ctx.spawn(self.on_order_received(ev.order_id), f"auto-{ev.order_id}")

    def _on_failover_needed(self, ev: FailoverNeeded) -> None:
        self.ctx.spawn(self.redispatch_next(ev.order_id, ev.reason), f"failover-{ev.order_id}")

    def _on_attempt_changed(self, ev: AttemptStatusChanged) -> None:
        if ev.previous == DeliveryStatus.SUBMITTING.value and ev.status in (
            DeliveryStatus.PENDING_ACCEPT.value,
            DeliveryStatus.ACCEPTED.value,
        ):
            self.back_online("a carrier answered")

    # ------------------------------------------------------------------ quotes
    async def collect_quotes(self, order_id: int) -> list[Quote]:
        """Fan out to every enabled carrier; QuoteCollected events stream as they arrive."""
        return (await self._fanout(await self.ctx.get_order(order_id))).quotes

    async def _fanout(self, order: Order) -> fanout.FanoutResult:
        assert order.id is not None
        no = await self.ctx.db.run(self.ctx.db.next_attempt_no, order.id)
        key = self.key_for(order.id, no)
        return await fanout.collect(self.ctx, order, self.carriers(), key=key)

    async def reliability(self) -> dict[str, float]:
        """This store's measured acceptance/delivery rate per carrier (cached 60 s)."""
        t = self.ctx.clock.monotonic()
        if t - self._rel[0] > 60:
            since = self.ctx.now() - timedelta(days=30)
            rel = await self.ctx.db.run(dispatch_repo.reliability, self.ctx.db, since)
            self._rel = (t, rel)
        return self._rel[1]

    # ------------------------------------------------------------------ dispatch
    async def dispatch(
        self, order_id: int, carrier: str | None = None, *, actor: str = "cashier"
    ) -> DeliveryAttempt:
        """One click: ``carrier`` picks a quote's carrier, None means "best" by policy."""
        async with self.ctx.lock(order_id):
            live = await self.ctx.live(order_id)
            if live:  # a double click, or auto-dispatch got there first
                log.info("order %s already has live attempt %s", order_id, live[0].id)
                return live[0]
            return await self.plan_and_submit(order_id, carrier, actor, tried=frozenset())

    async def plan_and_submit(
        self, order_id: int, carrier: str | None, actor: str, *, tried: frozenset[str]
    ) -> DeliveryAttempt:
        """Caller holds the order's lock and has checked there is no live attempt."""
        order = await self.ctx.get_order(order_id)
        if not dispatchable(order):
            raise DispatchError(f"order {order_id} is delivered by the platform or picked up")
        if carrier is not None and carrier not in self.carriers():
            raise DispatchError(f"carrier {carrier} is not enabled")
        quotes = await self._usable_quotes(
            order, fresh=actor in ("auto", "offline_retry"), need=carrier
        )
        if quotes is None:
            return await self.go_offline(order, actor, "no carrier reachable for a quote")
        decision = await self.decide(order, quotes, carrier, tried)
        await self.ctx.log_event(
            order_id, "dispatch_decision", actor, decision.message, decision.data
        )
        if decision.chosen is not None:
            self.ctx.bus.publish(
                DispatchDecided(order_id, decision.chosen.carrier, decision.data["why"])
            )
        try:
            return await self.submitter.run(order, decision, actor)
        except CarriersUnreachable as e:
            return await self.go_offline(order, actor, str(e))

    async def _replan(self, order_id: int, actor: str, tried: frozenset[str]) -> DeliveryAttempt:
        return await self.plan_and_submit(order_id, None, actor, tried=tried)

    async def _usable_quotes(
        self, order: Order, *, fresh: bool, need: str | None = None
    ) -> list[Quote] | None:
        """Stored quotes when we have some, else a new fan-out; None when offline."""
        assert order.id is not None
        stored = await self.ctx.db.run(self.ctx.db.quotes_for_order, order.id)
        now = self.ctx.now()
        recent = [q for q in stored if (now - q.quoted_at).total_seconds() < QUOTE_REUSE_S]
        if recent and not fresh and (need is None or need in {q.carrier for q in recent}):
            return stored
        res = await self._fanout(order)
        if res.offline:
            return None
        return res.quotes or stored

    async def decide(
        self, order: Order, quotes: list[Quote], carrier: str | None, tried: frozenset[str]
    ) -> policy.Decision:
        now = self.ctx.now()
        since = order.received_at or order.created_at
        inp = policy.PolicyInput(
            quotes=tuple(quotes),
            channel=str(order.channel),
            distance_m=order.distance_m or min((q.distance_m for q in quotes), default=None),
            minutes_since_received=max(0.0, (now - since).total_seconds() / 60),
            reliability=await self.reliability(),
            unavailable=self.breakers.open_set(),
            tried=tried,
            forced=carrier,
        )
        return policy.decide(inp, self.ctx.settings)

    async def redispatch_next(self, order_id: int, reason: str) -> None:
        """Failover: the previous attempt is finished; try the next best carrier."""
        async with self.ctx.lock(order_id):
            if await self.ctx.live(order_id):
                return
            order = await self.ctx.get_order(order_id)
            if order.state in FINAL_ORDER_STATES:
                return
            tried = frozenset(a.carrier for a in await self.ctx.attempts(order_id))
            await self.ctx.log_event(
                order_id, "failover", "engine", reason, {"tried": sorted(tried)}
            )
            with contextlib.suppress(DispatchError):
                await self.plan_and_submit(order_id, None, "failover", tried=tried)

    # ------------------------------------------------------------------ auto
    async def on_order_received(self, order_id: int) -> None:
        """Auto-dispatch hook (immediately or at expected-ready time minus lead time)."""
        # a burst (or a restart with a backlog) must not open hundreds of quote calls at
        # once: the shared HTTP pool would time out and trip every carrier's breaker
        async with self._auto_slots:
            await self._received(order_id)

    async def _received(self, order_id: int) -> None:
        order = await self.ctx.get_order(order_id)
        if not self.is_auto(order) or order.state in FINAL_ORDER_STATES or not dispatchable(order):
            return
        at = await self._auto_time(order)
        if at is not None and at > self.ctx.now():
            await self.ctx.set_state(order_id, OrderState.QUEUED)
            await self.ctx.log_event(
                order_id,
                "auto_scheduled",
                "auto",
                f"auto-dispatch at {at.isoformat()}",
                {"at": at.isoformat()},
            )
            old = self._queued.pop(order_id, None)
            if old is not None:
                old.cancel()
            self._queued[order_id] = self.ctx.spawn(self._at(order_id, at), f"queued-{order_id}")
            return
        await self.auto_dispatch(order_id)

    async def _auto_time(self, order: Order) -> datetime | None:
        """Expected ready time minus the expected acceptance + travel of the carrier the
        policy would pick now (kitchen-aware call timing)."""
        if order.expected_ready_at is None:
            return None
        quotes = (await self._fanout(order)).quotes
        lead = DEFAULT_LEAD_S
        if quotes:
            best = (await self.decide(order, quotes, None, frozenset())).chosen
            lead = lead_s(best.quote) if best is not None else DEFAULT_LEAD_S
        return order.expected_ready_at - timedelta(seconds=lead)

    async def _at(self, order_id: int, at: datetime) -> None:
        await asyncio.sleep(max(0.0, (at - self.ctx.now()).total_seconds()))
        self._queued.pop(order_id, None)
        async with self._auto_slots:
            await self.auto_dispatch(order_id)

    async def auto_dispatch(self, order_id: int) -> None:
        try:
            await self.dispatch(order_id, None, actor="auto")
        except DispatchError as e:
            log.info("auto-dispatch of order %s: %s", order_id, e)

    # ------------------------------------------------------------------ offline
    async def go_offline(self, order: Order, actor: str, why: str) -> DeliveryAttempt:
        """Queue the order until a carrier answers again (raises ``DispatchQueued``)."""
        assert order.id is not None
        await self.ctx.set_state(order.id, OrderState.QUEUED)
        await self.ctx.log_event(order.id, "queued_offline", actor, why, {})
        self._offline.add(order.id)
        if self.online:
            self.online = False
            self.ctx.bus.publish(ConnectivityChanged(False, why))
        if self._offline_task is None or self._offline_task.done():
            self._offline_task = self.ctx.spawn(self._offline_loop(), "dispatch-offline")
        raise DispatchQueued(f"order {order.id} queued: {why}")

    async def _offline_loop(self) -> None:
        while self._offline:
            await asyncio.sleep(self.ctx.settings.offline_retry_s)
            for oid in sorted(self._offline):
                self._offline.discard(oid)
                try:
                    await self.dispatch(oid, None, actor="offline_retry")
                except DispatchQueued:
                    continue
                except DispatchError as e:
                    log.info("offline retry of order %s: %s", oid, e)
                self.back_online("dispatch resumed")

    def back_online(self, detail: str) -> None:
        if not self.online:
            self.online = True
            self.ctx.bus.publish(ConnectivityChanged(True, detail))

    # ------------------------------------------------------------------ operator actions
    async def cancel_preview(self, order_id: int) -> int | None:
        """The fee a cancel would cost now; None when it cannot be cancelled."""
        return await self.actions.cancel_preview(order_id)

    async def cancel(self, order_id: int, reason: str, *, actor: str = "cashier") -> int:
        """Cancel the order and its live deliveries; the fees paid, in fen."""
        task = self._queued.pop(order_id, None)
        if task is not None:
            task.cancel()
        self._offline.discard(order_id)
        return await self.actions.cancel(order_id, reason, actor)

    async def add_tip(self, order_id: int, amount_fen: int, *, actor: str = "cashier") -> int:
        """Add to the live delivery's tip; the new total."""
        return await self.actions.add_tip(order_id, amount_fen, actor)

    async def redispatch(self, order_id: int, *, actor: str = "cashier") -> DeliveryAttempt:
        """Cancel the live delivery (confirmed) and dispatch to another carrier."""
        return await self.actions.redispatch(order_id, actor, self._replan)

    async def mark_self_delivered(self, order_id: int, *, actor: str = "cashier") -> None:
        """The shop's own rider delivers (自配送); a live carrier delivery is cancelled."""
        await self.actions.mark_self_delivered(order_id, actor)

    async def refresh(self, order_id: int) -> None:
        """Poll the live attempt now and let what follows from the answer happen."""
        await self.actions.refresh(order_id)
        await self.reactions.settled(order_id)
