"""客如云 open platform: pure signing, request building and parsing (no I/O).

Signature (shared/sources/keruyun.md §3): the system params ``appKey``, ``shopIdenty``
(or ``brandId``), ``timestamp``, ``version`` sorted by name and joined ``k1v1k2v2…``,
then (v2 only) the exact JSON body, then the store's ``token``; SHA-256, lower-case
hex. System params travel in the query string, business params are the JSON body.
Money is fen; times unix seconds; rider coordinates 高德 (GCJ-02).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from app.core.clock import from_unix
from app.core.domain.source_order import (
    FulfilmentMode,
    Phone,
    SourceMoney,
    SourceOrder,
    SourceOrderState,
    SourceRecipient,
    classify_phone,
)
from app.core.sources.base import (
    SyncBack,
)
from app.core.sources.keruyun import codes
from app.core.sources.keruyun.rules import KeruyunOptions
from app.core.sources.kit import (
    Wire,
    answer_doc,
    degrees_or_none,
    dumps_compact,
    error_from,
    int_or_none,
    sha256_hex,
    text_id,
)

SOURCE = "keruyun"
SYSTEM_KEYS = ("appKey", "brandId", "shopIdenty", "timestamp", "version")
STATUS_PUSH_PATH = "/open/v1/delivery/status/push"
SIGN_TEST_PATH = "/open/v1/signTest"  # ASSUMED: shown in the signing doc's example URL


# ---------------------------------------------------------------------------- signing
def sign_plaintext(
    system: Mapping[str, str], token: str, body: str = "", *, body_key: bool = True
) -> str:
    """``k1v1k2v2…`` of the system params (``sign`` excluded), then for v2 the body
    (ASSUMED ``body_key``: with the literal ``body`` before it, as the v2 doc example
    shows), then the token."""
    joined = "".join(f"{k}{system[k]}" for k in sorted(system) if k != "sign")
    if system.get("version") == "2.0" and body:
        joined += ("body" if body_key else "") + body
    return joined + token


def sign(system: Mapping[str, str], token: str, body: str = "", *, body_key: bool = True) -> str:
    return sha256_hex(sign_plaintext(system, token, body, body_key=body_key))


def timestamp(now: datetime, unit: str) -> str:
    """ASSUMED ``timestamp_unit``: seconds (the parameter table) or ms (the examples)."""
    return str(int(now.timestamp() * 1000) if unit == "ms" else int(now.timestamp()))


def timestamp_seconds(text: str) -> float | None:
    """A system ``timestamp`` as seconds, whichever unit it came in (13 digits = ms)."""
    value = int_or_none(text)
    if value is None:
        return None
    return value / 1000 if value > 10**11 else float(value)


def build_request(
    base_url: str,
    path: str,
    business: Mapping[str, object],
    creds: Mapping[str, str],
    opts: KeruyunOptions,
    now: datetime,
) -> Wire:
    """A 门店授权 call: system params and ``sign`` in the query, the JSON body."""
    body = dumps_compact(dict(business))
    system = {
        "appKey": creds["app_key"],
        "shopIdenty": creds["shop_identy"],
        "timestamp": timestamp(now, opts.timestamp_unit),
        "version": opts.sign_version,
    }
    system["sign"] = sign(system, creds["token"], body, body_key=opts.v2_body_key)
    return Wire(
        base_url.rstrip("/") + path,
        body.encode("utf-8"),
        "application/json; charset=utf-8",
        query=system,
    )


def unwrap(body: bytes) -> Any:
    """``{"code":0,"message":…,"result":…}``; ``code != 0`` raises [✓ kXcd…]."""
    doc = answer_doc(SOURCE, body)
    code = int_or_none(doc.get("code"))
    if code == codes.OK_CODE:
        return doc.get("result")
    message = str(doc.get("message") or "")
    raise error_from(SOURCE, codes.ERRORS, code, message, fallback="refused")


# ---------------------------------------------------------------------------- orders
def parse_delivery_order(
    doc: Mapping[str, Any], opts: KeruyunOptions, received_at: datetime
) -> SourceOrder:
    """A 下发配送通知 as a source order. 客如云 only sends orders the merchant wants
    delivered, so it is already confirmed and always self-delivery."""
    oid = text_id(doc.get("orderId"))
    phones: list[Phone] = []
    for key in ("consigneePhone", "consigneeContact"):
        text = str(doc.get(key) or "").strip()
        if text and text not in [p.number for p in phones]:
            phones.append(classify_phone(text))  # "_" marks a privacy number [✓]
    name = str(doc.get("consigneeName") or "").strip()
    sex = codes.SEX.get(int_or_none(doc.get("consigneeSex")) or -1, "")
    if name and sex and not name.endswith(sex):
        name = f"{name}({sex})"
    # decimal degrees as text; ASSUMED GCJ-02 (高德), as the status push states
    lat, lng = degrees_or_none(doc.get("addrLat")), degrees_or_none(doc.get("addrLng"))
    expected_s = int_or_none(doc.get("expectedDeliveredTime"))
    expected = from_unix(expected_s) if expected_s else None
    reservation = expected is not None and expected - received_at > timedelta(
        minutes=opts.reservation_after_min  # ASSUMED: a far expected time is a 预订单
    )
    price = int_or_none(doc.get("price")) or 0  # 分 [✓]
    unpaid = int_or_none(doc.get("isPaid")) == 0
    note = str(doc.get("remark") or "").strip()
    if unpaid:  # cash on delivery: the rider collects
        note = f"【未支付，货到付款 ¥{price / 100:.2f}】{note}"
    return SourceOrder(
        source=SOURCE,
        source_order_id=oid,
        source_store_ref=str(doc.get("shopIdenty") or doc.get("shopId") or ""),
        display_no=int_or_none(doc.get("serialNumber")),
        state=SourceOrderState.CONFIRMED,
        source_status_raw="delivery_requested",
        fulfilment=FulfilmentMode.SELF_DELIVERY,
        recipient=SourceRecipient(
            name=name,
            phones=tuple(phones),
            address=str(doc.get("consigneeAddr") or "").strip(),
            lat=lat if lng is not None else None,
            lng=lng if lat is not None else None,
        ),
        money=SourceMoney(paid_total_fen=0 if unpaid else price, original_total_fen=price),
        created_at=received_at,
        expected_delivery_at=expected,
        is_reservation=reservation,
        note=note,
        updated_at=received_at,
        raw_payload=dict(doc),
    )


# ---------------------------------------------------------------------------- sync-back
def status_body(
    change: SyncBack, opts: KeruyunOptions, biz_type: int | None = None
) -> dict[str, object] | None:
    """The 商家自配送状态推送 body for one attempt change; None when 客如云 has no
    status for it."""
    status = codes.SYNC_STATUS.get(change.status)
    if status is None:
        return None
    body: dict[str, object] = {
        "bizType": biz_type or opts.biz_type,
        "orderId": change.source_order_id,
        # ASSUMED: the carrier's order id is "JuPei's id" to 客如云, else our attempt key
        "tpOrderId": change.carrier_order_id or change.attempt_id,
        "deliveryStatus": status,
    }
    cancel_before_rider = status == codes.CANCELLED and not change.rider_name
    if status not in codes.NO_RIDER_NEEDED and not cancel_before_rider:
        body.update(
            {
                # ASSUMED: 客如云 wants an id for the rider; carriers give none but the phone
                "delivererId": change.rider_phone or change.carrier_order_id or change.attempt_id,
                "deliverer": change.rider_name or change.carrier,
                "delivererPhone": change.rider_phone,
            }
        )
        if change.lat is not None and change.lng is not None:
            body.update(_point(change.lat, change.lng, opts))
    if status == codes.CANCELLED:
        body["cancelCode"] = opts.cancel_code
        body["cancelReason"] = codes.CANCEL_REASON.get(opts.cancel_code, "配送取消")
    return body


def reject_body(
    source_order_id: str, reason: str, opts: KeruyunOptions, biz_type: int | None = None
) -> dict[str, object]:
    """The shop refuses a delivery request: status 5 with 商户取消, no rider."""
    return {
        "bizType": biz_type or opts.biz_type,
        "orderId": source_order_id,
        "tpOrderId": f"jupei-{source_order_id}",
        "deliveryStatus": codes.CANCELLED,
        "cancelCode": opts.reject_code,
        "cancelReason": reason or "商户取消",
    }


def _point(lat: float, lng: float, opts: KeruyunOptions) -> dict[str, object]:
    if opts.coords_text:  # ASSUMED: decimal text, like addrLat/addrLng
        return {"longitude": f"{lng:.6f}", "latitude": f"{lat:.6f}"}
    return {"longitude": round(lng, 6), "latitude": round(lat, 6)}
