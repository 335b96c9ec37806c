"""哗啦啦 OpenAPI: pure signing, request building and parsing (no I/O).

v3 signature (shared/sources/hualala.md §2 [✓ SDK]): a form POST with ``timestamp``
(ms), ``appKey``, ``version`` = 3, ``signature`` and ``requestBody`` (the JSON
string); ``signature = MD5(appKey + appSecret + timestamp + requestBody)``, lower-case
hex; headers ``traceID``, ``groupID`` and ``shopID``. Everything about the order
documents is ASSUMED (see ``rules.RULES.unverified``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from app.core.clock import from_unix
from app.core.domain.source_order import (
    FulfilmentMode,
    SourceItem,
    SourceMoney,
    SourceOrder,
    SourceOrderState,
    SourceRecipient,
    classify_phone,
)
from app.core.geo import bd09_to_gcj02
from app.core.sources.base import (
    SyncBack,
)
from app.core.sources.hualala import codes
from app.core.sources.hualala.rules import HualalaOptions
from app.core.sources.kit import (
    Wire,
    answer_doc,
    as_dict,
    degrees_or_none,
    dumps_compact,
    error_from,
    fen_or_none,
    int_or_none,
    md5_hex,
    text_id,
)

SOURCE = "hualala"
QUERY_ORDER = "/order/queryOrder"
UPDATE_STATUS = "/order/updateOrderStatus"


# ---------------------------------------------------------------------------- signing
def sign_plaintext(app_key: str, app_secret: str, timestamp: str, request_body: str) -> str:
    return f"{app_key}{app_secret}{timestamp}{request_body}"


def sign(app_key: str, app_secret: str, timestamp: str, request_body: str) -> str:
    return md5_hex(sign_plaintext(app_key, app_secret, timestamp, request_body))


def build_request(
    base_url: str,
    path: str,
    business: Mapping[str, object],
    creds: Mapping[str, str],
    now: datetime,
    trace_id: str = "",
) -> Wire:
    request_body = dumps_compact(dict(business))
    ts = str(int(now.timestamp() * 1000))  # ms [✓ TimeUtil]
    form = {
        "timestamp": ts,
        "appKey": creds["app_key"],
        "version": codes.SIGN_VERSION,
        "signature": sign(creds["app_key"], creds["app_secret"], ts, request_body),
        "requestBody": request_body,
    }
    headers = {
        "traceID": trace_id or uuid.uuid4().hex,
        "groupID": creds["group_id"],
        "shopID": creds["shop_id"],
    }
    return Wire(
        base_url.rstrip("/") + path,
        urlencode(form).encode("utf-8"),
        "application/x-www-form-urlencoded; charset=utf-8",
        headers=headers,
    )


def store_scope(creds: Mapping[str, str]) -> dict[str, object]:
    """``groupID``/``shopID`` also in the body, as the SDK's BaseBean carries them."""
    return {"groupID": int(creds["group_id"]), "shopID": int(creds["shop_id"])}


def unwrap(body: bytes, opts: HualalaOptions) -> Any:
    """``{"code":"000","message":…,"data":…,"traceID":…}`` (ASSUMED success code)."""
    doc = answer_doc(SOURCE, body)
    code = str(doc.get("code", ""))
    if code == opts.success_code:
        return doc.get("data")
    message = str(doc.get("message") or doc.get("msg") or "")
    raise error_from(SOURCE, codes.ERRORS, code, message, fallback="refused")


# ---------------------------------------------------------------------------- pull
def list_body(
    creds: Mapping[str, str], day: date, page: int, opts: HualalaOptions
) -> dict[str, object]:
    # ASSUMED: the list form of queryOrder (the SDK bean shows only per-order keys)
    return {
        **store_scope(creds),
        "orderDate": day.strftime("%Y%m%d"),
        "pageNo": page,
        "pageSize": opts.page_size,
    }


def detail_body(creds: Mapping[str, str], order_key: str) -> dict[str, object]:
    return {**store_scope(creds), "orderKey": order_key}  # [✓ QueryOrderBean.orderKey]


def order_docs(data: Any) -> list[dict[str, Any]]:
    """``data.orderList``, ``data.order``, a bare list or a bare order (ASSUMED)."""
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict)]
    doc = as_dict(data)
    if isinstance(doc.get("orderList"), list):
        return [d for d in doc["orderList"] if isinstance(d, dict)]
    if isinstance(doc.get("order"), dict):
        return [doc["order"]]
    return [doc] if doc.get("orderKey") else []


def parse_order(doc: Mapping[str, Any], opts: HualalaOptions) -> SourceOrder:
    """One order as ASSUMED in ``rules.RULES.unverified``."""
    status = str(doc.get("orderStatus", ""))
    state = SourceOrderState(opts.order_states.get(status, "new"))
    pickup = str(doc.get("pickUpType", "")) in opts.pickup_types
    lat, lng = _point(doc, opts)
    created_ms = int_or_none(doc.get("orderTime"))
    created = from_unix(created_ms / 1000) if created_ms else from_unix(0)
    expected_ms = int_or_none(doc.get("expectedTime"))
    phone = str(doc.get("receiverPhone") or doc.get("receiverTel") or "").strip()
    return SourceOrder(
        source=SOURCE,
        source_order_id=text_id(doc.get("orderKey")),
        source_store_ref=str(doc.get("shopID") or ""),
        display_no=int_or_none(doc.get("serialNumber")),
        state=state,
        source_status_raw=status,
        fulfilment=FulfilmentMode.PICKUP if pickup else FulfilmentMode.SELF_DELIVERY,
        recipient=SourceRecipient(
            name=str(doc.get("receiverName") or "").strip(),
            phones=(classify_phone(phone),) if phone else (),
            address=str(doc.get("receiverAddress") or "").strip(),
            lat=lat,
            lng=lng,
        ),
        money=SourceMoney(
            paid_total_fen=_fen(doc.get("orderActualAmount"), opts) or 0,
            delivery_fee_fen=_fen(doc.get("shipFee"), opts),
        ),
        created_at=created,
        items=_items(doc, opts),
        cancel_requested=state is SourceOrderState.CANCELLED,
        expected_delivery_at=from_unix(expected_ms / 1000) if expected_ms else None,
        is_reservation=bool(doc.get("isReserve")),
        note=str(doc.get("orderRemark") or "").strip(),
        raw_payload=dict(doc),
    )


def _fen(value: object, opts: HualalaOptions) -> int | None:
    if opts.money_unit == "fen":  # ASSUMED either way
        return int_or_none(value)
    return fen_or_none(value)


def _point(doc: Mapping[str, Any], opts: HualalaOptions) -> tuple[float | None, float | None]:
    lat = degrees_or_none(doc.get("receiverLatitude"))
    lng = degrees_or_none(doc.get("receiverLongitude"))
    if lat is None or lng is None:
        return None, None
    if opts.coord_system == "bd09":  # ASSUMED: lnglatType values are unknown
        return bd09_to_gcj02(lat, lng)
    return lat, lng


def _items(doc: Mapping[str, Any], opts: HualalaOptions) -> tuple[SourceItem, ...]:
    out = []
    for f in doc.get("foodList") or []:
        if isinstance(f, dict) and f.get("foodName"):
            out.append(
                SourceItem(
                    name=str(f["foodName"]),
                    qty=int_or_none(f.get("foodNumber")) or 1,
                    unit_price_fen=_fen(f.get("foodPrice"), opts) or 0,
                )
            )
    return tuple(out)


# ---------------------------------------------------------------------------- updates
def status_body(
    change: SyncBack, creds: Mapping[str, str], opts: HualalaOptions
) -> dict[str, object] | None:
    """``/order/updateOrderStatus`` with the rider in ``shipperInfoVo`` (ASSUMED values)."""
    name = codes.SYNC_NAME.get(change.status)
    value = opts.sync_status.get(name) if name else None
    if name is None or value is None:
        return None
    return {
        **store_scope(creds),
        "orderKey": change.source_order_id,
        "thirdPartyStatus": value,
        "shipperInfoVo": {
            "shipperName": change.rider_name,
            "shipperPhone": change.rider_phone,
            "statusCode": value,
            "statusMsg": codes.STATUS_TEXT[name],
            "shippingMethod": change.carrier,
            "remark": change.carrier_order_id or change.attempt_id,
        },
    }


def confirm_body(
    creds: Mapping[str, str], order_key: str, opts: HualalaOptions, now: datetime
) -> dict[str, object]:
    return {
        **store_scope(creds),
        "orderKey": order_key,
        "thirdPartyStatus": opts.confirm_status,
        "takeoutConfirmTime": int(now.timestamp() * 1000),
    }


def reject_body(
    creds: Mapping[str, str], order_key: str, reason: str, opts: HualalaOptions
) -> dict[str, object]:
    return {
        **store_scope(creds),
        "orderKey": order_key,
        "thirdPartyStatus": opts.reject_status,
        "cancelOrderCause": reason or "商家拒单",
    }
