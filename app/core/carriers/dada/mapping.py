"""Pure Dada wire work: signing, the JSON envelope, request bodies and response parsing.

Business params are serialised once (compact, unescaped Unicode), signed as that exact
string and sent as that exact string inside the envelope's ``body``. Money on the wire
is yuan; inside it is fen. Coordinates are GCJ-02 on both sides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackEvent,
    CallbackRejected,
    CallbackResult,
    CreateResult,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.dada import codes
from app.core.carriers.dada.rules import CARGO_TYPES, Options
from app.core.clock import from_unix, parse_local
from app.core.domain import (
    CancelledBy,
    DeliveryStatus,
    Order,
    Quote,
    Rider,
    Store,
    goods_category,
)
from app.core.domain.category import category_code
from app.core.money import fen_to_yuan, yuan_to_fen

CARRIER = "dada"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_KEYS = ("app_key", "body", "format", "source_id", "timestamp", "v")

PATH_QUOTE = "/api/order/queryDeliverFee"
PATH_ADD_AFTER_QUERY = "/api/order/addAfterQuery"
PATH_ADD_ORDER = "/api/order/addOrder"
PATH_QUERY = "/api/order/status/query"
PATH_CANCEL = "/api/order/formalCancel"
PATH_TIP = "/api/order/addTip"
PATH_POSITION = "/api/order/transporter/position"
PATH_TRACK = "/api/order/transporter/track"
PATH_CONFIRM_GOODS = "/api/order/confirm/goods"
PATH_CITY_CODES = "/api/cityCode/list"  # body "": [{cityName, cityCode}]

CALLBACK_REPLY = b'{"code":200,"msg":"success"}'
MESSAGE_REPLY = b'{"status":"ok"}'


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def yuan(fen: int, places: int = 2) -> float:
    """fen -> a yuan JSON number; the float is the exact repr of a 2-place Decimal."""
    return float(fen_to_yuan(fen, places))


# ---------------------------------------------------------------- signature / envelope
def sign(secret: str, params: Mapping[str, object], *, keep_empty: bool = True) -> str:
    """MD5 upper of ``secret + k1v1k2v2... + secret`` over the sorted system params."""
    parts = []
    for k in sorted(k for k in params if k in SIGNED_KEYS):
        v = "" if params[k] is None else str(params[k])
        if v == "" and not keep_empty:
            continue
        parts.append(k + v)
    plain = secret + "".join(parts) + secret
    return hashlib.md5(plain.encode("utf-8")).hexdigest().upper()


def envelope(
    creds: Mapping[str, str], body: str, timestamp: int, *, keep_empty: bool = True
) -> bytes:
    """The exact bytes to POST: system params, ``body`` (a JSON string) and signature."""
    params: dict[str, str] = {
        "app_key": creds["app_key"],
        "timestamp": str(timestamp),
        "format": "json",
        "v": "1.0",
        "source_id": creds["source_id"],
        "body": body,
    }
    params["signature"] = sign(creds["app_secret"], params, keep_empty=keep_empty)
    return dumps(params).encode("utf-8")


# ---------------------------------------------------------------- request bodies
def order_params(
    order: Order,
    store: Store,
    creds: Mapping[str, str],
    origin_id: str,
    callback_url: str,
    options: Options,
) -> dict[str, Any]:
    """Fields shared by queryDeliverFee and addOrder."""
    c = order.customer
    p: dict[str, Any] = {"shop_no": creds["shop_no"], "origin_id": origin_id}
    if options.send_city_code:
        p["city_code"] = store.city_code
    p.update(
        cargo_price=yuan(order.goods_value_fen or order.total_fen),
        is_prepay=0,
        receiver_name=c.name,
        receiver_address=c.address.text,
        receiver_lat=c.address.lat,
        receiver_lng=c.address.lng,
        receiver_phone=c.phone,
        callback=callback_url,
        cargo_weight=round(max(order.weight_g, 1) / 1000, 3),
        cargo_type=category_code(
            goods_category(order, store), CARGO_TYPES, options.cargo_types, options.cargo_type
        ),
        cargo_num=sum(i.qty for i in order.items) or 1,
    )
    if order.note:
        p["info"] = order.note
    if order.pickup_no:
        p["origin_mark_no"] = order.pickup_no[:30]
    return p


def add_after_query_body(delivery_no: str) -> dict[str, Any]:
    return {"deliveryNo": delivery_no}


def order_id_body(origin_id: str) -> dict[str, Any]:
    """query, track and confirm/goods all take just ``order_id`` (= origin_id)."""
    return {"order_id": origin_id}


def cancel_body(origin_id: str, reason: str, reason_id: int) -> dict[str, Any]:
    body: dict[str, Any] = {"order_id": origin_id, "cancel_reason_id": reason_id}
    if reason or reason_id == 10000:
        body["cancel_reason"] = reason or "其他"
    return body


def tip_body(origin_id: str, total_fen: int, info: str = "") -> dict[str, Any]:
    """Dada replaces the tip: send the new total, yuan with one decimal."""
    return {"order_id": origin_id, "tips": yuan(total_fen, 1), "info": info}


def positions_body(origin_ids: Sequence[str]) -> dict[str, Any]:
    return {"orderIds": list(origin_ids)}


# ---------------------------------------------------------------- responses
def unwrap(raw: bytes, *, mutating: bool, overrides: Mapping[str, object] | None = None) -> Any:
    """Return ``result`` of a successful answer or raise the matching CarrierError."""
    doc = kit.read_json_object(raw, CARRIER, mutating=mutating, required="code")
    if doc.get("code") == 0 and doc.get("status", "success") == "success":
        return doc.get("result")
    raise kit.error_for(codes.ERRORS, doc.get("code"), str(doc.get("msg") or ""), overrides)


def parse_quote(result: Mapping[str, Any], *, origin_id: str, now: datetime, ttl_s: int) -> Quote:
    fee = yuan_to_fen(result.get("fee", result.get("deliverFee", 0)))
    return Quote(
        carrier=CARRIER,
        fee_fen=fee,
        distance_m=int(float(result.get("distance") or 0)),
        quoted_at=now,
        binding=True,
        expires_at=now + timedelta(seconds=ttl_s),
        token=str(result.get("deliveryNo") or ""),
        raw={**result, "origin_id": origin_id},
    )


def parse_create(
    result: Mapping[str, Any] | None, *, origin_id: str, fallback_fee_fen: int | None
) -> CreateResult:
    result = result or {}
    fee = result.get("fee")
    dist = result.get("distance")
    return CreateResult(
        carrier_order_id=origin_id,
        fee_fen=yuan_to_fen(fee) if fee is not None else fallback_fee_fen,
        distance_m=int(float(dist)) if dist is not None else None,
        raw=dict(result),
    )


def parse_time(value: object, fmt: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) or str(value).isdigit():
        return from_unix(kit.int_or(value))
    try:
        return parse_local(str(value), fmt)
    except ValueError:
        return None


_EVENT_TIME = {
    DeliveryStatus.PENDING_ACCEPT: "createTime",
    DeliveryStatus.ACCEPTED: "acceptTime",
    DeliveryStatus.PICKED_UP: "fetchTime",
    DeliveryStatus.DELIVERED: "finishTime",
    DeliveryStatus.CANCELLED: "cancelTime",
}


def _rider(r: Mapping[str, Any]) -> Rider | None:
    name, phone = r.get("transporterName") or "", r.get("transporterPhone") or ""
    if not (name or phone):
        return None
    lat, lng = r.get("transporterLat"), r.get("transporterLng")
    return Rider(
        name=name,
        phone=phone,
        lat=float(lat) if lat not in (None, "") else None,
        lng=float(lng) if lng not in (None, "") else None,
    )


def parse_status(
    result: Mapping[str, Any], *, origin_id: str, time_format: str, fee_includes_tips: bool = True
) -> StatusSnapshot:
    """``actualFee`` is taken to include the tip ([?]); the tip is reported apart, so it
    is taken out of the fee to keep ``net_cost_fen`` from counting it twice."""
    status = codes.status_of(result.get("statusCode"))
    delivered = status is DeliveryStatus.DELIVERED
    cancelled = status is DeliveryStatus.CANCELLED
    expired = codes.expired(result.get("statusCode"))
    tip = kit.fen_from_yuan(result.get("tips"))
    actual = kit.fen_from_yuan(result.get("actualFee")) if delivered else None
    if actual is not None and tip and fee_includes_tips:
        actual -= tip
    return StatusSnapshot(
        status=status,
        raw_status=str(result.get("statusCode")),
        carrier_order_id=origin_id,
        idempotency_key=str(result.get("orderId") or origin_id),
        rider=_rider(result),
        at=parse_time(result.get(_EVENT_TIME.get(status, "")), time_format),
        actual_fee_fen=actual,
        tip_fen=tip,
        insurance_fee_fen=kit.fen_from_yuan(result.get("insuranceFee")),
        cancel_fee_fen=kit.fen_from_yuan(result.get("deductFee")) if cancelled else None,
        cancelled_by=CancelledBy.CARRIER_SYSTEM if expired else None,
        cancel_reason=codes.EXPIRED_REASON if expired else "",
        raw=dict(result),
    )


def parse_positions(result: Sequence[Mapping[str, Any]] | None) -> list[RiderPosition]:
    out = []
    for r in result or ():
        lat, lng = r.get("transporterLat"), r.get("transporterLng")
        if lat in (None, "") or lng in (None, ""):
            continue
        out.append(
            RiderPosition(
                idempotency_key=str(r.get("orderId")),
                lat=float(lat),
                lng=float(lng),
                name=r.get("transporterName") or "",
                phone=r.get("transporterPhone") or "",
            )
        )
    return out


def parse_cancel_fee(result: Mapping[str, Any] | None) -> int:
    return yuan_to_fen((result or {}).get("deduct_fee") or 0)


# ---------------------------------------------------------------- callbacks
def callback_signature(client_id: object, order_id: object, update_time: object) -> str:
    """MD5 lower of the three values sorted as strings and joined (no secret)."""
    joined = "".join(sorted([str(client_id), str(order_id), str(update_time)]))
    return hashlib.md5(joined.encode("utf-8")).hexdigest()


def _cancelled_by(doc: Mapping[str, Any]) -> CancelledBy | None:
    if codes.expired(doc.get("order_status")):
        return CancelledBy.CARRIER_SYSTEM  # 已过期: Dada closed it, whatever cancel_from says
    return codes.CANCEL_FROM.get(int(doc.get("cancel_from") or 0))


def _callback_snapshot(doc: Mapping[str, Any]) -> StatusSnapshot:
    status = codes.status_of(doc.get("order_status"))
    ut = int(doc.get("update_time") or 0)
    at = from_unix(ut / 1000 if status is DeliveryStatus.CREATE_FAILED else ut) if ut else None
    repeat = int(doc.get("repeat_reason_type") or 0)
    rider = None
    if doc.get("dm_name") or doc.get("dm_mobile"):
        rider = Rider(name=doc.get("dm_name") or "", phone=str(doc.get("dm_mobile") or ""))
    cancelled = status is DeliveryStatus.CANCELLED
    return StatusSnapshot(
        status=status,
        raw_status=str(doc.get("order_status")),
        carrier_order_id=str(doc.get("order_id")),
        idempotency_key=str(doc.get("order_id")),
        rider=rider,
        at=at,
        reassignment=repeat in codes.REPEAT_REASON,
        cancelled_by=_cancelled_by(doc) if cancelled else None,
        cancel_reason=str(doc.get("cancel_reason") or "")
        or (codes.EXPIRED_REASON if codes.expired(doc.get("order_status")) else ""),
        raw=dict(doc),
    )


def _message_snapshot(doc: Mapping[str, Any]) -> StatusSnapshot | None:
    """Console-URL pushes: type 1 rider asks to cancel, type 3 exception report."""
    mtype = int(doc.get("messageType") or 0)
    try:
        body = json.loads(doc.get("messageBody") or "{}")
    except ValueError:
        raise CallbackRejected("messageBody is not JSON", 400) from None
    key = str(body.get("orderId") or "")
    if mtype == 1:
        status, exc = DeliveryStatus.CANCEL_REQUESTED, ""
    elif mtype == 3:
        status, exc = DeliveryStatus.UNKNOWN, str(body.get("exceptionMsg") or "异常上报")
    else:
        return None
    return StatusSnapshot(
        status=status,
        raw_status=f"message:{mtype}",
        carrier_order_id=key,
        idempotency_key=key,
        cancel_reason=str(body.get("cancelReason") or ""),
        exception=exc,
        raw=dict(doc),
    )


def parse_callback(body: bytes) -> CallbackResult:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CallbackRejected("not JSON", 400) from None
    if not isinstance(doc, dict):
        raise CallbackRejected("not a JSON object", 400)
    if "messageType" in doc:
        snap = _message_snapshot(doc)
        events = (CallbackEvent(snap),) if snap else ()
        return CallbackResult(events, 200, MESSAGE_REPLY)
    for k in ("client_id", "order_id", "order_status", "update_time", "signature"):
        if k not in doc:
            raise CallbackRejected(f"missing {k}", 400)
    expected = callback_signature(doc["client_id"], doc["order_id"], doc["update_time"])
    if str(doc["signature"]).lower() != expected:
        raise CallbackRejected("bad signature", 403)
    snap = _callback_snapshot(doc)
    event_id = f"{doc['order_id']}:{doc['order_status']}:{doc['update_time']}"
    return CallbackResult((CallbackEvent(snap, event_id),), 200, CALLBACK_REPLY)


def parse_city_codes(result: object) -> dict[str, str]:
    """``/api/cityCode/list`` -> {cityName: cityCode} (entries without both are skipped)."""
    out: dict[str, str] = {}
    for item in result if isinstance(result, list) else ():
        if isinstance(item, Mapping) and item.get("cityName") and item.get("cityCode"):
            out[str(item["cityName"])] = str(item["cityCode"])
    return out
