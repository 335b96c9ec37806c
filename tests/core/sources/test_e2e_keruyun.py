"""客如云 end to end over loopback, with the real core as rehearsal runs it (see
test_e2e_sources): the POS's delivery request in → auto-dispatched → delivered, and
客如云 hears 2 → (100) → 3 → 4 in order with the rider; a duplicate push creates
nothing; a push lost on the way is re-sent by 客如云 (there is no pull); the merchant's
cancel cancels the live attempt."""

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
KRY_SYNC = {S.ACCEPTED: 2, S.AT_PICKUP: 100, S.PICKED_UP: 3, S.AT_DROPOFF: 3, S.DELIVERED: 4}
NEAR = {
    "customer": {"name": "王", "address": "上海市黄浦区南京东路1号", "lat": 31.233, "lng": 121.476}
}


async def test_delivery_request_dispatched_delivered_and_synced_in_order(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        made = await rig.op("keruyun", "new_order", **NEAR)
        oid = made["order_id"]
        assert made["pushed"] is True
        order_id = await rig.board_id("keruyun", oid)
        detail = await rig.core.service.order_detail(order_id)
        assert detail is not None and detail.order.pickup_no == "客如云 #1"
        assert detail.order.pos_order_id == f"keruyun:{oid}"
        so = await rig.desk.store.get("keruyun", oid)
        assert so is not None and so.state is SourceOrderState.CONFIRMED  # no 接单 call

        sb = sandbox(rig.core)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)  # auto-dispatched
        seen = []
        for seconds in (60, 150, 150, 2000):
            sb.advance(seconds)
            seen.append((await _refreshed(rig.core, order_id)).status)
        assert seen[0] is S.ACCEPTED and seen[-1] is S.DELIVERED, seen
        kry = rig.sim("keruyun").orders[oid]
        await wait_until(lambda: kry.statuses[-1:] == [4], timeout=15)
        assert _runs(kry.statuses) == _runs([KRY_SYNC[s] for s in seen])
        accepted = next(r for r in kry.reports if r["deliveryStatus"] == 2)
        assert accepted["deliverer"] and accepted["delivererPhone"] and accepted["latitude"]
        synced = await wait_until(lambda: _synced_delivered(rig.core, order_id))
        assert synced.index("accepted") < synced.index("delivered")
        assert rig.sim("keruyun").log.rejected == []  # every call well signed
        done = await rig.core.service.order_detail(order_id)
        assert done is not None and done.order.state is OrderState.DELIVERED


async def test_duplicate_push_creates_nothing_and_a_lost_one_is_resent(tmp_path):
    async with rehearsal_core(tmp_path, dispatch="manual") as rig:
        await rig.op("keruyun", "faults", duplicate_pushes=1)
        oid = (await rig.op("keruyun", "new_order", **NEAR))["order_id"]
        await rig.board_id("keruyun", oid)
        await rig.op("keruyun", "faults", drop_pushes=1)
        lost = await rig.op("keruyun", "new_order", **NEAR)
        assert lost["pushed"] is False
        assert await rig.desk.store.get("keruyun", lost["order_id"]) is None
        assert (await rig.op("keruyun", "retry"))["accepted"] == 1  # 客如云 sends it again
        await rig.board_id("keruyun", lost["order_id"])
        await rig.desk.drain()
        db = rig.core.service.db
        assert await db.run(db.count_orders) == 2
        assert await rig.desk.store.known_ids("keruyun") == {oid, lost["order_id"]}


async def test_merchant_cancel_cancels_the_live_attempt(tmp_path):
    async with rehearsal_core(tmp_path) as rig:
        oid = (await rig.op("keruyun", "new_order", **NEAR))["order_id"]
        order_id = await rig.board_id("keruyun", oid)
        await _attempt(rig.core, order_id, S.PENDING_ACCEPT)
        sandbox(rig.core).advance(60)
        live = await _attempt(rig.core, order_id, S.ACCEPTED)
        cancelled = await rig.op("keruyun", "cancel", order_id=oid)
        assert cancelled["pushed"] is True
        gone = await _attempt(rig.core, order_id, S.CANCELLED)
        assert gone.id == live.id
        sim = sandbox(rig.core).find(live.carrier, live.idempotency_key)
        assert sim is not None and sim.cancelled is not None  # the carrier was told
        await wait_until(lambda: _state(rig.core, order_id, OrderState.CANCELLED))
        await wait_until(lambda: _has_event(rig.core, order_id, "platform_cancelled"))
