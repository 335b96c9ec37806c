"""Pure build/parse for UU v3: signature, envelope, biz bodies, response parsing into
domain values, callback verification.

Envelope: JSON ``{openId, timestamp, biz, sign}`` with header ``X-App-Id``; ``biz`` is a
compact JSON string (Chinese unescaped) built once, signed and sent as is.
Sign = UPPER(MD5(biz + appSecret + timestamp)). Money fen; coordinates BD-09 on the wire.
Request field names follow ``Options.field_style`` (``STYLES``); answers are read in
either style (``pick``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from app.core.carriers import kit
from app.core.carriers.base import (
    CallbackEvent,
    CallbackResult,
    CreateResult,
    InsufficientBalanceError,
    RiderPosition,
    StatusSnapshot,
)
from app.core.carriers.uupt import codes
from app.core.carriers.uupt.rules import Options
from app.core.clock import from_unix
from app.core.domain import Order, Quote, Rider, Store, goods_category
from app.core.domain.category import category_code
from app.core.geo import bd09_to_gcj02, gcj02_to_bd09

CONTENT_TYPE = "application/json"
CARRIER = "uupt"
# the request fields whose spelling is disputed (F2): camelCase name -> snake_case name
STYLES: dict[str, str] = {"receiverPhone": "receiver_phone", "orderCode": "order_code"}
# answer fields seen in both spellings: camelCase name -> the other names read
ANSWER_ALIASES: dict[str, tuple[str, ...]] = {
    "orderCode": ("order_code",),
    "originId": ("origin_id",),
    "orderUrl": ("order_url",),
    "driverName": ("driver_name",),
    "driverMobile": ("driver_phone", "driver_mobile", "driverPhone"),
}


class PaymentRequiredError(InsufficientBalanceError):
    """addOrder answered ``orderCode`` and ``orderUrl``: UU holds the order until it is paid
    (the balance is too low), so no rider is asked. ``payment_url`` is for the manager."""

    def __init__(self, order_code: str, payment_url: str) -> None:
        super().__init__(
            CARRIER,
            f"UU余额不足，订单{order_code}待支付，未派骑手；支付/充值链接: {payment_url}",
        )
        self.order_code = order_code
        self.payment_url = payment_url


def styled(body: Mapping[str, object], style: str) -> dict[str, object]:
    """``body`` (written camelCase) with the disputed names in ``style`` ("snake"|"camel")."""
    if style != "snake":
        return dict(body)
    return {STYLES.get(k, k): v for k, v in body.items()}


def pick(data: Mapping[str, Any], name: str) -> Any:
    """``data[name]`` or its other spelling (``ANSWER_ALIASES``), None when absent/empty."""
    for key in (name, *ANSWER_ALIASES.get(name, ())):
        v = data.get(key)
        if v not in (None, ""):
            return v
    return None


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(biz: str, secret: str, timestamp: object) -> str:
    return hashlib.md5(f"{biz}{secret}{timestamp}".encode()).hexdigest().upper()


def timestamp(now: datetime, unit: str) -> int:
    return int(now.timestamp() * 1000) if unit == "ms" else int(now.timestamp())


def envelope(path: str, biz: Mapping[str, object], creds: Mapping[str, str], ts: int) -> kit.Wire:
    biz_s = dumps(biz)
    body = {
        "openId": creds["open_id"],
        "timestamp": ts,
        "biz": biz_s,
        "sign": sign(biz_s, creds["app_secret"], ts),
    }
    return kit.Wire(
        path, dumps(body).encode("utf-8"), CONTENT_TYPE, headers={"X-App-Id": creds["app_id"]}
    )


# ---------------------------------------------------------------------------- bodies
def split_city(city: str) -> tuple[str, str]:
    """'郑州市金水区' -> ('郑州市', '金水区'); '上海' -> ('上海市', '')."""
    if "市" in city:
        head, _, tail = city.partition("市")
        return head + "市", tail
    return (city + "市" if city else ""), ""


def _bd(lat: float, lng: float) -> tuple[float, float]:
    b_lat, b_lng = gcj02_to_bd09(lat, lng)
    return round(b_lat, 6), round(b_lng, 6)


def price_body(order: Order, store: Store, opts: Options) -> dict[str, object]:
    addr = order.customer.address
    f_lat, f_lng = _bd(store.lat, store.lng)
    t_lat, t_lng = _bd(addr.lat, addr.lng)
    body: dict[str, object] = {
        "sendType": opts.send_type,
        "fromAddress": store.address,
        "fromLat": f_lat,
        "fromLng": f_lng,
        "toAddress": addr.text,
        "toLat": t_lat,
        "toLng": t_lng,
        "goodsType": category_code(
            goods_category(order, store), {}, opts.goods_types, opts.goods_type
        ),
        "goodsWeight": max(1, math.ceil(order.weight_g / 1000)),
    }
    if opts.ad_code:
        body["adCode"] = opts.ad_code
    else:
        city, county = split_city(store.city)
        body["cityName"], body["countyName"] = city, opts.county_name or county
    return body


def add_order_body(
    order: Order, quote: Quote, key: str, callback_url: str, opts: Options
) -> dict[str, object]:
    return styled(_add_order_body(order, quote, key, callback_url, opts), opts.field_style)


def _add_order_body(
    order: Order, quote: Quote, key: str, callback_url: str, opts: Options
) -> dict[str, object]:
    body: dict[str, object] = {
        "priceToken": quote.token,
        "originId": key,
        "receiver": order.customer.name,
        "receiverPhone": order.customer.phone,
        "pushType": opts.push_type,
        "payType": opts.pay_type,
        "specialType": opts.special_type,
    }
    if callback_url:
        body["callbackUrl"] = callback_url
    note = " ".join(
        x for x in (f"取餐号{order.pickup_no}" if order.pickup_no else "", order.note) if x
    )
    if note:
        body["note"] = note
    return body


def order_ref(key: str, order_code: str = "", style: str = "snake") -> dict[str, object]:
    ref: dict[str, object] = {"originId": key}
    if order_code:
        ref["orderCode"] = order_code
    return styled(ref, style)


# ---------------------------------------------------------------------------- parsing
def unwrap(
    body: bytes,
    success_codes: Collection[object],
    extra: Mapping[str, object] | None = None,
    *,
    mutating: bool = False,
) -> dict[str, Any]:
    """The ``body`` object of a success answer (a JSON string or object); raise the
    mapped CarrierError otherwise."""
    data = kit.unwrap_envelope(
        body,
        codes.ERRORS,
        code_key="code",
        msg_key="msg",
        data_key="body",
        success=success_codes,
        mutating=mutating,
        overrides=extra,
        nested_json=True,
    )
    return kit.as_object(data)


def _fee(data: Mapping[str, Any], fee_field: str) -> int | None:
    v = kit.fen_from_fen(data.get(fee_field))
    return v if v is not None else kit.fen_from_fen(data.get("totalMoney"))


def parse_quote(data: Mapping[str, Any], now: datetime, *, ttl_s: int, fee_field: str) -> Quote:
    token, fee = str(data.get("priceToken") or ""), _fee(data, fee_field)
    if not token or fee is None:
        raise ValueError("orderPrice answer without priceToken/fee")
    return Quote(
        carrier=CARRIER,
        fee_fen=fee,
        distance_m=int(data.get("distance") or 0),
        quoted_at=now,
        binding=True,
        expires_at=now + timedelta(seconds=ttl_s),
        token=token,
        raw={"totalMoney": data.get("totalMoney"), "needPayMoney": data.get("needPayMoney")},
    )


def parse_create(data: Mapping[str, Any], quote: Quote) -> CreateResult:
    """The placed order; ``PaymentRequiredError`` when UU answers with a payment link
    (``orderUrl``, with or without ``orderCode``): that order waits for payment (F3)."""
    code = str(pick(data, "orderCode") or "")
    url = pick(data, "orderUrl")
    if url:
        raise PaymentRequiredError(code, str(url))
    if not code:
        raise ValueError("addOrder answer without orderCode")
    return CreateResult(code, fee_fen=quote.fee_fen, distance_m=quote.distance_m, raw=dict(data))


def _time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    t = float(value)  # type: ignore[arg-type]
    return from_unix(t / 1000 if t > 1e11 else t)  # the unit is itself [?]


def parse_status(
    p: Mapping[str, Any],
    *,
    fee_field: str,
    tip_field: str,
    cancel_field: str,
    overrides: Mapping[str, str] | None = None,
    detail_fee_field: str = "orderPrice",
) -> StatusSnapshot:
    """An ``orderDetail`` body or a callback ``biz``; the price is ``detail_fee_field``
    (UU's ``orderPrice``, fen), else ``fee_field``/``totalMoney``."""
    code = str(p.get("state", ""))
    name, phone = str(pick(p, "driverName") or ""), str(pick(p, "driverMobile") or "")
    price = kit.fen_from_fen(p.get(detail_fee_field))
    at = _time(p.get("changeTime"))
    return StatusSnapshot(
        status=codes.status_of(code, overrides),
        raw_status=code,
        carrier_order_id=str(pick(p, "orderCode") or ""),
        idempotency_key=str(pick(p, "originId") or ""),
        rider=Rider(name=name, phone=phone, at=at) if (name or phone) else None,
        at=at,
        reassignment=code in codes.REASSIGNMENT_CODES,
        actual_fee_fen=price if price is not None else _fee(p, fee_field),
        tip_fen=kit.fen_from_fen(p.get(tip_field)),
        cancel_fee_fen=kit.fen_from_fen(p.get(cancel_field)),
        cancel_reason=str(p.get("cancelReason") or ""),
        exception=str(p.get("stateText") or "异常订单") if code in codes.EXCEPTION_CODES else "",
        raw=dict(p),
    )


def parse_track(data: Mapping[str, Any], key: str, coords: str = "bd09") -> RiderPosition | None:
    """``driverLastLoc`` "lng,lat" (CRMEB, BD-09) or ``longitude``/``latitude`` (UU's own
    api-reference, F7; system ``coords``, ASSUMED BD-09); GCJ-02 out."""
    loc = str(data.get("driverLastLoc") or "")
    lng_v, lat_v = data.get("longitude"), data.get("latitude")
    if "," in loc:
        lng, lat = (float(x) for x in loc.split(",", 1))
        g_lat, g_lng = bd09_to_gcj02(lat, lng)
    elif lng_v not in (None, "", 0, "0") and lat_v not in (None, "", 0, "0"):
        lat, lng = float(lat_v), float(lng_v)
        g_lat, g_lng = bd09_to_gcj02(lat, lng) if coords == "bd09" else (lat, lng)
    else:
        return None  # no position (or 0,0: no fix yet)
    return RiderPosition(
        key,
        g_lat,
        g_lng,
        name=str(pick(data, "driverName") or ""),
        phone=str(pick(data, "driverMobile") or ""),
    )


# ---------------------------------------------------------------------------- callbacks
def parse_callback(
    body: bytes,
    creds: Mapping[str, str],
    *,
    verify: str,
    reply: str,
    fields: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
) -> CallbackResult:
    """``fields``: ``fee``, ``tip``, ``cancel``, ``detail_fee`` answer field names."""
    env, biz_s, biz = kit.open_callback(body, "biz", "UU v3")
    signed = None
    if verify == "md5":
        expected = sign(biz_s, creds["app_secret"], env.get("timestamp", ""))
        signed = (expected, str(env.get("sign", "")).upper())
    kit.check_callback(env, "openId", creds.get("open_id"), signed=signed, sig_name="sign")
    snap = parse_status(
        biz,
        fee_field=fields["fee"],
        tip_field=fields["tip"],
        cancel_field=fields["cancel"],
        overrides=overrides,
        detail_fee_field=fields["detail_fee"],
    )
    event_id = f"{snap.carrier_order_id}:{snap.raw_status}:{biz.get('changeTime', '')}"
    return CallbackResult((CallbackEvent(snap, event_id),), reply_body=reply.encode("utf-8"))
