"""End to end over loopback, against each simulator (美团外卖 and 饿了么), with the real
core exactly as rehearsal runs it: ``build_core`` on a temp SQLite, the simulators
started in-process by the core and pointed at its own listener, the carrier sandboxes
at speed 0 (time moved by hand).

- push → stored → confirmed on the platform → dispatched → delivered, and the platform
  hears the sync-back calls in order;
- a dropped push is recovered by the pull;
- a duplicate push creates nothing;
- a platform (customer) cancel cancels the live delivery attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.bootstrap import Core, build_core
from app.core.domain import DeliveryStatus, OrderState
from app.core.domain.source_order import SourceOrderState
from app.core.rehearsal import SIMULATED, RehearsalSources
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.server import SourceSimServer
from app.core.secrets import MemorySecretStore
from app.core.sources import registry
from app.core.sources.desk import SourceDesk
from tests.core.dispatch.support import attempts, eng, sandbox
from tests.helpers import make_settings, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
S = DeliveryStatus
# 美团 self-delivery logistics_status by our status (shared/sources/meituan_waimai.md)
MT_SYNC = {S.ACCEPTED: 10, S.AT_PICKUP: 15, S.PICKED_UP: 20, S.AT_DROPOFF: 20, S.DELIVERED: 40}
# 饿了么 self-delivery calls, in order (shared/sources/eleme.md §6; the states [~])
EL_SYNC = ["startDeliveryBySelf", "DELIVERY_START", "completeDeliveryBySelf", "DELIVERY_COMPLETE"]


@dataclass(frozen=True)
class Src:
    id: str
    label: str
    near_store: dict[str, Any]  # new_order fields: a customer ~1 km from the demo store
    confirm_call: str


SOURCES = {
    "meituan": Src(
        "meituan", "美团", {"latitude": 31233000, "longitude": 121476000}, "order/confirm"
    ),
    "eleme": Src(
        "eleme", "饿了么", {"deliveryGeo": "121.476000,31.233000"}, "eleme.order.confirmOrderLite"
    ),
}


@dataclass
class Rig:
    core: Core
    desk: SourceDesk
    sims: RehearsalSources
    ctl: httpx.AsyncClient
    external: SourceSimServer | None = None  # simulators of another process ("sources_url")

    def sim(self, source: str) -> Any:
        server = self.sims.server or self.external
        assert server is not None
        return server.sim(source)

    async def op(self, source: str, op: str, **body: Any) -> dict[str, Any]:
        """The simulator's control API (what the rehearsal feed calls)."""
        resp = await self.ctl.post(f"{self.sims.control_url}/__sources/{source}/{op}", json=body)
        resp.raise_for_status()
        return dict(resp.json())

    async def board_id(self, source: str, oid: str) -> int:
        """The board order a source order became (waits for the hand-on after the reply)."""
        return int(await wait_until(lambda: self.desk.store.order_id(source, oid), timeout=10))

    def calls(self, source: str) -> list[str]:
        return self.sim(source).log.paths()


@asynccontextmanager
async def rehearsal_core(
    tmp_path, *, dispatch: str = "auto", feed: bool = False, **rehearsal: Any
) -> AsyncIterator[Rig]:
    """The core as a new user's rehearsal starts it; ``feed``: as the GUI starts it, with
    the platform-order feed (else the tests order by hand)."""
    settings = make_settings(
        tmp_path,
        pos={"port": 0},  # the simulators sign over the listener's bound URL
        rehearsal={"sources": True, "source_orders_every_s": 0, **rehearsal},
        dispatch={"mode": dispatch},
    )
    core = build_core(
        settings, secrets=MemorySecretStore(), sandbox_engine=SandboxEngine(seed=1, speed=0)
    )
    if feed:
        assert core.source_sims is not None and core.source_sims.feed is not None
        core.source_sims.feed.first_after_s = 0.0
    await core.start(sample_orders=feed)
    try:
        desk, sims = core.sources, core.source_sims
        assert desk is not None and sims is not None
        assert set(desk.connectors) == set(SIMULATED)
        for runner in desk.runners.values():
            await wait_until(lambda r=runner: r.health.state == "healthy", timeout=10)
        async with httpx.AsyncClient(trust_env=False, timeout=10) as ctl:
            yield Rig(core, desk, sims, ctl)
    finally:
        await core.stop()


async def _attempt(core: Core, order_id: int, status: DeliveryStatus):
    """Refresh until the live attempt reaches ``status``."""

    async def reached():
        await eng(core).refresh(order_id)
        atts = await attempts(core, order_id)
        return atts and atts[-1].status is status and atts[-1]

    return await wait_until(reached, timeout=10)


async def _has_event(core: Core, order_id: int, kind: str) -> bool:
    db = core.service.db
    return kind in [e.kind for e in await db.run(db.events_for_order, order_id)]


async def _synced_delivered(core: Core, order_id: int) -> list[str] | None:
    """The statuses of the sync-back calls in the order's timeline, once "delivered" is."""
    db = core.service.db
    events = await db.run(db.events_for_order, order_id)
    synced = [str(e.data.get("status")) for e in events if e.kind == "sync_back"]
    return synced if "delivered" in synced else None


async def _state(core: Core, order_id: int, state: OrderState) -> bool:
    detail = await core.service.order_detail(order_id)
    return detail is not None and detail.order.state is state


async def _refreshed(core: Core, order_id: int):
    """The live attempt, refreshed from its carrier now."""
    await eng(core).refresh(order_id)
    return (await attempts(core, order_id))[-1]


def _runs(values: list[Any]) -> list[Any]:
    """Consecutive repeats folded (a position update repeats the current state)."""
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


@pytest.mark.parametrize("source", ["meituan", "eleme"])
async def test_push_confirm_dispatch_deliver_and_sync_back_in_order(tmp_path, source):
    src = SOURCES[source]
    async with rehearsal_core(tmp_path) as rig:
        made = await rig.op(source, "new_order", **src.near_store)
        oid = made["order_id"]
        assert made["pushed"] is True  # signed push, stored, replied the platform's way
        order_id = await rig.board_id(source, oid)
        detail = await rig.core.service.order_detail(order_id)
        assert detail is not None
        assert detail.order.pickup_no == f"{src.label} #1"
        assert detail.order.pos_order_id == f"{source}:{oid}"
        await wait_until(lambda: src.confirm_call in rig.calls(source))  # auto-confirmed

        async def confirmed() -> bool:  # 接单 runs behind the board: stored once answered
            so = await rig.desk.store.get(source, oid)
            return so is not None and so.state is SourceOrderState.CONFIRMED

        await wait_until(confirmed)

        sb = sandbox(rig.core)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)  # auto-dispatched
        seen = []  # what the rider did, as the carrier reports it (not every carrier
        for seconds in (60, 150, 150, 2000):  # has an "at the shop" state)
            sb.advance(seconds)
            seen.append((await _refreshed(rig.core, order_id)).status)
        assert seen[0] is S.ACCEPTED and seen[-1] is S.DELIVERED, seen
        done = await rig.core.service.order_detail(order_id)
        assert done is not None and done.order.state is OrderState.DELIVERED

        order = rig.sim(source).orders[oid]
        if source == "meituan":  # ecommerce/order/logistics/sync, logistics_status in order
            await wait_until(lambda: order.syncs[-1:] == [40], timeout=15)
            assert _runs(order.syncs) == _runs([MT_SYNC[s] for s in seen])
        else:  # start before complete, each with its state sync (饿了么 has no accept state)
            await wait_until(lambda: "DELIVERY_COMPLETE" in order.sync_states, timeout=15)
            states = [s for s in order.sync_states if s in EL_SYNC]
            assert _runs(states) == EL_SYNC
            assert "selfDeliveryLocationSync" in order.sync_states  # the rider's point
        synced = await wait_until(lambda: _synced_delivered(rig.core, order_id))
        assert synced.index("picked_up") < synced.index("delivered")  # the timeline's order
        assert rig.sim(source).log.rejected == []  # every call we made was well signed


async def test_first_meituan_pushes_pass_with_the_listener_on_port_0(tmp_path):
    """``[pos] port = 0``: the 美团 connector verifies the signature over the listener's
    bound address (the one the simulator signs for), so the very first pushes are taken."""
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        port = rig.core.pos_listener.port
        assert port != 0 and rig.core.service.settings.pos.port == 0
        conn = rig.desk.connectors["meituan"]
        assert conn.ctx.push_base_url == f"http://127.0.0.1:{port}/api/v1/sources/meituan"  # type: ignore[attr-defined]
        for n in (1, 2):
            made = await rig.op("meituan", "new_order", **SOURCES["meituan"].near_store)
            assert made["pushed"] is True, made  # refused for a bad signature before
            order_id = await rig.board_id("meituan", made["order_id"])
            detail = await rig.core.service.order_detail(order_id)
            assert detail is not None and detail.order.pickup_no == f"美团 #{n}"


async def test_a_refund_request_is_on_the_board_row_from_storage_after_a_restart(tmp_path):
    """The red flag of a customer's request comes with the row read from storage (page,
    batch refresh, single row), also in a new session that never saw the update event."""
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        made = await rig.op("meituan", "new_order", **SOURCES["meituan"].near_store)
        oid = made["order_id"]
        order_id = await rig.board_id("meituan", oid)
        plain = await rig.core.service.board_row_for(order_id)
        assert plain is not None and plain.platform_request == ""
        assert (await rig.op("meituan", "refund", order_id=oid))["pushed"] is True

        async def asked() -> bool:
            row = await rig.core.service.board_row_for(order_id)
            return row is not None and row.platform_request == "refund"

        await wait_until(asked)
    settings = make_settings(tmp_path, rehearsal={"sources": False})  # the same database
    core = build_core(settings, secrets=MemorySecretStore())
    await core.start(pos=False)
    try:
        svc = core.service
        page = await svc.board_page()
        assert [(r.order.id, r.platform_request) for r in page.rows] == [(order_id, "refund")]
        assert (await svc.board_rows_for([order_id]))[order_id].platform_request == "refund"
        assert [r.platform_request for r in await svc.board()] == ["refund"]
    finally:
        await core.stop()


@pytest.mark.parametrize("source", ["meituan", "eleme"])
async def test_dropped_push_is_recovered_by_the_pull(tmp_path, source):
    src = SOURCES[source]
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        await rig.op(source, "faults", drop_pushes=1)
        made = await rig.op(source, "new_order", **src.near_store)
        oid = made["order_id"]
        assert made["pushed"] is False and await rig.desk.store.get(source, oid) is None
        await rig.desk.runners[source].pull_once()  # the periodic pull, now
        order_id = await rig.board_id(source, oid)
        detail = await rig.core.service.order_detail(order_id)
        assert detail is not None and detail.order.pickup_no == f"{src.label} #1"
        await wait_until(lambda: src.confirm_call in rig.calls(source))


@pytest.mark.parametrize("source", ["meituan", "eleme"])
async def test_duplicate_push_creates_nothing(tmp_path, source):
    src = SOURCES[source]
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        await rig.op(source, "faults", duplicate_pushes=1)
        made = await rig.op(source, "new_order", **src.near_store)
        oid = made["order_id"]
        assert made["pushed"] is True
        deliveries = rig.sim(source).log.deliveries
        assert [d.accepted for d in deliveries] == [True, True]  # both answered ok
        await rig.board_id(source, oid)
        await rig.desk.drain()
        db = rig.core.service.db
        assert await db.run(db.count_orders) == 1  # one board order
        assert await rig.desk.store.known_ids(source) == {oid}  # one source order
        assert rig.sim(source).log.paths().count(src.confirm_call) == 1  # confirmed once


@pytest.mark.parametrize("source", ["meituan", "eleme"])
async def test_platform_cancel_cancels_the_live_attempt(tmp_path, source):
    src = SOURCES[source]
    async with rehearsal_core(tmp_path) as rig:
        oid = (await rig.op(source, "new_order", **src.near_store))["order_id"]
        order_id = await rig.board_id(source, oid)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)  # auto-dispatched
        sandbox(rig.core).advance(60)
        live = await _attempt(rig.core, order_id, S.ACCEPTED)  # a rider is on the way
        cancelled = await rig.op(source, "cancel", order_id=oid)
        assert cancelled["pushed"] is True
        gone = await _attempt(rig.core, order_id, S.CANCELLED)
        assert gone.id == live.id  # the live one, no new attempt
        sim = sandbox(rig.core).find(live.carrier, live.idempotency_key)
        assert sim is not None and sim.cancelled is not None  # the carrier was told
        await wait_until(lambda: _state(rig.core, order_id, OrderState.CANCELLED))
        so = await rig.desk.store.get(source, oid)
        assert so is not None and so.state is SourceOrderState.CANCELLED
        await wait_until(lambda: _has_event(rig.core, order_id, "platform_cancelled"))


async def test_a_second_rehearsal_session_on_the_same_database_stays_healthy(tmp_path):
    """The new session's simulators never saw the first session's orders (ids come from
    the clock, so none is reused): re-reading the open ones on start must not leave a
    source in error, and new orders still arrive."""
    first = {}
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        for source in ("meituan", "eleme"):
            oid = (await rig.op(source, "new_order", **SOURCES[source].near_store))["order_id"]
            first[source] = oid
            await rig.board_id(source, oid)
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:  # waits for healthy
        for source in ("meituan", "eleme"):
            oid = (await rig.op(source, "new_order", **SOURCES[source].near_store))["order_id"]
            assert oid != first[source]
            await rig.board_id(source, oid)
            assert await rig.desk.store.known_ids(source) == {first[source], oid}
            assert rig.desk.runners[source].health.state == "healthy"
        db = rig.core.service.db
        assert await db.run(db.count_orders) == 4


async def test_the_gui_start_runs_the_platform_feed(tmp_path):
    """``core.start(sample_orders=True)`` (the GUI): orders from both platforms arrive on
    the board by themselves, with their day numbers, and the feed stops at its cap."""
    async with rehearsal_core(
        tmp_path, dispatch="manual", feed=True, source_orders_every_s=0.05, source_orders_max=4
    ) as rig:
        feed = rig.sims.feed
        assert feed is not None
        await wait_until(lambda: feed.asked == 4 and feed._task is not None and feed._task.done())
        for source, oid, _scenario in feed.made:
            if not registry.rules(source).push_kinds:  # 哗啦啦: found by the periodic pull
                await rig.desk.runners[source].pull_once()
            await rig.board_id(source, oid)
        db = rig.core.service.db
        assert await db.run(db.count_orders) == 4
        labels = [(await rig.desk.store.get(s, o)).display_label() for s, o, _ in feed.made]
        # the feed takes every simulated source in turn, each numbering its own day
        turn = [SIMULATED[i % len(SIMULATED)] for i in range(4)]
        names = {
            "meituan": "美团",
            "eleme": "饿了么",
            "keruyun": "客如云",
            "hualala": "哗啦啦",
            "youzan": "有赞",
            "douyin": "抖音",
        }
        want = [f"{names.get(s, s)} #{turn[: i + 1].count(s)}" for i, s in enumerate(turn)]
        assert [m[0] for m in feed.made] == turn and labels == want


async def test_simulators_of_another_process_are_pointed_at_the_listener(tmp_path):
    """``[rehearsal] sources_url`` (``python -m app sandbox``): the core uses those
    simulators and tells them where to push (``POST /__sources/targets``)."""
    external = SourceSimServer(retry_every_s=0)
    await external.start()
    try:
        async with rehearsal_core(
            tmp_path, dispatch="manual", sources_url=external.base_url
        ) as rig:
            assert rig.sims.server is None
            rig.external = external
            listener = rig.core.pos_listener.base_url
            assert external.meituan.push_base_url == listener + "/api/v1/sources/meituan"
            for source in ("meituan", "eleme"):
                made = await rig.op(source, "new_order", **SOURCES[source].near_store)
                assert made["pushed"] is True
                await rig.board_id(source, made["order_id"])
                call = SOURCES[source].confirm_call
                await wait_until(lambda s=source, c=call: c in rig.calls(s))  # auto-confirmed
    finally:
        await external.stop()
