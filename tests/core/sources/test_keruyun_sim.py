"""客如云 connector against its simulator over loopback: signed delivery requests and
cancels pushed to JuPei, duplicates, the status push in order with rider fields, both
signing variants the notes leave open, faults."""

from __future__ import annotations

import pytest

from app.core.domain.source_order import SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    SourceAuthError,
    SourceOutcomeUnknownError,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.keruyun import Connector
from app.core.sources.keruyun.rules import KeruyunOptions

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
S = DeliveryStatus


def change(oid: str, status: DeliveryStatus, rider: str = "李四") -> SyncBack:
    return SyncBack(oid, "jp-2-1", status, "dada", "DD2", rider, "13900000000", 31.23, 121.47)


async def test_delivery_request_is_stored_once_and_cancel_is_applied(keruyun_rig):
    sim, recv = keruyun_rig.sim, keruyun_rig.receiver
    oid = sim.new_order(privacy=True)
    sim.faults.duplicate_pushes = 1
    assert await sim.push_new_order(oid)
    assert list(recv.by_id) == [oid] and recv.duplicates == 1
    assert [d.accepted for d in sim.log.deliveries] == [True, True]
    order = recv.by_id[oid]
    assert order.display_label() == "客如云 #1" and order.state is SourceOrderState.CONFIRMED
    assert await sim.push("status", sim.merchant_cancel(oid))
    assert recv.by_id[oid].state is SourceOrderState.CANCELLED
    assert recv.by_id[oid].cancel_requested


async def test_cancel_of_an_unknown_request_is_acknowledged_and_ignored(keruyun_rig):
    sim, recv = keruyun_rig.sim, keruyun_rig.receiver
    oid = sim.new_order()  # never pushed
    assert await sim.push("status", sim.merchant_cancel(oid))  # 客如云 stops on a bad reply
    assert recv.by_id == {}


async def test_badly_signed_push_is_refused_and_changes_nothing(keruyun_rig):
    sim, recv = keruyun_rig.sim, keruyun_rig.receiver
    oid = sim.new_order()
    sim.token = "not-the-token"
    assert not await sim.push_new_order(oid)
    assert recv.by_id == {} and recv.rejected == 1
    assert sim.log.deliveries[-1].status == 403


async def test_status_push_in_order_with_rider_fields(keruyun_rig):
    sim, conn = keruyun_rig.sim, keruyun_rig.connector
    oid = sim.new_order()
    for status in (S.ACCEPTED, S.AT_PICKUP, S.PICKED_UP, S.AT_DROPOFF, S.DELIVERED):
        await conn.sync_back(change(oid, status))
    assert sim.orders[oid].statuses == [2, 100, 3, 3, 4]
    assert sim.log.rejected == []
    first = sim.orders[oid].reports[0]
    assert first["deliverer"] == "李四" and first["tpOrderId"] == "DD2"
    with pytest.raises(SourceRejectedError):  # nothing after 已送达
        await conn.sync_back(change(oid, S.CANCELLED))


async def test_cancel_then_redispatch_and_reject(keruyun_rig):
    sim, conn = keruyun_rig.sim, keruyun_rig.connector
    oid = sim.new_order()
    await conn.sync_back(change(oid, S.CANCELLED, rider=""))  # before any rider
    await conn.sync_back(change(oid, S.ACCEPTED))  # the next carrier (ASSUMED accepted)
    assert sim.orders[oid].statuses == [5, 2]
    other = sim.new_order()
    await conn.reject(other, "太忙")
    assert sim.orders[other].reports[-1]["cancelCode"] == 3


async def test_unknown_order_is_not_found(keruyun_rig):
    with pytest.raises(SourceRejectedError) as e:
        await keruyun_rig.connector.sync_back(change("404", S.ACCEPTED))
    assert type(e.value).__name__ == "SourceNotFoundError"
    assert await keruyun_rig.connector.pull() == []


@pytest.mark.parametrize(
    ("options", "sim_body_key", "sim_unit", "ok"),
    [
        ({"sign_version": "2.0"}, False, "", True),
        ({"sign_version": "2.0", "v2_body_key": True}, True, "", True),
        ({"sign_version": "2.0", "v2_body_key": True}, False, "", False),
        ({"timestamp_unit": "ms"}, False, "ms", True),
        ({"timestamp_unit": "s"}, False, "ms", False),
    ],
)
async def test_signing_variants_the_notes_leave_open(
    keruyun_rig, options, sim_body_key, sim_unit, ok
):
    """The simulator can be either 客如云 (v2 with or without 'body'; s or ms): the
    connector option that matches it is accepted, the other refused as auth."""
    sim, rig = keruyun_rig.sim, keruyun_rig
    sim.v2_body_key, sim.timestamp_unit = sim_body_key, sim_unit
    conn = Connector(rig.connector.ctx.__class__(**{**_ctx(rig), "options": options}))
    assert conn.opts == KeruyunOptions.from_mapping(options)
    oid = sim.new_order()
    if ok:
        await conn.sync_back(change(oid, S.ACCEPTED))
        assert sim.orders[oid].statuses == [2]
    else:
        with pytest.raises(SourceAuthError):
            await conn.sync_back(change(oid, S.ACCEPTED))


async def test_v2_pushes_with_millisecond_timestamps_are_accepted(keruyun_rig):
    sim, recv = keruyun_rig.sim, keruyun_rig.receiver
    sim.push_version, sim.push_timestamp_unit = "2.0", "ms"
    oid = sim.new_order()
    assert await sim.push_new_order(oid)
    assert oid in recv.by_id


async def test_server_errors_are_outcome_unknown(keruyun_rig):
    sim, conn = keruyun_rig.sim, keruyun_rig.connector
    oid = sim.new_order()
    sim.faults.sync_server_errors = 1
    with pytest.raises(SourceOutcomeUnknownError):
        await conn.sync_back(change(oid, S.ACCEPTED))
    await conn.sync_back(change(oid, S.ACCEPTED))  # the outbox's retry
    assert sim.orders[oid].statuses == [2]


def _ctx(rig) -> dict:
    c = rig.connector.ctx
    return {f: getattr(c, f) for f in c.__dataclass_fields__}


async def test_test_connection_uses_the_sign_test_call(keruyun_rig):
    sim, conn = keruyun_rig.sim, keruyun_rig.connector
    zh, en = await conn.probe()
    assert zh.startswith("连接成功") and "Connected" in en
    assert sim.log.paths() == ["open/v1/signTest"]
    sim.token = "rotated"
    with pytest.raises(SourceAuthError):
        await conn.probe()
