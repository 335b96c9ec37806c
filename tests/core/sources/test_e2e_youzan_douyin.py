"""End to end over loopback for 有赞 and 抖音来客, with the real core as rehearsal runs
it (``rehearsal_core`` of ``test_e2e_sources``): the simulators push signed messages to
the core's own listener, the carrier sandboxes deliver at speed 0 (time moved by hand).

- 有赞: paid trade → board (no 接单 step) → dispatched → delivered, and nothing is synced
  back (no public write-back API); a duplicate creates nothing; a dropped push comes
  back on 有赞's retry; a closed trade cancels the live attempt.
- 抖音: pay_success → board → 101 接单 → dispatched → delivered with the fulfilment
  statuses in order (200 → 201 → 202 → 203 → 500); a duplicate creates nothing; a
  dropped webhook comes back on Douyin's retry; a refund cancels the live attempt and
  no cancel is synced.
"""

from __future__ import annotations

import pytest

from app.core.domain import DeliveryStatus, OrderState
from app.core.domain.source_order import SourceOrderState
from tests.core.dispatch.support import sandbox
from tests.core.sources.test_e2e_sources import (
    _attempt,
    _refreshed,
    _runs,
    _state,
    rehearsal_core,
)
from tests.helpers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
S = DeliveryStatus
DY_CODE = {S.AT_PICKUP: 202, S.PICKED_UP: 203, S.DELIVERED: 500}
LABEL = {"youzan": "有赞", "douyin": "抖音"}


async def _deliver(rig, order_id: int) -> list[DeliveryStatus]:
    """Auto-dispatched; the rider accepts, picks up and delivers (statuses seen)."""
    await _attempt(rig.core, order_id, S.PENDING_ACCEPT)
    seen = []
    for seconds in (60, 150, 150, 2000):
        sandbox(rig.core).advance(seconds)
        seen.append((await _refreshed(rig.core, order_id)).status)
    assert seen[0] is S.ACCEPTED and seen[-1] is S.DELIVERED, seen
    done = await rig.core.service.order_detail(order_id)
    assert done is not None and done.order.state is OrderState.DELIVERED
    return seen


async def _timeline(rig, order_id: int) -> list[str]:
    db = rig.core.service.db
    return [e.kind for e in await db.run(db.events_for_order, order_id)]


async def test_youzan_paid_trade_is_delivered_and_nothing_is_synced_back(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        sim = rig.sims.server.sim("youzan")
        made = await rig.op("youzan", "new_order")
        tid = made["order_id"]
        assert made["pushed"] is True  # Event-Sign verified, replied {"code":200,...}
        order_id = await rig.board_id("youzan", tid)
        detail = await rig.core.service.order_detail(order_id)
        assert detail is not None and detail.order.pickup_no == "有赞 #1"
        assert detail.order.total_fen == 5800 and detail.order.delivery_fee_fen == 500
        so = await rig.desk.store.get("youzan", tid)
        assert so is not None and so.state is SourceOrderState.CONFIRMED  # no 接单 step
        await _deliver(rig, order_id)
        await rig.desk.drain()
        assert "sync_back" not in await _timeline(rig, order_id)
        assert sim.log.calls == [] and sim.log.rejected == []  # no call: the push was full


async def test_youzan_duplicate_and_dropped_push(tmp_path):
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        sim = rig.sims.server.sim("youzan")
        await rig.op("youzan", "faults", duplicate_pushes=1)
        tid = (await rig.op("youzan", "new_order"))["order_id"]
        await rig.board_id("youzan", tid)
        await rig.desk.drain()
        assert [d.accepted for d in sim.log.deliveries] == [True, True]
        assert await rig.desk.store.known_ids("youzan") == {tid}
        await rig.op("youzan", "faults", drop_pushes=1)
        lost = await rig.op("youzan", "new_order")
        assert lost["pushed"] is False and sim.retries.pending  # 有赞 will re-push
        assert (await rig.op("youzan", "retry"))["accepted"] == 1
        await rig.board_id("youzan", lost["order_id"])
        db = rig.core.service.db
        assert await db.run(db.count_orders) == 2


async def test_youzan_closed_trade_cancels_the_live_attempt(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        tid = (await rig.op("youzan", "new_order"))["order_id"]
        order_id = await rig.board_id("youzan", tid)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)
        sandbox(rig.core).advance(60)
        live = await _attempt(rig.core, order_id, S.ACCEPTED)
        assert (await rig.op("youzan", "cancel", order_id=tid))["pushed"] is True
        gone = await _attempt(rig.core, order_id, S.CANCELLED)
        assert gone.id == live.id
        await wait_until(lambda: _state(rig.core, order_id, OrderState.CANCELLED))


async def test_douyin_order_is_accepted_delivered_and_synced_in_order(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        sim = rig.sims.server.sim("douyin")
        assert (await rig.op("douyin", "verify", challenge=4242))["ok"] is True
        made = await rig.op("douyin", "new_order")
        oid = made["order_id"]
        assert made["pushed"] is True
        order_id = await rig.board_id("douyin", oid)
        detail = await rig.core.service.order_detail(order_id)
        assert detail is not None and detail.order.pickup_no == "抖音 #1"
        assert detail.order.total_fen == 6400
        order = sim.orders[oid]
        await wait_until(lambda: order.statuses[:1] == [101])  # 商家接单 (auto-confirm)
        seen = await _deliver(rig, order_id)
        await wait_until(lambda: order.statuses[-1:] == [500], timeout=15)
        expected = [101, 200, 201] + [DY_CODE[s] for s in seen if s in DY_CODE]
        assert _runs(order.statuses) == _runs(expected)
        assert order.statuses == sorted(order.statuses)  # "请按顺序推送"
        assert all(r["rider_name"] and r["rider_phone"] for r in order.riders)
        assert sim.log.rejected == []


async def test_douyin_duplicate_and_dropped_webhook(tmp_path):
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        sim = rig.sims.server.sim("douyin")
        await rig.op("douyin", "faults", duplicate_pushes=1)
        oid = (await rig.op("douyin", "new_order"))["order_id"]
        await rig.board_id("douyin", oid)
        await wait_until(lambda: sim.orders[oid].statuses == [101])
        await rig.desk.drain()
        assert [d.accepted for d in sim.log.deliveries] == [True, True]
        assert await rig.desk.store.known_ids("douyin") == {oid}
        await rig.op("douyin", "faults", drop_pushes=1)
        lost = await rig.op("douyin", "new_order")
        assert lost["pushed"] is False
        assert (await rig.op("douyin", "retry"))["accepted"] == 1  # Douyin's retry
        await rig.board_id("douyin", lost["order_id"])
        await wait_until(lambda: sim.orders[oid].statuses == [101])  # 101 once only


async def test_douyin_refund_cancels_the_live_attempt_and_syncs_no_cancel(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        sim = rig.sims.server.sim("douyin")
        oid = (await rig.op("douyin", "new_order"))["order_id"]
        order_id = await rig.board_id("douyin", oid)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)
        sandbox(rig.core).advance(60)
        live = await _attempt(rig.core, order_id, S.ACCEPTED)
        await wait_until(lambda: sim.orders[oid].statuses[-1:] == [201], timeout=15)
        assert (await rig.op("douyin", "cancel", order_id=oid))["pushed"] is True
        gone = await _attempt(rig.core, order_id, S.CANCELLED)
        assert gone.id == live.id
        await wait_until(lambda: _state(rig.core, order_id, OrderState.CANCELLED))
        await rig.desk.drain()
        assert sim.orders[oid].statuses == [101, 200, 201]  # no cancel sync exists
        assert sim.log.rejected == []
