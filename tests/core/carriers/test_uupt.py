"""UU v3: signature worked example, golden requests, canned responses, error mapping,
and the adapter against its own sandbox over loopback."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from app.core.carriers.base import (
    CallbackRejected,
    CallbackRequest,
    CarrierContext,
    InsufficientBalanceError,
    RejectedError,
)
from app.core.carriers.http import CarrierHttp
from app.core.carriers.uupt import RULES, Adapter, codes, mapping
from app.core.clock import SystemClock
from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.geo import gcj02_to_bd09
from app.core.sandbox import uupt as uu_sandbox
from app.core.sandbox.engine import Faults, Scenario, SimState
from tests.core.carriers.kit import ORDERS, STORES, golden, mock_http
from tests.core.carriers.kit import adapter as kit_adapter
from tests.fakes.clock import FakeClock

CID = "uupt"
STORE, ORDER = STORES[CID], ORDERS[CID]
ATTEMPT = DeliveryAttempt(1, 1, CID, "JP-1001-1", carrier_order_id="U60001234567")


# ---------------------------------------------------------------------------- pure
def test_signature_worked_example():
    assert mapping.sign('{"orderCode":"U1001"}', "uu_secret", 1700000000) == (
        "C3B2AE714F2D6F3F3CE7EB59D31941CB"
    )
    req = mapping.envelope(
        "/order/orderDetail",
        {"orderCode": "U1001"},
        {"app_id": "a", "app_secret": "uu_secret", "open_id": "o"},
        1700000000,
    )
    assert json.loads(req.content) == {
        "openId": "o",
        "timestamp": 1700000000,
        "biz": '{"orderCode":"U1001"}',
        "sign": "C3B2AE714F2D6F3F3CE7EB59D31941CB",
    }
    assert req.headers == {"X-App-Id": "a"}


def test_rules_shape():
    assert RULES.credential_keys == ("app_id", "app_secret", "open_id")
    assert RULES.secret_keys == ("app_secret",)
    assert RULES.coord_system == "bd09" and RULES.quote_binding and RULES.quote_ttl_s == 120


def test_timestamp_unit_knob():
    now = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert mapping.timestamp(now, "s") * 1000 == mapping.timestamp(now, "ms")


@pytest.mark.parametrize(
    ("city", "expected"),
    [("郑州市金水区", ("郑州市", "金水区")), ("上海", ("上海市", "")), ("北京市", ("北京市", ""))],
)
def test_split_city(city, expected):
    assert mapping.split_city(city) == expected


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, "pending_accept"),
        (2, "pending_accept"),
        (3, "accepted"),
        (4, "at_pickup"),
        (5, "picked_up"),
        (6, "at_dropoff"),
        (10, "delivered"),
        (11, "cancelled"),
        (-1, "cancelled"),
        (-3, "cancelled"),
        (20, "unknown"),
        (7, "unknown"),
    ],
)
def test_status_codes(code, status):
    assert codes.status_of(code) is DeliveryStatus(status)


def test_rider_withdrew_is_reassignment():
    snap = mapping.parse_status(
        {"state": 2, "originId": "K"},
        fee_field="needPayMoney",
        tip_field="gratuityFee",
        cancel_field="cancelFee",
    )
    assert snap.status is DeliveryStatus.PENDING_ACCEPT and snap.reassignment


def test_success_codes_knob():
    assert mapping.unwrap(b'{"code":1,"msg":"ok","body":{"a":1}}', (0, 1)) == {"a": 1}
    with pytest.raises(RejectedError):
        mapping.unwrap(b'{"code":1,"msg":"ok","body":{"a":1}}', (0,))


def test_balance_payment_link_is_insufficient_balance():
    q = mapping.parse_quote(
        {"priceToken": "T", "needPayMoney": 900},
        datetime.now(UTC),
        ttl_s=120,
        fee_field="needPayMoney",
    )
    with pytest.raises(InsufficientBalanceError):
        mapping.parse_create({"orderUrl": "https://pay"}, q)


def test_payment_link_with_order_code_is_not_a_placed_order():
    """F3: UU answers orderCode AND orderUrl when the balance is short; the order waits for
    payment, so it is insufficient balance carrying the link, never a CreateResult."""
    q = mapping.parse_quote(
        {"priceToken": "T", "needPayMoney": 900},
        datetime.now(UTC),
        ttl_s=120,
        fee_field="needPayMoney",
    )
    with pytest.raises(InsufficientBalanceError) as ei:
        mapping.parse_create({"orderCode": "U1", "orderUrl": "https://pay.uupt/x"}, q)
    e = ei.value
    assert isinstance(e, mapping.PaymentRequiredError)
    assert (e.order_code, e.payment_url) == ("U1", "https://pay.uupt/x")
    assert "https://pay.uupt/x" in str(e)


def test_field_style_and_answers_in_either_style():
    """F2: requests in the configured style; answers read in both."""
    assert mapping.order_ref("K", "U1") == {"originId": "K", "order_code": "U1"}
    assert mapping.order_ref("K", "U1", "camel") == {"originId": "K", "orderCode": "U1"}
    assert mapping.order_ref("K") == {"originId": "K"}
    snap = mapping.parse_status(
        {"order_code": "U1", "state": 3, "driver_name": "王五", "driver_phone": "13900000000"},
        fee_field="needPayMoney",
        tip_field="gratuityFee",
        cancel_field="cancelFee",
    )
    assert snap.carrier_order_id == "U1" and snap.rider and snap.rider.name == "王五"
    assert mapping.parse_track({"longitude": 0, "latitude": 0}, "K") is None
    gcj = mapping.parse_track({"longitude": 113.6, "latitude": 34.7}, "K", "gcj02")
    assert gcj is not None and (gcj.lat, gcj.lng) == (34.7, 113.6)


def test_settled_facts_left_the_unverified_list():
    text = " ".join(RULES.unverified)
    assert "timestamp_unit" not in text and "success_codes" not in text
    assert "field_style" in text


# ---------------------------------------------------------------------------- golden
@pytest.mark.asyncio
async def test_golden_requests_and_canned_responses():
    g = golden(CID)
    http, clock = mock_http(g), FakeClock()
    adapter = kit_adapter(
        CID,
        http,
        base_url=RULES.sandbox_base_url,
        clock=clock,
        callback_url="https://relay.example/cb/uupt/t0k3n",
        store=STORE,
    )
    try:
        q = await adapter.quote(ORDER)
        assert (q.fee_fen, q.distance_m, q.token, q.binding) == (
            1100,
            2410,
            "PT-20261124-0001",
            True,
        )
        assert q.expires_at == clock.now() + timedelta(seconds=120)
        res = await adapter.create(ORDER, q, ATTEMPT.with_(carrier_order_id=""))
        assert (res.carrier_order_id, res.fee_fen) == ("U60001234567", 1100)
        snap = await adapter.query(ATTEMPT)
        assert snap.status is DeliveryStatus.DELIVERED and snap.raw_status == "10"
        # F6: orderDetail's price is orderPrice (fen); it has no needPayMoney/totalMoney
        assert (snap.actual_fee_fen, snap.tip_fen) == (1150, 200)
        assert snap.rider is not None and snap.rider.phone == "13700000000"
        # F5: the fee charged is cancelOrder's deductFee (300), not the preview (200)
        assert await adapter.cancel(ATTEMPT, "顾客取消") == 300
        assert await adapter.add_tip(ATTEMPT.with_(tip_fen=100), 200) == 300
        # F7: UU's api-reference answers driver_name/driver_phone/longitude/latitude
        [pos] = await adapter.rider_positions([ATTEMPT])
        b_lat, b_lng = gcj02_to_bd09(pos.lat, pos.lng)  # GCJ-02 inside, BD-09 on the wire
        assert abs(b_lat - 34.781204) < 1e-6 and abs(b_lng - 113.676512) < 1e-6
        assert (pos.name, pos.phone) == ("李强", "13700000000")
    finally:
        await http.aclose()
    g.check()
    assert all(r.headers["x-app-id"] == "rehearsal-uu" for r in g.requests.values())
    sent = g.sent
    biz = json.loads(sent["orderPrice"]["biz"])
    assert (biz["cityName"], biz["countyName"]) == ("郑州市", "金水区")
    assert (biz["fromLat"], biz["fromLng"]) == tuple(
        round(x, 6) for x in gcj02_to_bd09(STORE.lat, STORE.lng)
    )
    assert sent["addOrder"]["timestamp"] == int(clock.now().timestamp())
    # F2: UU's own tools' field names by default (field_style = "snake")
    add = json.loads(sent["addOrder"]["biz"])
    assert add["receiver_phone"] == ORDER.customer.phone and "receiverPhone" not in add
    for op in ("orderDetail", "cancelFee", "cancelOrder", "driverTrack", "addGratuity"):
        ref = json.loads(sent[op]["biz"])
        assert ref["order_code"] == "U60001234567" and "orderCode" not in ref, op


@pytest.mark.asyncio
async def test_expired_price_token_refused_locally():
    http = CarrierHttp(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    clock = FakeClock()
    adapter = Adapter(
        CarrierContext(CID, "http://x", RULES.rehearsal_credentials, STORE, http, clock)
    )
    q = mapping.parse_quote(
        {"priceToken": "T", "needPayMoney": 900}, clock.now(), ttl_s=120, fee_field="needPayMoney"
    )
    clock.advance(121)
    try:
        with pytest.raises(RejectedError):
            await adapter.create(ORDER, q, ATTEMPT)
    finally:
        await http.aclose()


# ---------------------------------------------------------------------------- sandbox
@pytest_asyncio.fixture
async def world(sandbox_world):
    w = await sandbox_world(CID, store=STORE, clock=SystemClock())
    # a hung handler would hold server.stop() for aiohttp's 60 s shutdown grace
    w.server._runner._shutdown_timeout = 0.2  # type: ignore[union-attr]
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
    assert q.fee_fen > 0 and q.token
    res = await adapter.create(ORDER, q, _att("K1"))
    att = _att("K1").with_(carrier_order_id=res.carrier_order_id)
    seen = []
    for dt in (0, 40, 150, 130, 600, 100):
        engine.advance(dt)
        seen.append((await adapter.query(att)).status)
    assert seen == [
        DeliveryStatus.PENDING_ACCEPT,
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.AT_PICKUP,
        DeliveryStatus.PICKED_UP,
        DeliveryStatus.AT_DROPOFF,
        DeliveryStatus.DELIVERED,
    ]
    final = await adapter.query(_att("K1"))  # by originId alone
    assert final.actual_fee_fen == q.fee_fen and final.carrier_order_id == res.carrier_order_id
    # same key again (fresh token): resolved to the same order, never a second one
    again = await adapter.create(ORDER, await adapter.quote(ORDER), _att("K1"))
    assert again.carrier_order_id == res.carrier_order_id and len(engine.orders[CID]) == 1


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_rider_withdraws_is_reassignment(world):
    engine, adapter = world
    engine.set_scenario(CID, Scenario.RIDER_CANCELS)
    att = await _dispatch(adapter, "K9")
    engine.advance(80)
    snap = await adapter.query(att)
    assert snap.raw_status == "2" and snap.reassignment
    assert snap.status is DeliveryStatus.PENDING_ACCEPT


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_expired_token_is_rejected(world):
    engine, adapter = world
    q = await adapter.quote(ORDER)
    engine.advance(200)  # sim clock past the token's TTL, the local clock not
    with pytest.raises(RejectedError) as ei:
        await adapter.create(ORDER, q, _att("K10"))
    assert ei.value.code == "-2002"


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_with_fee_tip_positions(world):
    engine, adapter = world
    att = await _dispatch(adapter, "K2")
    assert await adapter.add_tip(att, 200) == 200
    engine.advance(100)
    with pytest.raises(RejectedError):
        await adapter.add_tip(att.with_(tip_fen=200), 100)  # a rider has accepted
    [pos] = await adapter.rider_positions([att])
    assert 34.7 < pos.lat < 34.8 and 113.6 < pos.lng < 113.7 and pos.name
    assert await adapter.cancel_preview(att) == 200
    assert await adapter.cancel(att, "顾客取消") == 200
    snap = await adapter.query(att)
    assert snap.status is DeliveryStatus.CANCELLED and snap.cancel_fee_fen == 200
    assert snap.tip_fen == 200


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_refused_after_pickup(world):
    engine, adapter = world
    att = await _dispatch(adapter, "K3")
    engine.advance(400)
    with pytest.raises(RejectedError):
        await adapter.cancel_preview(att)
    with pytest.raises(RejectedError):
        await adapter.cancel(att, "x")
    assert (await adapter.query(att)).status is DeliveryStatus.PICKED_UP


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_callback_roundtrip(world):
    engine, adapter = world
    att = await _dispatch(adapter, "K4")
    o = engine.find(CID, "K4")
    o.callback_url = "http://127.0.0.1:9/cb/secret"
    assert await adapter.cancel(att, "不要了") == 0
    url, headers, body = uu_sandbox.callback_payload(engine, o, engine.snapshot(o))
    assert url == o.callback_url
    result = adapter.parse_callback(CallbackRequest("POST", "/cb/secret", {}, headers, body))
    [ev] = result.events
    assert ev.snapshot.status is DeliveryStatus.CANCELLED and ev.snapshot.raw_status == "-1"
    assert ev.snapshot.carrier_order_id == att.carrier_order_id
    assert json.loads(result.reply_body)["code"] == 0
    tampered = body.replace(b'\\"state\\":-1', b'\\"state\\":10')
    assert tampered != body
    with pytest.raises(CallbackRejected):
        adapter.parse_callback(CallbackRequest("POST", "/cb/secret", {}, headers, tampered))


# ---------------------------------------------------------------------------- issue 18
def _styled(adapter: Adapter, **options: object) -> Adapter:
    return Adapter(replace(adapter.ctx, options=options))


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize(
    ("played", "style", "ok"),
    [
        ("snake", "snake", True),
        ("both", "camel", True),
        ("snake", "camel", False),  # receiverPhone is ignored: the create is refused
        ("camel", "snake", False),
    ],
)
async def test_sandbox_field_style(world, played, style, ok):
    engine, adapter = world
    engine.set_variant(CID, "field_style", played)
    uu = _styled(adapter, field_style=style)
    q = await uu.quote(ORDER)
    if not ok:
        with pytest.raises(RejectedError) as ei:
            await uu.create(ORDER, q, _att(f"KS-{played}-{style}"))
        assert "receiver" in str(ei.value)
        return
    res = await uu.create(ORDER, q, _att(f"KS-{played}-{style}"))
    att = _att(f"KS-{played}-{style}").with_(carrier_order_id=res.carrier_order_id)
    assert (await uu.query(att)).carrier_order_id == res.carrier_order_id


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_unpaid_order_is_flagged_and_cancelled(world):
    """F3: the payment-link answer is insufficient balance with the link, and the unpaid
    order is cancelled so paying the link later cannot bring a rider."""
    engine, adapter = world
    q = await adapter.quote(ORDER)
    engine.set_faults(CID, Faults(insufficient_balance=True))
    with pytest.raises(mapping.PaymentRequiredError) as ei:
        await adapter.create(ORDER, q, _att("KP"))
    engine.set_faults(CID, Faults())
    o = engine.find(CID, "KP")
    assert o is not None and o.extra["unpaid"] and ei.value.order_code == o.carrier_order_id
    assert ei.value.payment_url.startswith("https://pay.sandbox.uupt.invalid/")
    assert o.cancelled is not None and engine.snapshot(o).state is SimState.CANCELLED


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_unpaid_order_kept_when_configured(world):
    engine, adapter = world
    uu = _styled(adapter, cancel_unpaid=False)
    q = await uu.quote(ORDER)
    engine.set_faults(CID, Faults(insufficient_balance=True))
    with pytest.raises(InsufficientBalanceError):
        await uu.create(ORDER, q, _att("KQ"))
    engine.set_faults(CID, Faults())
    o = engine.find(CID, "KQ")
    assert o is not None and o.cancelled is None
    engine.advance(600)
    assert engine.snapshot(o).rider is None  # UU asks no rider for an unpaid order


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize(
    ("variant", "value"),
    [
        ("detail_fee", "orderPrice"),
        ("detail_fee", "needPayMoney"),
        ("cancel_fee_key", "deductFee"),
        ("cancel_fee_key", "cancelFee"),
        ("track", "lnglat"),
        ("track", "driverLastLoc"),
    ],
)
async def test_sandbox_answer_variants_are_read(world, variant, value):
    """F5, F6, F7: both shapes of each disputed answer give the same facts."""
    engine, adapter = world
    engine.set_variant(CID, variant, value)
    att = await _dispatch(adapter, f"KV-{variant}-{value}")
    engine.advance(100)  # accepted
    [pos] = await adapter.rider_positions([att])
    assert 34.7 < pos.lat < 34.8 and 113.6 < pos.lng < 113.7 and pos.name and pos.phone
    assert await adapter.cancel(att, "顾客取消") == 200
    snap = await adapter.query(att)
    assert snap.status is DeliveryStatus.CANCELLED and snap.actual_fee_fen == att.quoted_fee_fen
