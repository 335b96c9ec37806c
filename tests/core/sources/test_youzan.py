"""有赞: the notes' Event-Sign vector, push parsing (URL-encoded ``msg``, ``msg_id``
dedupe, ``version``), and the connector against its simulator over loopback: paid
trade in, duplicate, drop recovered by 有赞's retry schedule, thin message read with
youzan.trade.get, close = cancel, token renewal, no sync-back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import pytest_asyncio

from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.sources.base import PushKind, PushRejected, PushRequest, SourceRejectedError
from app.core.sources.youzan import RULES, Connector, mapping, push
from app.core.sources.youzan.rules import YouzanOptions
from tests.core.sources.conftest import Rig, start_rig
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
OPTS = YouzanOptions()
CREDS = {"client_id": "cid", "client_secret": "csecret", "kdt_id": "1"}
VECTOR_BODY = b'{"client_id":"cid","id":"E2021","kdt_id":1,"msg":"%7B%7D","type":"trade_TradePaid"}'


def req(body: bytes, sign: str | None = None) -> PushRequest:
    sign = mapping.event_sign("cid", body, "csecret") if sign is None else sign
    return PushRequest("POST", "/api/v1/sources/youzan/push", {}, {"Event-Sign": sign}, body)


def test_event_sign_golden_vector():
    """shared/sources/wechat_miniprogram.md §2 dummy vector."""
    assert mapping.event_sign("cid", VECTOR_BODY, "csecret") == "91e15405c193eac10449356c7a09daac"


def test_vector_push_is_verified_and_a_thin_paid_message_asks_for_the_order():
    result = push.parse("push", req(VECTOR_BODY), CREDS, OPTS, NOW)
    (ev,) = result.events
    assert json.loads(result.reply_body) == {"code": 200, "msg": "success"}
    assert ev.kind is PushKind.STATE and ev.source_order_id == "E2021"
    assert ev.state is SourceOrderState.CONFIRMED
    assert ev.dedupe_key == "E2021:trade_TradePaid:"  # no msg_id: id + type + version


def test_wrong_sign_wrong_client_and_unknown_kind_are_refused():
    with pytest.raises(PushRejected) as e:
        push.parse("push", req(VECTOR_BODY, "0" * 32), CREDS, OPTS, NOW)
    assert e.value.reply_status == 403
    with pytest.raises(PushRejected):
        push.parse("push", req(VECTOR_BODY, ""), CREDS, OPTS, NOW)
    other = VECTOR_BODY.replace(b'"cid"', b'"cid2"')
    with pytest.raises(PushRejected):
        push.parse("push", req(other), CREDS, OPTS, NOW)
    with pytest.raises(PushRejected) as e:
        push.parse("order", req(VECTOR_BODY), CREDS, OPTS, NOW)
    assert e.value.reply_status == 404


def _full(tid: str, **info: object) -> dict[str, object]:
    return {
        "order_info": {
            "tid": tid,
            "status": "WAIT_SELLER_SEND_GOODS",
            "created": "2026-12-01 11:59:00",
            "pay_time": "2026-12-01 12:00:00",
            "express_type": 2,
            **info,
        },
        "address_info": {
            "receiver_name": "周小姐",
            "receiver_tel": "13900001111",
            "delivery_city": "上海市",
            "delivery_address": "南京东路 300 号",
            "address_extra": '{"lat":"31.233","lon":"121.476"}',
        },
        "pay_info": {"payment": "58.00", "total_fee": "53.00", "post_fee": "5.00"},
        "orders": [{"title": "咖啡", "num": 2, "price": "18.50", "outer_sku_id": "C-01"}],
        "remark_info": {"buyer_message": "少冰"},
    }


def test_full_order_info_in_msg_is_parsed_to_fen_gcj02_and_local_times():
    msg = quote(
        json.dumps({"tid": "E20261201000012345", "full_order_info": _full("E20261201000012345")})
    )
    doc = {
        "client_id": "cid",
        "id": "E20261201000012345",
        "kdt_id": 7,
        "msg": msg,
        "msg_id": "m-1",
        "type": "trade_TradePaid",
        "version": 3,
    }
    body = json.dumps(doc).encode()
    (ev,) = push.parse("push", req(body), CREDS, OPTS, NOW).events
    assert ev.kind is PushKind.ORDER and ev.dedupe_key == "m-1"
    o = ev.order
    assert o is not None
    assert o.state is SourceOrderState.CONFIRMED and o.fulfilment is FulfilmentMode.SELF_DELIVERY
    assert o.money.paid_total_fen == 5800 and o.money.delivery_fee_fen == 500
    assert o.items[0].unit_price_fen == 1850 and o.items[0].qty == 2
    assert (o.recipient.lat, o.recipient.lng) == (31.233, 121.476)
    assert o.recipient.address == "上海市南京东路 300 号" and o.note == "少冰"
    assert o.paid_at == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert o.display_label() == "有赞 #2345" and o.source_store_ref == "7"


@pytest.mark.parametrize(
    ("express", "mode"),
    [
        (0, FulfilmentMode.PLATFORM_DELIVERY),
        (1, FulfilmentMode.PICKUP),
        (2, FulfilmentMode.SELF_DELIVERY),
    ],
)
def test_express_type_decides_who_delivers(express, mode):
    o = mapping.parse_order(_full("E1", express_type=express), received=NOW)
    assert o.fulfilment is mode


def test_a_parcel_trade_is_not_an_order_for_jupei():
    full = _full("E5", express_type=0)
    msg = quote(json.dumps({"tid": "E5", "full_order_info": full}))
    doc = {"client_id": "cid", "id": "E5", "msg": msg, "msg_id": "p1", "type": "trade_TradePaid"}
    (ev,) = push.parse("push", req(json.dumps(doc).encode()), CREDS, OPTS, NOW).events
    assert ev.kind is PushKind.OTHER and ev.source_order_id == "E5"


def test_unpaid_create_and_close_messages():
    def event(mtype: str):
        doc = {"client_id": "cid", "id": "E9", "msg": "", "msg_id": mtype, "type": mtype}
        return push.parse("push", req(json.dumps(doc).encode()), CREDS, OPTS, NOW).events[0]

    assert event("trade_TradeCreate").kind is PushKind.OTHER
    closed = event("trade_TradeClose")
    assert closed.state is SourceOrderState.CANCELLED and closed.cancel_requested
    assert event("trade_TradeSuccess").state is SourceOrderState.COMPLETED


def test_rules_say_no_sync_back():
    assert RULES.syncs_back is False
    assert any("write-back" in u for u in RULES.unverified)


# ---------------------------------------------------------------------------- loopback
@pytest_asyncio.fixture
async def yz_rig() -> AsyncIterator[Rig]:
    from app.core.sandbox.sources.youzan import YouzanSim

    def factory(clock: FakeClock) -> YouzanSim:
        return YouzanSim(clock=clock)

    async for rig in start_rig(
        factory, Connector, dict(RULES.rehearsal_credentials), push_path="/api/v1/sources/youzan"
    ):
        rig.sim.push_base_url = rig.push_url  # type: ignore[attr-defined]
        yield rig


@pytest.mark.integration
@pytest.mark.asyncio
async def test_paid_trade_in_and_duplicate_creates_nothing(yz_rig):
    sim, recv = yz_rig.sim, yz_rig.receiver
    tid = sim.new_order()
    sim.faults.duplicate_pushes = 1
    assert await sim.push_paid(tid)
    assert list(recv.by_id) == [tid] and recv.duplicates == 1
    o = recv.by_id[tid]
    assert o.state is SourceOrderState.CONFIRMED and o.money.paid_total_fen == 5800
    assert o.recipient.phones[0].number == "13900001111"
    assert all(d.accepted for d in sim.log.deliveries)


@pytest.mark.integration
@pytest.mark.asyncio
async def test_dropped_push_comes_back_on_the_retry_schedule_with_a_new_signature(yz_rig):
    sim, recv, clock = yz_rig.sim, yz_rig.receiver, yz_rig.clock
    tid = sim.new_order()
    sim.faults.drop_pushes = 1
    assert not await sim.push_paid(tid)
    assert recv.by_id == {}
    assert await sim.retry_due() == 0  # not due before 5 s
    clock.advance(5)
    assert await sim.retry_due() == 1
    assert list(recv.by_id) == [tid]


@pytest.mark.integration
@pytest.mark.asyncio
async def test_a_listener_that_stays_down_gets_four_re_pushes_then_none(yz_rig):
    sim, recv, clock = yz_rig.sim, yz_rig.receiver, yz_rig.clock
    recv.down = True
    tid = sim.new_order()
    assert not await sim.push_paid(tid)
    for wait in (5, 320, 1280, 7200):
        clock.advance(wait - 1)
        assert await sim.retry_due() == 0 and len(sim.log.deliveries) in (1, 2, 3, 4)
        clock.advance(1)
        await sim.retry_due()
    assert len(sim.log.deliveries) == 5 and sim.retries.given_up == [
        sim.log.deliveries[0].fields["msg_id"]
    ]
    assert sim.retries.pending == []


@pytest.mark.integration
@pytest.mark.asyncio
async def test_thin_message_reads_the_trade_with_a_token_and_close_cancels(yz_rig):
    sim, recv, conn = yz_rig.sim, yz_rig.receiver, yz_rig.connector
    sim.thin_messages = True
    tid = sim.new_order()
    assert await sim.push_paid(tid)
    assert recv.by_id[tid].money.paid_total_fen == 5800
    assert sim.log.paths() == ["auth/token", "youzan.trade.get/4.0.0"]
    sim.expire_tokens()  # the next read renews the token once
    (again,) = await conn.refresh([tid])
    assert again.source_order_id == tid
    assert sim.log.paths()[-2:] == ["auth/token", "youzan.trade.get/4.0.0"]
    assert await sim.cancel(tid)
    assert recv.by_id[tid].state is SourceOrderState.CANCELLED
    assert await conn.pull() == []
    with pytest.raises(SourceRejectedError):
        await conn.reject(tid, "缺货")


def test_the_hub_verifies_a_youzan_push_with_the_app_secret_only():
    """The hub holds only ``hub.sources.youzan.app_secret``: the client_id comes from
    the signed body, the store (kdt_id) routes the push."""
    from app.hub.relay import Relay

    relay = Relay({"youzan": "csecret"}, FakeClock(NOW), "https://hub.example.cn")
    doc = {
        "client_id": "cid",
        "id": "E7",
        "kdt_id": 46110001,
        "msg": "",
        "msg_id": "m9",
        "type": "trade_TradeClose",
    }
    body = json.dumps(doc).encode()
    v = relay.verify("youzan", "push", req(body), "https://hub.example.cn")
    assert (v.store_ref, v.source_order_id) == ("46110001", "E7") and "m9" in v.dedupe_key
    with pytest.raises(PushRejected):
        relay.verify("youzan", "push", req(body, "0" * 32), "https://hub.example.cn")
