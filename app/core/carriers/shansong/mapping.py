"""Pure Shansong wire work: the signer, the form envelope, request bodies and parsing.

Business params are one compact JSON string (``data``), signed and sent byte-identical
in an ``application/x-www-form-urlencoded`` form. Money is fen on both sides; the wire
speaks BD-09 unless ``lbsType`` = 1 (GCJ-02); inside everything is GCJ-02.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackEvent,
    CallbackRejected,
    CallbackResult,
    CreateResult,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.shansong import codes
from app.core.carriers.shansong.rules import GOOD_TYPES, Options
from app.core.clock import from_unix, parse_local
from app.core.domain import DeliveryStatus, Order, Quote, Rider, Store, goods_category
from app.core.domain.category import category_code
from app.core.geo import bd09_to_gcj02, gcj02_to_bd09

CARRIER = "shansong"
CONTENT_TYPE = "application/x-www-form-urlencoded"
PREFIX = "/openapi/merchants/v5/"
PATH_QUOTE = PREFIX + "orderCalculate"
PATH_PLACE = PREFIX + "orderPlace"
PATH_INFO = PREFIX + "orderInfo"
PATH_PRE_ABORT = PREFIX + "preAbortOrder"
PATH_ABORT = PREFIX + "abortOrder"
PATH_ADDITION = PREFIX + "addition"
PATH_COURIER = PREFIX + "courierInfo"
PATH_CONFIRM_RETURN = PREFIX + "confirmGoodsReturn"

CALLBACK_REPLY = b'{"status":200,"msg":"","data":null}'
FEE_TYPE_ADDITION = 9  # 加价费: the tip, reported apart from the freight


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- signature / envelope
def sign(secret: str, params: Mapping[str, object]) -> str:
    """MD5 upper of ``secret + clientId.. data.. shopId.. timestamp..`` (data only if set)."""
    parts = []
    for k in sorted(k for k in params if k in ("clientId", "data", "shopId", "timestamp")):
        v = "" if params[k] is None else str(params[k])
        if k == "data" and v == "":
            continue
        parts.append(k + v)
    plain = secret + "".join(parts)
    return hashlib.md5(plain.encode("utf-8")).hexdigest().upper()


def form(creds: Mapping[str, str], data: str | None, timestamp_ms: int) -> bytes:
    """The exact bytes to POST; ``data`` is omitted when there are no business params."""
    params = {
        "clientId": creds["client_id"],
        "shopId": creds["shop_id"],
        "timestamp": str(timestamp_ms),
    }
    if data:
        params["data"] = data
    params["sign"] = sign(creds["app_secret"], params)
    return urlencode(params).encode("ascii")


# ---------------------------------------------------------------- request bodies
def wire_coords(lat: float, lng: float, lbs_type: int) -> tuple[str, str]:
    """GCJ-02 -> what goes on the wire (BD-09 unless lbsType 1), as decimal strings."""
    if lbs_type != 1:
        lat, lng = gcj02_to_bd09(lat, lng)
    return f"{lat:.6f}", f"{lng:.6f}"


def calculate_body(order: Order, store: Store, order_no: str, options: Options) -> dict[str, Any]:
    lbs = options.lbs_type
    from_lat, from_lng = wire_coords(store.lat, store.lng, lbs)
    c = order.customer
    to_lat, to_lng = wire_coords(c.address.lat, c.address.lng, lbs)
    receiver = {
        "orderNo": order_no,
        "toAddress": c.address.text,
        "toAddressDetail": "",
        "toLatitude": to_lat,
        "toLongitude": to_lng,
        "toReceiverName": c.name,
        "toMobile": c.phone,
        "goodType": category_code(
            goods_category(order, store), GOOD_TYPES, options.good_types, options.good_type
        ),
        "weight": max(1, math.ceil(order.weight_g / 1000)),
        "remarks": " ".join(x for x in (order.pickup_no, order.note) if x),
    }
    body: dict[str, Any] = {
        "cityName": store.city,
        "appointType": 0,
        "travelWay": 0,
        "deliveryType": 1,
    }
    if lbs == 1:
        body["lbsType"] = 1
    body["sender"] = {
        "fromAddress": store.address,
        "fromAddressDetail": "",
        "fromSenderName": store.name,
        "fromMobile": store.phone,
        "fromLatitude": from_lat,
        "fromLongitude": from_lng,
    }
    body["receiverList"] = [receiver]
    return body


def iss_body(iss_order_no: str) -> dict[str, Any]:
    """orderPlace, preAbortOrder, courierInfo and confirmGoodsReturn take just this."""
    return {"issOrderNo": iss_order_no}


def info_body(iss_order_no: str, third_order_no: str) -> dict[str, Any]:
    body = {"issOrderNo": iss_order_no} if iss_order_no else {}
    body["thirdOrderNo"] = third_order_no
    return body


def abort_body(iss_order_no: str, deduct_flag: bool) -> dict[str, Any]:
    return {"issOrderNo": iss_order_no, "deductFlag": deduct_flag}


def addition_body(iss_order_no: str, amount_fen: int) -> dict[str, Any]:
    return {"issOrderNo": iss_order_no, "additionAmount": amount_fen}


# ---------------------------------------------------------------- responses
def unwrap(raw: bytes, *, mutating: bool, overrides: Mapping[str, object] | None = None) -> Any:
    """Return ``data`` of a successful answer (status 200) or raise a CarrierError."""
    return kit.unwrap_envelope(
        raw,
        codes.ERRORS,
        code_key="status",
        msg_key="msg",
        data_key="data",
        success=(200,),
        mutating=mutating,
        overrides=overrides,
    )


def freight_fen(data: Mapping[str, Any]) -> int:
    """totalFeeAfterSave without the 加价费 (tip), which is tracked apart."""
    total = kit.int_or(data.get("totalFeeAfterSave", data.get("totalAmount")))
    tips = sum(
        kit.int_or(f.get("fee"))
        for f in data.get("feeInfoList") or ()
        if kit.int_or(f.get("type")) == FEE_TYPE_ADDITION
    )
    return total - tips


def addition_fen(data: Mapping[str, Any]) -> int:
    return sum(
        kit.int_or(f.get("fee"))
        for f in data.get("feeInfoList") or ()
        if kit.int_or(f.get("type")) == FEE_TYPE_ADDITION
    )


def parse_quote(data: Mapping[str, Any], *, order_no: str, now: datetime, ttl_s: int) -> Quote:
    grab = data.get("estimateGrabSecond")
    receive = data.get("estimateReceiveSecond")
    return Quote(
        carrier=CARRIER,
        fee_fen=freight_fen(data),
        distance_m=kit.int_or(data.get("totalDistance")),
        quoted_at=now,
        binding=True,
        expires_at=now + timedelta(seconds=ttl_s),
        token=str(data.get("orderNumber") or ""),
        accept_eta_s=kit.int_or(grab) if grab is not None else None,
        delivery_eta_s=kit.int_or(receive) if receive is not None else None,
        raw={**data, "orderNo": order_no},
    )


def parse_place(
    data: Mapping[str, Any] | None, *, iss_order_no: str, fallback_fee_fen: int | None
) -> CreateResult:
    data = data or {}
    has_fee = "totalFeeAfterSave" in data or "totalAmount" in data
    return CreateResult(
        carrier_order_id=str(data.get("orderNumber") or iss_order_no),
        fee_fen=freight_fen(data) if has_fee else fallback_fee_fen,
        distance_m=kit.int_or(data["totalDistance"]) if "totalDistance" in data else None,
        raw=dict(data),
    )


def parse_time(value: object) -> datetime | None:
    """ms since epoch, or Beijing ``yyyy-MM-dd HH:mm:ss``."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) or str(value).isdigit():
        return from_unix(kit.int_or(value) / 1000)
    try:
        return parse_local(str(value))
    except ValueError:
        return None


def _rider(courier: Mapping[str, Any] | None) -> Rider | None:
    if not courier or not (courier.get("name") or courier.get("mobile")):
        return None
    lat, lng = _gcj(courier)
    return Rider(
        name=courier.get("name") or "", phone=str(courier.get("mobile") or ""), lat=lat, lng=lng
    )


def _gcj(d: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Prefer the gcj02 fields; else convert the BD-09 latitude/longitude."""
    if d.get("gcj02Lat") not in (None, "") and d.get("gcj02Lng") not in (None, ""):
        return float(d["gcj02Lat"]), float(d["gcj02Lng"])
    if d.get("latitude") not in (None, "") and d.get("longitude") not in (None, ""):
        return bd09_to_gcj02(float(d["latitude"]), float(d["longitude"]))
    return None, None


def _returned(
    status: DeliveryStatus, went_through_40: bool, send_back: int, on: bool
) -> DeliveryStatus:
    if on and status is DeliveryStatus.CANCELLED and (went_through_40 or send_back > 0):
        return DeliveryStatus.RETURNED
    return status


def parse_info(
    data: Mapping[str, Any], *, iss_order_no: str, order_no: str, returned_after_pickup: bool = True
) -> StatusSnapshot:
    st, sub = data.get("orderStatus"), data.get("subOrderStatus")
    status, reassign = codes.status_of(st, sub)
    log = data.get("statusChangeLog") or []
    abort = data.get("abortInfo") or {}
    send_back = kit.int_or(data.get("sendBackFee"))
    if kit.int_or(st) == 60:
        status = _returned(
            status,
            any(kit.int_or(x.get("orderStatus")) == 40 for x in log),
            send_back,
            returned_after_pickup,
        )
    ended = status in (DeliveryStatus.CANCELLED, DeliveryStatus.RETURNED)
    return StatusSnapshot(
        status=status,
        raw_status=f"{st}/{sub}" if sub not in (None, "") else str(st),
        carrier_order_id=iss_order_no,
        idempotency_key=str(data.get("orderNo") or order_no),
        rider=_rider(data.get("courier")),
        at=parse_time(log[-1].get("updateTime")) if log else None,
        reassignment=reassign,
        actual_fee_fen=freight_fen(data) if status is DeliveryStatus.DELIVERED else None,
        tip_fen=addition_fen(data),
        cancel_fee_fen=kit.int_or(abort.get("deductAmount")) + send_back if ended else None,
        refund_fen=kit.int_or(data.get("drawback")) or None,
        cancelled_by=codes.ABORT_TYPE.get(kit.int_or(abort.get("abortType")), None)
        if ended and abort
        else None,
        cancel_reason=str(abort.get("abortReason") or ""),
        raw=dict(data),
    )


def parse_abort_fee(data: Mapping[str, Any] | None) -> int:
    """abortOrder / preAbortOrder: the penalty plus any send-back (return trip) fee."""
    data = data or {}
    return kit.int_or(data.get("deductAmount")) + kit.int_or(data.get("sendBackFee"))


def parse_courier(data: Mapping[str, Any] | None, *, order_no: str) -> RiderPosition | None:
    if not data:
        return None
    lat, lng = _gcj(data)
    if lat is None or lng is None:
        return None
    return RiderPosition(
        idempotency_key=order_no,
        lat=lat,
        lng=lng,
        name=data.get("name") or "",
        phone=str(data.get("mobile") or ""),
        at=parse_time(data.get("time")),
    )


# ---------------------------------------------------------------- callbacks
def _callback_doc(body: bytes, creds: Mapping[str, str], check_ids: bool) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CallbackRejected("not JSON", 400) from None
    if not isinstance(doc, dict) or "status" not in doc or "issOrderNo" not in doc:
        raise CallbackRejected("not a Shansong status callback", 400)
    if check_ids and (
        str(doc.get("clientId")) != creds.get("client_id")
        or str(doc.get("shopId")) != creds.get("shop_id")
    ):
        raise CallbackRejected("clientId/shopId are not ours", 403)
    return doc


def parse_callback(
    body: bytes,
    creds: Mapping[str, str],
    *,
    check_ids: bool = True,
    returned_after_pickup: bool = True,
) -> CallbackResult:
    """No signature exists: check our clientId/shopId, then treat the event as a hint."""
    doc = _callback_doc(body, creds, check_ids)
    status, reassign = codes.status_of(doc.get("status"), doc.get("subStatus"))
    send_back = kit.int_or(doc.get("sendBackFee"))
    if kit.int_or(doc.get("status")) == 60:
        status = _returned(status, False, send_back, returned_after_pickup)
    ended = status in (DeliveryStatus.CANCELLED, DeliveryStatus.RETURNED)
    sub = doc.get("subStatus")
    snap = StatusSnapshot(
        status=status,
        raw_status=f"{doc['status']}/{sub}" if sub not in (None, "") else str(doc["status"]),
        carrier_order_id=str(doc["issOrderNo"]),
        idempotency_key=str(doc.get("orderNo") or ""),
        rider=_rider(doc.get("courier")),
        at=parse_time(doc.get("statusChangeTime")),
        reassignment=reassign,
        cancel_fee_fen=kit.int_or(doc.get("deductAmount")) + send_back if ended else None,
        refund_fen=kit.int_or(doc.get("drawback")) or None,
        cancelled_by=codes.ABORT_TYPE.get(kit.int_or(doc.get("abortType"))) if ended else None,
        cancel_reason=str(doc.get("abortReason") or ""),
        raw=dict(doc),
    )
    event_id = f"{doc['issOrderNo']}:{doc['status']}:{sub}:{doc.get('statusChangeTime')}"
    return CallbackResult((CallbackEvent(snap, event_id),), 200, CALLBACK_REPLY)
