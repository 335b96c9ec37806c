"""Fengniao v3: signature worked example, golden requests, canned responses, error
mapping, and the adapter against its own sandbox over loopback."""

from __future__ import annotations

import json

import httpx
import pytest
import pytest_asyncio

from app.core.carriers.base import (
    AuthError,
    CallbackRejected,
    CallbackRequest,
    CarrierContext,
    RejectedError,
)
from app.core.carriers.fengniao import RULES, Adapter, codes, mapping
from app.core.carriers.http import CarrierHttp
from app.core.carriers.kit import is_duplicate
from app.core.clock import SystemClock
from app.core.domain import CancelledBy, DeliveryAttempt, DeliveryStatus
from app.core.sandbox import fengniao as fn_sandbox
from tests.core.carriers.kit import ORDERS, STORES, golden, mock_http
from tests.core.carriers.kit import adapter as kit_adapter
from tests.fakes.clock import FakeClock

CID = "fengniao"
STORE, ORDER = STORES[CID], ORDERS[CID]
ATTEMPT = DeliveryAttempt(1, 1, CID, "JP-1001-1", carrier_order_id="300000123456")


# ---------------------------------------------------------------------------- pure
def test_signature_worked_example():
    params = {
        "app_id": "fn_app",
        "merchant_id": "4103883",
        "timestamp": "1700000000000",
        "version": "1.0",
        "access_token": "fn_token",
        "business_data": '{"partner_order_code":"A1001"}',
    }
    assert mapping.sign("fn_secret", params) == (
        "359bb948c4c7823f1b3c1aa910793b8d746a5c8821df2ec5151933685b9e6c2d"
    )
    req = mapping.envelope(
        "getOrderDetail",
        {"partner_order_code": "A1001"},
        {
            "app_id": "fn_app",
            "merchant_id": "4103883",
            "app_secret": "fn_secret",
            "access_token": "fn_token",
        },
        1700000000000,
        "1.0",
    )
    sent = json.loads(req.content)
    assert sent["signature"] == "359bb948c4c7823f1b3c1aa910793b8d746a5c8821df2ec5151933685b9e6c2d"
    assert req.path == "/v3/invoke/getOrderDetail"


def test_rules_shape():
    assert RULES.credential_keys == ("app_id", "app_secret", "merchant_id", "shop_id")
    assert RULES.secret_keys == ("app_secret", "access_token")
    assert RULES.coord_system == "gcj02" and RULES.money_unit == "fen"
    assert RULES.unverified and not RULES.quote_binding


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, "pending_accept"),
        (20, "accepted"),
        (80, "at_pickup"),
        (2, "picked_up"),
        (3, "delivered"),
        (4, "cancelled"),
        (5, "cancelled"),
        (0, "pending_accept"),
        (99, "unknown"),
    ],
)
def test_status_codes(code, status):
    assert codes.status_of(code) is DeliveryStatus(status)


def test_status_override_knob():
    assert codes.status_of(6, {"6": "at_dropoff"}) is DeliveryStatus.AT_DROPOFF


def test_duplicate_detected():
    with pytest.raises(RejectedError) as ei:
        mapping.unwrap(
            b'{"code":50011,"msg":"\\u8ba2\\u5355\\u53f7\\u91cd\\u590d\\u63d0\\u4ea4"}', 200
        )
    assert is_duplicate(codes.ERRORS, ei.value)


# ---------------------------------------------------------------------------- golden
def _offline_adapter(handler, **options) -> tuple[Adapter, CarrierHttp]:
    http = mock_http(handler)
    a = kit_adapter(
        CID, http, base_url=RULES.sandbox_base_url, clock=FakeClock(), store=STORE, **options
    )
    return a, http  # type: ignore[return-value]


@pytest.mark.asyncio
async def test_golden_requests_and_canned_responses():
    g = golden(CID)
    adapter, http = _offline_adapter(g)
    try:
        q = await adapter.quote(ORDER)
        assert (q.fee_fen, q.distance_m, q.binding, q.expires_at) == (850, 2350, False, None)
        assert q.raw["service_goods_id"] == 30002
        res = await adapter.create(ORDER, q, ATTEMPT.with_(carrier_order_id=""))
        assert (res.carrier_order_id, res.fee_fen, res.distance_m) == ("300000123456", 850, 2350)
        snap = await adapter.query(ATTEMPT)
        assert snap.status is DeliveryStatus.DELIVERED and snap.raw_status == "3"
        assert (snap.actual_fee_fen, snap.tip_fen) == (850, 200)
        assert snap.rider is not None and snap.rider.name == "王伟"
        assert await adapter.cancel(ATTEMPT, "顾客不要了") == 200
        assert await adapter.add_tip(ATTEMPT.with_(tip_fen=100), 200) == 300
        [pos] = await adapter.rider_positions([ATTEMPT])
        assert (pos.lat, pos.lng, pos.idempotency_key) == (34.775, 113.67, "JP-1001-1")
    finally:
        await http.aclose()
    g.check()
    assert all(r.headers["content-type"] == "application/json" for r in g.requests.values())
    sent = g.sent
    biz = json.loads(sent["createOrder"]["business_data"])
    assert biz["partner_order_code"] == "JP-1001-1" and biz["position_source"] == 3
    assert biz["out_shop_code"] == "JP-STORE-1" and biz["service_goods_id"] == 30002


@pytest.mark.asyncio
async def test_missing_access_token_is_auth_error():
    creds = {k: v for k, v in RULES.rehearsal_credentials.items() if k != "access_token"}
    http = CarrierHttp(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    adapter = Adapter(CarrierContext(CID, "http://x", creds, STORE, http, FakeClock()))
    try:
        with pytest.raises(AuthError):
            await adapter.quote(ORDER)
    finally:
        await http.aclose()


# ---------------------------------------------------------------------------- sandbox
@pytest_asyncio.fixture
async def world(sandbox_world):
    w = await sandbox_world(CID, store=STORE, clock=SystemClock())
    return w.engine, w.adapter


def _att(key: str) -> DeliveryAttempt:
    return DeliveryAttempt(1, 1, CID, key)


async def _dispatch(adapter: Adapter, key: str) -> DeliveryAttempt:
    q = await adapter.quote(ORDER)
    res = await adapter.create(ORDER, q, _att(key))
    return _att(key).with_(carrier_order_id=res.carrier_order_id, quoted_fee_fen=q.fee_fen)


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_lifecycle(world):
    engine, adapter = world
    q = await adapter.quote(ORDER)
    assert q.fee_fen > 0 and q.distance_m > 0
    res = await adapter.create(ORDER, q, _att("K1"))
    assert res.fee_fen == q.fee_fen
    att = _att("K1").with_(carrier_order_id=res.carrier_order_id)
    seen = []
    for dt in (0, 40, 150, 130, 700):
        engine.advance(dt)
        seen.append((await adapter.query(att)).status)
    assert seen == [
        DeliveryStatus.PENDING_ACCEPT,
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.DELIVERED,
    ]
    final = await adapter.query(att)
    assert final.actual_fee_fen == q.fee_fen and final.rider is not None
    # a second create with the same key resolves to the same order, never a second one
    again = await adapter.create(ORDER, q, _att("K1"))
    assert again.carrier_order_id == res.carrier_order_id
    assert len(engine.orders[CID]) == 1


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_with_fee_tip_positions(world):
    engine, adapter = world
    att = await _dispatch(adapter, "K2")
    assert await adapter.add_tip(att, 200) == 200
    with pytest.raises(RejectedError):
        await adapter.add_tip(att, 150)  # not a multiple of the 100-fen step
    engine.advance(100)  # accepted at 30 s, 70 s ago
    with pytest.raises(RejectedError):
        await adapter.add_tip(att, 100)  # only before a rider accepts
    [pos] = await adapter.rider_positions([att])
    assert 34.7 < pos.lat < 34.8 and 113.6 < pos.lng < 113.7 and pos.name
    assert await adapter.cancel_preview(att) == 200
    assert await adapter.cancel(att, "顾客取消") == 200
    snap = await adapter.query(att)
    assert snap.status is DeliveryStatus.CANCELLED and snap.cancel_fee_fen == 200
    assert snap.cancelled_by is CancelledBy.MERCHANT and snap.tip_fen == 200


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_refused_after_pickup(world):
    engine, adapter = world
    att = await _dispatch(adapter, "K3")
    engine.advance(400)
    with pytest.raises(RejectedError) as ei:
        await adapter.cancel(att, "x")
    assert ei.value.code == "50102"


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_callback_roundtrip(world):
    engine, adapter = world
    att = await _dispatch(adapter, "K4")
    engine.advance(40)
    o = engine.find(CID, "K4")
    o.callback_url = "http://127.0.0.1:9/cb/secret"
    url, headers, body = fn_sandbox.callback_payload(engine, o, engine.snapshot(o))
    assert url == o.callback_url
    req = CallbackRequest("POST", "/cb/secret", {}, headers, body)
    result = adapter.parse_callback(req)
    [ev] = result.events
    assert ev.snapshot.status is DeliveryStatus.ACCEPTED
    assert ev.snapshot.idempotency_key == "K4" and ev.snapshot.carrier_order_id == (
        att.carrier_order_id
    )
    assert json.loads(result.reply_body)["code"] == 200
    tampered = body.replace(b'\\"order_status\\":20', b'\\"order_status\\":3')
    assert tampered != body
    with pytest.raises(CallbackRejected):
        adapter.parse_callback(CallbackRequest("POST", "/cb/secret", {}, headers, tampered))


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize("variant", ["three", "extra_unsigned", "extra_signed"])
async def test_sandbox_callback_field_variants_accepted(world, variant):
    """F9: varys (the one independent verifier) signs exactly app_id, business_data and
    timestamp; real callbacks may carry more keys. The default (callback_sign_keys =
    either) accepts a callback signed either way, and a tampered one never."""
    engine, adapter = world
    engine.set_variant(CID, "callback_fields", variant)
    await _dispatch(adapter, f"KV-{variant}")
    engine.advance(40)
    o = engine.find(CID, f"KV-{variant}")
    o.callback_url = "http://127.0.0.1:9/cb/secret"
    _url, headers, body = fn_sandbox.callback_payload(engine, o, engine.snapshot(o))
    env = json.loads(body)
    assert ("merchant_id" in env) is (variant != "three")
    [ev] = adapter.parse_callback(CallbackRequest("POST", "/cb/secret", {}, headers, body)).events
    assert ev.snapshot.status is DeliveryStatus.ACCEPTED
    tampered = body.replace(b'\\"order_status\\":20', b'\\"order_status\\":3')
    with pytest.raises(CallbackRejected):
        adapter.parse_callback(CallbackRequest("POST", "/cb/secret", {}, headers, tampered))


@pytest.mark.parametrize(
    ("keys", "variant", "accepted"),
    [
        ("varys", "extra_unsigned", True),
        ("varys", "extra_signed", False),
        ("all", "extra_signed", True),
        ("all", "extra_unsigned", False),
    ],
)
def test_callback_sign_keys_option(keys, variant, accepted):
    creds = RULES.rehearsal_credentials
    business = mapping.dumps(
        {"callback_business_type": "orderStatusNotify", "param": {"order_status": 1}}
    )
    env = {"app_id": creds["app_id"], "timestamp": "1764000000000", "business_data": business}
    extra = {"merchant_id": creds["merchant_id"], "version": "1.0"}
    if variant == "extra_signed":
        env.update(extra)
        env["signature"] = mapping.sign(creds["app_secret"], env)
    else:
        env["signature"] = mapping.sign(creds["app_secret"], env)
        env.update(extra)
    body = mapping.dumps(env).encode()
    parse = lambda: mapping.parse_callback(  # noqa: E731
        body, creds, verify="sha256", reply="{}", sign_keys=keys
    )
    if accepted:
        parse()
    else:
        with pytest.raises(CallbackRejected):
            parse()


def test_token_refresh_posts_to_refresh_token_path():
    """F10: varys and MQEnergy's router name /openapi/refreshToken for a refresh."""
    creds = RULES.rehearsal_credentials
    assert mapping.token_request(creds, 1, refresh="R1").path == "/openapi/refreshToken"
    assert mapping.token_request(creds, 1, code="C1").path == "/openapi/token"
    legacy = mapping.token_request(creds, 1, refresh="R1", refresh_path="/openapi/token")
    assert legacy.path == "/openapi/token"
