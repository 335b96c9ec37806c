"""SF same-city adapter: signer, golden requests, parsers, error mapping, and the
whole lifecycle against its sandbox over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import pytest_asyncio

from app.core.carriers.base import (
    CallbackRejected,
    CallbackRequest,
    CarrierContext,
    RejectedError,
)
from app.core.carriers.http import CarrierHttp
from app.core.carriers.sf import RULES, Adapter, mapping
from app.core.carriers.sf.rules import Options
from app.core.clock import SystemClock
from app.core.domain import DeliveryAttempt, DeliveryStatus
from app.core.sandbox import sf as sf_sandbox
from app.core.sandbox.engine import SandboxEngine, Scenario
from app.core.sandbox.server import SandboxServer
from tests.core.carriers.kit import ORDERS, STORES, canned, fixture

CREDS = RULES.rehearsal_credentials
OPTS = Options()
NOW = 1764000000

STORE, ORDER = STORES["sf"], ORDERS["sf"]
ATTEMPT = DeliveryAttempt(order_id=1, attempt_no=1, carrier="sf", idempotency_key="JP1001A1")


# ----------------------------------------------------------------------------- signer
def test_doc_signature_example():
    body = '{"dev_id":1234567,"order_id":"3165848793513984","order_type":1,"push_time":1700000000}'
    assert mapping.sign(body, "1234567", "sf_dev_key") == (
        "MjUxYWUwZmE0ZjI2MjVmNTYzY2U4ZTM1NjJlYTYzY2Q="
    )


def test_envelope_signs_exactly_the_bytes_sent():
    wire = mapping.envelope(
        "getorderstatus",
        {"order_id": "3165848793513984", "order_type": 1},
        {"dev_id": "1234567", "dev_key": "sf_dev_key", "shop_id": "x"},
        1700000000,
    )
    assert wire.content.decode() == (
        '{"dev_id":1234567,"order_id":"3165848793513984","order_type":1,"push_time":1700000000}'
    )
    assert wire.params == {"sign": "MjUxYWUwZmE0ZjI2MjVmNTYzY2U4ZTM1NjJlYTYzY2Q="}


# ----------------------------------------------------------------------------- golden
def _builds() -> dict[str, mapping.Wire]:
    with_id = ATTEMPT.with_(carrier_order_id="3165848793513984")
    return {
        "quote": mapping.build_quote(ORDER, STORE, CREDS, OPTS, NOW),
        "create": mapping.build_create(ORDER, STORE, ATTEMPT, CREDS, OPTS, NOW),
        "query_by_key": mapping.build_ref_call("getorderstatus", ATTEMPT, CREDS, OPTS, NOW),
        "query": mapping.build_ref_call("getorderstatus", with_id, CREDS, OPTS, NOW),
        "precancel": mapping.build_ref_call("precancelorder", with_id, CREDS, OPTS, NOW),
        "cancel": mapping.build_cancel(with_id, "顾客不要了", CREDS, OPTS, NOW),
        "tip": mapping.build_tip(with_id.with_(tip_fen=200), 300, CREDS, OPTS, NOW),
        "position": mapping.build_ref_call("riderlatestposition", with_id, CREDS, OPTS, NOW),
    }


@pytest.mark.parametrize("name", list(_builds()))
def test_golden_request(name):
    wire, want = _builds()[name], fixture("sf", f"{name}.request")
    assert wire.method == want["method"]
    assert wire.content.decode("utf-8") == want["body"]
    assert wire.params == {"sign": want["sign"]}
    assert wire.content_type.startswith("application/json")


# ----------------------------------------------------------------------------- parsers
def test_parse_quote():
    result = mapping.unwrap(json.dumps(canned("sf", "quote")).encode(), mutating=False)
    q = mapping.parse_quote(result, datetime(2025, 11, 24, tzinfo=UTC))
    assert (q.carrier, q.fee_fen, q.distance_m, q.binding, q.expires_at) == (
        "sf",
        1150,
        4210,
        False,
        None,
    )
    assert q.delivery_eta_s == 45 * 60


def test_parse_create():
    result = mapping.unwrap(json.dumps(canned("sf", "create")).encode(), mutating=True)
    cr = mapping.parse_create(result)
    assert (cr.carrier_order_id, cr.fee_fen, cr.distance_m) == ("3165848793513984", 1150, 4210)


def test_parse_status_delivered_and_reassignment():
    snap = mapping.parse_status(
        mapping.unwrap(json.dumps(canned("sf", "status")).encode(), mutating=False)
    )
    assert snap.status is DeliveryStatus.DELIVERED
    assert (snap.raw_status, snap.actual_fee_fen, snap.tip_fen) == ("17", 1150, 300)
    assert snap.rider is not None and snap.rider.name == "李强"
    assert snap.idempotency_key == "JP1001A1"
    withdrew = mapping.parse_status({"order_status": 22, "sf_order_id": "1"})
    assert withdrew.status is DeliveryStatus.PENDING_ACCEPT and withdrew.reassignment
    assert mapping.parse_status({"order_status": 99}).status is DeliveryStatus.UNKNOWN


def test_parse_cancel_preview_tip_position():
    assert mapping.parse_precancel({"could_cancel": 1, "deduction_fee": 200}) == 200
    with pytest.raises(RejectedError):
        mapping.parse_precancel({"could_cancel": 0})
    assert mapping.parse_cancel({"deduction_detail": {"deduction_fee": 200}}) == 200
    assert mapping.parse_tip({"gratuity_fee": 300, "total_gratuity_fee": 500}) == 500
    pos = mapping.parse_position({"rider_lat": "39.9", "rider_lng": "116.4"}, "K")
    assert pos is not None and (pos.lat, pos.lng) == (39.9, 116.4)


# ----------------------------------------------------------------------------- sandbox
def _ctx(server: SandboxServer, http: CarrierHttp, creds=None) -> CarrierContext:
    return CarrierContext(
        carrier="sf",
        base_url=server.carrier_url("sf"),
        credentials=creds or RULES.rehearsal_credentials,
        store=STORE,
        http=http,
        clock=SystemClock(),
    )


@pytest_asyncio.fixture
async def sandbox():
    engine = SandboxEngine(seed=1, speed=0)
    server = SandboxServer(engine, carriers=("sf",), push_callbacks=False)
    await server.start()
    http = CarrierHttp(timeout_s=2)
    try:
        yield engine, server, Adapter(_ctx(server, http))
    finally:
        await http.aclose()
        await _cancel_hung_handlers()
        await server.stop()


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


def _attempt(key: str) -> DeliveryAttempt:
    return DeliveryAttempt(order_id=1, attempt_no=1, carrier="sf", idempotency_key=key)


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_lifecycle(sandbox):
    engine, _server, sf = sandbox
    quote = await sf.quote(ORDER)
    assert quote.fee_fen > 0 and quote.distance_m > 0 and not quote.binding
    att = _attempt("JP-LIFE-1")
    created = await sf.create(ORDER, quote, att)
    att = att.with_(carrier_order_id=created.carrier_order_id)
    assert (await sf.query(att)).status is DeliveryStatus.PENDING_ACCEPT
    assert await sf.add_tip(att, 200) == 200
    att = att.with_(tip_fen=200)
    assert await sf.add_tip(att, 100) == 300
    assert await sf.add_tip(att, 100) == 300  # retry with the same state: same serial
    engine.advance(31)
    snap = await sf.query(att)
    assert snap.status is DeliveryStatus.ACCEPTED and snap.rider and snap.rider.phone
    (pos,) = await sf.rider_positions([att])
    assert pos.idempotency_key == "JP-LIFE-1" and 39 < pos.lat < 41
    engine.advance(300)
    assert (await sf.query(att)).status is DeliveryStatus.PICKED_UP
    with pytest.raises(RejectedError):
        await sf.add_tip(att.with_(tip_fen=300), 100)  # only before acceptance
    engine.advance(700)
    done = await sf.query(att)
    assert done.status is DeliveryStatus.DELIVERED and done.actual_fee_fen == created.fee_fen


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_cancel_with_fee_and_callbacks(sandbox):
    engine, _server, sf = sandbox
    att = _attempt("JP-CXL-1")
    created = await sf.create(ORDER, await sf.quote(ORDER), att)
    att = att.with_(carrier_order_id=created.carrier_order_id)
    engine.advance(100)  # accepted at 30 s, 70 s ago
    order = engine.find("sf", "JP-CXL-1")
    order.callback_url = "http://127.0.0.1:9/cb?t=1"
    url, headers, body = sf_sandbox.callback_payload(engine, order, engine.snapshot(order))
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["t"] == "1"
    req = CallbackRequest("POST", "/cb", query, headers, body)
    result = sf.parse_callback(req)
    assert result.events[0].snapshot.status is DeliveryStatus.ACCEPTED
    assert result.reply_body == b'{"error_code":0,"error_msg":"success"}'
    with pytest.raises(CallbackRejected):
        sf.parse_callback(
            CallbackRequest(
                "POST",
                "/cb",
                query,
                headers,
                body.replace(b'"order_status":10', b'"order_status":17'),
            )
        )
    assert await sf.cancel_preview(att) == 200
    assert await sf.cancel(att, "顾客取消") == 200
    snap = await sf.query(att)
    assert snap.status is DeliveryStatus.CANCELLED and snap.cancel_fee_fen == 200
    with pytest.raises(RejectedError):
        await sf.cancel(att, "again")


def test_rules_shape():
    assert RULES.credential_keys == ("dev_id", "dev_key", "shop_id")
    assert RULES.secret_keys == ("dev_key",)
    assert RULES.tips.validate(0, 100, 0) is None and RULES.tips.validate(0, 50, 0)
    assert RULES.unverified and not RULES.quote_binding


# ----------------------------------------------------------------------------- issue 18
def test_getorderstatus_sdk_key_names_keep_sf_order_id():
    """F4: the SDK sample names the ids ``order_id``/``out_order_id`` (a big integer)."""
    snap = mapping.parse_status(
        {"order_id": 3368153620852828000, "out_order_id": "28930139715870", "order_status": 10}
    )
    assert snap.carrier_order_id == "3368153620852828000"
    assert snap.idempotency_key == "28930139715870"
    cb = mapping.parse_status({"sf_order_id": "S1", "shop_order_id": "K1", "order_status": 10})
    assert (cb.carrier_order_id, cb.idempotency_key) == ("S1", "K1")


def test_status_22_option_and_settled_28():
    """F8: 22 re-dispatches by default; ``status_22 = "cancelled"`` makes it terminal."""
    assert Options().status_22 == "reassign" and Options().version == 17
    gone = mapping.parse_status({"order_status": 22, "sf_order_id": "1"}, status_22="cancelled")
    assert gone.status is DeliveryStatus.CANCELLED and not gone.reassignment
    assert mapping.parse_status({"order_status": 28}).status is DeliveryStatus.CANCELLED
    assert not any(u.startswith("version") for u in RULES.unverified)


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize("style", ["order_id", "sf_order_id"])
async def test_sandbox_query_by_key_keeps_sf_id_in_either_spelling(sandbox, style):
    engine, _server, sf = sandbox
    engine.set_variant("sf", "status_keys", style)
    att = _attempt(f"JP-KEYS-{style}")
    created = await sf.create(ORDER, await sf.quote(ORDER), att)
    snap = await sf.query(att)  # by shop_order_id (order_type 2), SF's id unknown yet
    assert snap.carrier_order_id == created.carrier_order_id != ""


@pytest.mark.asyncio
@pytest.mark.integration
@pytest.mark.parametrize(
    ("variant", "option", "status"),
    [
        ("reassign", "reassign", DeliveryStatus.PENDING_ACCEPT),
        ("cancelled", "cancelled", DeliveryStatus.CANCELLED),
        ("cancelled", "reassign", DeliveryStatus.PENDING_ACCEPT),  # the mismatch is visible
    ],
)
async def test_sandbox_status_22_variants(sandbox, variant, option, status):
    engine, server, _sf = sandbox
    http = CarrierHttp(timeout_s=2)
    ctx = _ctx(server, http)
    sf = Adapter(replace(ctx, options={"status_22": option}))
    engine.set_variant("sf", "status_22", variant)
    engine.set_scenario("sf", Scenario.RIDER_CANCELS)
    try:
        att = _attempt(f"JP-22-{variant}-{option}")
        await sf.create(ORDER, await sf.quote(ORDER), att)
        engine.advance(80)  # accepted at 30 s, withdrawn at 70 s
        snap = await sf.query(att)
        assert snap.raw_status == "22" and snap.status is status
        engine.advance(60)  # the reassign variant finds a new rider; cancelled stays 22
        later = await sf.query(att)
        assert later.raw_status == ("22" if variant == "cancelled" else "10")
    finally:
        await http.aclose()
