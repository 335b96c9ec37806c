"""Uber Direct (issue 18): OAuth client credentials, quotes -> deliveries, cancel, proof
of delivery; golden data from the public docs (shared/carriers/uber_direct.md) and the
lifecycle against the protocol-faithful sandbox."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest

from app.core.carriers.base import AuthError, CallbackRejected, CallbackRequest, RejectedError
from app.core.carriers.uber_direct import mapping
from app.core.domain import Address, DeliveryStatus, Quote
from app.core.geo import gcj02_to_wgs84
from tests.core.carriers.kit import STORE, T0, attempt, canned, make_order, mock_http
from tests.core.carriers.kit import adapter as make_adapter

CID = "uber_direct"
# an order abroad: San Francisco (outside China GCJ-02 and WGS-84 are the same)
SF_STORE = replace(STORE, name="Golden Dragon", address="1 Market St, San Francisco, CA",
                   phone="+14155550100", city="San Francisco", lat=37.7936, lng=-122.3950,
                   currency="USD", country="US")  # fmt: skip
SF_ORDER = make_order(
    "No spice",
    customer=replace(
        make_order().customer,
        name="Ann Lee",
        phone="+14155550111",
        address=Address("500 Howard St, San Francisco, CA", 37.7880, -122.3960),
    ),
)


# ---------------------------------------------------------------------------- golden
def test_webhook_signature_matches_the_documented_example():
    body = b'{"kind":"event.delivery_status","status":"pickup"}'
    assert mapping.signature("uber_signing_key", body) == (
        "1f9a78a4d6f99ba42f05668272b7199656d4f11aa02d9b0ae00df3ccebc5a76c"
    )


def test_webhook_is_verified_on_the_raw_body_and_deduped_by_event_id():
    a = make_adapter(CID, mock_http(lambda r: httpx.Response(500)))
    key = a.creds["webhook_signing_key"]
    body = json.dumps(
        {
            "kind": "event.delivery_status",
            "id": "evt_1",
            "delivery_id": "del_1",
            "status": "dropoff",
            "data": {"id": "del_1", "external_id": "JP1001-1", "courier_imminent": True},
        }
    ).encode()
    sig = mapping.signature(key, body)
    res = a.parse_callback(CallbackRequest("POST", "/cb", {}, {"X-Uber-Signature": sig}, body))
    (ev,) = res.events
    assert ev.event_id == "evt_1" and ev.snapshot.status is DeliveryStatus.AT_DROPOFF
    assert ev.snapshot.carrier_order_id == "del_1" and ev.snapshot.idempotency_key == "JP1001-1"
    with pytest.raises(CallbackRejected):
        a.parse_callback(CallbackRequest("POST", "/cb", {}, {"x-uber-signature": sig}, body + b" "))


def _golden_adapter(**kw):
    sent: list[httpx.Request] = []

    def handler(r: httpx.Request) -> httpx.Response:
        sent.append(r)
        if r.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": "IA.tok", "expires_in": 2592000})
        op = r.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, content=json.dumps(canned(CID, op)).encode())

    return make_adapter(CID, mock_http(handler), store=SF_STORE, **kw), sent


@pytest.mark.asyncio
async def test_token_is_client_credentials_form_and_cached():
    a, sent = _golden_adapter(
        base_url="https://api.uber.com", token_url="https://auth.test/oauth/v2/token"
    )
    await a.quote(SF_ORDER, key="JP1001-1")
    await a.quote(SF_ORDER, key="JP1001-2")
    tok = [r for r in sent if r.url.host == "auth.test"]
    assert len(tok) == 1  # cached: one token for both quotes
    assert tok[0].headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(tok[0].content.decode()).items()}
    assert form == {
        "client_id": "rehearsal-uber-client",
        "client_secret": "rehearsal-uber-secret",
        "grant_type": "client_credentials",
        "scope": "eats.deliveries",
    }
    q = [r for r in sent if r.url.path.endswith("/delivery_quotes")]
    assert q[0].url == "https://api.uber.com/v1/customers/rehearsal-customer-1/delivery_quotes"
    assert q[0].headers["authorization"] == "Bearer IA.tok"


@pytest.mark.asyncio
async def test_production_token_host_is_auth_uber_com():
    a, sent = _golden_adapter(base_url="https://api.uber.com")
    await a.quote(SF_ORDER, key="JP1001-1")
    assert str(sent[0].url) == "https://auth.uber.com/oauth/v2/token"


@pytest.mark.asyncio
async def test_quote_and_create_bodies_cents_wgs84_and_quote_id():
    a, sent = _golden_adapter()
    q = await a.quote(SF_ORDER, key="JP1001-1")
    assert q.fee_fen == 799 and q.token == "dqt_AhC-IcbcSsWJd5imRFZkUQ" and q.binding
    assert q.expires_at == T0.replace(hour=4, minute=10) and q.delivery_eta_s == 38 * 60
    assert q.raw["currency"] == "usd"
    res = await a.create(SF_ORDER, q, attempt(CID))
    assert res.carrier_order_id == "del_aBc123XyZ" and res.fee_fen == 799
    body = json.loads(sent[-1].content)
    assert body["quote_id"] == q.token and body["external_id"] == "JP1001-1"
    assert body["manifest_total_value"] == 3600  # cents, an integer
    assert body["manifest_items"] == [
        {"name": "牛肉面", "quantity": 2, "size": "small", "price": 1800}
    ]
    assert (body["dropoff_latitude"], body["dropoff_longitude"]) == (37.788, -122.396)
    assert body["dropoff_phone_number"] == "+14155550111" and body["pickup_name"] == "Golden Dragon"


def test_coordinates_inside_china_go_out_as_wgs84():
    body = mapping.quote_body(make_order(), STORE, "K", system="wgs84", fmt="line", country="CN")
    lat, lng = gcj02_to_wgs84(STORE.lat, STORE.lng)
    assert (body["pickup_latitude"], body["pickup_longitude"]) == (round(lat, 6), round(lng, 6))
    assert body["pickup_latitude"] != STORE.lat


def test_delivery_parses_status_courier_imminent_and_rider():
    snap = mapping.parse_delivery(canned(CID, "deliveries"))
    assert snap.status is DeliveryStatus.ACCEPTED and snap.rider is not None
    assert snap.rider.name == "Rob" and snap.actual_fee_fen == 799
    imminent = mapping.parse_delivery({**canned(CID, "deliveries"), "courier_imminent": True})
    assert imminent.status is DeliveryStatus.AT_PICKUP
    pos = mapping.parse_position(canned(CID, "deliveries"), "K", "wgs84")
    assert pos is not None and (pos.lat, pos.lng) == (37.7749, -122.4194)


# ---------------------------------------------------------------------------- sandbox
async def _track(a, att, engine, until, steps=60):
    for _ in range(steps):
        snap = await a.query(att)
        if snap.status is until:
            return snap
        engine.advance(30)
    raise AssertionError(f"never reached {until}: {snap.status}")


@pytest.mark.asyncio
@pytest.mark.integration
async def test_quote_create_track_delivered_proof_and_cancel_with_fee(sandbox_world):
    world = await sandbox_world(CID, store=SF_STORE)
    a, engine = world.adapter, world.engine
    q = await a.quote(SF_ORDER, key="UB-1")
    assert q.fee_fen > 0 and isinstance(q.fee_fen, int) and q.token.startswith("dqt_")
    res = await a.create(SF_ORDER, q, attempt(CID, "UB-1", quote_token=q.token))
    assert res.carrier_order_id.startswith("del_") and res.fee_fen == q.fee_fen
    att = attempt(CID, "UB-1", carrier_order_id=res.carrier_order_id)
    snap = await _track(a, att, engine, DeliveryStatus.ACCEPTED)
    assert snap.rider is not None and snap.rider.name
    (pos,) = await a.rider_positions([att])
    assert abs(pos.lat - SF_STORE.lat) < 0.05  # near the store, in GCJ-02 (= WGS-84 here)
    await _track(a, att, engine, DeliveryStatus.DELIVERED)
    kind, doc = await a.proof_of_delivery(att)
    assert kind == "picture" and doc.startswith(b"\x89PNG")
    # a second delivery, accepted, cancelled after the free window: the fee in cents
    q2 = await a.quote(SF_ORDER, key="UB-2")
    res2 = await a.create(SF_ORDER, q2, attempt(CID, "UB-2", quote_token=q2.token))
    att2 = attempt(CID, "UB-2", carrier_order_id=res2.carrier_order_id)
    await _track(a, att2, engine, DeliveryStatus.ACCEPTED)
    engine.advance(90)
    assert await a.cancel(att2, "customer cancelled") == 200
    assert (await a.query(att2)).status is DeliveryStatus.CANCELLED
    assert engine.live_count() == 0
    assert engine.request_counts[CID] > 10


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sandbox_issues_tokens_and_refuses_others(sandbox_world):
    world = await sandbox_world(CID, store=SF_STORE)
    url = world.server.carrier_url(CID) + "/v1/customers/rehearsal-customer-1/delivery_quotes"
    async with httpx.AsyncClient() as c:
        r = await c.post(url, json={}, headers={"Authorization": "Bearer made-up"})
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    q = await world.adapter.quote(SF_ORDER, key="UB-T")  # the adapter's own token works
    assert q.fee_fen > 0


async def _control(world, **body) -> dict:
    async with httpx.AsyncClient() as c:
        r = await c.post(world.server.carrier_url(CID) + "/__control", json=body)
    return r.json()


@pytest.mark.asyncio
@pytest.mark.integration
async def test_revoked_token_is_renewed_once(sandbox_world):
    world = await sandbox_world(CID, store=SF_STORE)
    await world.adapter.quote(SF_ORDER, key="UB-R")
    assert (await _control(world, revoke_tokens=True))["tokens"] == 0
    q = await world.adapter.quote(SF_ORDER, key="UB-R2")  # 401 -> a new token -> again
    assert q.fee_fen > 0 and (await _control(world))["tokens"] == 1


async def _cancel_fee(world, key: str) -> int:
    a, engine = world.adapter, world.engine
    q = await a.quote(SF_ORDER, key=key)
    res = await a.create(SF_ORDER, q, attempt(CID, key, quote_token=q.token))
    att = attempt(CID, key, carrier_order_id=res.carrier_order_id)
    await _track(a, att, engine, DeliveryStatus.ACCEPTED)
    engine.advance(90)
    return await a.cancel(att, "x")


@pytest.mark.asyncio
@pytest.mark.integration
async def test_cancel_fee_field_is_an_option_the_sandbox_can_dispute(sandbox_world):
    world = await sandbox_world(CID, store=SF_STORE)
    world.engine.set_variant(CID, "cancel_fee_field", "cancellation_fee")
    assert await _cancel_fee(world, "UB-F1") == 0  # the default spelling reads no fee
    world = await sandbox_world(CID, store=SF_STORE, cancel_fee_field="cancellation_fee")
    world.engine.set_variant(CID, "cancel_fee_field", "cancellation_fee")
    assert await _cancel_fee(world, "UB-F2") == 200  # the option follows the gateway


@pytest.mark.asyncio
@pytest.mark.integration
async def test_wrong_client_secret_is_an_auth_error(sandbox_world):
    creds = {**make_adapter(CID, mock_http(lambda r: httpx.Response(500))).creds}
    world = await sandbox_world(CID, credentials={**creds, "client_secret": "nope"})
    with pytest.raises(AuthError) as ei:
        await world.adapter.quote(SF_ORDER, key="UB-A")
    assert ei.value.code == "invalid_client"


def test_quote_is_binding_until_it_expires():
    q = mapping.parse_quote(canned(CID, "delivery_quotes"), T0, 900, 700)
    assert isinstance(q, Quote) and q.expired(T0.replace(hour=4, minute=10)) and not q.expired(T0)


def test_webhook_key_is_optional_but_a_webhook_without_it_is_refused(monkeypatch):
    from app.core.carriers.gateway import has_real_credentials
    from app.core.config import Settings
    from app.core.secrets import MemorySecretStore

    for k, v in {"CLIENT_ID": "c", "CLIENT_SECRET": "s", "CUSTOMER_ID": "u"}.items():
        monkeypatch.setenv(f"JUPEI_CARRIERS__UBER_DIRECT__{k}", v)
    assert has_real_credentials(CID, Settings(), MemorySecretStore())
    creds = {"client_id": "c", "client_secret": "s", "customer_id": "u"}
    a = make_adapter(CID, mock_http(lambda r: httpx.Response(500)), credentials=creds)
    body = b'{"kind":"event.delivery_status","status":"pickup"}'
    sig = mapping.signature("", body)
    with pytest.raises(CallbackRejected):
        a.parse_callback(CallbackRequest("POST", "/cb", {}, {"x-uber-signature": sig}, body))


@pytest.mark.asyncio
@pytest.mark.integration
async def test_a_fee_in_another_currency_is_refused(sandbox_world):
    world = await sandbox_world(CID, store=SF_STORE)
    world.engine.set_variant(CID, "currency", "eur")
    with pytest.raises(RejectedError, match="fee in EUR"):
        await world.adapter.quote(SF_ORDER, key="UB-C")
    world.engine.set_variant(CID, "currency", "usd")
    assert (await world.adapter.quote(SF_ORDER, key="UB-C")).raw["currency"] == "usd"
