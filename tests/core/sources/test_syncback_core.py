"""The sync-back worker wired into a started core (bootstrap): a 美团 self-delivery order
pushed to the real listener is dispatched to a sandbox carrier, and as the rider accepts,
picks up and delivers, the simulator hears each state in order and the order's timeline
shows each call."""

from __future__ import annotations

import pytest

from app.core.domain import DeliveryStatus
from app.core.events import SyncBackChanged
from app.core.sources.meituan.codes import PROVIDER_CODE, PROVIDER_OTHER
from tests.core.sources.test_desk import SELF, desk_rig
from tests.helpers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_a_delivered_order_is_synced_back_in_order(tmp_path):
    async with desk_rig(tmp_path) as rig:
        core, svc = rig.core, rig.core.service
        assert core.syncback is not None
        oid, order_id = await rig.push_new(logistics_code=SELF)
        attempt = await svc.dispatch(order_id)
        for _ in range(120):  # the sandbox rider's day, a minute at a time
            core.demo.advance(60)
            await core.demo.poll([order_id])
            detail = await svc.order_detail(order_id)
            if detail.attempt is not None and detail.attempt.status.terminal:
                break
        assert detail.attempt.status is DeliveryStatus.DELIVERED
        syncs = rig.sim.orders[oid].syncs
        await wait_until(lambda: 40 in syncs, timeout=30)  # hang guard only
        assert syncs[0] == 10 and syncs[-1] == 40 and syncs == sorted(syncs)
        sent = [e for e in rig.of(SyncBackChanged) if e.outcome == "sent"]
        assert {e.order_id for e in sent} == {order_id}

        async def logged() -> list[str]:
            events = (await svc.order_detail(order_id)).events
            return [e.data["status"] for e in events if e.kind == "sync_back"]

        async def delivered_logged() -> bool:
            return "delivered" in await logged()

        await wait_until(delivered_logged, timeout=30)  # the timeline follows the call
        assert (await logged())[0] == "accepted" and (await logged())[-1] == "delivered"
        calls = [c.params for c in rig.sim.log.calls if c.path == "ecommerce/order/logistics/sync"]
        code = str(PROVIDER_CODE.get(attempt.carrier, PROVIDER_OTHER))
        assert {c["logistics_provider_code"] for c in calls} == {code}
        assert all(c["order_id"] == oid and c["courier_phone"] for c in calls)
