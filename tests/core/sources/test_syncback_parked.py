"""A sync-back the platform refuses for good (the 美团 simulator's ``sync_refused`` fault:
"订单当前状态不允许同步配送信息") is parked, raises an alert naming the pickup number and
what to do, counts in the per-source backlog, and is sent again by ``resend`` once the
cashier has checked the platform; a refused state the platform has since heard a later
state for is closed instead of being sent out of order. Then the same through a started
core's AppService."""

from __future__ import annotations

import pytest

from app.core.domain import DeliveryStatus
from app.core.events import AlertKind, AlertRaised, RiderMoved
from app.core.storage.db import make_engine, migrate
from app.core.storage.repos import Database
from app.core.storage.syncback_repo import Backlog, SyncBackRepo
from tests.core.sources.test_desk import SELF, desk_rig
from tests.core.sources.test_syncback import Desk, drain, run
from tests.helpers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
REFUSAL = "订单当前状态不允许同步配送信息"


@pytest.fixture
def desk(tmp_path, mt_rig) -> Desk:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    d = Desk(Database(engine), SyncBackRepo(engine), mt_rig.clock)
    d.alerts = []  # type: ignore[attr-defined]
    d.bus.subscribe(AlertRaised, d.alerts.append)  # type: ignore[attr-defined]
    return d


async def test_a_parked_sync_back_alerts_the_cashier(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    mt_rig.sim.faults.sync_refused = 1
    desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    await worker.idle()
    assert await worker.flush_once() == 1
    (alert,) = desk.alerts
    assert alert.kind is AlertKind.SYNC_BACK and alert.order_id == order_id
    assert alert.order_label == "美团 #1"
    assert alert.message == (
        f"美团 #1 状态同步（骑手已接单）被平台拒绝：{REFUSAL} (code 700)，"
        "请在美团外卖商家后台核对配送状态，处理后可重新同步"
    )
    (_oid, kind, data) = desk.timeline[-1]
    assert kind == "sync_back" and data["outcome"] == "parked"
    assert await worker.backlog() == {"meituan": Backlog(pending=0, parked=1)}
    await worker.stop()


async def test_resend_unparks_and_the_platform_hears_it(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    mt_rig.sim.faults.sync_refused = 1
    a = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    await worker.idle()
    await drain(worker)
    desk.clock.advance(3600)
    assert await worker.flush_once() == 0  # parked: never retried by itself
    assert mt_rig.sim.orders[oid].syncs == []
    assert await worker.order_backlog(order_id) == Backlog(pending=0, parked=1)  # 重新同步
    assert await worker.order_backlog(order_id + 1) == Backlog(0, 0)

    assert await worker.resend(order_id) == 1
    assert await worker.order_backlog(order_id) == Backlog(pending=1, parked=0)
    (row,) = desk.repo.rows(order_id)
    assert (row.item.parked, row.item.tries, row.item.next_at) == ("", 0, desk.now)
    assert await worker.backlog() == {"meituan": Backlog(pending=1, parked=0)}
    assert await drain(worker) == 1
    assert mt_rig.sim.orders[oid].syncs == [10]
    assert desk.timeline[-2][1] == "sync_back_resend"
    assert desk.timeline[-1][2]["outcome"] == "sent"
    assert await worker.resend(order_id) == 0  # nothing parked any more

    desk.move(a, DeliveryStatus.PICKED_UP)  # the order goes on in order: 10 then 20
    await worker.idle()
    await drain(worker)
    assert mt_rig.sim.orders[oid].syncs == [10, 20]
    assert await worker.backlog() == {"meituan": Backlog(0, 0)}
    assert await worker.order_backlog(order_id) == Backlog(0, 0)
    await worker.stop()


async def test_a_refused_state_overtaken_by_a_later_one_is_closed_not_resent(desk, mt_rig):
    oid = mt_rig.sim.new_order()
    order_id = await desk.board_order(mt_rig.connector, oid)
    worker = await run(desk, mt_rig.connector)
    mt_rig.sim.faults.sync_refused = 1
    a = desk.move(desk.attempt(order_id), DeliveryStatus.ACCEPTED)
    await worker.idle()
    await drain(worker)  # 10 parked
    desk.move(a, DeliveryStatus.PICKED_UP)
    await worker.idle()
    await drain(worker)  # 20 goes past the parked 10 and is acknowledged
    assert mt_rig.sim.orders[oid].syncs == [20]

    assert await worker.resend(order_id) == 0
    assert await drain(worker) == 0
    assert mt_rig.sim.orders[oid].syncs == [20]  # never 10 after 20
    accepted = next(r for r in desk.repo.rows(order_id) if r.kind == "accepted")
    assert accepted.done_at is not None and accepted.item.last_error == "overtaken by picked_up"
    assert desk.timeline[-1][1] == "sync_back_resend"  # says it was closed, not sent
    assert await worker.backlog() == {"meituan": Backlog(0, 0)}
    await worker.stop()


async def test_backlog_counts_pending_and_parked_status_changes_per_source(desk, mt_rig):
    first, second = mt_rig.sim.new_order(), mt_rig.sim.new_order()
    one = await desk.board_order(mt_rig.connector, first)
    two = await desk.board_order(mt_rig.connector, second)
    worker = await run(desk, mt_rig.connector)
    assert await worker.backlog() == {"meituan": Backlog(0, 0)}  # on, nothing owed
    mt_rig.sim.faults.sync_refused = 1
    a = desk.move(desk.attempt(one), DeliveryStatus.ACCEPTED)
    await worker.idle()
    await drain(worker)  # parked
    b = desk.move(desk.attempt(two), DeliveryStatus.ACCEPTED)
    desk.move(b, DeliveryStatus.PICKED_UP)
    desk.bus.publish(RiderMoved(one, a.id, 39.91, 116.41))  # a position row: not counted
    await worker.idle()
    assert await worker.backlog() == {"meituan": Backlog(pending=2, parked=1)}
    await worker.stop()


async def test_app_service_resend_and_backlog_on_a_started_core(tmp_path):
    async with desk_rig(tmp_path) as rig:
        core, svc = rig.core, rig.core.service
        _oid, order_id = await rig.push_new(logistics_code=SELF)
        rig.sim.faults.sync_refused = 1
        await svc.dispatch(order_id)
        assert core.syncback is not None
        for _ in range(10):  # a minute at a time, until the sandbox rider accepts
            core.demo.advance(60)
            await core.demo.poll([order_id])
            await core.syncback.idle()  # the change is stored: the rider waits for us
            if (await svc.sync_back_backlog()).get("meituan", Backlog(0, 0)) != Backlog(0, 0):
                break

        async def parked() -> bool:
            return (await svc.sync_back_backlog())["meituan"].parked == 1

        await wait_until(parked, timeout=30)  # hang guard only
        alerts = [e for e in rig.of(AlertRaised) if e.kind is AlertKind.SYNC_BACK]
        assert [a.order_id for a in alerts] == [order_id]
        assert alerts[0].message.startswith("美团 #1 状态同步（骑手已接单）被平台拒绝")
        assert await svc.sync_back_state(order_id) == Backlog(0, 1)  # the detail's button

        assert await svc.resend_sync_back(order_id) == 1

        async def heard() -> bool:
            return (await svc.sync_back_backlog())["meituan"] == Backlog(0, 0)

        await wait_until(heard, timeout=30)  # the flush loop was woken
        assert await svc.sync_back_state(order_id) == Backlog(0, 0)
        assert rig.sim.orders[_oid].syncs[0] == 10
        events = (await svc.order_detail(order_id)).events
        assert any(e.kind == "sync_back_resend" and e.actor == "cashier" for e in events)
