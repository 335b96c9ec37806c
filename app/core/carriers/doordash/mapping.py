"""Pure build/parse for DoorDash Drive v2: the per-request JWT, JSON bodies, answers
into domain values, webhooks.

JWT (doordash.md §2): header ``{alg: HS256, typ: JWT, dd-ver: DD-JWT-V1}``, payload
``{aud: doordash, iss: developer_id, kid: key_id, iat, exp}``, HMAC-SHA256 keyed by the
signing secret base64url-decoded (ASSUMED [L], option ``secret_decoding``). Money is
integer cents; coordinates WGS-84 on the wire (GCJ-02 here: converted only inside China).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from app.core.carriers import kit
from app.core.carriers.base import (
    AuthError,
    CallbackEvent,
    CallbackRejected,
    CallbackResult,
    CreateResult,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.doordash import codes
from app.core.carriers.doordash.rules import QUOTE_TTL_S, Options
from app.core.domain import Order, Quote, Rider, Store
from app.core.geo import gcj02_to_wgs84, wgs84_to_gcj02

CARRIER = "doordash"
CONTENT_TYPE = "application/json"
PREFIX = "/drive/v2"


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(secret: str, decoding: str) -> bytes:
    """The HMAC key; a secret that is not base64url is a configuration error."""
    if decoding == "raw":
        return secret.encode("utf-8")
    try:
        return b64url_decode(secret)
    except ValueError:
        raise AuthError(
            CARRIER, "signing_secret is not base64url (option secret_decoding?)", code="secret"
        ) from None


def jwt(creds: Mapping[str, str], now: datetime, *, ttl_s: int, decoding: str) -> str:
    """The Bearer token for one request (HS256, ``dd-ver: DD-JWT-V1``)."""
    iat = int(now.timestamp())
    header = {"alg": "HS256", "typ": "JWT", "dd-ver": "DD-JWT-V1"}
    payload = {
        "aud": "doordash",
        "iss": creds["developer_id"],
        "kid": creds["key_id"],
        "exp": iat + ttl_s,
        "iat": iat,
    }
    signing_input = b64url(dumps(header).encode()) + "." + b64url(dumps(payload).encode())
    key = signing_key(creds["signing_secret"], decoding)
    sig = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


# ---------------------------------------------------------------------------- bodies
def wire_point(lat: float, lng: float) -> dict[str, float]:
    """GCJ-02 (ours) -> WGS-84 lat/lng on the wire (unchanged outside China)."""
    w_lat, w_lng = gcj02_to_wgs84(lat, lng)
    return {"lat": round(w_lat, 6), "lng": round(w_lng, 6)}


def phone_e164(phone: str, country: str) -> str:
    """Best effort E.164: digits kept; a leading '+' kept; CN numbers get +86."""
    digits = "".join(c for c in phone if c.isdigit())
    if phone.strip().startswith("+") or not digits:
        return "+" + digits if digits else ""
    prefix = {"CN": "86", "US": "1", "CA": "1", "AU": "61", "NZ": "64"}.get(country, "")
    return "+" + prefix + digits.lstrip("0") if prefix else "+" + digits


def delivery_body(order: Order, store: Store, delivery_id: str, opts: Options) -> dict[str, Any]:
    """The quote (and direct create) body: doordash.md §3 key request fields."""
    addr = order.customer.address
    given, _, family = order.customer.name.partition(" ")
    body: dict[str, Any] = {
        "external_delivery_id": delivery_id,
        "pickup_address": store.address,
        "pickup_business_name": store.name,
        "pickup_phone_number": phone_e164(store.phone, store.country),
        "dropoff_address": addr.text,
        "dropoff_phone_number": phone_e164(order.customer.phone, store.country),
        "dropoff_contact_given_name": given or order.customer.name,
        "dropoff_location": wire_point(addr.lat, addr.lng),
        "order_value": order.goods_value_fen or order.total_fen,
        "action_if_undeliverable": opts.action_if_undeliverable,
    }
    if family:
        body["dropoff_contact_family_name"] = family
    if order.pickup_no:
        body["pickup_reference_tag"] = order.pickup_no
    if order.note:
        body["dropoff_instructions"] = order.note
    if opts.dasher_allowed_vehicles:
        body["dasher_allowed_vehicles"] = list(opts.dasher_allowed_vehicles)
    return body


# ---------------------------------------------------------------------------- answers
def read_answer(status: int, body: bytes, *, mutating: bool) -> dict[str, Any]:
    """A 2xx JSON object, or the CarrierError that the HTTP status and
    ``{code, message, field_errors}`` mean."""
    if 200 <= status < 300:
        return kit.read_json_object(
            body, CARRIER, mutating=mutating, required="external_delivery_id"
        )
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    msg = str(doc.get("message") or doc.get("code") or f"HTTP {status}")
    fields = doc.get("field_errors") or []
    if isinstance(fields, list) and fields:
        msg += ": " + "; ".join(
            f"{f.get('field')}: {f.get('error')}" for f in fields if isinstance(f, dict)
        )
    raise kit.error_for(codes.ERRORS, status, msg)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return t if t.tzinfo else None


def _expected_currency(data: Mapping[str, Any], currency: str) -> None:
    got = str(data.get("currency") or "").upper()
    if got and currency and got != currency.upper():
        raise ValueError(f"fee in {got}, store currency is {currency}")


def parse_quote(data: Mapping[str, Any], now: datetime, *, currency: str) -> Quote:
    fee = kit.fen_from_fen(data.get("fee"))
    token = str(data.get("external_delivery_id") or "")
    if fee is None or not token:
        raise ValueError("quote answer without fee/external_delivery_id")
    _expected_currency(data, currency)
    # quotes live ~5 min [M]; an answer without expires_at (public examples) gets that
    expires = _time(data.get("expires_at")) or now + timedelta(seconds=QUOTE_TTL_S)
    eta = _time(data.get("dropoff_time_estimated"))
    return Quote(
        carrier=CARRIER,
        fee_fen=fee,
        distance_m=0,
        quoted_at=now,
        binding=True,
        expires_at=expires,
        token=token,
        delivery_eta_s=int((eta - now).total_seconds()) if eta else None,
        raw={"fee": fee, "currency": data.get("currency"), "expires_at": data.get("expires_at")},
    )


def parse_create(data: Mapping[str, Any], quote: Quote | None = None) -> CreateResult:
    key = str(data.get("external_delivery_id") or "")
    if not key:
        raise ValueError("delivery answer without external_delivery_id")
    fee = kit.fen_from_fen(data.get("fee"))
    return CreateResult(
        key,
        fee_fen=fee if fee is not None else (quote.fee_fen if quote else None),
        tracking_url=str(data.get("tracking_url") or ""),
        raw=dict(data),
    )


def parse_status(p: Mapping[str, Any], *, cancel_fee_field: str) -> StatusSnapshot:
    """A ``Delivery`` object (GET answer or webhook payload)."""
    raw = str(p.get("delivery_status") or "")
    status = codes.status_of(raw)
    name = str(p.get("dasher_name") or "")
    phone = str(p.get("dasher_dropoff_phone_number") or p.get("dasher_pickup_phone_number") or "")
    at = _time(p.get("updated_at"))
    reason = str(p.get("cancellation_reason") or "")
    cancelled = status.value == "cancelled"
    fee = kit.fen_from_fen(p.get(cancel_fee_field)) if cancelled and cancel_fee_field else None
    return StatusSnapshot(
        status=status,
        raw_status=raw,
        carrier_order_id=str(p.get("external_delivery_id") or ""),
        idempotency_key=str(p.get("external_delivery_id") or ""),
        rider=Rider(name=name, phone=phone, at=at) if (name or phone) else None,
        at=at,
        actual_fee_fen=kit.fen_from_fen(p.get("fee")),
        tip_fen=kit.fen_from_fen(p.get("tip")),
        cancel_fee_fen=(fee or 0) if cancelled else None,
        cancelled_by=codes.CANCELLED_BY.get(reason) if cancelled else None,
        cancel_reason=reason,
        tracking_url=str(p.get("tracking_url") or ""),
        raw=dict(p),
    )


def cancel_fee(data: Mapping[str, Any], cancel_fee_field: str) -> int:
    """The charged fee from the cancel answer (ASSUMED field, see Options)."""
    if not cancel_fee_field:
        return 0
    return kit.int_or(data.get(cancel_fee_field))


def parse_position(data: Mapping[str, Any], key: str) -> RiderPosition | None:
    loc = data.get("dasher_location")
    if not isinstance(loc, dict) or loc.get("lat") in (None, ""):
        return None
    g_lat, g_lng = wgs84_to_gcj02(float(loc["lat"]), float(loc["lng"]))
    return RiderPosition(
        key,
        g_lat,
        g_lng,
        name=str(data.get("dasher_name") or ""),
        phone=str(data.get("dasher_dropoff_phone_number") or ""),
    )


# ---------------------------------------------------------------------------- webhooks
def parse_webhook(
    body: bytes,
    headers: Mapping[str, str],
    *,
    expected_auth: str | None,
    header_name: str,
    cancel_fee_field: str,
) -> CallbackResult:
    """A Drive webhook: the delivery fields plus ``event_name``; no body signature, the
    endpoint is protected by the auth header we configured (checked when known)."""
    if expected_auth:
        got = next((v for k, v in headers.items() if k.lower() == header_name.lower()), "")
        if not hmac.compare_digest(got.encode(), expected_auth.encode()):
            raise CallbackRejected("bad webhook authorization", 401)
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CallbackRejected("not a DoorDash webhook", 400) from None
    if not isinstance(doc, dict) or not doc.get("external_delivery_id"):
        raise CallbackRejected("not a DoorDash webhook", 400)
    snap = parse_status(doc, cancel_fee_field=cancel_fee_field)
    event = str(doc.get("event_name") or doc.get("event_type") or snap.raw_status)
    event_id = f"{snap.carrier_order_id}:{event}:{doc.get('updated_at', '')}"
    return CallbackResult((CallbackEvent(snap, event_id),), reply_status=200, reply_body=b"")
