"""DoorDash Drive v2: the JWT, bodies and answers against the public examples (golden),
then the adapter against its JWT-verifying sandbox, including the disputed variants.

Golden answer: the shape of a public Drive quote answer (an integrator's recorded
response, ``tests/data/carriers/doordash/quote.response.json``); the JWT recipe as in a
public Node integration: ``jwt.sign(claims, Buffer.from(signing_secret, "base64"),
{algorithm: HS256, header: {"dd-ver": "DD-JWT-V1"}})``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.carriers.base import (
    AuthError,
    CallbackRejected,
    CallbackRequest,
    RejectedError,
    UnavailableError,
)
from app.core.carriers.doordash import RULES, mapping
from app.core.carriers.doordash.rules import Options
from app.core.clock import SystemClock
from app.core.domain import DeliveryStatus
from app.core.sandbox import doordash as dd_sandbox
from app.core.sandbox.engine import SimState
from app.core.sandbox.front import Fail
from tests.core.carriers.kit import DATA, ORDERS, STORES, attempt, customer, make_order

CREDS = RULES.rehearsal_credentials
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_jwt_is_hs256_with_dd_ver_signed_by_the_decoded_secret():
    token = mapping.jwt(CREDS, NOW, ttl_s=300, decoding="base64url")
    head, body, sig = token.split(".")
    assert json.loads(_unb64(head)) == {"alg": "HS256", "typ": "JWT", "dd-ver": "DD-JWT-V1"}
    iat = int(NOW.timestamp())
    assert json.loads(_unb64(body)) == {
        "aud": "doordash",
        "iss": "rehearsal-dd-developer",
        "kid": "rehearsal-dd-key",
        "exp": iat + 300,
        "iat": iat,
    }
    key = base64.b64decode(CREDS["signing_secret"] + "==")  # as Buffer.from(s, "base64")
    assert key == b"rehearsal-doordash-signing-secret!"
    want = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert _unb64(sig) == want
    # the sandbox accepts it, and refuses it when it plays the raw-secret variant
    assert dd_sandbox.verify_jwt("Bearer " + token, "base64url", now=iat + 1)["iss"]
    with pytest.raises(Fail):
        dd_sandbox.verify_jwt("Bearer " + token, "raw", now=iat + 1)
    with pytest.raises(Fail):  # expired
        dd_sandbox.verify_jwt("Bearer " + token, "base64url", now=iat + 301)


def test_quote_body_in_cents_e164_and_wgs84():
    body = mapping.delivery_body(ORDERS["doordash"], STORES["doordash"], "JP1-1", Options())
    assert body == {
        "external_delivery_id": "JP1-1",
        "pickup_address": "901 Market St, San Francisco, CA 94103",
        "pickup_business_name": "Golden Dragon",
        "pickup_phone_number": "+14155550100",
        "dropoff_address": "1 Dr Carlton B Goodlett Pl, San Francisco, CA 94102",
        "dropoff_phone_number": "+14155550123",
        "dropoff_contact_given_name": "Ada",
        "dropoff_contact_family_name": "Lovelace",
        "dropoff_location": {"lat": 37.7793, "lng": -122.4193},  # outside China: unchanged
        "order_value": 2900,
        "action_if_undeliverable": "return_to_pickup",
        "pickup_reference_tag": "A12",
        "dropoff_instructions": "Ring the bell",
    }


def test_inside_china_the_wire_point_is_wgs84_not_gcj02():
    order = make_order(customer=customer("张 三", "13800001111", "上海", 31.2380, 121.4800))
    body = mapping.delivery_body(order, STORES["dada"], "K", Options())
    loc = body["dropoff_location"]
    assert body["dropoff_phone_number"] == "+8613800001111"
    # GCJ-02 is offset ~500 m from WGS-84 in Shanghai: the wire point moved back
    assert abs(loc["lat"] - 31.2380) > 0.001 and abs(loc["lng"] - 121.4800) > 0.003


def test_public_quote_answer_parses_to_cents_with_a_five_minute_quote():
    data = json.loads((DATA / "doordash" / "quote.response.json").read_text())
    q = mapping.parse_quote(data, NOW, currency="USD")
    assert (q.fee_fen, q.token, q.binding) == (975, "D-37494", True)
    assert q.expires_at == NOW + timedelta(seconds=300)  # no expires_at in the answer
    with pytest.raises(ValueError, match="USD"):  # a CNY store must not read cents as fen
        mapping.parse_quote(data, NOW, currency="CNY")
    snap = mapping.parse_status(
        {**data, "delivery_status": "enroute_to_dropoff"}, cancel_fee_field="fee"
    )
    assert snap.status is DeliveryStatus.PICKED_UP and snap.actual_fee_fen == 975


@pytest.mark.parametrize(
    ("raw", "status"),
    [("created", "pending_accept"), ("confirmed", "accepted"), ("arrived_at_pickup", "at_pickup"),
     ("picked_up", "picked_up"), ("arrived_at_dropoff", "at_dropoff"), ("delivered", "delivered"),
     ("enroute_to_return", "returning"), ("returned", "returned"), ("cancelled", "cancelled"),
     ("something_new", "unknown")],
)  # fmt: skip
def test_status_table(raw, status):
    snap = mapping.parse_status(
        {"external_delivery_id": "K", "delivery_status": raw}, cancel_fee_field="fee"
    )
    assert snap.status.value == status


# ---------------------------------------------------------------------------- sandbox
async def _world(sandbox_world, **options):
    return await sandbox_world("doordash", clock=SystemClock(), store=STORES["doordash"], **options)


async def _variant(world, **kv):
    async with httpx.AsyncClient() as c:
        for name, value in kv.items():
            body = {"carrier": "doordash", "name": name, "value": value}
            r = await c.post(world.server.base_url + "/__sandbox/variant", json=body)
            r.raise_for_status()


async def _accepted(world, key):
    order = ORDERS["doordash"]
    q = await world.adapter.quote(order, key=key)
    att = attempt("doordash", key)
    res = await world.adapter.create(order, q, att)
    return q, att.with_(carrier_order_id=res.carrier_order_id), res


@pytest.mark.asyncio
@pytest.mark.integration
async def test_quote_accept_track_deliver_tip_and_webhook(sandbox_world):
    world = await _world(sandbox_world)
    q, att, res = await _accepted(world, "DD-1")
    assert res.carrier_order_id == "DD-1" and res.fee_fen == q.fee_fen and res.tracking_url
    assert await world.adapter.add_tip(att, 250) == 250
    assert await world.adapter.add_tip(att.with_(tip_fen=250), 100) == 350
    world.engine.advance(40)
    snap = await world.adapter.query(att)
    assert snap.status is DeliveryStatus.ACCEPTED and snap.rider and snap.tip_fen == 350
    [pos] = await world.adapter.rider_positions([att])
    assert abs(pos.lat - 37.78) < 0.05 and abs(pos.lng + 122.41) < 0.05  # GCJ == WGS here
    world.engine.advance(2000)
    assert (await world.adapter.query(att)).status is DeliveryStatus.DELIVERED
    # the webhook the sandbox would push, read by the adapter (auth header checked)
    o = world.engine.find("doordash", "DD-1")
    o.callback_url = "http://127.0.0.1:9/cb"
    _url, headers, body = dd_sandbox.callback_payload(world.engine, o, world.engine.snapshot(o))
    req = CallbackRequest("POST", "/cb", {}, headers, body)
    [event] = world.adapter.parse_callback(req).events
    assert (
        event.snapshot.status is DeliveryStatus.DELIVERED and "DASHER_DROPPED_OFF" in event.event_id
    )
    with pytest.raises(CallbackRejected):
        world.adapter.parse_callback(
            CallbackRequest("POST", "/cb", {}, {"Authorization": "x"}, body)
        )


@pytest.mark.asyncio
@pytest.mark.integration
async def test_cancel_after_acceptance_charges_a_fee_and_duplicate_is_resolved(sandbox_world):
    world = await _world(sandbox_world)
    q, att, _ = await _accepted(world, "DD-2")
    # a repeated create (the answer was lost) is the same delivery: 409 -> GET
    again = await world.adapter.create(ORDERS["doordash"], q, attempt("doordash", "DD-2"))
    assert again.carrier_order_id == "DD-2"
    assert len(world.engine.orders["doordash"]) == 1
    world.engine.advance(120)  # accepted 90 s ago: past the free minute
    assert await world.adapter.cancel_preview(att) > 0
    assert await world.adapter.cancel(att, "customer cancelled") == 200
    snap = await world.adapter.query(att)
    assert snap.status is DeliveryStatus.CANCELLED and snap.cancel_fee_fen == 200
    assert snap.cancelled_by is not None and snap.cancelled_by.value == "merchant"


@pytest.mark.asyncio
@pytest.mark.integration
async def test_cancel_after_pickup_is_refused(sandbox_world):
    world = await _world(sandbox_world)
    _, att, _ = await _accepted(world, "DD-3")
    world.engine.advance(400)
    assert world.engine.snapshot(world.engine.find("doordash", "DD-3")).state is SimState.PICKED_UP
    with pytest.raises(RejectedError):
        await world.adapter.cancel(att, "late")


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_plays_the_raw_secret_variant_and_the_option_follows(sandbox_world):
    world = await _world(sandbox_world)
    await _variant(world, secret_decoding="raw")
    with pytest.raises(AuthError) as ei:
        await world.adapter.quote(ORDERS["doordash"], key="DD-4")
    assert ei.value.code == 401
    raw = await _world(sandbox_world, secret_decoding="raw")
    await _variant(raw, secret_decoding="raw")
    assert (await raw.adapter.quote(ORDERS["doordash"], key="DD-4")).fee_fen > 0


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_plays_the_cancel_fee_field_variant(sandbox_world):
    world = await _world(sandbox_world, cancel_fee_field="cancellation_fee")
    await _variant(world, cancel_fee_field="cancellation_fee")
    _, att, _ = await _accepted(world, "DD-5")
    world.engine.advance(120)
    assert await world.adapter.cancel(att, "x") == 200


@pytest.mark.asyncio
@pytest.mark.integration
async def test_currency_other_than_the_store_is_refused(sandbox_world):
    world = await _world(sandbox_world)
    await _variant(world, currency="CAD")
    with pytest.raises(UnavailableError, match="CAD"):
        await world.adapter.quote(ORDERS["doordash"], key="DD-6")
