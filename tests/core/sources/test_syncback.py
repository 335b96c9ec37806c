"""The status sync-back worker against the 美团外卖 and 饿了么 simulators over loopback, on
a real SQLite outbox and a fake clock: changes are stored before they are sent, arrive in
the platform's order, are retried with backoff, parked when refused for good, resumed by
a new worker, follow a re-dispatch, and a moving rider is reported at most every 30 s."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from app.core.domain import DeliveryAttempt, DeliveryStatus, Rider
from app.core.domain.source_order import FulfilmentMode, SourceOrder, to_order
from app.core.events import AttemptStatusChanged, EventBus, RiderMoved, SyncBackChanged
from app.core.sources.syncback import SyncBackWorker
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from app.core.storage.source_repo import SqliteSourceStore
from app.core.storage.syncback_repo import SyncBackRepo
from tests.fakes.clock import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
SHOP = (39.9087, 116.3975)  # GCJ-02
LISI = Rider("李四", "13900000000", 39.91, 116.41)


@dataclass
class Desk:
    """The worker's surroundings: the database, the bus, the order lookup and the
    timeline, as the composition root hands them over."""

    db: Database
    repo: SyncBackRepo
    clock: FakeClock
    bus: EventBus = field(default_factory=EventBus)
    orders: dict[int, SourceOrder] = field(default_factory=dict)
    timeline: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    changes: list[SyncBackChanged] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bus.subscribe(SyncBackChanged, self.changes.append)

    async def order_for(self, order_id: int) -> SourceOrder | None:
        return self.orders.get(order_id)

    async def log_event(
        self, order_id: int, kind: str, actor: str, message: str, data: dict[str, Any] | None
    ) -> None:
        self.timeline.append((order_id, kind, dict(data or {})))

    def worker(self, connector: Any, **kw: Any) -> SyncBackWorker:
        return SyncBackWorker(
            self.repo,
            self.bus,
            self.clock,
            {connector.id: connector},
            self.order_for,
            self.log_event,
            shop_point=lambda: SHOP,
            **kw,
        )

    async def board_order(self, connector: Any, source_order_id: str, **changes: Any) -> int:
        so = replace(await connector.get_order(source_order_id), **changes)
        out = self.db.insert_orders(
            [(to_order(so), "h-" + so.source_order_id, so.source)], self.now
        )
        order_id = out[0].order.id
        assert order_id is not None
        self.orders[order_id] = so
        store = SqliteSourceStore(self.db.engine, self.clock.now)  # the desk's link
        await store.upsert(so)
        await store.link_order(so.source, so.source_order_id, order_id)
        return order_id

    @property
    def now(self):
        return self.clock.now()

    def attempt(self, order_id: int, no: int = 1, carrier: str = "dada", rider=LISI):
        a = DeliveryAttempt(
            order_id,
            no,
            carrier,
            f"k-{order_id}-{no}",
            status=DeliveryStatus.PENDING_ACCEPT,
            carrier_order_id=f"{carrier.upper()}{order_id}{no}",
            rider=rider,
            created_at=self.now,
        )
        return self.db.insert_attempt(a)

    def move(self, a: DeliveryAttempt, status: DeliveryStatus) -> DeliveryAttempt:
        moved = a.with_(status=status)
        self.db.save_attempt(moved, self.now)
        self.bus.publish(AttemptStatusChanged(a.order_id, a.id, a.carrier, status.value))
        return moved


@pytest.fixture
def desk(tmp_path, mt_rig) -> Desk:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Desk(Database(engine), SyncBackRepo(engine), mt_rig.clock)


@pytest.fixture
def el_desk(tmp_path, eleme_rig) -> Desk:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Desk(Database(engine), SyncBackRepo(engine), eleme_rig.clock)


async def drain(worker: SyncBackWorker) -> int:
    """Flush until nothing is due now (one change per order per flush); total tried."""
    total = 0
    while n := await worker.flush_once():
        total += n
    return total


def mt_syncs(rig) -> list[dict[str, Any]]:
    return [c.params for c in rig.sim.log.calls if c.path == "ecommerce/order/logistics/sync"]


async def run(desk: Desk, connector: Any, **kw: Any) -> SyncBackWorker:
    worker = desk.worker(connector, **kw)
    await worker.start(sending=False)
    return worker


# ------------------------------------------------------------------ order and content
async def test_meituan_hears_accepted_pickup_pickedup_delivered_in_order(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    a = desk.attempt(order_id)
    for s in ("accepted", "at_pickup", "picked_up", "delivered"):
        a = desk.move(a, DeliveryStatus(s))
    await worker.idle()
    # durable before anything is sent: four rows, no call yet
    assert [r.kind for r in desk.repo.rows(order_id)] == [
        "accepted",
        "at_pickup",
        "picked_up",
        "delivered",
    ]
    assert mt_rig.sim.orders[oid].syncs == []
    assert await drain(worker) == 4
    assert mt_rig.sim.orders[oid].syncs == [10, 15, 20, 40]
    first = mt_syncs(mt_rig)[0]
    assert first["order_id"] == oid
    assert first["courier_name"] == "李四" and first["courier_phone"] == "13900000000"
    assert first["logistics_provider_code"] == "10002"  # 达达
    assert first["third_carrier_order_id"] == f"DADA{order_id}1"
    assert (first["latitude"], first["longitude"]) == ("39.910000", "116.410000")
    assert [(e.status, e.outcome) for e in desk.changes] == [
        ("accepted", "sent"),
        ("at_pickup", "sent"),
        ("picked_up", "sent"),
        ("delivered", "sent"),
    ]
    assert [(k, d["status"], d["outcome"]) for (_o, k, d) in desk.timeline] == [
        ("sync_back", "accepted", "sent"),
        ("sync_back", "at_pickup", "sent"),
        ("sync_back", "picked_up", "sent"),
        ("sync_back", "delivered", "sent"),
    ]
    assert all(r.done_at is not None for r in desk.repo.rows(order_id))
    await worker.stop()


async def test_eleme_hears_start_before_complete(el_desk, eleme_rig):
    desk, sim = el_desk, eleme_rig.sim
    oid = sim.new_order()
    order_id = await desk.board_order(eleme_rig.connector, oid)
    worker = await run(desk, eleme_rig.connector)
    a = desk.attempt(order_id, carrier="shansong")
    for s in ("accepted", "picked_up", "delivered"):
        a = desk.move(a, DeliveryStatus(s))
    await worker.idle()
    assert await drain(worker) == 3
    states = sim.orders[oid].sync_states
    assert states.index("startDeliveryBySelf") < states.index("completeDeliveryBySelf")
    assert "selfDeliveryLocationSync" in states  # the point rides with 配送中
    start = next(c for c in sim.log.calls if c.path == "eleme.order.startDeliveryBySelf")
    assert start.params == {"orderId": oid, "phone": "13900000000"}
    await worker.stop()


async def test_platform_delivered_and_unknown_orders_are_not_synced(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    platform = await desk.board_order(
        mt_rig.connector, oid, fulfilment=FulfilmentMode.PLATFORM_DELIVERY
    )
    pos = desk.db.insert_orders(
        [(replace(to_order(desk.orders[platform]), pos_order_id="POS-1"), "h", "pos")], desk.now
    )[0].order.id
    worker = await run(desk, mt_rig.connector)
    desk.move(desk.attempt(platform), DeliveryStatus.ACCEPTED)
    desk.move(desk.attempt(pos), DeliveryStatus.ACCEPTED)  # a POS order: no source
    await worker.idle()
    assert desk.repo.rows() == []
    await worker.stop()


# ------------------------------------------------------------------ faults
async def test_5xx_is_retried_with_backoff_and_later_changes_wait(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    mt_rig.sim.faults.sync_server_errors = 2
    a = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    await worker.idle()
    assert await worker.flush_once() == 1
    (row,) = desk.repo.rows(order_id)
    assert row.item.tries == 1 and "502" in row.item.last_error
    assert row.item.next_at == desk.now + outbox_delay(1)
    desk.move(a, DeliveryStatus.PICKED_UP)  # queued behind the failing 10
    await worker.idle()
    assert await worker.flush_once() == 0  # not due yet, and 20 may not overtake 10
    desk.clock.advance(5)
    assert await worker.flush_once() == 1  # second 502
    assert desk.repo.rows(order_id)[0].item.next_at == desk.now + outbox_delay(2)
    desk.clock.advance(10)
    assert await drain(worker) == 2
    assert mt_rig.sim.orders[oid].syncs == [10, 20]
    assert [e.outcome for e in desk.changes] == ["retrying", "retrying", "sent", "sent"]
    await worker.stop()


def outbox_delay(tries: int):
    from app.core.sources.outbox import backoff

    return backoff(tries)


async def test_rate_limit_is_retried_not_parked(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    mt_rig.sim.faults.rate_limited = 1
    desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    await worker.idle()
    await worker.flush_once()
    assert desk.changes[-1].outcome == "retrying"
    desk.clock.advance(5)
    await drain(worker)
    assert mt_rig.sim.orders[oid].syncs == [10]
    await worker.stop()


async def test_a_refusal_for_good_is_parked_and_not_retried(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    nowhere = Rider("李四", "13900000000", 1.0, 1.0)  # outside China: the platform says no
    desk.move(desk.attempt(order_id, rider=nowhere), DeliveryStatus.ACCEPTED)
    await worker.idle()
    assert await worker.flush_once() == 1
    (row,) = desk.repo.rows(order_id)
    assert "坐标非法" in row.item.parked and row.done_at is None
    assert desk.changes[-1].outcome == "parked"
    assert desk.timeline[-1][2]["outcome"] == "parked"
    desk.clock.advance(3600)
    assert await worker.flush_once() == 0
    assert mt_rig.sim.orders[oid].syncs == []
    await worker.stop()


async def test_eleme_expired_token_is_refreshed_not_parked(el_desk, eleme_rig):
    desk, sim = el_desk, eleme_rig.sim
    oid = sim.new_order()
    order_id = await desk.board_order(eleme_rig.connector, oid)
    worker = await run(desk, eleme_rig.connector)
    sim.token_expired = True
    desk.move(desk.attempt(order_id), DeliveryStatus.PICKED_UP)
    await worker.idle()
    assert await worker.flush_once() == 1
    assert desk.changes[-1].outcome == "sent"
    assert "startDeliveryBySelf" in sim.orders[oid].sync_states
    assert eleme_rig.connector.creds["access_token"] == sim.access_token != "rehearsal-eleme-token"
    await worker.stop()


async def test_a_platform_cancel_stops_the_sync_back(desk, mt_rig):
    from app.core.domain.source_order import SourceOrderState

    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    a = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    await worker.idle()
    desk.orders[order_id] = replace(desk.orders[order_id], state=SourceOrderState.CANCELLED)
    desk.move(a, DeliveryStatus.CANCELLED)  # our cancel after the platform's: not reported
    await worker.idle()
    assert await drain(worker) == 1  # the stored 10 is closed unsent
    assert mt_rig.sim.orders[oid].syncs == []
    assert [r.kind for r in desk.repo.rows(order_id)] == ["accepted"]
    await worker.stop()


# ------------------------------------------------------------------ restart
async def test_a_new_worker_on_the_same_database_resumes(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    first = await run(desk, mt_rig.connector)
    a = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    desk.move(a, DeliveryStatus.PICKED_UP)
    await first.idle()
    await first.stop()  # stopped (or killed) before sending anything
    assert mt_rig.sim.orders[oid].syncs == []

    sent = asyncio.Event()
    desk.bus.subscribe(SyncBackChanged, lambda e: sent.set() if e.status == "picked_up" else None)
    again = desk.worker(mt_rig.connector)
    again.repo = SyncBackRepo(desk.repo.engine)  # a fresh repo: only the table remembers
    await again.start()  # the real flush loop, no event needed
    await asyncio.wait_for(sent.wait(), timeout=30)  # hang guard only
    assert mt_rig.sim.orders[oid].syncs == [10, 20]
    await again.stop()


# ------------------------------------------------------------------ re-dispatch
async def test_a_redispatch_reports_the_new_carrier_and_rider(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    first = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    desk.move(first, DeliveryStatus.CANCELLED)
    wangwu = Rider("王五", "13700000000", 39.92, 116.42)
    second = desk.attempt(order_id, no=2, carrier="shansong", rider=wangwu)
    second = desk.move(second, DeliveryStatus.ACCEPTED)
    desk.move(second, DeliveryStatus.PICKED_UP)
    await worker.idle()
    assert await drain(worker) == 4
    assert mt_rig.sim.orders[oid].syncs == [10, 100, 10, 20]
    last = mt_syncs(mt_rig)[-1]
    assert (last["courier_name"], last["courier_phone"]) == ("王五", "13700000000")
    assert last["logistics_provider_code"] == "10003"  # 闪送
    assert last["third_carrier_order_id"] == f"SHANSONG{order_id}2"
    await worker.stop()


# ------------------------------------------------------------------ positions
async def test_positions_are_coalesced_and_rate_limited(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    a = desk.move(desk.attempt(order_id), DeliveryStatus.PICKED_UP)
    for i in range(100):
        desk.bus.publish(RiderMoved(order_id, a.id, 39.9 + i / 10000, 116.4))
    await worker.idle()
    assert [r.kind for r in desk.repo.rows(order_id)] == ["picked_up", "position"]
    assert await drain(worker) == 2  # the status first, then one position
    syncs = mt_syncs(mt_rig)
    assert len(syncs) == 2 and syncs[-1]["latitude"] == "39.909900"  # the newest point
    assert syncs[-1]["logistics_status"] == "20"
    for i in range(50):
        desk.bus.publish(RiderMoved(order_id, a.id, 39.95, 116.4 + i / 10000))
    await worker.idle()
    assert await worker.flush_once() == 0  # sent less than 30 s ago
    desk.clock.advance(30)
    assert await drain(worker) == 1
    syncs = mt_syncs(mt_rig)
    assert len(syncs) == 3 and syncs[-1]["longitude"] == "116.404900"
    assert [r.kind for r in desk.repo.rows(order_id)] == ["picked_up", "position"]
    await worker.stop()


async def test_eleme_positions_use_the_location_call(el_desk, eleme_rig):
    desk, sim = el_desk, eleme_rig.sim
    oid = sim.new_order()
    order_id = await desk.board_order(eleme_rig.connector, oid)
    worker = await run(desk, eleme_rig.connector)
    a = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    desk.bus.publish(RiderMoved(order_id, a.id, 39.95, 116.45))
    await worker.idle()
    await drain(worker)
    loc = [c.params for c in sim.log.calls if c.path == "eleme.order.selfDeliveryLocationSync"]
    assert len(loc) == 1 and loc[0]["locationInfo"]["latitude"] == 39.95
    assert "startDeliveryBySelf" not in sim.orders[oid].sync_states  # a position is not 配送中
    await worker.stop()


async def test_no_position_follows_the_delivered_state(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    a = desk.move(desk.attempt(order_id), DeliveryStatus.PICKED_UP)
    desk.bus.publish(RiderMoved(order_id, a.id, 39.95, 116.45))
    await worker.idle()
    await drain(worker)  # 20, then one position (20 with the point)
    desk.bus.publish(RiderMoved(order_id, a.id, 39.96, 116.46))  # re-armed for +30 s
    await worker.idle()
    desk.move(a, DeliveryStatus.DELIVERED)
    await worker.idle()
    desk.clock.advance(60)
    await drain(worker)
    assert mt_rig.sim.orders[oid].syncs == [20, 20, 40]
    desk.bus.publish(RiderMoved(order_id, a.id, 39.97, 116.47))  # a late tracker report
    await worker.idle()
    assert await worker.flush_once() == 0
    assert mt_rig.sim.orders[oid].syncs == [20, 20, 40]
    await worker.stop()


async def test_acknowledged_rows_are_pruned_after_a_week_parked_rows_stay(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    nowhere = Rider("李四", "13900000000", 1.0, 1.0)
    desk.move(desk.attempt(order_id, no=2, rider=nowhere), DeliveryStatus.ACCEPTED)
    await worker.idle()
    await drain(worker)
    await worker.stop()
    assert [r.item.done or bool(r.item.parked) for r in desk.repo.rows(order_id)] == [True, True]
    desk.clock.advance(8 * 86400)
    again = await run(desk, mt_rig.connector)  # start prunes
    (left,) = desk.repo.rows(order_id)
    assert left.item.parked and left.kind == "accepted"
    await again.stop()


async def test_a_start_queues_states_the_last_run_committed_but_never_stored(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    platform_oid = mt_rig.sim.new_order()
    platform = await desk.board_order(
        mt_rig.connector, platform_oid, fulfilment=FulfilmentMode.PLATFORM_DELIVERY
    )
    # the attempts moved, then the app stopped before any event reached a worker
    desk.db.save_attempt(desk.attempt(order_id).with_(status=DeliveryStatus.PICKED_UP), desk.now)
    desk.db.save_attempt(desk.attempt(platform).with_(status=DeliveryStatus.ACCEPTED), desk.now)
    worker = await run(desk, mt_rig.connector)
    await worker.idle()
    assert [(r.order_id, r.kind) for r in desk.repo.rows()] == [(order_id, "picked_up")]
    assert await drain(worker) == 1
    assert mt_rig.sim.orders[oid].syncs == [20]
    await worker.stop()
    again = await run(desk, mt_rig.connector)  # stored now: nothing to catch up
    await again.idle()
    assert len(desk.repo.rows()) == 1
    await again.stop()


async def test_a_slow_platform_is_retried_as_outcome_unknown(tmp_path):
    """A sync-back call that times out may have reached the platform: it is sent again
    (platforms take a repeat of the same state) until an answer says ok."""
    from app.core.sandbox.sources.meituan import MeituanSim
    from app.core.sources.meituan import RULES, Connector
    from tests.core.sources.conftest import start_rig

    creds = {**RULES.rehearsal_credentials, "store_phone": "01065550000"}
    rigs = start_rig(
        lambda clock: MeituanSim(clock=clock),
        Connector,
        creds,
        push_path="/api/v1/sources/meituan",
        timeout_s=0.3,
    )
    rig = await anext(rigs)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        migrate(engine)
        desk = Desk(Database(engine), SyncBackRepo(engine), rig.clock)
        oid = rig.sim.new_order()
        order_id = await desk.board_order(rig.connector, oid)
        worker = await run(desk, rig.connector)
        rig.sim.faults.sync_delay_s = 1.0
        desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
        await worker.idle()
        assert await worker.flush_once() == 1
        (row,) = desk.repo.rows(order_id)
        assert "no answer" in row.item.last_error and row.done_at is None
        assert desk.changes[-1].outcome == "retrying"
        rig.sim.faults.sync_delay_s = 0.0
        desk.clock.advance(5)
        assert await drain(worker) == 1
        assert desk.changes[-1].outcome == "sent" and 10 in rig.sim.orders[oid].syncs
        await worker.stop()
    finally:
        await rigs.aclose()
