"""饿了么 connector against its simulator over loopback: push + pull ("推拉结合"), confirm
and reject, self-delivery sync in order, expired token and refresh, faults."""

from __future__ import annotations

import httpx
import pytest

from app.core.domain.source_order import FulfilmentMode, PhoneKind, RefundState, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    SourceAuthError,
    SourceOutcomeUnknownError,
    SourceRateLimitedError,
    SourceRejectedError,
    SyncBack,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def change(oid: str, status: DeliveryStatus) -> SyncBack:
    return SyncBack(oid, "jp-2-1", status, "dada", "DD2", "李四", "13900000000", 39.99, 116.48)


async def test_push_is_stored_with_19_digit_id_and_duplicate_creates_nothing(eleme_rig):
    sim, recv = eleme_rig.sim, eleme_rig.receiver
    oid = sim.new_order(privacy=True)
    assert len(oid) == 19
    sim.faults.duplicate_pushes = 1
    assert await sim.push_new_order(oid)
    assert list(recv.by_id) == [oid] and recv.duplicates == 1
    order = recv.by_id[oid]
    assert order.display_label() == "饿了么 #1"
    assert order.money.paid_total_fen == 4230
    (phone,) = order.recipient.phones
    assert phone.kind is PhoneKind.VIRTUAL and phone.expires_at is not None


async def test_dropped_and_refused_pushes_come_back_through_the_pull(eleme_rig):
    sim, recv, conn = eleme_rig.sim, eleme_rig.receiver, eleme_rig.connector
    dropped = sim.new_order()
    sim.faults.drop_pushes = 1
    assert not await sim.push_new_order(dropped)
    refused = sim.new_order()
    good_secret, sim.secret = sim.secret, "wrong"
    assert not await sim.push_new_order(refused)
    sim.secret = good_secret
    assert recv.by_id == {} and recv.rejected == 1
    assert sim.log.deliveries[-1].status == 403
    quiet = sim.new_order()  # never pushed at all: found in getUnprocessOrders
    for o in await conn.pull(known=set(recv.by_id)):
        recv.put(o)
    assert set(recv.by_id) == {dropped, refused, quiet}
    assert "eleme.msgNew.confirmPullMsg" in sim.log.paths()
    assert sim.pusher.failed == []  # acknowledged: not served again
    assert [c for c in sim.log.calls if c.path == "eleme.msgNew.getPushFailMsg"]


async def test_cancel_push_and_refund_list(eleme_rig):
    sim, recv, conn = eleme_rig.sim, eleme_rig.receiver, eleme_rig.connector
    oid = sim.new_order()
    await sim.push_new_order(oid)
    await sim.push(*sim.user_cancel(oid))
    order = recv.by_id[oid]
    assert order.state is SourceOrderState.CANCELLED and order.cancel_requested
    other = sim.new_order()
    sim.refund_apply(other)
    pulled = {o.source_order_id: o for o in await conn.pull()}
    assert pulled[other].refund_state is RefundState.APPLIED
    assert pulled[oid].state is SourceOrderState.CANCELLED


async def test_out_of_order_cancel_first(eleme_rig):
    sim, recv = eleme_rig.sim, eleme_rig.receiver
    oid = sim.new_order()
    sim.faults.hold_pushes = True
    await sim.push_new_order(oid)
    await sim.push(*sim.user_cancel(oid))
    await sim.pusher.release(reverse=True)
    assert recv.by_id[oid].state is SourceOrderState.CANCELLED


async def test_confirm_reject_and_get(eleme_rig):
    sim, conn = eleme_rig.sim, eleme_rig.connector
    a, b = sim.new_order(), sim.new_order()
    await conn.confirm(a)
    assert (await conn.get_order(a)).state is SourceOrderState.CONFIRMED
    await conn.reject(b, "店铺太忙")
    assert sim.orders[b].doc["status"] == "invalid"
    with pytest.raises(SourceRejectedError):
        await conn.confirm(b)
    await conn.switch_to_self_delivery(a)
    assert sim.log.paths()[-1] == "eleme.order.deliveryBySelfLite"
    (got,) = await conn.mget_orders([a])
    assert got.source_order_id == a


async def test_self_delivery_sync_in_order(eleme_rig):
    sim, conn = eleme_rig.sim, eleme_rig.connector
    oid = sim.new_order()
    for status in (DeliveryStatus.ACCEPTED, DeliveryStatus.PICKED_UP, DeliveryStatus.DELIVERED):
        await conn.sync_back(change(oid, status))
    await conn.sync_position(change(oid, DeliveryStatus.PICKED_UP))
    assert sim.orders[oid].sync_states == [
        "startDeliveryBySelf",
        "DELIVERY_START",
        "selfDeliveryLocationSync",
        "completeDeliveryBySelf",
        "DELIVERY_COMPLETE",
        "selfDeliveryLocationSync",
    ]


async def test_sync_5xx_then_retry(eleme_rig):
    sim, conn = eleme_rig.sim, eleme_rig.connector
    oid = sim.new_order()
    sim.faults.sync_server_errors = 1
    with pytest.raises(SourceOutcomeUnknownError):
        await conn.sync_back(change(oid, DeliveryStatus.DELIVERED))
    await conn.sync_back(change(oid, DeliveryStatus.DELIVERED))
    assert sim.orders[oid].sync_states == ["completeDeliveryBySelf", "DELIVERY_COMPLETE"]


async def test_expired_token_then_refresh(eleme_rig):
    sim, conn = eleme_rig.sim, eleme_rig.connector
    oid = sim.new_order()
    sim.token_expired = True
    with pytest.raises(SourceAuthError):
        await conn.get_order(oid)
    access, refresh, expires_in = await conn.refresh_token()
    assert (access, refresh) == (sim.access_token, sim.refresh_token) and expires_in > 0
    assert (await conn.get_order(oid)).source_order_id == oid


async def test_rate_limit_and_stale_timestamp(eleme_rig):
    sim, conn = eleme_rig.sim, eleme_rig.connector
    sim.faults.rate_limited = 1
    with pytest.raises(SourceRateLimitedError):
        await conn.pull()
    sim.clock = type(eleme_rig.clock)(eleme_rig.clock.now().replace(year=2027))
    with pytest.raises(SourceAuthError):  # INVALID_TIMESTAMP
        await conn.confirm(sim.new_order())


async def test_url_check_push_is_answered(eleme_rig):
    async with httpx.AsyncClient(trust_env=False) as c:
        resp = await c.post(eleme_rig.push_url + "/push", content=b"")
    assert resp.json() == {"message": "ok"}


async def test_reservation_order(eleme_rig):
    sim = eleme_rig.sim
    oid = sim.new_order(book_ahead_s=7200)
    order = await eleme_rig.connector.get_order(oid)
    assert order.is_reservation
    assert order.expected_delivery_at is not None
    assert (order.expected_delivery_at - order.created_at).total_seconds() == 7200


async def test_platform_delivery_messages_mark_the_order_not_ours(eleme_rig):
    sim, recv = eleme_rig.sim, eleme_rig.receiver
    oid = sim.new_order()
    await sim.push_new_order(oid)
    assert recv.by_id[oid].dispatchable  # 自配送 by default (ASSUMED)
    await sim.push(52, {"orderId": oid, "state": "tobeAssignedCourier", "subState": "x"})
    assert recv.by_id[oid].fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    assert not recv.by_id[oid].dispatchable
