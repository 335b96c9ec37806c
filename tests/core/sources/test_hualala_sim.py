"""哗啦啦 connector against its simulator over loopback: pull (paged, repeat-safe), 接单
and 拒单, a cancel in the POS seen by the next pull, the delivery status with the
rider in order, a wrong secret refused, faults."""

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
from app.core.sources.hualala import Connector

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
S = DeliveryStatus


def change(oid: str, status: DeliveryStatus) -> SyncBack:
    return SyncBack(oid, "jp-2-1", status, "dada", "DD2", "李四", "13900000000", 31.23, 121.47)


async def test_pull_finds_orders_page_by_page_and_a_repeat_creates_nothing(hualala_rig):
    sim, recv, conn = hualala_rig.sim, hualala_rig.receiver, hualala_rig.connector
    keys = [sim.new_order() for _ in range(3)]
    paged = Connector(conn.ctx.__class__(**{**_ctx(hualala_rig), "options": {"page_size": 2}}))
    pulled = await paged.pull()
    assert [o.source_order_id for o in pulled] == keys
    assert [c.params["pageNo"] for c in sim.log.calls] == [1, 2]
    for o in pulled + await conn.pull(known=set(keys)):
        recv.put(o)
    assert sorted(recv.by_id) == sorted(keys)
    assert recv.by_id[keys[0]].display_label() == "哗啦啦 #1"
    assert recv.by_id[keys[0]].state is SourceOrderState.NEW
    assert sim.log.rejected == []


async def test_confirm_reject_and_a_cancel_seen_by_the_pull(hualala_rig):
    sim, conn = hualala_rig.sim, hualala_rig.connector
    a, b = sim.new_order(), sim.new_order()
    await conn.confirm(a)
    await conn.reject(b, "太忙")
    assert (await conn.get_order(a)).state is SourceOrderState.CONFIRMED
    assert (await conn.get_order(b)).state is SourceOrderState.CANCELLED
    with pytest.raises(SourceRejectedError):  # already handled
        await conn.confirm(a)
    sim.cancel(a)
    (fresh,) = [o for o in await conn.pull() if o.source_order_id == a]
    assert fresh.state is SourceOrderState.CANCELLED
    assert [o.state for o in await conn.refresh([a, "H-nope"])] == [SourceOrderState.CANCELLED]


async def test_delivery_status_in_order_with_the_rider(hualala_rig):
    sim, conn = hualala_rig.sim, hualala_rig.connector
    key = sim.new_order()
    await conn.confirm(key)
    for status in (S.ACCEPTED, S.AT_PICKUP, S.PICKED_UP, S.DELIVERED):
        await conn.sync_back(change(key, status))
    assert sim.orders[key].statuses == [20, 21, 22, 30, 40]
    assert sim.orders[key].updates[1]["shipperInfoVo"]["shipperName"] == "李四"
    with pytest.raises(SourceRejectedError):  # nothing after 已送达
        await conn.sync_back(change(key, S.CANCELLED))
    assert (await conn.get_order(key)).state is SourceOrderState.COMPLETED


async def test_wrong_secret_is_auth_and_server_errors_are_outcome_unknown(hualala_rig):
    sim, conn = hualala_rig.sim, hualala_rig.connector
    key = sim.new_order()
    sim.faults.sync_server_errors = 1
    with pytest.raises(SourceOutcomeUnknownError):
        await conn.sync_back(change(key, S.ACCEPTED))
    await conn.sync_back(change(key, S.ACCEPTED))  # the outbox's retry
    sim.secret = "rotated"
    with pytest.raises(SourceAuthError):
        await conn.pull()
    with pytest.raises(SourceAuthError):
        await conn.probe()


async def test_test_connection_counts_todays_orders(hualala_rig):
    hualala_rig.sim.new_order()
    zh, en = await hualala_rig.connector.probe()
    assert "今日订单 1 个" in zh and "1 orders today" in en


def _ctx(rig) -> dict:
    c = rig.connector.ctx
    return {f: getattr(c, f) for f in c.__dataclass_fields__}
