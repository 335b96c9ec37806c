"""美团外卖 connector against its simulator over loopback: the day_seq pull, confirm and
reject, the sync-back sequence, faults, and pushes (duplicate, dropped, out of order,
badly signed, double-encoded)."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from app.core.domain.source_order import FulfilmentMode, PhoneKind, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    SourceAuthError,
    SourceOutcomeUnknownError,
    SourceRateLimitedError,
    SourceRejectedError,
    SourceUnavailableError,
    SyncBack,
)
from app.core.sources.meituan import Connector

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def change(oid: str, status: DeliveryStatus, **kw: object) -> SyncBack:
    base: dict[str, object] = dict(
        source_order_id=oid,
        attempt_id="jp-1-1",
        status=status,
        carrier="dada",
        carrier_order_id="DD1",
        rider_name="李四",
        rider_phone="13900000000",
        lat=39.9,
        lng=116.4,
    )
    base.update(kw)
    return SyncBack(**base)  # type: ignore[arg-type]


async def test_pull_scans_day_seq_then_reads_each_new_order_once(mt_rig):
    sim = mt_rig.sim
    ids = [sim.new_order() for _ in range(3)]
    got = await mt_rig.connector.pull()
    assert [o.source_order_id for o in got] == ids
    assert [o.display_label() for o in got] == ["美团 #1", "美团 #2", "美团 #3"]
    assert (
        sim.log.paths()
        == ["order/getOrderDaySeq"]
        + [
            "order/getOrderIdByDaySeq",
            "order/getOrderDetail",
        ]
        * 3
    )
    fourth = sim.new_order()
    sim.log.calls.clear()
    again = await mt_rig.connector.pull()
    assert [o.source_order_id for o in again] == [fourth]
    assert sim.log.paths().count("order/getOrderIdByDaySeq") == 1


async def test_known_orders_skip_the_detail_call(mt_rig):
    a = mt_rig.sim.new_order()
    b = mt_rig.sim.new_order()
    got = await mt_rig.connector.pull(known={a})
    assert [o.source_order_id for o in got] == [b]
    assert mt_rig.sim.log.paths().count("order/getOrderDetail") == 1


async def test_day_seq_rolls_over_at_midnight(mt_rig):
    clock, sim = mt_rig.clock, mt_rig.sim
    clock.advance(11 * 3600 + 50 * 60)  # 23:50 local
    late = sim.new_order()
    assert [o.display_no for o in await mt_rig.connector.pull()] == [1]
    clock.advance(20 * 60)  # 00:10 next day: yesterday is scanned too
    early = sim.new_order()
    got = await mt_rig.connector.pull()
    assert [(o.source_order_id, o.display_no) for o in got] == [(early, 1)]
    assert early != late


async def test_scenarios_privacy_reservation_platform_delivery(mt_rig):
    sim = mt_rig.sim
    sim.new_order(privacy=True, reservation_s=3600)
    sim.new_order(logistics_code="1001")
    sim.new_order(pick_type=1, incmp_code=-1)
    private, platform, pickup = await mt_rig.connector.pull()
    assert [p.kind for p in private.recipient.phones] == [PhoneKind.VIRTUAL, PhoneKind.VIRTUAL]
    assert private.is_reservation and private.expected_delivery_at is not None
    assert (private.recipient.lat, private.recipient.lng) == (39.9075, 116.46)
    assert platform.fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    assert pickup.fulfilment is FulfilmentMode.PICKUP and pickup.data_degraded


async def test_confirm_and_reject(mt_rig):
    sim, conn = mt_rig.sim, mt_rig.connector
    a, b = sim.new_order(), sim.new_order()
    await conn.confirm(a)
    assert sim.orders[a].fields["status"] == 4
    assert await conn.view_status(a) == 4
    assert (await conn.get_order(a)).state is SourceOrderState.CONFIRMED
    await conn.reject(b, "店铺太忙")
    assert sim.orders[b].fields["status"] == 9
    assert sim.log.calls[-1].params["reason_code"] == "2007"
    with pytest.raises(SourceRejectedError):
        await conn.confirm(b)
    await conn.switch_to_self_delivery(a)
    assert sim.log.paths()[-1] == "order/logistics/change/poi_self"


async def test_sync_back_sequence_and_redispatch(mt_rig):
    sim, conn = mt_rig.sim, mt_rig.connector
    oid = sim.new_order()
    for status in (DeliveryStatus.ACCEPTED, DeliveryStatus.AT_PICKUP, DeliveryStatus.PICKED_UP):
        await conn.sync_back(change(oid, status))
    await conn.sync_back(change(oid, DeliveryStatus.CANCELLED))
    await conn.sync_back(
        change(oid, DeliveryStatus.ACCEPTED, carrier="shansong", carrier_order_id="SS9")
    )
    await conn.sync_back(
        change(oid, DeliveryStatus.DELIVERED, carrier="shansong", carrier_order_id="SS9")
    )
    await conn.sync_back(change(oid, DeliveryStatus.PENDING_ACCEPT, rider_phone=""))  # nothing sent
    assert sim.orders[oid].syncs == [10, 15, 20, 100, 10, 40]
    last = sim.log.calls[-1].params
    assert (last["third_carrier_order_id"], last["logistics_provider_code"]) == ("SS9", "10003")


async def test_sync_back_5xx_is_outcome_unknown_then_succeeds(mt_rig):
    sim, conn = mt_rig.sim, mt_rig.connector
    oid = sim.new_order()
    sim.faults.sync_server_errors = 1
    with pytest.raises(SourceOutcomeUnknownError):
        await conn.sync_back(change(oid, DeliveryStatus.ACCEPTED))
    await conn.sync_back(change(oid, DeliveryStatus.ACCEPTED))
    assert sim.orders[oid].syncs == [10]


async def test_rate_limit_and_server_error_on_reads(mt_rig):
    mt_rig.sim.faults.rate_limited = 1
    with pytest.raises(SourceRateLimitedError):
        await mt_rig.connector.pull()
    mt_rig.sim.faults.server_errors = 1
    with pytest.raises(SourceUnavailableError):
        await mt_rig.connector.latest_day_seq()


async def test_wrong_secret_is_an_auth_error(mt_rig):
    ctx = mt_rig.connector.ctx
    bad = Connector(replace(ctx, credentials={**ctx.credentials, "app_secret": "nope"}))
    with pytest.raises(SourceAuthError):
        await bad.latest_day_seq()


# ------------------------------------------------------------------ pushes
async def test_push_is_stored_and_a_duplicate_creates_nothing(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    oid = sim.new_order(privacy=True)
    sim.faults.duplicate_pushes = 1
    assert await sim.push_order(oid)
    assert [d.accepted for d in sim.log.deliveries] == [True, True]
    assert list(recv.by_id) == [oid] and recv.duplicates == 1
    assert recv.by_id[oid].display_label() == "美团 #1"


async def test_dropped_push_is_recovered_by_the_pull(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    oid = sim.new_order()
    sim.faults.drop_pushes = 1
    assert not await sim.push_order(oid)
    assert recv.by_id == {}
    for o in await mt_rig.connector.pull(known=set(recv.by_id)):
        recv.put(o)
    assert list(recv.by_id) == [oid]


async def test_out_of_order_cancel_before_order_ends_cancelled(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    oid = sim.new_order()
    sim.faults.hold_pushes = True
    await sim.push_order(oid)
    await sim.push("cancel", sim.user_cancel(oid))
    await sim.pusher.release(reverse=True)  # cancel arrives first
    assert all(d.accepted for d in sim.log.deliveries)
    order = recv.by_id[oid]
    assert order.state is SourceOrderState.CANCELLED and order.cancel_requested


async def test_refund_agree_push_cancels(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    oid = sim.new_order()
    await sim.push_order(oid)
    await sim.push("refund", sim.refund(oid, "apply"))
    assert recv.by_id[oid].state is SourceOrderState.NEW
    await sim.push("refund", sim.refund(oid, "agree"))
    assert recv.by_id[oid].state is SourceOrderState.CANCELLED


async def test_badly_signed_push_is_refused_and_changes_nothing(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    oid = sim.new_order()
    sim.secret = "not-the-app-secret"
    assert not await sim.push_order(oid)
    (d,) = sim.log.deliveries
    assert d.status == 400 and b'"ng"' in d.body
    assert recv.by_id == {} and recv.rejected == 1


async def test_double_encoded_push_verifies_through_the_fallback(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    sim.sig_mode = "full"
    oid = sim.new_order()
    assert await sim.push_order(oid)
    order = recv.by_id[oid]
    assert order.items[0].name == "宫保鸡丁"
    assert order.recipient.address_geocoded == "北京市朝阳区建国路88号"


async def test_heartbeat_push(mt_rig):
    async with httpx.AsyncClient(trust_env=False) as c:
        resp = await c.post(mt_rig.push_url + "/order", content=b"")
    assert resp.json() == {"data": "ok"}


async def test_a_push_answered_wrongly_is_retried_by_the_platform(mt_rig):
    sim, recv = mt_rig.sim, mt_rig.receiver
    oid = sim.new_order()
    recv.down = True
    assert not await sim.push_order(oid)
    assert sim.log.deliveries[-1].status == 503
    recv.down = False
    assert await sim.pusher.retry_failed() == 1  # the same signed bytes, again
    assert list(recv.by_id) == [oid]
