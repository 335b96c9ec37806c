"""The rehearsal feeds: in rehearsal mode the counter app posts a realistic, signed
order through its own POS listener now and then (``RehearsalFeed``), and asks the
美团外卖 / 饿了么 simulators to take an order from a customer (``SourceFeed``: the
simulator then pushes it to the listener, signed the platform's way), so a new user sees
orders flow onto the board with no POS and no platform account. Off in ``serve`` and in
tests; capped per session."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from app.core.clock import Clock
from app.core.config import Settings, StoreSettings
from app.core.pos.listener import PosListener
from app.core.pos.sim import make_order_payload, post_orders, sample_customer
from app.core.sandbox.server import SandboxServer
from app.core.sandbox.sources.server import SIM_IDS, SourceSimServer

if TYPE_CHECKING:
    from app.core.dispatch.engine import DispatchEngine
    from app.core.service import AppService

log = logging.getLogger(__name__)


class RehearsalFeed:
    def __init__(
        self,
        service: AppService,
        listener: PosListener,
        *,
        every_s: float,
        max_orders: int,
        seed: int = 0,
    ) -> None:
        self.service, self.listener = service, listener
        self.every_s, self.max_orders = every_s, max_orders
        self._rng = random.Random(seed or None)
        self._task: asyncio.Task[None] | None = None
        self.posted = 0

    def start(self) -> None:
        if self.every_s > 0 and self.max_orders > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="rehearsal-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def post_one(self) -> bool:
        """Post one sample order through the real, signed POS API."""
        payload = make_order_payload(self._rng, self.service.settings.store, self.posted + 1)
        url = f"{self.listener.base_url}/api/v1/orders"
        stats = await post_orders(url, self.service.pos_secret(), [payload], rate=0, concurrency=1)
        self.posted += 1
        return bool(stats.ok_ids)

    async def _run(self) -> None:
        await asyncio.sleep(2.0)
        while self.posted < self.max_orders:
            try:
                await self.post_one()
            except Exception:  # a rehearsal nicety must never take the app down
                log.info("rehearsal feed: post failed", exc_info=True)
            await asyncio.sleep(self.every_s * self._rng.uniform(0.6, 1.4))
        log.info("rehearsal feed: %d sample orders posted, stopping", self.posted)


@dataclass(frozen=True, slots=True)
class SourceScenario:
    """One kind of platform order the feed asks for, with its share of the mix."""

    name: str
    weight: float
    meituan: dict[str, Any]  # the simulators' ``new_order`` overrides
    eleme: dict[str, Any] | None  # None: 饿了么 has no such order in the simulator
    cancel: bool = False  # the customer cancels it a little later


# mostly self-delivery (JuPei dispatches those), some 美团专送 (shown, never dispatched),
# now and then a reservation, a privacy number or a customer who cancels
SOURCE_SCENARIOS: tuple[SourceScenario, ...] = (
    SourceScenario("self_delivery", 0.60, {}, {}),
    SourceScenario("platform_delivery", 0.12, {"logistics_code": "1001"}, None),
    SourceScenario("reservation", 0.10, {"reservation_s": 3600}, {"book_ahead_s": 3600}),
    SourceScenario("privacy_number", 0.12, {"privacy": True}, {"privacy": True}),
    SourceScenario("user_cancel", 0.06, {}, {}, cancel=True),
)


class SourceFeed:
    """Asks the source simulators (their control API at ``control_url``) for a new order
    every ``every_s`` or so, alternating 美团外卖 and 饿了么, from a customer within a few
    km of ``store`` (when given); the simulator pushes it to the listener like the
    platform would. A customer's cancel is sent one tick later."""

    def __init__(
        self,
        control_url: str,
        sources: Sequence[str] = ("meituan", "eleme"),
        *,
        every_s: float,
        max_orders: int,
        seed: int = 0,
        store: StoreSettings | None = None,
        first_after_s: float = 3.0,
    ) -> None:
        self.store = store
        self.first_after_s = first_after_s  # the window settles before the first order
        self.control_url = control_url.rstrip("/")
        self.sources = tuple(sources)
        self.every_s, self.max_orders = every_s, max_orders
        self._rng = random.Random(seed or None)
        self._task: asyncio.Task[None] | None = None
        self._cancel_next: list[tuple[str, str]] = []
        self.asked = 0
        self.made: list[tuple[str, str, str]] = []  # (source, order id, scenario)

    def start(self) -> None:
        if self.every_s > 0 and self.max_orders > 0 and self.sources and self._task is None:
            self._task = asyncio.create_task(self._run(), name="rehearsal-source-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def pick(self) -> tuple[str, SourceScenario]:
        """The next source (in turn) and a scenario it can play (weighted draw)."""
        source = self.sources[self.asked % len(self.sources)]
        usable = [s for s in SOURCE_SCENARIOS if source == "meituan" or s.eleme is not None]
        scenario = self._rng.choices(usable, weights=[s.weight for s in usable])[0]
        return source, scenario

    async def order_one(self, scenario: SourceScenario | None = None) -> str:
        """Ask one simulator for one order (its push follows); returns the order id."""
        source, drawn = self.pick()
        sc = scenario or drawn
        body = {**self._customer(source), **(sc.meituan if source == "meituan" else sc.eleme or {})}
        async with httpx.AsyncClient(trust_env=False, timeout=10.0) as client:
            for src, oid in self._cancel_next:
                await client.post(self._op(src, "cancel"), json={"order_id": oid})
            self._cancel_next = []
            resp = await client.post(self._op(source, "new_order"), json=body)
        resp.raise_for_status()
        oid = str(resp.json()["order_id"])
        self.asked += 1
        self.made.append((source, oid, sc.name))
        if sc.cancel:
            self._cancel_next.append((source, oid))
        return oid

    def _customer(self, source: str) -> dict[str, Any]:
        """Recipient fields in the platform's own shape (美团 degrees x 1e6, 饿了么
        ``"lng,lat"``), near the store; the simulator's phones are kept (privacy)."""
        if self.store is None:
            return {}
        c = sample_customer(self._rng, self.store)
        if source not in ("meituan", "eleme"):  # the later simulators take it as it is
            return {"customer": c}
        if source == "meituan":
            return {
                "recipient_name": c["name"],
                "recipient_address": f"{c['address']}@#{c['address']}",
                "latitude": round(c["lat"] * 1_000_000),
                "longitude": round(c["lng"] * 1_000_000),
            }
        return {
            "consignee": c["name"],
            "address": c["address"],
            "deliveryPoiAddress": c["address"],
            "deliveryGeo": f"{c['lng']:.6f},{c['lat']:.6f}",
        }

    def _op(self, source: str, op: str) -> str:
        return f"{self.control_url}/__sources/{source}/{op}"

    async def _run(self) -> None:
        await asyncio.sleep(self.first_after_s)
        while self.asked < self.max_orders:
            try:
                await self.order_one()
            except Exception:  # a rehearsal nicety must never take the app down
                log.info("rehearsal source feed: order failed", exc_info=True)
                self.asked += 1  # a simulator that keeps failing still ends the feed
            await asyncio.sleep(self.every_s * self._rng.uniform(0.6, 1.4))
        log.info("rehearsal source feed: %d platform orders asked for, stopping", self.asked)


SIMULATED = SIM_IDS  # the sources app/core/sandbox/sources/ simulates


@dataclass
class RehearsalSources:
    """The 美团外卖 / 饿了么 simulators in rehearsal: in-process (``server``) or already
    running at ``[rehearsal] sources_url``; the connectors of ``sources`` point at them
    (``simulator_base_urls``) and the simulators push to this machine's listener."""

    sources: tuple[str, ...]
    control_url: str
    server: SourceSimServer | None
    feed: SourceFeed | None

    @property
    def simulator_base_urls(self) -> dict[str, str]:
        return {sid: f"{self.control_url}/{sid}/api/v1/" for sid in self.sources}

    async def start(self, listener_url: str) -> None:
        """Serve (or point the external simulators) with pushes to ``listener_url``."""
        if self.server is not None:
            self.server.push_to(listener_url)
            await self.server.start()
            return
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
                resp = await client.post(
                    f"{self.control_url}/__sources/targets", json={"jupei": listener_url}
                )
                resp.raise_for_status()
        except httpx.HTTPError as e:  # the pulls still find its orders
            log.warning("source simulators at %s unreachable: %s", self.control_url, e)

    async def stop(self) -> None:
        if self.feed is not None:
            await self.feed.stop()
        if self.server is not None:
            await self.server.stop()


def rehearsal_sources(settings: Settings, rehearsal: bool, clock: Clock) -> RehearsalSources | None:
    """In rehearsal, every simulated source whose ``[sources.<id>] mode`` is off runs
    against its simulator in push mode (``[rehearsal] sources = false`` turns this off)."""
    r = settings.rehearsal
    if not rehearsal or not r.sources:
        return None
    sources = tuple(sid for sid in SIMULATED if settings.sources.get(sid).mode == "off")
    if not sources:
        return None
    server = None
    control = r.sources_url.rstrip("/")
    if not control:
        server = SourceSimServer(clock=clock, retry_every_s=30.0)
        control = server.bind()  # the port now: the connectors are built before start
    feed = None
    if r.source_orders_every_s > 0 and r.source_orders_max > 0:
        feed = SourceFeed(
            control,
            sources,
            every_s=r.source_orders_every_s,
            max_orders=r.source_orders_max,
            store=settings.store,
        )
    return RehearsalSources(sources, control, server, feed)


class RehearsalDriver:
    """The scripted demo's door to the sandboxes (``--screenshot``): make one carrier's
    rider bring the goods back, move the sandbox clock, poll riders and positions. The
    UI drives the demo through this, never through the sandbox or the dispatcher."""

    def __init__(
        self, service: AppService, dispatcher: DispatchEngine, sandbox: SandboxServer | None
    ) -> None:
        self.service, self.dispatcher, self.sandbox = service, dispatcher, sandbox

    def goods_come_back(self, carrier: str) -> None:
        from app.core.sandbox.engine import Scenario

        if self.sandbox is not None:
            self.sandbox.engine.set_scenario(carrier, Scenario.RETURN)

    def advance(self, seconds: float) -> None:
        if self.sandbox is not None:
            self.sandbox.engine.advance(seconds)

    async def poll(self, order_ids: list[int]) -> None:
        """Status and rider position of each order's live attempt, now."""
        disp = self.dispatcher
        for oid in order_ids:
            try:
                await disp.refresh(oid)
                detail = await self.service.order_detail(oid)
                a = detail.attempt if detail else None
                if a is not None and a.status.live:
                    await disp.tracker.positions(a.carrier, [a])
            except Exception as e:  # a demo nicety: one failed poll is only logged
                log.info("demo: poll %s: %s", oid, e)
