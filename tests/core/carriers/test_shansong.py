"""Shansong adapter: the worked signature example, golden requests, parsing, error
mapping, and the whole flow against the Shansong sandbox over loopback."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio

from app.core.carriers.base import (
    CallbackRejected,
    CallbackRequest,
    CarrierContext,
    OutcomeUnknownError,
    RejectedError,
)
from app.core.carriers.http import CarrierHttp
from app.core.carriers.shansong import RULES, Adapter, codes, mapping
from app.core.carriers.shansong.rules import Options
from app.core.clock import SystemClock
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus, Order
from app.core.geo import gcj02_to_bd09
from app.core.sandbox import shansong as ss_sandbox
from app.core.sandbox.engine import Faults, Scenario
from tests.core.carriers.kit import ORDERS, STORES, Golden, MockHttp, golden_adapter
from tests.core.carriers.kit import attempt as kit_attempt
from tests.core.carriers.kit import canned as kit_canned
from tests.fakes.clock import FakeClock

CREDS = RULES.rehearsal_credentials
STORE = STORES["shansong"]
T0 = ORDERS["shansong"].created_at


def make_order() -> Order:
    return ORDERS["shansong"]


def attempt(key: str = "JP2001-1", **kw: Any) -> DeliveryAttempt:
    return kit_attempt("shansong", key, **kw)


# ------------------------------------------------------------------ worked example
def test_signature_worked_example():
    params = {
        "clientId": "ss_client",
        "shopId": "2000000000000001",
        "timestamp": "1700000000000",
        "data": '{"issOrderNo":"TDH0001"}',
    }
    assert mapping.sign("ss_secret", params) == "C8484338777FAC77AC97270A8FC07F49"


def test_signature_without_data_drops_the_key():
    params = {"clientId": "c", "shopId": "s", "timestamp": "1", "data": ""}
    assert mapping.sign("x", params) == mapping.sign(
        "x", {"clientId": "c", "shopId": "s", "timestamp": "1"}
    )


def test_adapter_satisfies_protocol_and_registry():
    from app.core.carriers import registry
    from app.core.carriers.base import CarrierAdapter

    a, *_ = recorded_adapter(None)
    assert isinstance(a, CarrierAdapter) and a.rules is RULES
    assert registry.rules("shansong") is RULES and RULES.unverified
    assert set(RULES.rehearsal_credentials) == set(RULES.credential_keys)


# ------------------------------------------------------------------ golden requests
def recorded_adapter(data: object) -> tuple[Adapter, Golden, MockHttp]:
    body = {"status": 200, "msg": "success", "data": data}
    return golden_adapter(
        "shansong",
        OP_OF_PATH,
        json.dumps(body).encode(),
        base_url="https://open.ishansong.com",
        clock=FakeClock(T0),
        store=STORE,
    )


def _quote() -> object:
    return mapping.parse_quote(
        {"orderNumber": "TDH0001", "totalFeeAfterSave": 2100},
        order_no="JP2001-1",
        now=T0,
        ttl_s=1800,
    )


GOLDEN: dict[str, tuple[Callable[[Adapter], Awaitable[object]], str, bool]] = {
    "calculate": (lambda a: a.quote(make_order(), key="JP2001-1"), mapping.PATH_QUOTE, False),
    "place": (
        lambda a: a.create(make_order(), _quote(), attempt(quote_token="TDH0001")),
        mapping.PATH_PLACE,
        True,
    ),
    "info": (lambda a: a.query(attempt(quote_token="TDH0001")), mapping.PATH_INFO, False),
    "pre_abort": (
        lambda a: a.cancel_preview(attempt(carrier_order_id="TDH0001")),
        mapping.PATH_PRE_ABORT,
        False,
    ),
    "abort": (
        lambda a: a.cancel(attempt(carrier_order_id="TDH0001"), "x"),
        mapping.PATH_ABORT,
        True,
    ),
    "addition": (
        lambda a: a.add_tip(attempt(carrier_order_id="TDH0001", tip_fen=100), 200),
        mapping.PATH_ADDITION,
        True,
    ),
    "courier": (
        lambda a: a.rider_positions([attempt(carrier_order_id="TDH0001")]),
        mapping.PATH_COURIER,
        False,
    ),
    "confirm_return": (
        lambda a: a.confirm_return(attempt(carrier_order_id="TDH0001")),
        mapping.PATH_CONFIRM_RETURN,
        True,
    ),
}
OP_OF_PATH = {path: op for op, (_, path, _) in GOLDEN.items()}


@pytest.mark.asyncio
@pytest.mark.parametrize("op", sorted(GOLDEN))
async def test_golden_request(op):
    run, path, mutating = GOLDEN[op]
    a, g, http = recorded_adapter({"orderStatus": 20, "subOrderStatus": 1})
    await run(a)
    first = g.requests[g.order[0]]
    assert first is g.requests[op]
    assert str(first.url) == "https://open.ishansong.com" + path
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"
    assert http.mutating[0] is mutating
    content = g.check_exact(op, "txt")
    await http.aclose()
    form = dict(parse_qsl(content.decode()))
    assert form["timestamp"] == "1795492800000"  # milliseconds
    assert form["sign"] == mapping.sign(CREDS["app_secret"], form)


def test_calculate_sends_bd09_unless_lbs_type_1():
    body = mapping.calculate_body(make_order(), STORE, "K", Options())
    b_lat, b_lng = gcj02_to_bd09(STORE.lat, STORE.lng)
    assert body["sender"]["fromLatitude"] == f"{b_lat:.6f}" and "lbsType" not in body
    assert body["sender"]["fromLongitude"] == f"{b_lng:.6f}"
    assert body["receiverList"][0]["weight"] == 3  # 2.1 kg rounds up
    body = mapping.calculate_body(make_order(), STORE, "K", Options(lbs_type=1))
    assert body["lbsType"] == 1 and body["sender"]["fromLongitude"] == "116.460000"


# ------------------------------------------------------------------ canned responses
def canned(op: str):
    return kit_canned("shansong", op)


def test_parse_quote():
    q = mapping.parse_quote(canned("calculate")["data"], order_no="JP2001-1", now=T0, ttl_s=1800)
    assert (q.fee_fen, q.distance_m, q.token) == (2500, 3120, "TDH2026112400001")
    assert q.accept_eta_s == 60 and q.expires_at == datetime(2026, 11, 24, 4, 30, tzinfo=UTC)


def test_parse_info_delivered_with_addition():
    s = mapping.parse_info(
        canned("info")["data"], iss_order_no="TDH2026112400001", order_no="JP2001-1"
    )
    assert s.status is DeliveryStatus.DELIVERED and s.raw_status == "50/1"
    assert (s.actual_fee_fen, s.tip_fen) == (2500, 200)
    assert s.rider.name == "赵强" and s.rider.lat == pytest.approx(39.9150)
    assert s.at == datetime(2026, 11, 24, 4, 40, tzinfo=UTC)


def test_parse_info_returned_and_courier():
    s = mapping.parse_info(canned("info_returned")["data"], iss_order_no="T", order_no="K")
    assert s.status is DeliveryStatus.RETURNED and s.cancel_fee_fen == 1250
    assert s.cancelled_by is CancelledBy.MERCHANT
    pos = mapping.parse_courier(canned("courier")["data"], order_no="K")
    assert (pos.lat, pos.lng) == (39.912, 116.455)
    assert pos.at == datetime(2026, 11, 24, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("st", "sub", "expected", "reassigned"),
    [
        (20, 1, DeliveryStatus.PENDING_ACCEPT, False),
        (20, 2, DeliveryStatus.PENDING_ACCEPT, True),
        (30, 2, DeliveryStatus.AT_PICKUP, False),
        (40, 2, DeliveryStatus.CANCEL_REQUESTED, False),
        (40, 3, DeliveryStatus.RETURNING, False),
        (50, 2, DeliveryStatus.CANCELLED, False),
        (99, None, DeliveryStatus.UNKNOWN, False),
    ],
)
def test_status_codes(st, sub, expected, reassigned):
    assert codes.status_of(st, sub) == (expected, reassigned)


@pytest.mark.asyncio
async def test_local_tip_rules():
    a, g, http = recorded_adapter(None)
    for bad in (50, 150, 10100):
        with pytest.raises(RejectedError):
            await a.add_tip(attempt(carrier_order_id="T"), bad)
    assert g.order == [] and http.mutating == []


# ------------------------------------------------------------------ against the sandbox
@pytest_asyncio.fixture
async def world(sandbox_world):
    w = await sandbox_world("shansong", store=STORE, clock=SystemClock())
    return w.engine, w.adapter, w.adapter.ctx, w.server


async def _dispatch(adapter: Adapter, key: str = "JP2001-1"):
    order = make_order()
    q = await adapter.quote(order, key=key)
    att = attempt(key, quote_token=q.token)
    res = await adapter.create(order, q, att)
    return q, att.with_(carrier_order_id=res.carrier_order_id), res


def _with(ctx: CarrierContext, **kw) -> CarrierContext:
    names = (
        "carrier",
        "base_url",
        "credentials",
        "store",
        "http",
        "clock",
        "callback_url",
        "options",
    )
    return CarrierContext(**{**{n: getattr(ctx, n) for n in names}, **kw})


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_happy_path(world):
    engine, adapter, _, _ = world
    q, att, res = await _dispatch(adapter)
    assert q.binding and q.fee_fen > 0 and res.carrier_order_id == q.token
    assert res.fee_fen == q.fee_fen
    assert (await adapter.query(att)).status is DeliveryStatus.PENDING_ACCEPT
    assert await adapter.add_tip(att, 200) == 200
    assert await adapter.add_tip(att.with_(tip_fen=200), 100) == 300
    att = att.with_(tip_fen=300)
    assert await adapter.rider_positions([att]) == []  # no courier yet
    engine.advance(31)
    s = await adapter.query(att)
    assert s.status is DeliveryStatus.ACCEPTED and s.rider and s.rider.phone
    with pytest.raises(RejectedError):
        await adapter.add_tip(att, 100)  # a courier has accepted
    engine.advance(150)
    assert (await adapter.query(att)).status is DeliveryStatus.AT_PICKUP
    engine.advance(200)
    assert (await adapter.query(att)).status is DeliveryStatus.PICKED_UP
    [pos] = await adapter.rider_positions([att])
    o = engine.find("shansong", q.token)
    sim_lat, sim_lng = engine.snapshot(o).position
    assert pos.lat == pytest.approx(sim_lat, abs=1e-6) and pos.lng == pytest.approx(
        sim_lng, abs=1e-6
    )
    engine.advance(600)
    s = await adapter.query(att)
    assert s.status is DeliveryStatus.DELIVERED
    assert (s.actual_fee_fen, s.tip_fen, s.at is not None) == (q.fee_fen, 300, True)
    assert s.idempotency_key == "JP2001-1"
    assert engine.create_calls["shansong"] == 1


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_with_fee(world):
    engine, adapter, _, _ = world
    _, att, _ = await _dispatch(adapter)
    assert await adapter.cancel_preview(att) == 0
    engine.advance(30 + 61)
    assert await adapter.cancel_preview(att) == 200
    assert await adapter.cancel(att, "顾客不要了") == 200
    s = await adapter.query(att)
    assert s.status is DeliveryStatus.CANCELLED and s.cancel_fee_fen == 200
    assert s.cancelled_by is CancelledBy.MERCHANT


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_after_pickup_is_a_return_trip(world):
    engine, adapter, ctx, _ = world
    q, att, _ = await _dispatch(adapter)
    engine.advance(301)
    fee = await adapter.cancel_preview(att)
    assert fee == q.fee_fen // 2
    strict = Adapter(_with(ctx, options={"deduct_flag": False}))
    with pytest.raises(RejectedError):
        await strict.cancel(att, "")  # send-back fee not accepted: the cancel fails
    assert await adapter.cancel(att, "") == fee
    s = await adapter.query(att)
    assert (s.status, s.raw_status) == (DeliveryStatus.RETURNING, "40/3")
    await adapter.confirm_return(att)
    s = await adapter.query(att)
    assert (s.status, s.raw_status, s.cancel_fee_fen) == (DeliveryStatus.RETURNED, "60", fee)


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_duplicate_place_resolves_existing(world):
    engine, adapter, _, _ = world
    q, att, res = await _dispatch(adapter)
    again = await adapter.create(make_order(), q, att)
    assert again.carrier_order_id == res.carrier_order_id
    assert len(engine.orders["shansong"]) == 1


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_expired_quote(world):
    engine, adapter, _, _ = world
    q = await adapter.quote(make_order(), key="JP2001-1")
    engine.advance(1801)
    with pytest.raises(RejectedError):
        await adapter.create(make_order(), q, attempt(quote_token=q.token))


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_callback_roundtrip(world):
    engine, adapter, _, server = world
    import httpx

    async with httpx.AsyncClient(trust_env=False) as c:
        r = await c.post(
            server.carrier_url("shansong") + "/__console/callback",
            json={"url": "http://127.0.0.1:9/ss"},
        )
        assert r.status_code == 200
    engine.set_scenario("shansong", Scenario.RIDER_CANCELS)
    q, _, _ = await _dispatch(adapter)
    o = engine.find("shansong", q.token)
    engine.advance(30 + 41)  # the rider withdrew: 转单改派中
    url, headers, body = ss_sandbox.callback_payload(engine, o, engine.snapshot(o))
    assert url == "http://127.0.0.1:9/ss"
    res = adapter.parse_callback(CallbackRequest("POST", "/ss", {}, headers, body))
    snap = res.events[0].snapshot
    assert (snap.status, snap.reassignment, snap.raw_status) == (
        DeliveryStatus.PENDING_ACCEPT,
        True,
        "20/2",
    )
    assert snap.carrier_order_id == q.token and snap.idempotency_key == "JP2001-1"
    assert res.reply_body == b'{"status":200,"msg":"","data":null}'
    foreign = body.replace(CREDS["shop_id"].encode(), b"2000000000000999")
    with pytest.raises(CallbackRejected):
        adapter.parse_callback(CallbackRequest("POST", "/ss", {}, headers, foreign))


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_hangs(world):
    engine, _, ctx, _ = world
    http = CarrierHttp(timeout_s=0.3)
    adapter = Adapter(_with(ctx, http=http))
    try:
        order = make_order()
        q = await adapter.quote(order, key="JP2001-1")
        att = attempt(quote_token=q.token)
        engine.set_faults("shansong", Faults(hang_after_create=True))
        with pytest.raises(OutcomeUnknownError):
            await adapter.create(order, q, att)
        engine.set_faults("shansong", Faults())
        s = await adapter.query(att)  # by issOrderNo + thirdOrderNo, no carrier id yet
        assert s.status is DeliveryStatus.PENDING_ACCEPT and s.carrier_order_id == q.token
        by_key = await adapter.query(attempt())  # by thirdOrderNo alone
        assert by_key.carrier_order_id == q.token
        engine.set_faults("shansong", Faults(hang=True))
        with pytest.raises(OutcomeUnknownError):
            await adapter.create(order, q, att)
    finally:
        await http.aclose()
