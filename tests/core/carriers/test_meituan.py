"""Meituan (legacy) adapter: signer, golden requests, parsers, error mapping, and the
whole lifecycle against its sandbox over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio

from app.core.carriers.base import (
    CallbackRejected,
    CallbackRequest,
    CarrierContext,
    NotFoundError,
    OutcomeUnknownError,
    RejectedError,
)
from app.core.carriers.http import CarrierHttp
from app.core.carriers.meituan import RULES, Adapter, mapping
from app.core.carriers.meituan.rules import Options
from app.core.clock import SystemClock
from app.core.domain import DeliveryAttempt, DeliveryStatus, Quote, Rider
from app.core.sandbox import meituan as mt_sandbox
from app.core.sandbox.engine import Faults, SandboxEngine
from app.core.sandbox.server import SandboxServer
from tests.core.carriers.kit import ORDERS, STORES, canned, fixture

CREDS = RULES.rehearsal_credentials
OPTS = Options()
NOW = 1764000000

STORE, ORDER = STORES["meituan"], ORDERS["meituan"]
ATTEMPT = DeliveryAttempt(order_id=1, attempt_no=1, carrier="meituan", idempotency_key="JP1001A1")


# ----------------------------------------------------------------------------- signer
def test_doc_signature_example():
    params = {
        "appkey": "mt_appkey",
        "timestamp": "1700000000",
        "version": "1.0",
        "delivery_id": "100001",
        "mt_peisong_id": "1501205493087417",
    }
    assert mapping.sign(params, "mt_secret") == "7d978aca5e0e9be45d3e0487f40b38029a72997b"


def test_envelope_drops_empty_and_sends_what_it_signs():
    wire = mapping.envelope(
        "/order/status/query",
        {"delivery_id": 100001, "mt_peisong_id": "1501205493087417", "note": ""},
        {"app_key": "mt_appkey", "app_secret": "mt_secret"},
        1700000000,
    )
    assert dict(parse_qsl(wire.content.decode())) == wire.form
    assert "note" not in wire.form
    assert wire.form["sign"] == "7d978aca5e0e9be45d3e0487f40b38029a72997b"


def test_ids_are_deterministic():
    assert mapping.delivery_id("JP1001A1") == mapping.delivery_id("JP1001A1")
    assert 0 < mapping.delivery_id("x" * 100) < 2**63
    assert mapping.order_id("JP1001A1") == "JP1001A1"
    assert len(mapping.order_id("k" * 40)) == 32


# ----------------------------------------------------------------------------- golden
def _builds() -> dict[str, mapping.Wire]:
    with_id = ATTEMPT.with_(carrier_order_id="1501205493087417")
    return {
        "quote": mapping.build_quote(ORDER, CREDS, OPTS, NOW),
        "create": mapping.build_create(ORDER, ATTEMPT, CREDS, OPTS, NOW),
        "query": mapping.build_query(with_id, CREDS, NOW),
        "query_by_key": mapping.build_query(ATTEMPT, CREDS, NOW),
        "cancel": mapping.build_cancel(with_id, "顾客不要了", CREDS, OPTS, NOW),
        "tip": mapping.build_tip(with_id.with_(tip_fen=200), 300, CREDS, OPTS, NOW),
        "position": mapping.build_position(with_id, CREDS, NOW),
    }


@pytest.mark.parametrize("name", list(_builds()))
def test_golden_request(name):
    wire, want = _builds()[name], fixture("meituan", f"{name}.request")
    assert wire.path == want["path"]
    assert wire.content.decode("ascii") == want["body"]
    assert wire.form == want["form"]
    assert wire.content_type == "application/x-www-form-urlencoded;charset=utf-8"


def test_create_units():
    form = _builds()["create"].form
    assert form["receiver_lat"] == "39907500" and form["receiver_lng"] == "116460000"
    assert form["goods_value"] == "60.00" and form["goods_weight"] == "1.50"
    assert form["delivery_id"] == str(mapping.delivery_id("JP1001A1"))


# ----------------------------------------------------------------------------- parsers
def test_parse_quote():
    data = mapping.unwrap(json.dumps(canned("meituan", "quote")).encode(), mutating=False)
    q = mapping.parse_quote(data, datetime(2025, 11, 24, tzinfo=UTC), OPTS)
    assert (q.carrier, q.fee_fen, q.distance_m, q.binding) == ("meituan", 1150, 4210, False)


def test_parse_create():
    data = mapping.unwrap(json.dumps(canned("meituan", "create")).encode(), mutating=True)
    assert mapping.parse_create(data).carrier_order_id == "1501205493087417"


def test_parse_status_delivered_and_reassignment():
    data = mapping.unwrap(json.dumps(canned("meituan", "status")).encode(), mutating=False)
    snap = mapping.parse_status(data, "JP1001A1")
    assert snap.status is DeliveryStatus.DELIVERED
    assert (snap.raw_status, snap.actual_fee_fen, snap.carrier_order_id) == (
        "50",
        1235,
        "1501205493087417",
    )
    accepted = {"status": 20, "courier_name": "王五", "courier_phone": "13911112222"}
    old = Rider("李强", "13912345678")
    assert mapping.parse_status(accepted, "k", old).reassignment
    assert not mapping.parse_status(accepted, "k", Rider("王五", "13911112222")).reassignment
    cancelled = mapping.parse_status({"status": 99, "pay_amount": 2.0, "cancel_reason_id": 199})
    assert cancelled.cancel_fee_fen == 200 and cancelled.status is DeliveryStatus.CANCELLED
    assert mapping.parse_status({"status": 7}).status is DeliveryStatus.UNKNOWN


def test_parse_position():
    pos = mapping.parse_position({"lat": 39907500, "lng": 116460000}, "k")
    assert pos is not None and (pos.lat, pos.lng) == (39.9075, 116.46)
    assert mapping.parse_position({"lat": 0, "lng": 0}, "k") is None


def test_exception_callback():
    form = {
        "delivery_id": "1",
        "mt_peisong_id": "M1",
        "order_id": "JP1",
        "exception_id": "E9",
        "exception_code": "10001",
        "exception_descr": "顾客电话无法接通",
        "exception_time": "1764000000",
        "appkey": CREDS["app_key"],
        "timestamp": "1764000000",
    }
    form["sign"] = mapping.sign(form, CREDS["app_secret"])
    req = CallbackRequest(
        "POST", "/cb", {}, {}, "&".join(f"{k}={v}" for k, v in form.items()).encode()
    )
    result = mapping.parse_callback(req, CREDS)
    (event,) = result.events
    assert event.event_id == "E9" and "无法接通" in event.snapshot.exception
    assert result.reply_body == b'{"code":0}'


# ----------------------------------------------------------------------------- sandbox
def _ctx(server: SandboxServer, http: CarrierHttp, creds=None) -> CarrierContext:
    return CarrierContext(
        carrier="meituan",
        base_url=server.carrier_url("meituan"),
        credentials=creds or RULES.rehearsal_credentials,
        store=STORE,
        http=http,
        clock=SystemClock(),
    )


async def _cancel_hung_handlers() -> None:
    """Handlers parked in a ``hang`` fault sleep for an hour; the runner's graceful
    shutdown would wait for them, so cancel them first."""
    hung = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        while coro is not None and hasattr(coro, "cr_code"):
            if coro.cr_code.co_name in ("before_request", "after_create"):
                hung.append(task)
                task.cancel()
                break
            coro = coro.cr_await
    for task in hung:
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest_asyncio.fixture
async def sandbox():
    engine = SandboxEngine(seed=1, speed=0)
    server = SandboxServer(engine, carriers=("meituan",), push_callbacks=False)
    await server.start()
    http = CarrierHttp(timeout_s=2)
    try:
        yield engine, server, Adapter(_ctx(server, http))
    finally:
        await http.aclose()
        await _cancel_hung_handlers()
        await server.stop()


def _attempt(key: str) -> DeliveryAttempt:
    return DeliveryAttempt(order_id=1, attempt_no=1, carrier="meituan", idempotency_key=key)


async def _quote_unfaulted(engine, mt):
    saved = engine.faults.pop("meituan", None)
    try:
        return await mt.quote(ORDER)
    finally:
        if saved is not None:
            engine.faults["meituan"] = saved


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_lifecycle(sandbox):
    engine, _server, mt = sandbox
    quote = await mt.quote(ORDER)
    assert quote.fee_fen > 0 and quote.distance_m > 0 and not quote.binding
    att = _attempt("JP-LIFE-1")
    created = await mt.create(ORDER, quote, att)
    att = att.with_(carrier_order_id=created.carrier_order_id)
    again = await mt.create(ORDER, quote, att)  # same ids: same mt_peisong_id
    assert again.carrier_order_id == created.carrier_order_id and len(engine.orders["meituan"]) == 1
    snap = await mt.query(att)
    assert snap.status is DeliveryStatus.PENDING_ACCEPT
    assert await mt.cancel_preview(att) == 0
    assert await mt.add_tip(att, 200) == 200
    att = att.with_(tip_fen=200, tip_count=1)
    assert await mt.add_tip(att, 100) == 300
    assert await mt.add_tip(att, 100) == 300  # retry with the same state: same serial
    assert engine.find("meituan", "JP-LIFE-1").tip_fen == 300
    with pytest.raises(RejectedError):
        await mt.add_tip(att, 150)  # integer yuan only
    engine.advance(31)
    snap = await mt.query(att.with_(status=DeliveryStatus.PENDING_ACCEPT))
    assert snap.status is DeliveryStatus.ACCEPTED and snap.rider and snap.rider.phone
    (pos,) = await mt.rider_positions([att])
    assert 39 < pos.lat < 41 and 116 < pos.lng < 117
    engine.advance(300)
    assert (await mt.query(att)).status is DeliveryStatus.PICKED_UP
    engine.advance(700)
    done = await mt.query(att)
    fee = engine.find("meituan", "JP-LIFE-1").fee_fen
    assert done.status is DeliveryStatus.DELIVERED and done.actual_fee_fen == fee


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_with_fee_and_callbacks(sandbox):
    engine, _server, mt = sandbox
    att = _attempt("JP-CXL-1")
    created = await mt.create(ORDER, await mt.quote(ORDER), att)
    att = att.with_(carrier_order_id=created.carrier_order_id)
    assert await mt.rider_positions([att]) == []  # no rider yet
    engine.advance(100)  # accepted at 30 s, 70 s ago
    order = engine.find("meituan", "JP-CXL-1")
    order.callback_url = "http://127.0.0.1:9/cb"
    url, headers, body = mt_sandbox.callback_payload(engine, order, engine.snapshot(order))
    assert url == "http://127.0.0.1:9/cb"
    req = CallbackRequest("POST", "/cb", {}, headers, body)
    (event,) = mt.parse_callback(req).events
    assert event.snapshot.status is DeliveryStatus.ACCEPTED and event.snapshot.rider
    with pytest.raises(CallbackRejected):
        mt.parse_callback(
            CallbackRequest("POST", "/cb", {}, headers, body.replace(b"status=20", b"status=50"))
        )
    assert await mt.cancel(att, "顾客取消") == 200
    snap = await mt.query(att)
    assert snap.status is DeliveryStatus.CANCELLED and snap.cancel_fee_fen == 200
    with pytest.raises(RejectedError):
        await mt.cancel(att, "again")


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_create_5xx_hang_then_resolved_by_resending(sandbox):
    """F1: status/query (and delete, rider/location) need mt_peisong_id; an unknown
    create outcome is settled by re-sending createByShop with the same ids, which the
    doc calls the same delivery, never by a query the carrier rejects."""
    engine, server, mt = sandbox
    att = _attempt("JP-5XX-1")
    with pytest.raises(OutcomeUnknownError):
        await mt.query(att)  # no mt_peisong_id: nothing to ask with
    engine.set_faults("meituan", Faults(error_5xx=1.0))
    with pytest.raises(OutcomeUnknownError):
        await mt.create(ORDER, await _quote_unfaulted(engine, mt), att)
    engine.set_faults("meituan", Faults(hang_after_create=True))
    http = CarrierHttp(timeout_s=0.3)
    try:
        with pytest.raises(OutcomeUnknownError):
            await Adapter(_ctx(server, http)).create(ORDER, _fake_quote(), att)
    finally:
        await http.aclose()
    engine.set_faults("meituan", Faults())
    with pytest.raises(OutcomeUnknownError):
        await mt.query(att)  # still unknown: the adapter never sends a query without it
    with pytest.raises(OutcomeUnknownError):
        await mt.cancel(att, "failover")  # order/delete needs it too
    again = await mt.create(ORDER, _fake_quote(), att)  # the resend: same delivery
    (sim,) = engine.orders["meituan"].values()
    assert again.carrier_order_id == sim.carrier_order_id
    att = att.with_(carrier_order_id=again.carrier_order_id)
    snap = await mt.query(att)
    assert snap.status is DeliveryStatus.PENDING_ACCEPT
    assert await mt.cancel(att, "failover") == 0
    assert len(engine.orders["meituan"]) == 1


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize("variant", ["required", "optional"])
async def test_sandbox_peisong_id_variants(sandbox, variant):
    """The sandbox plays both readings of the doc; the old lookup by delivery_id +
    order_id (knob query_by_delivery_id) only works against the lenient one."""
    engine, server, mt = sandbox
    engine.set_variant("meituan", "peisong_id", variant)
    att = _attempt(f"JP-F1-{variant}")
    await mt.create(ORDER, _fake_quote(), att)
    http = CarrierHttp(timeout_s=2)
    ctx = dataclasses.replace(_ctx(server, http), options={"query_by_delivery_id": True})
    try:
        lenient = Adapter(ctx)
        if variant == "required":
            with pytest.raises(RejectedError, match="mt_peisong_id") as e:
                await lenient.query(att)
            assert not isinstance(e.value, NotFoundError)
        else:
            snap = await lenient.query(att)
            assert snap.status is DeliveryStatus.PENDING_ACCEPT and snap.carrier_order_id
    finally:
        await http.aclose()


def _fake_quote() -> Quote:
    return Quote("meituan", 1000, 1000, datetime(2025, 11, 24, tzinfo=UTC), False)


def test_rules_shape():
    assert RULES.credential_keys == ("app_key", "app_secret", "shop_id")
    assert RULES.secret_keys == ("app_secret",)
    assert RULES.tips.validate(0, 2100, 0) and RULES.tips.validate(0, 100, 5)
    assert RULES.tips.validate(1900, 100, 4) is None
    assert RULES.production_base_url == "https://peisongopen.meituan.com/api"
