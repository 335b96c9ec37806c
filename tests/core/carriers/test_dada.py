"""Dada adapter: worked signature examples, golden requests, parsing, error mapping, and
the whole flow against the Dada sandbox over loopback."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from app.core.carriers.base import (
    AuthError,
    CallbackRejected,
    CallbackRequest,
    RejectedError,
)
from app.core.carriers.dada import RULES, Adapter, mapping
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus, Order
from app.core.sandbox import dada as dada_sandbox
from app.core.sandbox.engine import SandboxEngine, Scenario, SimState
from tests.core.carriers.kit import ORDERS, STORES, Golden, MockHttp, golden_adapter
from tests.core.carriers.kit import attempt as kit_attempt
from tests.core.carriers.kit import canned as kit_canned
from tests.fakes.clock import FakeClock

CREDS = RULES.rehearsal_credentials
STORE = STORES["dada"]
T0 = ORDERS["dada"].created_at


def make_order(note: str = "少放辣") -> Order:
    return replace(ORDERS["dada"], note=note)


def attempt(key: str = "JP1001-1", **kw: Any) -> DeliveryAttempt:
    return kit_attempt("dada", key, **kw)


# ------------------------------------------------------------------ worked examples
def test_request_signature_worked_example():
    params = {
        "app_key": "test_key",
        "body": '{"order_id":"A1001"}',
        "format": "json",
        "source_id": "73753",
        "timestamp": "1700000000",
        "v": "1.0",
    }
    assert mapping.sign("test_secret", params) == "4C243F9F7BAFB7041E6958F0A5A47832"


def test_callback_signature_worked_example():
    sig = mapping.callback_signature("123456789", "A1001", "1700000100")
    assert sig == "3cdfa57ff129d27546c1200ce090961f"


def test_empty_body_knob_changes_plaintext():
    params = {
        "app_key": "k",
        "body": "",
        "format": "json",
        "source_id": "1",
        "timestamp": "1",
        "v": "1.0",
    }
    assert mapping.sign("s", params) != mapping.sign("s", params, keep_empty=False)


def test_adapter_satisfies_protocol_and_registry():
    from app.core.carriers import registry
    from app.core.carriers.base import CarrierAdapter

    a, *_ = recorded_adapter(None)
    assert isinstance(a, CarrierAdapter) and a.rules is RULES
    assert registry.rules("dada") is RULES and RULES.unverified
    assert set(RULES.rehearsal_credentials) == set(RULES.credential_keys)


# ------------------------------------------------------------------ golden requests
def recorded_adapter(result: object = None) -> tuple[Adapter, Golden, MockHttp]:
    body = {"status": "success", "code": 0, "msg": "成功", "result": result}
    return golden_adapter(
        "dada",
        OP_OF_PATH,
        json.dumps(body).encode(),
        base_url="https://newopen.imdada.cn",
        clock=FakeClock(T0),
        callback_url="https://relay.example/cb/dada/tok",
        store=STORE,
    )


async def _op_quote(a: Adapter):
    return await a.quote(make_order(), key="JP1001-1")


async def _op_add_after_query(a: Adapter):
    q = mapping.parse_quote(
        {"fee": 12.3, "deliveryNo": "DN1", "distance": 1200},
        origin_id="JP1001-1",
        now=T0,
        ttl_s=180,
    )
    return await a.create(make_order(), q, attempt())


async def _op_add_order(a: Adapter):
    q = mapping.parse_quote(
        {"fee": 12.3, "deliveryNo": "DN1"}, origin_id="OTHER", now=T0, ttl_s=180
    )
    return await a.create(make_order(), q, attempt())


GOLDEN: dict[str, tuple[Callable[[Adapter], Awaitable[object]], str, bool]] = {
    "quote": (_op_quote, mapping.PATH_QUOTE, False),
    "add_after_query": (_op_add_after_query, mapping.PATH_ADD_AFTER_QUERY, True),
    "add_order": (_op_add_order, mapping.PATH_ADD_ORDER, True),
    "query": (lambda a: a.query(attempt()), mapping.PATH_QUERY, False),
    "cancel": (lambda a: a.cancel(attempt(), "顾客不要了"), mapping.PATH_CANCEL, True),
    "tip": (lambda a: a.add_tip(attempt(tip_fen=100), 50), mapping.PATH_TIP, True),
    "positions": (
        lambda a: a.rider_positions([attempt(), attempt("JP1002-1")]),
        mapping.PATH_POSITION,
        False,
    ),
}
OP_OF_PATH = {path: op for op, (_, path, _) in GOLDEN.items()}


@pytest.mark.asyncio
@pytest.mark.parametrize("op", sorted(GOLDEN))
async def test_golden_request(op):
    run, path, mutating = GOLDEN[op]
    a, g, http = recorded_adapter({} if op != "positions" else [])
    await run(a)
    first = g.requests[g.order[0]]
    assert first is g.requests[op]
    assert str(first.url) == "https://newopen.imdada.cn" + path
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert http.mutating[0] is mutating
    content = g.check_exact(op)
    doc = json.loads(content)  # and the signature covers exactly the sent body
    assert doc["signature"] == mapping.sign(CREDS["app_secret"], doc)
    await http.aclose()


# ------------------------------------------------------------------ canned responses
def canned(op: str):
    return kit_canned("dada", op)


def test_parse_quote():
    q = mapping.parse_quote(canned("quote")["result"], origin_id="JP1001-1", now=T0, ttl_s=180)
    assert (q.fee_fen, q.distance_m, q.token, q.binding) == (1230, 1523, "DN20261124001", True)
    assert q.expires_at == datetime(2026, 11, 24, 4, 3, tzinfo=UTC)


def test_parse_status_delivered():
    s = mapping.parse_status(
        canned("query")["result"], origin_id="JP1001-1", time_format="%Y-%m-%d %H:%M:%S"
    )
    assert s.status is DeliveryStatus.DELIVERED and s.raw_status == "4"
    assert (s.actual_fee_fen, s.tip_fen, s.cancel_fee_fen) == (1230, 120, None)
    assert s.rider.name == "王伟" and s.rider.lat == pytest.approx(31.2371)
    assert s.at == datetime(2026, 11, 24, 4, 20, tzinfo=UTC)  # 12:20 Beijing


def test_parse_positions_and_cancel_fee():
    pos = mapping.parse_positions(canned("positions")["result"])
    assert [(p.idempotency_key, p.lat, p.lng) for p in pos] == [("JP1001-1", 31.2371, 121.4791)]
    assert mapping.parse_cancel_fee({"deduct_fee": 2}) == 200


def test_error_codes_are_configurable():
    raw = json.dumps({"status": "fail", "code": 7777, "msg": "x"}).encode()
    with pytest.raises(AuthError):
        mapping.unwrap(raw, mutating=False, overrides={"auth": [7777]})


def test_callback_repeat_and_message_push():
    doc = {
        "client_id": "9",
        "order_id": "K1",
        "order_status": 1,
        "repeat_reason_type": 1,
        "cancel_from": 0,
        "update_time": 1700000100,
        "signature": mapping.callback_signature("9", "K1", 1700000100),
    }
    ev = mapping.parse_callback(json.dumps(doc).encode()).events[0].snapshot
    assert ev.status is DeliveryStatus.PENDING_ACCEPT and ev.reassignment
    msg = {"messageType": 1, "messageBody": json.dumps({"orderId": "K1", "cancelReason": "太远"})}
    res = mapping.parse_callback(json.dumps(msg).encode())
    assert res.events[0].snapshot.status is DeliveryStatus.CANCEL_REQUESTED
    assert res.reply_body == b'{"status":"ok"}'


def test_status_7_expired_is_a_carrier_cancel():
    """F10: 7 已过期 (older doc copies) ends the order: the carrier's system cancelled it
    (no rider took it), so the dispatcher fails over instead of keeping it as UNKNOWN."""
    doc = {
        "client_id": "9",
        "order_id": "K7",
        "order_status": 7,
        "cancel_from": 0,
        "update_time": 1700000100,
        "signature": mapping.callback_signature("9", "K7", 1700000100),
    }
    ev = mapping.parse_callback(json.dumps(doc).encode()).events[0].snapshot
    assert ev.status is DeliveryStatus.CANCELLED and ev.raw_status == "7"
    assert ev.cancelled_by is CancelledBy.CARRIER_SYSTEM and "过期" in ev.cancel_reason
    q = mapping.parse_status(
        {"orderId": "K7", "statusCode": 7, "statusMsg": "已过期", "deductFee": 0},
        origin_id="K7",
        time_format="%Y-%m-%d %H:%M:%S",
    )
    assert q.status is DeliveryStatus.CANCELLED and q.cancel_fee_fen == 0
    assert q.cancelled_by is CancelledBy.CARRIER_SYSTEM


# ------------------------------------------------------------------ against the sandbox
class EngineClock:
    """The adapter's clock follows the sandbox's simulated wall time."""

    def __init__(self, engine: SandboxEngine) -> None:
        self.engine = engine

    def now(self):
        return self.engine.wall()

    def monotonic(self):
        return self.engine.now()


@pytest_asyncio.fixture
async def world(sandbox_world):
    w = await sandbox_world("dada", store=STORE, callback_url="http://127.0.0.1:9/cb")
    return w.engine, w.adapter, w.adapter.ctx


async def _dispatch(adapter: Adapter, key: str = "JP1001-1"):
    order = make_order()
    q = await adapter.quote(order, key=key)
    att = attempt(key, quote_token=q.token)
    res = await adapter.create(order, q, att)
    return q, att.with_(carrier_order_id=res.carrier_order_id), res


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_happy_path(world):
    engine, adapter, _ = world
    q, att, res = await _dispatch(adapter)
    assert q.binding and q.fee_fen > 0 and res.fee_fen == q.fee_fen
    assert (await adapter.query(att)).status is DeliveryStatus.PENDING_ACCEPT
    assert await adapter.add_tip(att, 100) == 100
    att = att.with_(tip_fen=100)
    assert await adapter.add_tip(att, 50) == 150
    engine.advance(31)
    s = await adapter.query(att)
    assert s.status is DeliveryStatus.ACCEPTED and s.rider and s.rider.phone
    with pytest.raises(RejectedError):
        await adapter.add_tip(att.with_(tip_fen=150), 100)  # only while 待接单
    engine.advance(150)
    assert (await adapter.query(att)).status is DeliveryStatus.AT_PICKUP
    engine.advance(200)
    assert (await adapter.query(att)).status is DeliveryStatus.PICKED_UP
    [pos] = await adapter.rider_positions([att, attempt("NOPE")])
    assert pos.idempotency_key == "JP1001-1" and 31.22 < pos.lat < 31.25
    engine.advance(600)
    s = await adapter.query(att)
    assert s.status is DeliveryStatus.DELIVERED and s.actual_fee_fen == q.fee_fen
    assert s.tip_fen == 150
    assert s.at is not None
    assert engine.create_calls["dada"] == 1


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_with_fee(world):
    engine, adapter, _ = world
    _, att, _ = await _dispatch(adapter)
    assert await adapter.cancel_preview(att) == 0
    engine.advance(30 + 61)
    assert await adapter.cancel_preview(att) == 200
    assert await adapter.cancel(att, "顾客不要了") == 200
    s = await adapter.query(att)
    assert s.status is DeliveryStatus.CANCELLED and s.cancel_fee_fen == 200


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_no_cancel_after_pickup(world):
    engine, adapter, _ = world
    _, att, _ = await _dispatch(adapter)
    engine.advance(301)
    with pytest.raises(RejectedError) as info:
        await adapter.cancel(att, "")
    assert type(info.value) is RejectedError
    with pytest.raises(RejectedError):
        await adapter.cancel_preview(att)
    assert (await adapter.query(att)).status is DeliveryStatus.PICKED_UP


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_duplicate_create_resolves_existing(world):
    engine, adapter, _ = world
    q, att, res = await _dispatch(adapter)
    again = await adapter.create(make_order(), q, att)  # same origin_id: no second order
    assert again.carrier_order_id == res.carrier_order_id
    q2 = await adapter.quote(make_order(), key="OTHER-KEY")
    third = await adapter.create(make_order(), q2, att)  # addOrder with the same key
    assert third.carrier_order_id == "JP1001-1"
    assert len(engine.orders["dada"]) == 1


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_callback_roundtrip(world):
    engine, adapter, _ = world
    await _dispatch(adapter)
    engine.advance(31)
    o = engine.find("dada", "JP1001-1")
    url, headers, body = dada_sandbox.callback_payload(engine, o, engine.snapshot(o))
    assert url == "http://127.0.0.1:9/cb" and headers["Content-Type"] == "application/json"
    res = adapter.parse_callback(CallbackRequest("POST", "/cb", {}, headers, body))
    snap = res.events[0].snapshot
    assert snap.status is DeliveryStatus.ACCEPTED and snap.rider.name
    assert res.reply_status == 200
    tampered = body.replace(b'"order_id":"JP1001-1"', b'"order_id":"JP9999-1"')
    with pytest.raises(CallbackRejected):
        adapter.parse_callback(CallbackRequest("POST", "/cb", {}, headers, tampered))
    engine.cancel(o, by="merchant")
    _, _, body = dada_sandbox.callback_payload(engine, o, engine.snapshot(o))
    snap = adapter.parse_callback(CallbackRequest("POST", "/cb", {}, {}, body)).events[0].snapshot
    assert snap.status is DeliveryStatus.CANCELLED and snap.cancelled_by is CancelledBy.MERCHANT


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_return_trip_and_confirm(world):
    from app.core.sandbox.engine import Scenario

    engine, adapter, _ = world
    engine.set_scenario("dada", Scenario.RETURN)
    _, att, _ = await _dispatch(adapter)
    engine.advance(900 + 121)
    assert (await adapter.query(att)).status is DeliveryStatus.RETURNING
    await adapter.confirm_return(att)
    assert (await adapter.query(att)).status is DeliveryStatus.RETURNED
    assert engine.snapshot(engine.find("dada", att.idempotency_key)).state is SimState.RETURNED


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize("expire_after_s", ["0", "600"])
async def test_sandbox_unaccepted_order_expires_as_7(world, expire_after_s):
    """F10 against the sandbox: with the older docs' 7 已过期 played, an order nobody
    took is closed by Dada and read as a carrier cancel; without it, it keeps waiting."""
    engine, adapter, _ = world
    engine.set_scenario("dada", Scenario.NO_RIDER)
    engine.set_variant("dada", "expire_after_s", expire_after_s)
    _, att, _ = await _dispatch(adapter, f"JP-EXP-{expire_after_s}")
    engine.advance(700)
    s = await adapter.query(att)
    if expire_after_s == "0":
        assert s.status is DeliveryStatus.PENDING_ACCEPT and engine.live_count("dada") == 1
        return
    assert (s.status, s.raw_status) == (DeliveryStatus.CANCELLED, "7")
    assert s.cancelled_by is CancelledBy.CARRIER_SYSTEM and s.cancel_fee_fen == 0
    assert engine.live_count("dada") == 0
