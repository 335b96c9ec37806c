"""抖音来客: the notes' X-Douyin-Signature vector, the verify_webhook challenge, Msg-Id
dedupe, and the connector against its simulator over loopback: pay_success in, 101 接单,
fulfilment statuses 200 → 201 → 202 → 203 → 500 in order with rider_info, never a
cancel sync, out-of-order refused, platform rider messages, refund = cancel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    PushKind,
    PushRejected,
    PushRequest,
    SourceOutcomeUnknownError,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.douyin import RULES, Connector, mapping, push
from app.core.sources.douyin.rules import DouyinOptions
from tests.core.sources.conftest import Rig, start_rig
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
OPTS = DouyinOptions()
CREDS = {"client_key": "abc", "client_secret": "dy_secret"}
VECTOR_BODY = b'{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}'
S = DeliveryStatus


def req(body: bytes, sign: str | None = None, msg_id: str = "") -> PushRequest:
    sign = mapping.signature("dy_secret", body) if sign is None else sign
    headers = {"X-Douyin-Signature": sign, "Msg-Id": msg_id, "Content-Type": "application/json"}
    return PushRequest("POST", "/api/v1/sources/douyin/webhook", {}, headers, body)


def test_signature_golden_vector():
    """shared/sources/wechat_miniprogram.md §3 dummy vector."""
    assert mapping.signature("dy_secret", VECTOR_BODY) == "24b9540c6ebbc4272b672df761870fa113b65936"


def test_vector_challenge_is_answered_with_the_challenge():
    result = push.parse("webhook", req(VECTOR_BODY), CREDS, OPTS, NOW)
    assert result.events[0].kind is PushKind.HEARTBEAT
    assert json.loads(result.reply_body) == {"challenge": 12345}


def test_bad_or_missing_signature_is_refused():
    for sign in ("0" * 40, ""):
        with pytest.raises(PushRejected) as e:
            push.parse("webhook", req(VECTOR_BODY, sign), CREDS, OPTS, NOW)
        assert e.value.reply_status == 403
    with pytest.raises(PushRejected):
        push.parse("order", req(VECTOR_BODY), CREDS, OPTS, NOW)


def _body(event: str, content: dict[str, object]) -> bytes:
    doc = {"event": event, "client_key": "abc", "content": json.dumps(content), "log_id": "L1"}
    return json.dumps(doc).encode()


def test_pay_success_is_a_new_order_in_fen_keyed_by_msg_id():
    order = {
        "order_id": "1080000000000012345",
        "pay_amount": 6400,
        "original_amount": 7200,
        "create_time": 1764561540,
        "pay_time": 1764561600,
        "poi_id": "P1",
        "receiver_info": {
            "name": "陈",
            "phone": "13700002222",
            "address": "南京东路",
            "latitude": 31.233,
            "longitude": 121.476,
        },
    }
    body = _body("life_trade_order_notify", {"action": "pay_success", "order": order})
    (ev,) = push.parse("webhook", req(body, msg_id="M-1"), CREDS, OPTS, NOW).events
    assert ev.kind is PushKind.ORDER and ev.dedupe_key == "M-1"
    o = ev.order
    assert o is not None and o.state is SourceOrderState.NEW
    assert o.money.paid_total_fen == 6400 and o.money.original_total_fen == 7200
    assert o.paid_at == datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
    assert o.display_label() == "抖音 #2345" and o.source_store_ref == "P1"
    assert (o.recipient.lat, o.recipient.lng) == (31.233, 121.476)


def test_delivery_change_platform_rider_and_our_own_echo():
    content = {"order_id": "1", "delivery_status": 103, "from_third": False}
    (ev,) = push.parse(
        "webhook", req(_body("life_takeout_delivery_change", content)), CREDS, OPTS, NOW
    ).events
    assert ev.kind is PushKind.DELIVERY and ev.platform_status is S.AT_PICKUP
    assert ev.fulfilment is FulfilmentMode.PLATFORM_DELIVERY
    content["from_third"] = True
    (ev,) = push.parse(
        "webhook", req(_body("life_takeout_delivery_change", content)), CREDS, OPTS, NOW
    ).events
    assert ev.kind is PushKind.OTHER


def test_fulfil_body_has_rider_info_only_for_201_to_203():
    change = SyncBack("9", "jp-1", S.ACCEPTED, "dada", "DD1", "李四", "13900000000", 31.2, 121.4)
    creds = {"ma_app_id": "tt1"}
    body = mapping.fulfil_body(creds, "9", 201, NOW, OPTS, change)
    assert body["rider_info"] == {
        "rider_name": "李四",
        "rider_phone": "13900000000",
        "rider_latitude": "31.200000",
        "rider_longitude": "121.400000",
    }
    assert body["timestamp"] == 1796097600 and body["out_fulfill_order_id"] == "DD1"
    assert "rider_info" not in mapping.fulfil_body(creds, "9", 500, NOW, OPTS, change)


# ---------------------------------------------------------------------------- loopback
@pytest_asyncio.fixture
async def dy_rig() -> AsyncIterator[Rig]:
    from app.core.sandbox.sources.douyin import DouyinSim

    def factory(clock: FakeClock) -> DouyinSim:
        return DouyinSim(clock=clock)

    async for rig in start_rig(
        factory, Connector, dict(RULES.rehearsal_credentials), push_path="/api/v1/sources/douyin"
    ):
        rig.sim.push_base_url = rig.push_url  # type: ignore[attr-defined]
        yield rig


def change(oid: str, status: DeliveryStatus, attempt: str = "jp-1") -> SyncBack:
    return SyncBack(oid, attempt, status, "dada", "DD1", "李四", "13900000000", 31.2, 121.4)


@pytest.mark.integration
@pytest.mark.asyncio
async def test_challenge_pay_duplicate_and_refund(dy_rig):
    sim, recv = dy_rig.sim, dy_rig.receiver
    assert await sim.verify(67890)
    assert recv.by_id == {}
    oid = sim.new_order()
    sim.faults.duplicate_pushes = 1
    assert await sim.push_paid(oid)
    assert list(recv.by_id) == [oid] and recv.duplicates == 1
    assert recv.by_id[oid].state is SourceOrderState.NEW
    assert await sim.cancel(oid)
    o = recv.by_id[oid]
    assert o.state is SourceOrderState.CANCELLED and o.cancel_requested


@pytest.mark.integration
@pytest.mark.asyncio
async def test_confirm_then_statuses_in_order_and_never_a_cancel(dy_rig):
    sim, conn = dy_rig.sim, dy_rig.connector
    oid = sim.new_order()
    await sim.push_paid(oid)
    await conn.confirm(oid)
    for st in (S.ACCEPTED, S.AT_PICKUP, S.PICKED_UP, S.AT_DROPOFF, S.PICKED_UP, S.DELIVERED):
        await conn.sync_back(change(oid, st))
    await conn.sync_back(change(oid, S.CANCELLED))
    assert sim.orders[oid].statuses == [101, 200, 201, 202, 203, 500]
    assert [r["rider_name"] for r in sim.orders[oid].riders] == ["李四"] * 3
    assert sim.log.rejected == []
    assert sim.log.paths().count("oauth/client_token/") == 1  # the token is reused


@pytest.mark.integration
@pytest.mark.asyncio
async def test_out_of_order_is_refused_and_a_busy_platform_is_retryable(dy_rig):
    sim, conn = dy_rig.sim, dy_rig.connector
    oid = sim.new_order()
    await sim.push_paid(oid)
    await conn.confirm(oid)
    await conn.sync_back(change(oid, S.PICKED_UP))
    with pytest.raises(SourceRejectedError):  # a re-dispatch after pickup: 201 after 203
        await conn.sync_back(change(oid, S.ACCEPTED, "jp-2"))
    assert "请按顺序推送" in sim.log.rejected[-1][1]
    sim.faults.sync_server_errors = 1
    with pytest.raises(SourceOutcomeUnknownError):
        await conn.sync_back(change(oid, S.DELIVERED))
    await conn.sync_back(change(oid, S.DELIVERED))
    assert sim.orders[oid].statuses == [101, 203, 500]


@pytest.mark.integration
@pytest.mark.asyncio
async def test_expired_token_is_renewed_once_and_reject_is_102(dy_rig):
    sim, conn = dy_rig.sim, dy_rig.connector
    oid = sim.new_order()
    await sim.push_paid(oid)
    await conn.confirm(oid)
    sim.expire_tokens()
    await conn.sync_back(change(oid, S.ACCEPTED))
    assert sim.log.paths().count("oauth/client_token/") == 2
    other = sim.new_order()
    await sim.push_paid(other)
    await conn.reject(other, "打烊了")
    assert sim.orders[other].statuses == [102]


@pytest.mark.integration
@pytest.mark.asyncio
async def test_dropped_webhook_is_retried_three_times_then_lost(dy_rig):
    sim, recv, clock = dy_rig.sim, dy_rig.receiver, dy_rig.clock
    oid = sim.new_order()
    sim.faults.drop_pushes = 1
    assert not await sim.push_paid(oid)
    clock.advance(5)
    assert await sim.retry_due() == 1 and list(recv.by_id) == [oid]
    recv.down = True
    lost = sim.new_order()
    assert not await sim.push_paid(lost)
    for _ in range(3):
        clock.advance(5)
        await sim.retry_due()
    assert sim.retries.given_up == [f"{lost}-pay_success"] and lost not in recv.by_id


@pytest.mark.integration
@pytest.mark.asyncio
async def test_platform_rider_messages_mark_platform_delivery(dy_rig):
    sim, recv = dy_rig.sim, dy_rig.receiver
    oid = sim.new_order()
    await sim.push_paid(oid)
    assert recv.by_id[oid].fulfilment is FulfilmentMode.SELF_DELIVERY
    await sim.rider(oid, 102, from_third=True)  # our own report echoed: nothing changes
    assert recv.by_id[oid].fulfilment is FulfilmentMode.SELF_DELIVERY
    await sim.rider(oid, 102)
    assert recv.by_id[oid].fulfilment is FulfilmentMode.PLATFORM_DELIVERY


def test_the_hub_verifies_a_douyin_webhook_with_the_app_secret_only():
    from app.hub.relay import Relay

    relay = Relay({"douyin": "dy_secret"}, FakeClock(NOW), "https://hub.example.cn")
    order = {"order_id": "1080000000000012345", "pay_amount": 100, "poi_id": "P1"}
    body = _body("life_trade_order_notify", {"action": "pay_success", "order": order})
    v = relay.verify("douyin", "webhook", req(body, msg_id="M-7"), "https://hub.example.cn")
    assert v.store_ref == "P1" and v.dedupe_key == "webhook|M-7"
    rider = _body(
        "life_takeout_delivery_change", {"order_id": "1", "poi_id": "P2", "delivery_status": 102}
    )
    assert relay.verify("douyin", "webhook", req(rider, msg_id="M-8"), "x").store_ref == "P2"
    challenge = relay.verify("douyin", "webhook", req(VECTOR_BODY), "x")
    assert json.loads(challenge.result.reply_body) == {"challenge": 12345}


@pytest.mark.integration
@pytest.mark.asyncio
async def test_a_refund_for_an_order_never_received_is_passed_over(dy_rig):
    sim, recv = dy_rig.sim, dy_rig.receiver
    oid = sim.new_order()  # its pay_success never came
    assert await sim.cancel(oid)  # answered ok: Douyin does not retry it
    assert recv.by_id == {}
