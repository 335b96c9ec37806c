"""``DispatchEngine``: the ``Dispatcher`` the service exposes.

It plans (fan-out + policy + explanation), hands the create to ``submit.Submitter``
(exactly-once, accept timers, tip ladder, failover), keeps tracking in ``tracking.Tracker``
and operator actions in ``actions.Actions``. Every dispatch for one order runs under that
order's ``asyncio.Lock`` after checking that no live attempt exists, so double clicks,
auto-dispatch and failover never create two live deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import string
from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.dispatch import fanout, policy
from app.core.dispatch.actions import Actions
from app.core.dispatch.breaker import Breakers
from app.core.dispatch.submit import DispatchError, DispatchQueued, Submitter
from app.core.dispatch.tracking import Tracker
from app.core.domain import DeliveryAttempt, DispatchMode, Order, OrderState, Quote
from app.core.events import ConnectivityChanged, DispatchDecided, OrderChanged, OrderReceived
from app.core.storage import dispatch_repo
from app.core.tasks import Supervisor

log = logging.getLogger(__name__)

__all__ = ["DispatchEngine", "DispatchError", "DispatchQueued"]

QUOTE_REUSE_S = 600  # a one-click reuses the quotes on screen if younger than this
DEFAULT_LEAD_S = 600  # acceptance + travel to the shop when no quote says
AUTO_CONCURRENCY = 8  # orders planned at once by auto-dispatch (x6 quote calls each)
DEFAULT_TRAVEL_S = 300  # rider to the shop, when a quote gives only the acceptance time
_ALNUM = string.ascii_letters + string.digits
_FINAL_ORDER_STATES = (OrderState.DELIVERED, OrderState.SELF_DELIVERED, OrderState.CANCELLED)


def lead_s(q: Quote) -> int:
    """Seconds from the call until a rider is at the shop, from what the quote gives."""
    if q.pickup_eta_s is not None:
        return q.pickup_eta_s
    if q.accept_eta_s is not None:
        return q.accept_eta_s + DEFAULT_TRAVEL_S
    return DEFAULT_LEAD_S


class DispatchEngine:
    def __init__(self, service) -> None:
        self.svc = service
        s = service.settings.dispatch
        self.sup = Supervisor()
        self.breakers = Breakers(s.breaker_failures, s.breaker_reset_s, service.clock.monotonic)
        self.tracker = Tracker(self)
        self.submitter = Submitter(self)
        self.actions = Actions(self)
        self.callbacks = None
        self.online = True
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, asyncio.Task] = {}  # order id -> scheduled auto-dispatch
        self._offline: set[int] = set()
        self._offline_task: asyncio.Task | None = None
        self._install = ""
        self._auto_slots = asyncio.Semaphore(AUTO_CONCURRENCY)
        self._rel: tuple[float, dict[str, float]] = (-1e9, {})
        self._unsub_auto: Callable[[], None] = lambda: None

    # ------------------------------------------------------------------ plumbing
    @property
    def settings(self):
        return self.svc.settings.dispatch

    def lock(self, order_id: int) -> asyncio.Lock:
        return self._locks.setdefault(order_id, asyncio.Lock())

    def carriers(self) -> list[str]:
        return self.svc.gateway.ids()

    def key_for(self, order_id: int, attempt_no: int) -> str:
        """Install prefix + order id + attempt no: <= 32 chars of [A-Za-z0-9]."""
        return f"{self._install}{order_id}A{attempt_no}"[:32]

    async def _ensure_install_id(self) -> None:
        db = self.svc.db
        value = await db.run(db.kv_get, "install_id")
        if not value:
            value = "".join(secrets.choice(_ALNUM) for _ in range(10))
            await db.run(db.kv_set, "install_id", value)
        self._install = str(value)

    async def get_order(self, order_id: int) -> Order:
        order = await self.svc.db.run(self.svc.db.get_order, order_id)
        if order is None:
            raise DispatchError(f"no order {order_id}")
        return order

    async def attempts(self, order_id: int) -> list[DeliveryAttempt]:
        return await self.svc.db.run(self.svc.db.attempts_for_order, order_id)

    async def live(self, order_id: int) -> list[DeliveryAttempt]:
        return [a for a in await self.attempts(order_id) if a.status.live]

    async def set_state(
        self, order_id: int, state: OrderState, attention: str | None = None, *, force=False
    ) -> None:
        db = self.svc.db
        if not force:
            cur = await db.run(db.get_order, order_id)
            if cur is not None and cur.state in _FINAL_ORDER_STATES and cur.state is not state:
                return
        await db.run(db.set_order_state, order_id, state, self.svc.clock.now(), attention)
        self.svc.bus.publish(OrderChanged(order_id, state.value))

    def spawn(self, coro, name: str) -> asyncio.Task:
        return self.sup.spawn(coro, name)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self._ensure_install_id()
        self.tracker.start()
        for a in await self.svc.db.run(self.svc.db.live_attempts):
            if a.carrier not in self.svc.gateway.entries:
                log.error("attempt %s: carrier %s not configured; left as is", a.id, a.carrier)
                continue
            self.submitter.resume(a)
        since = self.svc.clock.now() - timedelta(hours=6)
        for oid in await self.svc.db.run(dispatch_repo.orders_waiting, self.svc.db, since):
            self.spawn(self.on_order_received(oid), f"resume-order-{oid}")
        await self._start_callbacks()
        self._unsub_auto = self.svc.bus.subscribe(  # auto-dispatch: every new order
            OrderReceived,
            lambda e: self.spawn(self.on_order_received(e.order_id), f"auto-{e.order_id}"),
        )
        log.info("dispatch engine started (%s carriers)", len(self.carriers()))

    async def _start_callbacks(self) -> None:
        cfg = getattr(self.svc.settings, "callbacks", None)
        if cfg is None or not cfg.enabled:
            return
        from app.core.dispatch.callbacks import CallbackReceiver

        self.callbacks = CallbackReceiver(self)
        await self.callbacks.start()

    async def stop(self) -> None:
        self._unsub_auto()
        if self.callbacks is not None:
            await self.callbacks.stop()
        # timers and polling are rebuilt from the database on start: stop them now and
        # give only in-flight carrier calls (creates, cancels) a moment to finish
        for t in [*self._queued.values(), *self.submitter.timers()]:
            t.cancel()
        await self.tracker.stop()
        await self.sup.drain(timeout=1.0)

    # ------------------------------------------------------------------ quotes
    async def collect_quotes(self, order_id: int) -> list[Quote]:
        return (await self._fanout(await self.get_order(order_id))).quotes

    async def _fanout(self, order: Order) -> fanout.FanoutResult:
        assert order.id is not None
        no = await self.svc.db.run(self.svc.db.next_attempt_no, order.id)
        keyed = dataclasses.replace(
            order, extra={**order.extra, "idempotency_key": self.key_for(order.id, no)}
        )
        return await fanout.collect(self.svc, keyed, self.carriers(), self.breakers)

    async def reliability(self) -> dict[str, float]:
        """This store's measured acceptance/delivery rate per carrier (cached 60 s)."""
        t = self.svc.clock.monotonic()
        if t - self._rel[0] > 60:
            since = self.svc.clock.now() - timedelta(days=30)
            rel = await self.svc.db.run(dispatch_repo.reliability, self.svc.db, since)
            self._rel = (t, rel)
        return self._rel[1]

    # ------------------------------------------------------------------ dispatch
    async def dispatch(
        self, order_id: int, carrier: str | None = None, *, actor: str = "cashier"
    ) -> DeliveryAttempt:
        async with self.lock(order_id):
            live = await self.live(order_id)
            if live:  # a double click, or auto-dispatch got there first
                log.info("order %s already has live attempt %s", order_id, live[0].id)
                return live[0]
            return await self.plan_and_submit(order_id, carrier, actor, tried=frozenset())

    async def plan_and_submit(
        self, order_id: int, carrier: str | None, actor: str, *, tried: frozenset[str]
    ) -> DeliveryAttempt:
        """Caller holds the order's lock and has checked there is no live attempt."""
        order = await self.get_order(order_id)
        if carrier is not None and carrier not in self.carriers():
            raise DispatchError(f"carrier {carrier} is not enabled")
        quotes = await self._usable_quotes(
            order, fresh=actor in ("auto", "offline_retry"), need=carrier
        )
        if quotes is None:
            return await self.go_offline(order, actor, "no carrier reachable for a quote")
        decision = await self.decide(order, quotes, carrier, tried)
        await self.svc.log_event(
            order_id, "dispatch_decision", actor, decision.message, decision.data
        )
        if decision.chosen is not None:
            self.svc.bus.publish(
                DispatchDecided(order_id, decision.chosen.carrier, decision.data["why"])
            )
        return await self.submitter.run(order, decision, actor)

    async def _usable_quotes(
        self, order: Order, *, fresh: bool, need: str | None = None
    ) -> list[Quote] | None:
        """Stored quotes when we have some, else a new fan-out; None when offline."""
        assert order.id is not None
        stored = await self.svc.db.run(self.svc.db.quotes_for_order, order.id)
        now = self.svc.clock.now()
        recent = [q for q in stored if (now - q.quoted_at).total_seconds() < QUOTE_REUSE_S]
        if recent and not fresh and (need is None or need in {q.carrier for q in recent}):
            return stored
        res = await self._fanout(order)
        if res.offline:
            return None
        return res.quotes or stored

    async def decide(self, order: Order, quotes, carrier, tried) -> policy.Decision:
        now = self.svc.clock.now()
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
        return policy.decide(inp, self.settings)

    async def redispatch_next(self, order_id: int, reason: str) -> None:
        """Failover: the previous attempt is finished; try the next best carrier."""
        async with self.lock(order_id):
            if await self.live(order_id):
                return
            order = await self.get_order(order_id)
            if order.state in _FINAL_ORDER_STATES:
                return
            tried = frozenset(a.carrier for a in await self.attempts(order_id))
            await self.svc.log_event(
                order_id, "failover", "engine", reason, {"tried": sorted(tried)}
            )
            with contextlib.suppress(DispatchError):
                await self.plan_and_submit(order_id, None, "failover", tried=tried)

    # ------------------------------------------------------------------ auto
    def is_auto(self, order: Order) -> bool:
        return self.settings.mode == "auto" or order.dispatch_mode is DispatchMode.AUTO

    async def on_order_received(self, order_id: int) -> None:
        # a burst (or a restart with a backlog) must not open hundreds of quote calls at
        # once: the shared HTTP pool would time out and trip every carrier's breaker
        async with self._auto_slots:
            await self._received(order_id)

    async def _received(self, order_id: int) -> None:
        order = await self.get_order(order_id)
        if not self.is_auto(order) or order.state in _FINAL_ORDER_STATES:
            return
        at = await self._auto_time(order)
        if at is not None and at > self.svc.clock.now():
            await self.set_state(order_id, OrderState.QUEUED, "")
            await self.svc.log_event(
                order_id,
                "auto_scheduled",
                "auto",
                f"auto-dispatch at {at.isoformat()}",
                {"at": at.isoformat()},
            )
            old = self._queued.pop(order_id, None)
            if old is not None:
                old.cancel()
            self._queued[order_id] = self.spawn(self._at(order_id, at), f"queued-{order_id}")
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
        await asyncio.sleep(max(0.0, (at - self.svc.clock.now()).total_seconds()))
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
        assert order.id is not None
        await self.set_state(order.id, OrderState.QUEUED, "no carrier reachable")
        await self.svc.log_event(order.id, "queued_offline", actor, why, {})
        self._offline.add(order.id)
        if self.online:
            self.online = False
            self.svc.bus.publish(ConnectivityChanged(False, why))
        if self._offline_task is None or self._offline_task.done():
            self._offline_task = self.spawn(self._offline_loop(), "dispatch-offline")
        raise DispatchQueued(f"order {order.id} queued: {why}")

    async def _offline_loop(self) -> None:
        while self._offline:
            await asyncio.sleep(self.settings.offline_retry_s)
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
            self.svc.bus.publish(ConnectivityChanged(True, detail))

    # ------------------------------------------------------------------ operator actions
    async def cancel_preview(self, order_id: int) -> int | None:
        return await self.actions.cancel_preview(order_id)

    async def cancel(self, order_id: int, reason: str, *, actor: str = "cashier") -> int:
        task = self._queued.pop(order_id, None)
        if task is not None:
            task.cancel()
        self._offline.discard(order_id)
        return await self.actions.cancel(order_id, reason, actor)

    async def add_tip(self, order_id: int, amount_fen: int, *, actor: str = "cashier") -> int:
        return await self.actions.add_tip(order_id, amount_fen, actor)

    async def redispatch(self, order_id: int, *, actor: str = "cashier") -> DeliveryAttempt:
        return await self.actions.redispatch(order_id, actor)

    async def mark_self_delivered(self, order_id: int, *, actor: str = "cashier") -> None:
        await self.actions.mark_self_delivered(order_id, actor)

    async def refresh(self, order_id: int) -> None:
        for a in await self.live(order_id):
            await self.tracker.poll_now(a)
