"""Pure build/parse for the Fengniao v3 openapi: signature, envelope, business bodies,
response parsing into domain values, callback verification.

The envelope is JSON ``{app_id, merchant_id, timestamp(ms), version, access_token,
business_data, signature}``; ``business_data`` is a compact JSON string built once,
signed and sent as is. Signature = sha256_hex(secret + sorted "k=v&..." of the non-empty
params) (shared/carriers/fengniao.md §3). Money is fen (``*_cent``); coordinates are
GCJ-02 with ``position_source`` 3 (高德).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackEvent,
    CallbackResult,
    CreateResult,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.fengniao import codes
from app.core.clock import from_unix
from app.core.domain import CancelledBy, DeliveryStatus, Order, Quote, Rider, Store, goods_category
from app.core.geo import to_gcj02

CONTENT_TYPE = "application/json"
CARRIER = "fengniao"
API_PREFIX = "/v3/invoke/"
POSITION_SOURCE_GAODE = 3
SIGNED_KEYS = ("app_id", "merchant_id", "timestamp", "version", "access_token", "business_data")


def dumps(obj: object) -> str:
    """Compact JSON, Chinese unescaped: the one serialisation we sign and send."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(secret: str, params: Mapping[str, object]) -> str:
    pairs = sorted(
        (k, str(v)) for k, v in params.items() if k != "signature" and v not in (None, "")
    )
    plain = secret + "&".join(f"{k}={v}" for k, v in pairs)
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def envelope(
    api: str, business: Mapping[str, object], creds: Mapping[str, str], ts_ms: int, version: str
) -> kit.Wire:
    params: dict[str, str] = {
        "app_id": creds["app_id"],
        "merchant_id": creds["merchant_id"],
        "timestamp": str(ts_ms),
        "version": version,
        "access_token": creds.get("access_token", ""),
        "business_data": dumps(business),
    }
    params["signature"] = sign(creds["app_secret"], params)
    return kit.Wire(API_PREFIX + api, dumps(params).encode("utf-8"), CONTENT_TYPE)


TOKEN_PATH = "/openapi/token"
# ASSUMED (audit F10, leaning): varys load.go and MQEnergy's router name
# /openapi/refreshToken for a refresh; MQEnergy's own code posts it to /openapi/token
REFRESH_PATH = "/openapi/refreshToken"


def token_request(
    creds: Mapping[str, str],
    ts_ms: int,
    *,
    code: str = "",
    refresh: str = "",
    refresh_path: str = REFRESH_PATH,
) -> kit.Wire:
    """``/openapi/token`` exchanges an authorisation code; a refresh token goes to
    ``refresh_path`` (default ``/openapi/refreshToken``)."""
    params = {
        "grant_type": "refresh_token" if refresh else "authorization_code",
        "code": code,
        "refresh_token": refresh,
        "app_id": creds["app_id"],
        "merchant_id": creds["merchant_id"],
        "timestamp": str(ts_ms),
    }
    params = {k: v for k, v in params.items() if v}
    params["signature"] = sign(creds["app_secret"], params)
    path = refresh_path if refresh else TOKEN_PATH
    return kit.Wire(path, dumps(params).encode("utf-8"), CONTENT_TYPE)


# ---------------------------------------------------------------------------- bodies
def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def store_fields(shop_id: str, field_name: str) -> dict[str, str]:
    if field_name == "auto":
        field_name = "chain_store_id" if shop_id.isdigit() else "out_shop_code"
    return {field_name: shop_id}


def _items(order: Order) -> list[dict[str, object]]:
    if not order.items:
        value = order.goods_value_fen or order.total_fen
        return [
            {
                "item_name": "商品",
                "item_quantity": 1,
                "item_amount_cent": value,
                "item_actual_amount_cent": value,
            }
        ]
    return [
        {
            "item_name": i.name,
            "item_quantity": i.qty,
            "item_amount_cent": i.price_fen,
            "item_actual_amount_cent": i.price_fen,
        }
        for i in order.items
    ]


def category_fields(
    order: Order, store: Store, name: str, categories: Mapping[str, object]
) -> dict[str, object]:
    """The goods category under the (ASSUMED) field ``name``, when one is configured."""
    category = goods_category(order, store)
    if not name or category.value not in categories:
        return {}
    return {name: categories[category.value]}  # as configured: a number stays a number


def quote_body(
    order: Order,
    store: Store,
    shop: Mapping[str, str],
    key: str,
    *,
    transport: bool = True,
    category_field: str = "",
    categories: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """``preCreateOrder``; ``createOrder`` adds the receiver and the goods ids."""
    addr = order.customer.address
    body: dict[str, object] = {
        "partner_order_code": key,
        **shop,
        "order_type": 3 if order.scheduled_at else 1,
        "position_source": POSITION_SOURCE_GAODE,
        "receiver_address": addr.text,
        "receiver_longitude": addr.lng,
        "receiver_latitude": addr.lat,
        "goods_total_amount_cent": order.goods_value_fen or order.total_fen,
        "goods_actual_amount_cent": order.goods_value_fen or order.total_fen,
        "goods_weight": max(math.ceil(order.weight_g / 100) / 10, 0.1),
        "goods_count": sum(i.qty for i in order.items) or 1,
        "goods_item_list": _items(order),
        "order_add_time": _ms(order.created_at),
        **category_fields(order, store, category_field, categories or {}),
    }
    if order.scheduled_at:
        body["require_receive_time"] = _ms(order.scheduled_at)
    if transport:  # the pickup point, in case the store id alone is not enough
        body.update(
            transport_name=store.name,
            transport_address=store.address,
            transport_tel=store.phone,
            transport_longitude=store.lng,
            transport_latitude=store.lat,
        )
    return body


def create_body(
    order: Order,
    store: Store,
    shop: Mapping[str, str],
    key: str,
    quote: Quote,
    *,
    link_field: str = "",
    transport: bool = True,
    callback: tuple[str, str] = ("", ""),
    category_field: str = "",
    categories: Mapping[str, object] | None = None,
) -> dict[str, object]:
    body = quote_body(
        order,
        store,
        shop,
        key,
        transport=transport,
        category_field=category_field,
        categories=categories,
    )
    body.update(
        receiver_name=order.customer.name,
        receiver_primary_phone=order.customer.phone,
        order_tip_amount_cent=0,
    )
    for k in ("service_goods_id", "base_goods_id"):
        if quote.raw.get(k) not in (None, ""):
            body[k] = quote.raw[k]
    if order.pickup_no:
        body["serial_number"] = order.pickup_no
    if link_field and quote.token:
        body[link_field] = quote.token
    if callback[0] and callback[1]:
        body[callback[0]] = callback[1]
    return body


def order_ref(key: str, carrier_order_id: str = "") -> dict[str, str]:
    ref = {"partner_order_code": key}
    if carrier_order_id:
        ref["order_id"] = carrier_order_id
    return ref


def cancel_body(
    ref: Mapping[str, str], code: object, fee_fen: int, reason: str, role: int
) -> dict[str, Any]:
    return {
        **ref,
        "order_cancel_code": code,
        "order_cancel_role": role,
        "order_cancel_other_reason": reason[:20],
        "actual_cancel_cost_cent": fee_fen,
    }


def tip_body(
    ref: Mapping[str, str], amount_fen: int, new_total: int, fields: tuple[str, str]
) -> dict[str, Any]:
    amount_field, serial_field = fields
    serial = f"{ref['partner_order_code']}-T{new_total}"  # retrying the same tip is a no-op
    return {**ref, amount_field: amount_fen, serial_field: serial}


# ---------------------------------------------------------------------------- parsing
def unwrap(
    body: bytes,
    success_code: object,
    extra: Mapping[str, object] | None = None,
    *,
    mutating: bool = False,
) -> Any:
    """The decoded ``business_data`` of a success envelope (a JSON string or object);
    raise the mapped CarrierError otherwise."""
    data = kit.unwrap_envelope(
        body,
        codes.ERRORS,
        code_key="code",
        msg_key="msg",
        data_key="business_data",
        success=(success_code,),
        mutating=mutating,
        overrides=extra,
        nested_json=True,
    )
    return {} if data is None else data


def parse_quote(
    data: Mapping[str, Any], now: datetime, *, token_field: str, validity_s: int
) -> Quote:
    infos = data.get("goods_infos") or []
    valid = [g for g in infos if str(g.get("is_valid", 1)) in ("1", "True", "true")]
    if not valid:
        raise RejectedError(CARRIER, str(data.get("msg") or "no delivery service available"))
    g = valid[0]
    fee = kit.fen_from_fen(g.get("actual_delivery_amount_cent"))
    if fee is None:
        fee = int(g["total_delivery_amount_cent"])
    return Quote(
        carrier=CARRIER,
        fee_fen=fee,
        distance_m=int(data.get("distance") or 0),
        quoted_at=now,
        binding=False,
        expires_at=now + timedelta(seconds=validity_s) if validity_s else None,
        token=str(data.get(token_field) or ""),
        delivery_eta_s=int(data["time"]) if data.get("time") else None,
        raw={
            "service_goods_id": g.get("service_goods_id"),
            "base_goods_id": g.get("base_goods_id"),
            "response": dict(data),
        },
    )


def parse_create(data: Mapping[str, Any]) -> CreateResult:
    cid = str(data.get("order_id") or "")
    if not cid:
        raise ValueError("createOrder answer without order_id")
    fee = data.get("actual_delivery_amount_cent", data.get("order_actual_amount_cent"))
    dist = data.get("distance")
    return CreateResult(
        cid, fee_fen=kit.fen_from_fen(fee), distance_m=int(dist) if dist else None, raw=dict(data)
    )


def _cancelled_by(status: DeliveryStatus, code: str, reason: object) -> CancelledBy | None:
    if status is not DeliveryStatus.CANCELLED:
        return None
    if code in codes.EXCEPTION_CODES:
        return CancelledBy.CARRIER_SYSTEM
    return {"1": CancelledBy.CUSTOMER, "2": CancelledBy.MERCHANT}.get(
        str(reason), CancelledBy.UNKNOWN
    )


def parse_status(
    p: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> StatusSnapshot:
    """A ``getOrderDetail`` answer or a callback ``param`` (v2 field names, [?] for v3)."""
    code = str(p.get("order_status", ""))
    status = codes.status_of(code, overrides)
    name, phone = str(p.get("carrier_driver_name") or ""), str(p.get("carrier_driver_phone") or "")
    at = from_unix(int(p["push_time"]) / 1000) if p.get("push_time") else None
    exc = str(p.get("description") or p.get("error_code") or "")
    return StatusSnapshot(
        status=status,
        raw_status=code,
        carrier_order_id=str(p.get("order_id") or p.get("open_order_code") or ""),
        idempotency_key=str(p.get("partner_order_code") or ""),
        rider=Rider(name=name, phone=phone, at=at) if (name or phone) else None,
        at=at,
        actual_fee_fen=kit.fen_from_fen(p.get("order_actual_amount_cent")),
        tip_fen=kit.fen_from_fen(p.get("order_tip_amount_cent")),
        cancel_fee_fen=kit.fen_from_fen(p.get("actual_cancel_cost_cent")),
        cancelled_by=_cancelled_by(status, code, p.get("cancel_reason")),
        cancel_reason=str(p.get("cancel_reason_desc") or ""),
        exception=exc if code in codes.EXCEPTION_CODES else "",
        raw=dict(p),
    )


def parse_reason_code(data: object) -> object:
    """First code of ``getCancelReasonList``, preferring a merchant-side reason."""
    items = data.get("cancel_reason_list") if isinstance(data, dict) else data
    if not items or not isinstance(items, list):
        raise RejectedError(CARRIER, "no cancel reason offered")
    first: object = items[0]
    if not isinstance(first, dict):
        raise RejectedError(CARRIER, "unreadable cancel reason list")
    return first["order_cancel_code"]


def parse_knight(data: Mapping[str, Any], key: str, coord_system: str) -> RiderPosition | None:
    lng, lat = data.get("carrier_driver_longitude"), data.get("carrier_driver_latitude")
    if lng in (None, "") or lat in (None, ""):
        return None
    g_lat, g_lng = to_gcj02(coord_system, float(lat), float(lng))
    return RiderPosition(
        key,
        g_lat,
        g_lng,
        name=str(data.get("carrier_driver_name") or ""),
        phone=str(data.get("carrier_driver_phone") or ""),
    )


# ---------------------------------------------------------------------------- callbacks
# audit F9: the one independent verifier (varys handle.go) signs exactly these three keys
CALLBACK_SIGNED_KEYS = ("app_id", "business_data", "timestamp")


def callback_signed(env: Mapping[str, Any], secret: str, sign_keys: str) -> tuple[str, str]:
    """(expected, received) signature of a v3 callback. ``sign_keys`` (ASSUMED, F9):
    ``varys`` signs app_id/business_data/timestamp only, ``all`` every request key present
    (merchant_id, version, access_token too), ``either`` accepts a match of either (both
    need the app secret; they agree while a callback carries only the three keys)."""
    received = str(env.get("signature", ""))
    candidates = {
        "varys": [k for k in CALLBACK_SIGNED_KEYS],
        "all": [k for k in SIGNED_KEYS],
    }
    names = ["varys", "all"] if sign_keys == "either" else [sign_keys]
    expected = ""
    for name in names:
        keys = candidates.get(name, candidates["varys"])
        expected = sign(secret, {k: v for k, v in env.items() if k in keys})
        if hmac.compare_digest(expected, received):
            break
    return expected, received


def parse_callback(
    body: bytes,
    creds: Mapping[str, str],
    *,
    verify: str,
    reply: str,
    overrides: Mapping[str, str] | None = None,
    sign_keys: str = "either",
) -> CallbackResult:
    env, _, data = kit.open_callback(body, "business_data", "fengniao v3")
    signed = None
    if verify == "sha256":
        signed = callback_signed(env, creds["app_secret"], sign_keys)
    kit.check_callback(env, "app_id", creds.get("app_id"), signed=signed)
    reply_bytes = reply.encode("utf-8")
    if data.get("callback_business_type") != "orderStatusNotify":
        return CallbackResult((), reply_body=reply_bytes)  # authNotify etc.: not ours to act on
    param = data.get("param") or {}
    if isinstance(param, str):
        param = json.loads(param)
    snap = parse_status(param, overrides)
    event_id = f"{snap.idempotency_key}:{snap.raw_status}:{param.get('push_time', '')}"
    return CallbackResult((CallbackEvent(snap, event_id),), reply_body=reply_bytes)
