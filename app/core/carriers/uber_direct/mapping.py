"""Pure build/parse for Uber Direct (shared/carriers/uber_direct.md): OAuth token form,
quote / create bodies, delivery parsing, webhook verification.

Money on the wire is integer cents (minor units) — the same integers the core keeps in
its ``*_fen`` fields for a store abroad. Coordinates go out as WGS-84 (converted from
GCJ-02; identical outside China) and come back to GCJ-02.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from app.core.carriers import kit
from app.core.carriers.base import (
    AuthError,
    CallbackEvent,
    CallbackRejected,
    CallbackResult,
    CarrierError,
    CreateResult,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.uber_direct import codes
from app.core.clock import utc
from app.core.domain import CancelledBy, DeliveryStatus, Order, Quote, Rider, Store
from app.core.geo import distance_m, gcj02_to_wgs84, to_gcj02

CARRIER = "uber_direct"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
SIGNATURE_HEADER = "x-uber-signature"


def parse_iso(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset) as aware UTC."""
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------- auth
def token_form(creds: Mapping[str, str], scope: str) -> bytes:
    """§1: client_credentials, form-encoded."""
    return urlencode(
        {
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": "client_credentials",
            "scope": scope,
        }
    ).encode("ascii")


def parse_token(body: bytes, now: datetime) -> tuple[str, datetime]:
    doc = json.loads(body)
    token = str(doc["access_token"])
    if not token:
        raise ValueError("empty access_token")
    return token, now + timedelta(seconds=int(doc.get("expires_in") or 0))


def read_error(status: int, body: bytes, *, mutating: bool) -> CarrierError:
    """The CarrierError for a non-2xx answer ``{code, message}`` (OAuth: ``error``)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if not isinstance(doc, dict):
        if status in (401, 403):
            return AuthError(CARRIER, f"HTTP {status}", code=status)
        return kit.unreadable(CARRIER, mutating=mutating, what=f"HTTP {status}")
    code = str(doc.get("code") or doc.get("error") or status)
    msg = str(doc.get("message") or doc.get("error_description") or "")
    err = kit.error_for(codes.ERRORS, code, msg)
    if status in (401, 403) and not isinstance(err, AuthError):
        return AuthError(CARRIER, msg or f"HTTP {status}", code=code)
    return err


def unwrap(body: bytes, *, mutating: bool, status: int = 200) -> dict[str, Any]:
    """The JSON object of a 2xx answer; the mapped CarrierError otherwise (an answer
    that is not a JSON object is unreadable)."""
    if not 200 <= status < 300:
        raise read_error(status, body, mutating=mutating)
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if not isinstance(doc, dict):
        raise kit.unreadable(CARRIER, mutating=mutating)
    return doc


# ---------------------------------------------------------------------------- bodies
def _wire_point(lat: float, lng: float, system: str) -> tuple[float, float]:
    w = gcj02_to_wgs84(lat, lng) if system == "wgs84" else (lat, lng)
    return round(w[0], 6), round(w[1], 6)


def _address(text: str, city: str, country: str, fmt: str) -> str:
    if fmt == "structured":
        doc = {
            "street_address": [text],
            "city": city,
            "state": "",
            "zip_code": "",
            "country": country,
        }
        return dumps(doc).decode("utf-8")
    return text


def quote_body(
    order: Order, store: Store, key: str, *, system: str, fmt: str, country: str
) -> dict[str, Any]:
    addr = order.customer.address
    p_lat, p_lng = _wire_point(store.lat, store.lng, system)
    d_lat, d_lng = _wire_point(addr.lat, addr.lng, system)
    return {
        "pickup_address": _address(store.address, store.city, country, fmt),
        "dropoff_address": _address(addr.text, store.city, country, fmt),
        "pickup_latitude": p_lat,
        "pickup_longitude": p_lng,
        "dropoff_latitude": d_lat,
        "dropoff_longitude": d_lng,
        "pickup_phone_number": store.phone,
        "dropoff_phone_number": order.customer.phone,
        "manifest_total_value": order.goods_value_fen or order.total_fen,
        "external_store_id": key,
    }


def create_body(
    order: Order,
    store: Store,
    key: str,
    quote: Quote,
    *,
    system: str,
    fmt: str,
    country: str,
) -> dict[str, Any]:
    body = quote_body(order, store, key, system=system, fmt=fmt, country=country)
    del body["external_store_id"]
    items = [
        {"name": i.name, "quantity": i.qty, "size": "small", "price": i.price_fen}
        for i in order.items
    ] or [{"name": "Order", "quantity": 1, "size": "small"}]
    body.update(
        pickup_name=store.name,
        dropoff_name=order.customer.name,
        manifest_items=items,
        external_id=key,
        undeliverable_action="return",
    )
    if quote.token:
        body["quote_id"] = quote.token
    if order.pickup_no:
        body["manifest_reference"] = order.pickup_no
    if order.note:
        body["dropoff_notes"] = order.note
    return body


# ---------------------------------------------------------------------------- parsing
def parse_quote(d: Mapping[str, Any], now: datetime, validity_s: int, straight_m: int) -> Quote:
    """``straight_m``: the straight-line distance (Uber names none; only an estimate)."""
    token = str(d["id"])
    fee = int(d["fee"])
    expires = parse_iso(str(d["expires"])) if d.get("expires") else None
    if expires is None:
        expires = now + timedelta(seconds=validity_s)
    duration = kit.to_int(d.get("duration"))
    pickup = kit.to_int(d.get("pickup_duration"))
    return Quote(
        carrier=CARRIER,
        fee_fen=fee,
        distance_m=straight_m,
        quoted_at=now,
        binding=True,
        expires_at=expires,
        token=token,
        pickup_eta_s=pickup * 60 if pickup is not None else None,
        delivery_eta_s=duration * 60 if duration is not None else None,
        raw={"currency": str(d.get("currency") or ""), "response": dict(d)},
    )


def parse_create(d: Mapping[str, Any]) -> CreateResult:
    did = str(d.get("id") or "")
    if not did:
        raise ValueError("delivery answer without id")
    return CreateResult(
        did,
        fee_fen=kit.to_int(d.get("fee")),
        tracking_url=str(d.get("tracking_url") or ""),
        raw=dict(d),
    )


def _rider(d: Mapping[str, Any], at: datetime | None) -> Rider | None:
    c = d.get("courier")
    if not isinstance(c, dict) or not (c.get("name") or c.get("phone_number")):
        return None
    return Rider(name=str(c.get("name") or ""), phone=str(c.get("phone_number") or ""), at=at)


def parse_delivery(d: Mapping[str, Any], *, cancel_fee_field: str = "") -> StatusSnapshot:
    raw = str(d.get("status") or "")
    status = codes.status_of(raw, bool(d.get("courier_imminent")))
    at = parse_iso(str(d["updated"])) if d.get("updated") else None
    cancelled = status is DeliveryStatus.CANCELLED
    fee_key = cancel_fee_field or ""
    return StatusSnapshot(
        status=status,
        raw_status=raw + (":imminent" if d.get("courier_imminent") else ""),
        carrier_order_id=str(d.get("id") or ""),
        idempotency_key=str(d.get("external_id") or ""),
        rider=_rider(d, at),
        at=at,
        actual_fee_fen=kit.to_int(d.get("fee")),
        tip_fen=kit.to_int(d.get("tip")),
        cancel_fee_fen=kit.to_int(d.get(fee_key)) if cancelled and fee_key else None,
        cancelled_by=CancelledBy.UNKNOWN if cancelled else None,
        cancel_reason=str(d.get("undeliverable_reason") or "") if cancelled else "",
        tracking_url=str(d.get("tracking_url") or ""),
        raw=dict(d),
    )


def straight_line_m(order: Order, store: Store) -> int:
    addr = order.customer.address
    return distance_m(store.lat, store.lng, addr.lat, addr.lng)


def find_external(listing: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The newest delivery of ``GET /deliveries`` whose ``external_id`` is ``key``."""
    for d in listing.get("data") or []:
        if isinstance(d, dict) and str(d.get("external_id") or "") == key:
            return d
    return None


def parse_position(d: Mapping[str, Any], key: str, system: str) -> RiderPosition | None:
    c = d.get("courier")
    loc = c.get("location") if isinstance(c, dict) else None
    if not isinstance(loc, dict) or loc.get("lat") in (None, "") or loc.get("lng") in (None, ""):
        return None
    lat, lng = to_gcj02(system, float(loc["lat"]), float(loc["lng"]))
    assert isinstance(c, dict)
    return RiderPosition(
        key, lat, lng, name=str(c.get("name") or ""), phone=str(c.get("phone_number") or "")
    )


# ---------------------------------------------------------------------------- webhooks
def signature(key: str, body: bytes) -> str:
    """§4: hex HMAC-SHA256 of the raw body, keyed with the webhook signing key."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def parse_callback(
    body: bytes, headers: Mapping[str, str], key: str, *, cancel_fee_field: str = ""
) -> CallbackResult:
    got = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "")
    if not key or not hmac.compare_digest(signature(key, body), got.strip().lower()):
        raise CallbackRejected("bad x-uber-signature", 401)
    try:
        doc = json.loads(body)
    except ValueError:
        raise CallbackRejected("not an Uber webhook", 400) from None
    if not isinstance(doc, dict) or doc.get("kind") != "event.delivery_status":
        return CallbackResult(())  # courier_update, refund_request ...: nothing to track
    data: dict[str, Any] = doc["data"] if isinstance(doc.get("data"), dict) else {}
    merged = {**data, "status": doc.get("status") or data.get("status")}
    merged.setdefault("id", doc.get("delivery_id") or "")
    snap = parse_delivery(merged, cancel_fee_field=cancel_fee_field)
    return CallbackResult((CallbackEvent(snap, str(doc.get("id") or "")),))
