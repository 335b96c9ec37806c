"""Meituan legacy wire format: pure request building and response parsing, no I/O.

Requests are flat ``application/x-www-form-urlencoded`` forms with ``appkey``,
``timestamp`` (unix s) and ``version=1.0``; ``sign`` is the lower-case SHA-1 of
``secret + k1v1k2v2...`` over the sorted, non-empty params, with every value
stringified exactly as sent. Money is yuan (Decimal at this edge, fen inside),
coordinates integer degrees x 1e6 (GCJ-02, ``coordinate_type`` 0).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackEvent,
    CallbackRejected,
    CallbackRequest,
    CallbackResult,
    CreateResult,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.meituan import codes
from app.core.carriers.meituan.rules import Options
from app.core.clock import from_unix
from app.core.domain import (
    CancelledBy,
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Order,
    Quote,
    Rider,
    Store,
    goods_category,
)
from app.core.domain.category import GoodsCategory
from app.core.geo import from_e6, to_e6
from app.core.money import fen_to_yuan

CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"
VERSION = "1.0"
CALLBACK_OK = b'{"code":0}'
CALLBACK_BAD = b'{"code":1,"message":"sign error"}'
_SOURCE = {Channel.MEITUAN: "101", Channel.ELEME: "102"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Wire(NamedTuple):
    """Exactly what goes on the wire for one call (path relative to the base URL)."""

    path: str
    content: bytes
    content_type: str
    form: dict[str, str]  # the signed form, including ``sign``


# ----------------------------------------------------------------------------- envelope
def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        raise TypeError("floats are formatted by the caller (money, weights)")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def sign(params: Mapping[str, str], secret: str) -> str:
    """SHA-1 lower hex of secret + sorted non-empty ``key+value`` (``sign`` excluded)."""
    parts = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
    return hashlib.sha1((secret + parts).encode("utf-8")).hexdigest()


def envelope(path: str, fields: Mapping[str, object], creds: Mapping[str, str], ts: int) -> Wire:
    form = {k: _text(v) for k, v in fields.items()}
    form.update(appkey=creds["app_key"], timestamp=str(ts), version=VERSION)
    form = {k: v for k, v in sorted(form.items()) if v != ""}  # empty: neither signed nor sent
    form["sign"] = sign(form, creds["app_secret"])
    return Wire(path, urlencode(form).encode("ascii"), CONTENT_TYPE, form)


# ----------------------------------------------------------------------------- identifiers
def delivery_id(key: str) -> int:
    """Our int64 delivery activity id, derived from the idempotency key so a resend
    after an unknown outcome names the same activity."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:15], 16) or 1


def order_id(key: str) -> str:
    if _SAFE_ID.match(key):
        return key
    return "JP" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:30]


def ref(attempt: DeliveryAttempt) -> dict[str, object]:
    return {
        "delivery_id": delivery_id(attempt.idempotency_key),
        "mt_peisong_id": attempt.carrier_order_id,
    }


# ----------------------------------------------------------------------------- requests
def _goods_detail(order: Order) -> str:
    goods = [
        {
            "goodCount": i.qty,
            "goodName": i.name,
            "goodPrice": float(fen_to_yuan(i.price_fen)),
            "goodUnit": "份",
        }
        for i in order.items
    ]
    return json.dumps({"goods": goods}, ensure_ascii=False, separators=(",", ":"))


def _source(order: Order) -> dict[str, str]:
    """Channel 101 (Meituan) requires its platform order no.; without one, say nothing."""
    no = str(order.extra.get("platform_order_no") or "")
    if order.channel is Channel.MEITUAN and not no:
        return {}
    return {"outer_order_source_desc": _SOURCE.get(order.channel, ""), "outer_order_source_no": no}


def order_fields(order: Order, key: str, shop_id: str, opts: Options, now: int) -> dict[str, Any]:
    c = order.customer
    goods_fen = order.goods_value_fen or order.total_fen
    return {
        "delivery_id": delivery_id(key),
        "order_id": order_id(key),
        "shop_id": shop_id,
        "delivery_service_code": opts.delivery_service_code,
        "receiver_name": c.name,
        "receiver_address": c.address.text,
        "receiver_phone": c.phone,
        "receiver_lng": to_e6(c.address.lng),
        "receiver_lat": to_e6(c.address.lat),
        "coordinate_type": opts.coordinate_type,
        "goods_value": fen_to_yuan(goods_fen),
        "goods_weight": (Decimal(order.weight_g) / 1000).quantize(Decimal("0.01")),
        "goods_detail": _goods_detail(order) if order.items else "",
        "expected_delivery_time": now + opts.sla_s(),
        "order_type": 0,
        **_source(order),
        "poi_seq": order.pickup_no,
        "note": order.note[:200],
    }


# the carrier's special handling, told to the rider in goods_delivery_info
HANDLING_NOTES: Mapping[GoodsCategory, str] = {
    GoodsCategory.CAKE: "蛋糕：请保持水平放置，勿倾斜挤压",
    GoodsCategory.MEDICINE: "药品：请勿与其他物品混放，当面交给收件人",
}


def goods_fields(order: Order, store: Store | None, opts: Options) -> dict[str, Any]:
    """The goods category on the wire: the (ASSUMED) goods-type field when one is named,
    and the handling line for 蛋糕/药品."""
    category = goods_category(order, store)
    out: dict[str, Any] = {}
    if opts.goods_type_field and category.value in opts.goods_types:
        out[opts.goods_type_field] = opts.goods_types[category.value]
    if opts.handling_notes and category in HANDLING_NOTES:
        out["goods_delivery_info"] = HANDLING_NOTES[category][:100]
    return out


def build_quote(
    order: Order,
    creds: Mapping[str, str],
    opts: Options,
    now: int,
    store: Store | None = None,
) -> Wire:
    key = f"Q{order.pos_order_id}"
    fields = order_fields(order, key, creds["shop_id"], opts, now)
    fields.update(goods_fields(order, store, opts))
    return envelope("/order/preCreateByShop", fields, creds, now)


def build_create(
    order: Order,
    attempt: DeliveryAttempt,
    creds: Mapping[str, str],
    opts: Options,
    now: int,
    store: Store | None = None,
) -> Wire:
    fields = order_fields(order, attempt.idempotency_key, creds["shop_id"], opts, now)
    fields.update(goods_fields(order, store, opts))
    return envelope("/order/createByShop", fields, creds, now)


def build_query(attempt: DeliveryAttempt, creds: Mapping[str, str], now: int) -> Wire:
    fields = ref(attempt)
    if not attempt.carrier_order_id:  # outcome-unknown: look up by our ids
        fields["order_id"] = order_id(attempt.idempotency_key)
    return envelope("/order/status/query", fields, creds, now)


def build_cancel(
    attempt: DeliveryAttempt, reason: str, creds: Mapping[str, str], opts: Options, now: int
) -> Wire:
    fields = {
        **ref(attempt),
        "cancel_reason_id": opts.cancel_reason_id,
        "cancel_reason": (reason or "商家取消")[:256],
    }
    return envelope("/order/delete", fields, creds, now)


def tip_serial(attempt: DeliveryAttempt, amount_fen: int) -> str:
    """Same attempt state + amount -> same serial (a retry is idempotent)."""
    return f"{attempt.idempotency_key}-T{attempt.tip_fen}-{amount_fen}"[:128]


def build_tip(
    attempt: DeliveryAttempt, amount_fen: int, creds: Mapping[str, str], opts: Options, now: int
) -> Wire:
    fields = {
        **ref(attempt),
        opts.tip_amount_field: amount_fen // 100,  # integer yuan
        "serial_number": tip_serial(attempt, amount_fen),
    }
    return envelope("/order/addTip", fields, creds, now)


def build_position(attempt: DeliveryAttempt, creds: Mapping[str, str], now: int) -> Wire:
    return envelope("/order/rider/location", ref(attempt), creds, now)


# ----------------------------------------------------------------------------- responses
def unwrap(body: bytes, *, mutating: bool) -> dict[str, Any]:
    """``data`` of a success answer; the CarrierError for anything else."""
    data = kit.unwrap_envelope(
        body, codes.ERRORS, code_key="code", msg_key="message", data_key="data", mutating=mutating
    )
    return kit.as_object(data)


def parse_quote(data: Mapping[str, Any], now: datetime, opts: Options) -> Quote:
    return Quote(
        carrier=codes.CARRIER,
        fee_fen=kit.fen_from_yuan(data.get("delivery_fee")) or 0,
        distance_m=kit.to_int(data.get("delivery_distance")) or 0,
        quoted_at=now,
        binding=False,
        delivery_eta_s=opts.sla_s(),
        raw=dict(data),
    )


def parse_create(data: Mapping[str, Any]) -> CreateResult:
    return CreateResult(carrier_order_id=str(data["mt_peisong_id"]), raw=dict(data))


def _rider(data: Mapping[str, Any]) -> Rider | None:
    name, phone = str(data.get("courier_name") or ""), str(data.get("courier_phone") or "")
    return Rider(name=name, phone=phone) if (name or phone) else None


def _is_new_rider(code: int, rider: Rider | None, previous: Rider | None) -> bool:
    if code not in codes.RIDER_STATES or rider is None or previous is None:
        return False
    if not (previous.phone or previous.name):
        return False
    return (rider.phone, rider.name) != (previous.phone, previous.name)


def parse_status(
    data: Mapping[str, Any], key: str = "", previous: Rider | None = None
) -> StatusSnapshot:
    raw = kit.to_int(data.get("status"))
    code = raw if raw is not None else -1
    status = codes.map_status(code)
    rider = _rider(data) if code in codes.RIDER_STATES else None
    at = kit.to_int(data.get("operate_time") or data.get("timestamp"))
    pay = kit.fen_from_yuan(data.get("pay_amount"))
    return StatusSnapshot(
        status=status,
        raw_status=str(raw) if raw is not None else "",
        carrier_order_id=str(data.get("mt_peisong_id") or ""),
        idempotency_key=key,
        rider=rider,
        at=from_unix(at) if at else None,
        reassignment=_is_new_rider(code, rider, previous),
        actual_fee_fen=pay if status is DeliveryStatus.DELIVERED else None,
        cancel_fee_fen=(pay or 0) if status is DeliveryStatus.CANCELLED else None,
        cancelled_by=_cancelled_by(data) if status is DeliveryStatus.CANCELLED else None,
        cancel_reason=str(data.get("cancel_reason") or ""),
        raw=dict(data),
    )


def _cancelled_by(data: Mapping[str, Any]) -> CancelledBy:
    reason = kit.to_int(data.get("cancel_reason_id")) or 0
    if 101 <= reason <= 199:
        return CancelledBy.MERCHANT if reason == 199 else CancelledBy.CUSTOMER
    if 201 <= reason <= 299:
        return CancelledBy.CARRIER_SYSTEM
    return CancelledBy.UNKNOWN


def parse_position(data: Mapping[str, Any], key: str) -> RiderPosition | None:
    lat, lng = data.get("lat"), data.get("lng")
    if lat in (None, "", 0) or lng in (None, "", 0):
        return None
    return RiderPosition(idempotency_key=key, lat=from_e6(lat), lng=from_e6(lng))


# ----------------------------------------------------------------------------- callbacks
def parse_callback(request: CallbackRequest, creds: Mapping[str, str]) -> CallbackResult:
    """Verify the form's ``sign`` (request signer), then map a status or exception push."""
    form = dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))
    expected = sign(form, creds["app_secret"])
    if form.get("appkey") != creds["app_key"] or not hmac.compare_digest(
        expected, form.get("sign", "")
    ):
        raise CallbackRejected("bad meituan callback signature", 403, CALLBACK_BAD)
    key = form.get("order_id", "")
    if form.get("exception_id"):
        text = f"{form.get('exception_code', '')} {form.get('exception_descr', '')}".strip()
        at = kit.to_int(form.get("exception_time") or form.get("timestamp"))
        snap = StatusSnapshot(
            status=DeliveryStatus.UNKNOWN,
            raw_status="exception",
            carrier_order_id=form.get("mt_peisong_id", ""),
            idempotency_key=key,
            rider=_rider(form),
            at=from_unix(at) if at else None,
            exception=text or "exception",
            raw=form,
        )
        event = CallbackEvent(snap, event_id=form["exception_id"])
    else:
        event = CallbackEvent(parse_status(form, key))
    return CallbackResult(events=(event,), reply_body=CALLBACK_OK)
