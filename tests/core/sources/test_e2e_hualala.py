"""哗啦啦 end to end over loopback, with the real core as rehearsal runs it (see
test_e2e_sources). 哗啦啦 has no push: the periodic pull finds the order (a "drop" is
the normal case), 接单 goes back as thirdPartyStatus 20, the delivery as 21 → (22) →
30 → 40 with the rider in order; pulling again creates nothing; a cancel in the POS,
seen by the next pull, cancels the live attempt. Every 哗啦啦 document is ASSUMED."""

from __future__ import annotations

import pytest

from app.core.domain import DeliveryStatus, OrderState
from app.core.domain.source_order import SourceOrderState
from tests.core.dispatch.support import sandbox
from tests.core.sources.test_e2e_sources import (
    _attempt,
    _has_event,
    _refreshed,
    _runs,
    _state,
    _synced_delivered,
    rehearsal_core,
)
from tests.helpers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
S = DeliveryStatus
HLL_SYNC = {S.ACCEPTED: 21, S.AT_PICKUP: 22, S.PICKED_UP: 30, S.AT_DROPOFF: 30, S.DELIVERED: 40}
NEAR = {
    "customer": {"name": "赵", "address": "上海市黄浦区南京东路1号", "lat": 31.233, "lng": 121.476}
}


async def _pulled_onto_board(rig, key: str) -> int:
    made = await rig.desk.runners["hualala"].pull_once()
    assert key in [o.source_order_id for o in made]
    return await rig.board_id("hualala", key)


async def test_pulled_confirmed_dispatched_delivered_and_synced_in_order(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        made = await rig.op("hualala", "new_order", **NEAR)
        key = made["order_id"]
        assert made["pushed"] is False  # nothing is pushed: the pull finds it
        order_id = await _pulled_onto_board(rig, key)
        detail = await rig.core.service.order_detail(order_id)
        assert detail is not None and detail.order.pickup_no == "哗啦啦 #1"
        hll = rig.sim("hualala").orders[key]
        await wait_until(lambda: hll.statuses[:1] == [20])  # auto-接单

        async def confirmed() -> bool:
            so = await rig.desk.store.get("hualala", key)
            return so is not None and so.state is SourceOrderState.CONFIRMED

        await wait_until(confirmed)
        sb = sandbox(rig.core)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)  # auto-dispatched
        seen = []
        for seconds in (60, 150, 150, 2000):
            sb.advance(seconds)
            seen.append((await _refreshed(rig.core, order_id)).status)
        assert seen[0] is S.ACCEPTED and seen[-1] is S.DELIVERED, seen
        await wait_until(lambda: hll.statuses[-1:] == [40], timeout=15)
        assert _runs(hll.statuses[1:]) == _runs([HLL_SYNC[s] for s in seen])
        shipper = hll.updates[1]["shipperInfoVo"]
        assert shipper["shipperName"] and shipper["shipperPhone"]
        synced = await wait_until(lambda: _synced_delivered(rig.core, order_id))
        assert synced.index("accepted") < synced.index("delivered")
        assert rig.sim("hualala").log.rejected == []  # every call well signed


async def test_pulling_again_creates_nothing(tmp_path):
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        key = (await rig.op("hualala", "new_order", **NEAR))["order_id"]
        await _pulled_onto_board(rig, key)
        assert await rig.desk.runners["hualala"].pull_once() == []
        await rig.desk.drain()
        db = rig.core.service.db
        assert await db.run(db.count_orders) == 1
        assert await rig.desk.store.known_ids("hualala") == {key}
        confirms = [
            u for u in rig.sim("hualala").orders[key].updates if u["thirdPartyStatus"] == 20
        ]
        assert len(confirms) == 1  # confirmed once


async def test_cancel_in_the_pos_cancels_the_live_attempt(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        key = (await rig.op("hualala", "new_order", **NEAR))["order_id"]
        order_id = await _pulled_onto_board(rig, key)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)
        sandbox(rig.core).advance(60)
        live = await _attempt(rig.core, order_id, S.ACCEPTED)
        await rig.op("hualala", "cancel", order_id=key)
        await rig.desk.runners["hualala"].pull_once()  # the next periodic pull
        gone = await _attempt(rig.core, order_id, S.CANCELLED)
        assert gone.id == live.id
        sim = sandbox(rig.core).find(live.carrier, live.idempotency_key)
        assert sim is not None and sim.cancelled is not None
        await wait_until(lambda: _state(rig.core, order_id, OrderState.CANCELLED))
        await wait_until(lambda: _has_event(rig.core, order_id, "platform_cancelled"))
