"""SF same-city wire format: pure request building and response parsing, no I/O.

Requests are ``POST {base}/open/api/external/<method>?sign=<sign>`` with a compact JSON
body that carries ``dev_id`` and ``push_time``. The body string is built once, signed
(base64 of the lower-case md5 hex of ``body&dev_id&dev_key``) and sent byte for byte.
Money is fen, weight grams, time unix seconds, coordinates GCJ-02 strings (lbs_type 2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackEvent,
    CallbackRejected,
    CallbackRequest,
    CallbackResult,
    CreateResult,
    RejectedError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.sf import codes
from app.core.carriers.sf.rules import PRODUCT_TYPES, Options
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
from app.core.domain.category import category_code

PATH = "/open/api/external/"
CONTENT_TYPE = "application/json;charset=utf-8"
LBS_GCJ02 = 2
CALLBACK_OK = b'{"error_code":0,"error_msg":"success"}'
CALLBACK_BAD = b'{"error_code":1,"error_msg":"sign error"}'
_SOURCE = {Channel.MEITUAN: "1", Channel.ELEME: "2"}


class Wire(NamedTuple):
    """Exactly what goes on the wire for one call."""

    method: str
    content: bytes
    content_type: str
    params: dict[str, str]


# ----------------------------------------------------------------------------- envelope
def sign(body: str, dev_id: str, dev_key: str) -> str:
    digest = hashlib.md5(f"{body}&{dev_id}&{dev_key}".encode()).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _dev_id(creds: Mapping[str, str]) -> int | str:
    raw = str(creds["dev_id"])
    return int(raw) if raw.isdigit() else raw


def envelope(method: str, fields: dict[str, Any], creds: Mapping[str, str], push_time: int) -> Wire:
    body = dumps({**fields, "dev_id": _dev_id(creds), "push_time": push_time})
    sig = sign(body, str(creds["dev_id"]), creds["dev_key"])
    return Wire(method, body.encode("utf-8"), CONTENT_TYPE, {"sign": sig})


def _coord(value: float) -> str:
    return f"{value:.6f}"


def _shop(creds: Mapping[str, str], opts: Options) -> dict[str, Any]:
    return {"shop_id": creds["shop_id"], "shop_type": opts.shop_type}


def order_ref(attempt: DeliveryAttempt, creds: Mapping[str, str], opts: Options) -> dict[str, Any]:
    """SF's order id when we have it (type 1), else our shop_order_id (type 2)."""
    if attempt.carrier_order_id:
        ref = {"order_id": attempt.carrier_order_id, "order_type": 1}
    else:
        ref = {"order_id": attempt.idempotency_key, "order_type": 2}
    return {**ref, **_shop(creds, opts)}


# ----------------------------------------------------------------------------- requests
def _shop_block(store: Store) -> dict[str, Any]:
    return {
        "shop_name": store.name,
        "shop_phone": store.phone,
        "shop_address": store.address,
        "shop_lng": _coord(store.lng),
        "shop_lat": _coord(store.lat),
    }


def build_quote(
    order: Order, store: Store, creds: Mapping[str, str], opts: Options, push_time: int
) -> Wire:
    addr = order.customer.address
    fields = {
        **_shop(creds, opts),
        "user_lng": _coord(addr.lng),
        "user_lat": _coord(addr.lat),
        "user_address": addr.text,
        "city_name": store.city,
        "weight": order.weight_g,
        "product_type": product_type(order, store, opts),
        "is_appoint": 0,
        "lbs_type": LBS_GCJ02,
        "pay_type": 1,
        "is_insured": 0,
        "is_person_direct": 0,
        "return_flag": opts.return_flag,
    }
    if opts.send_shop_block:
        fields["shop"] = _shop_block(store)
    return envelope("precreateorder", fields, creds, push_time)


def product_type(order: Order, store: Store, opts: Options) -> int:
    """The order's goods category as SF's product_type (precreateorder and order_detail)."""
    category = goods_category(order, store)
    return category_code(category, PRODUCT_TYPES, opts.product_types, opts.product_type)


def _order_detail(order: Order, store: Store, opts: Options) -> dict[str, Any]:
    items = order.items
    return {
        "total_price": order.total_fen,
        "product_type": product_type(order, store, opts),
        "user_money": 0,
        "shop_money": 0,
        "weight_gram": order.weight_g,
        "product_num": sum(i.qty for i in items) or 1,
        "product_type_num": len(items) or 1,
        "product_detail": [
            {"product_name": i.name, "product_num": i.qty, "product_price": i.price_fen}
            for i in items
        ],
    }


def build_create(
    order: Order,
    store: Store,
    attempt: DeliveryAttempt,
    creds: Mapping[str, str],
    opts: Options,
    push_time: int,
) -> Wire:
    c = order.customer
    fields = {
        **_shop(creds, opts),
        "shop_order_id": attempt.idempotency_key,
        "order_source": _SOURCE.get(order.channel, "聚配"),
        "order_sequence": order.pickup_no,
        "lbs_type": LBS_GCJ02,
        "pay_type": 1,
        "order_time": int(order.created_at.timestamp()),
        "is_appoint": 0,
        "is_insured": 0,
        "is_person_direct": 0,
        "remark": order.note,
        "return_flag": opts.return_flag,
        "version": opts.version,
        "receive": {
            "user_name": c.name,
            "user_phone": c.phone,
            "user_address": c.address.text,
            "user_lng": _coord(c.address.lng),
            "user_lat": _coord(c.address.lat),
            "city_name": store.city,
        },
        "order_detail": _order_detail(order, store, opts),
    }
    if opts.send_shop_block:
        fields["shop"] = _shop_block(store)
    return envelope("createorder", fields, creds, push_time)


def build_ref_call(
    method: str, attempt: DeliveryAttempt, creds: Mapping[str, str], opts: Options, push_time: int
) -> Wire:
    """getorderstatus, precancelorder, riderlatestposition, listorderfeed."""
    return envelope(method, order_ref(attempt, creds, opts), creds, push_time)


def build_cancel(
    attempt: DeliveryAttempt, reason: str, creds: Mapping[str, str], opts: Options, now: int
) -> Wire:
    fields = {
        **order_ref(attempt, creds, opts),
        "cancel_code": opts.cancel_code,
        "cancel_reason": reason or "商家取消",
    }
    return envelope("cancelorder", fields, creds, now)


def tip_serial(attempt: DeliveryAttempt, amount_fen: int) -> str:
    """Same attempt state + same amount -> same serial, so a retry is idempotent; the
    running total makes every further tip distinct."""
    return f"{attempt.idempotency_key}-T{attempt.tip_fen}-{amount_fen}"


def build_tip(
    attempt: DeliveryAttempt, amount_fen: int, creds: Mapping[str, str], opts: Options, now: int
) -> Wire:
    fields = {
        **order_ref(attempt, creds, opts),
        "gratuity_fee": amount_fen,
        "serial_number": tip_serial(attempt, amount_fen),
    }
    return envelope("addordergratuityfee", fields, creds, now)


# ----------------------------------------------------------------------------- responses
def unwrap(body: bytes, *, mutating: bool) -> dict[str, Any]:
    """The ``result`` of a success envelope; the CarrierError for anything else."""
    result = kit.unwrap_envelope(
        body,
        codes.ERRORS,
        code_key="error_code",
        msg_key="error_msg",
        data_key="result",
        mutating=mutating,
    )
    return kit.as_object(result)


def _fee(result: Mapping[str, Any]) -> int | None:
    for key in ("real_pay_money", "total_pay_money", "total_price"):
        if result.get(key) not in (None, ""):
            return kit.to_int(result[key])
    return None


def parse_quote(result: Mapping[str, Any], now: datetime) -> Quote:
    fee = _fee(result)
    if fee is None:
        price = result.get("charge_price_list") or {}
        fee = kit.to_int(price.get("shop_pay_price")) or 0
    minutes = kit.to_int(result.get("promise_delivery_time"))
    return Quote(
        carrier=codes.CARRIER,
        fee_fen=fee,
        distance_m=kit.to_int(result.get("delivery_distance_meter")) or 0,
        quoted_at=now,
        binding=False,
        delivery_eta_s=minutes * 60 if minutes is not None else None,
        raw=dict(result),
    )


def parse_create(result: Mapping[str, Any]) -> CreateResult:
    return CreateResult(
        carrier_order_id=str(result["sf_order_id"]),
        fee_fen=_fee(result),
        distance_m=kit.to_int(result.get("delivery_distance_meter")),
        raw=dict(result),
    )


def _rider(result: Mapping[str, Any]) -> Rider | None:
    name = result.get("rider_name") or result.get("operator_name") or ""
    phone = result.get("rider_phone") or result.get("operator_phone") or ""
    lat, lng = result.get("rider_lat"), result.get("rider_lng")
    if not (name or phone):
        return None
    has_pos = lat not in (None, "") and lng not in (None, "")
    return Rider(
        name=str(name),
        phone=str(phone),
        lat=float(lat) if has_pos else None,  # type: ignore[arg-type]
        lng=float(lng) if has_pos else None,  # type: ignore[arg-type]
    )


def parse_status(
    result: Mapping[str, Any], key: str = "", *, status_22: str = "reassign"
) -> StatusSnapshot:
    """A ``getorderstatus`` result (``order_id``/``out_order_id`` in the SDK sample) or a
    callback (``sf_order_id``/``shop_order_id``): either spelling of the ids is read."""
    raw = kit.to_int(result.get("order_status"))
    code = raw if raw is not None else -1
    status = codes.map_status(code, status_22)
    sf_id = result.get("sf_order_id") or result.get("order_id") or ""
    shop_id = result.get("shop_order_id") or result.get("out_order_id") or ""
    delivered = status is DeliveryStatus.DELIVERED
    cancelled = status is DeliveryStatus.CANCELLED
    push = kit.to_int(result.get("push_time"))
    return StatusSnapshot(
        status=status,
        raw_status=str(raw) if raw is not None else "",
        carrier_order_id=str(sf_id),
        idempotency_key=str(shop_id or key),
        rider=None if status is DeliveryStatus.PENDING_ACCEPT else _rider(result),
        at=from_unix(push) if push else None,
        reassignment=code in codes.REASSIGNMENT and status is DeliveryStatus.PENDING_ACCEPT,
        actual_fee_fen=_fee(result) if delivered else None,
        tip_fen=kit.to_int(result.get("total_gratuity_fee") or result.get("gratuity_fee")),
        cancel_fee_fen=kit.to_int(result.get("deduction_fee")) if cancelled else None,
        cancel_reason=str(result.get("cancel_reason") or ""),
        exception=str(result.get("status_desc") or "") if code in codes.EXCEPTION else "",
        raw=dict(result),
    )


def parse_position(result: Mapping[str, Any], key: str) -> RiderPosition | None:
    lat, lng = result.get("rider_lat"), result.get("rider_lng")
    if lat in (None, "") or lng in (None, ""):
        return None
    t = kit.to_int(result.get("upload_time") or result.get("push_time"))
    return RiderPosition(
        idempotency_key=key,
        lat=float(lat),
        lng=float(lng),
        name=str(result.get("rider_name") or ""),
        phone=str(result.get("rider_phone") or ""),
        at=from_unix(t) if t else None,
    )


def parse_precancel(result: Mapping[str, Any]) -> int:
    if result.get("could_cancel") in (0, False, "0"):
        raise RejectedError(codes.CARRIER, "order can no longer be cancelled")
    return kit.to_int(result.get("deduction_fee")) or 0


def parse_cancel(result: Mapping[str, Any]) -> int:
    detail = result.get("deduction_detail") or {}
    return kit.to_int(detail.get("deduction_fee")) or 0


def parse_tip(result: Mapping[str, Any]) -> int | None:
    return kit.to_int(result.get("total_gratuity_fee"))


# ----------------------------------------------------------------------------- callbacks
def parse_callback(
    request: CallbackRequest, creds: Mapping[str, str], *, status_22: str = "reassign"
) -> CallbackResult:
    """Verify ``?sign=`` over the raw body, then map the event (by ``order_status``)."""
    text = request.body.decode("utf-8", errors="replace")
    expected = sign(text, str(creds["dev_id"]), creds["dev_key"])
    if not hmac.compare_digest(expected, str(request.query.get("sign", ""))):
        raise CallbackRejected("bad sf callback signature", 403, CALLBACK_BAD)
    try:
        doc = json.loads(text)
    except ValueError:
        raise CallbackRejected("sf callback is not JSON", 400, CALLBACK_BAD) from None
    snap = parse_status(doc, status_22=status_22)
    index = str(doc.get("url_index") or "")
    if index == "sf_cancel":
        snap = _with(snap, status=DeliveryStatus.CANCELLED, cancelled_by=CancelledBy.CARRIER_SYSTEM)
    elif index == "rider_exception":
        reason = str(doc.get("ex_content") or doc.get("ex_id") or doc.get("status_desc") or "")
        snap = _with(snap, exception=reason or "rider exception")
    event_id = f"{index}:{snap.raw_status}:{doc.get('push_time', '')}"
    return CallbackResult(events=(CallbackEvent(snap, event_id),), reply_body=CALLBACK_OK)


def _with(snap: StatusSnapshot, **changes: Any) -> StatusSnapshot:
    return replace(snap, **changes)
