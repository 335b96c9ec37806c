"""抖音来客: pure webhook signing, order parsing and the fulfilment-status body (no I/O).

Webhook (shared/sources/wechat_miniprogram.md §3 [✓ DY1, DY6]): ``X-Douyin-Signature`` =
SHA-1(client_secret + raw body), lower hex; body ``{event, client_key, content, log_id}``
with ``content`` a JSON string; ``Msg-Id`` header is the dedupe key. Money is fen, times
are epoch seconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

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
from app.core.sources.base import (
    SyncBack,
)
from app.core.sources.douyin import codes
from app.core.sources.douyin.rules import DouyinOptions
from app.core.sources.kit import (
    answer_doc,
    as_dict,
    degrees_or_none,
    error_from,
    int_or_none,
    sha1_hex,
    tail_number,
    text_id,
)

SOURCE = "douyin"


# ---------------------------------------------------------------------------- signing
def signature(client_secret: str, raw_body: bytes | str) -> str:
    body = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
    return sha1_hex(client_secret + body)


# ---------------------------------------------------------------------------- orders
def _when(value: object) -> datetime | None:
    seconds = int_or_none(value)
    return from_unix(seconds) if seconds else None


def parse_order(
    order: Mapping[str, Any], opts: DouyinOptions, *, received: datetime, poi_id: str = ""
) -> SourceOrder:
    """``content.order`` of a ``pay_success`` message. order_id, amounts (fen) and times
    are [✓ DY3]; receiver, items, poi and remark are ASSUMED field names [?]."""
    oid = text_id(order.get("order_id"))
    rcv = as_dict(order.get("receiver_info"))  # ASSUMED [?]
    phone = str(rcv.get("phone") or "")
    items = tuple(
        SourceItem(
            name=str(i.get("name") or ""),
            qty=int_or_none(i.get("count")) or 1,
            unit_price_fen=int_or_none(i.get("price")) or 0,
            sku_ref=str(i.get("sku_id") or ""),
        )
        for i in (as_dict(x) for x in order.get("items") or [])
    )
    try:
        fulfilment = FulfilmentMode(opts.default_fulfilment)  # ASSUMED [?]
    except ValueError:
        fulfilment = FulfilmentMode.SELF_DELIVERY
    return SourceOrder(
        source=SOURCE,
        source_order_id=oid,
        source_store_ref=str(order.get("poi_id") or poi_id),
        display_no=tail_number(oid),
        state=SourceOrderState.NEW,  # awaiting 101 商家接单
        source_status_raw=codes.PAY_SUCCESS,
        fulfilment=fulfilment,
        recipient=SourceRecipient(
            name=str(rcv.get("name") or ""),
            phones=(classify_phone(phone),) if phone else (),
            address=str(rcv.get("address") or ""),
            lat=degrees_or_none(rcv.get("latitude")),
            lng=degrees_or_none(rcv.get("longitude")),
        ),
        money=SourceMoney(
            paid_total_fen=int_or_none(order.get("pay_amount")) or 0,
            original_total_fen=int_or_none(order.get("original_amount")),
        ),
        created_at=_when(order.get("create_time")) or received,
        items=items,
        paid_at=_when(order.get("pay_time")),
        note=str(order.get("remark") or ""),
        raw_payload=dict(order),
    )


# ---------------------------------------------------------------------------- fulfilment
def fulfil_body(
    creds: Mapping[str, str],
    shop_order_id: str,
    status: int,
    at: datetime,
    opts: DouyinOptions,
    change: SyncBack | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """update_fulfill_status body [✓ DY5]; rider_info field names ASSUMED [?]."""
    seconds = at.timestamp()
    body: dict[str, Any] = {
        "ma_app_id": creds.get("ma_app_id", ""),
        "shop_order_id": shop_order_id,
        "timestamp": int(seconds * 1000) if opts.timestamp_ms else int(seconds),
        "fulfill_status": status,
    }
    if change is not None:
        body["out_fulfill_order_id"] = change.carrier_order_id or change.attempt_id
        if status in codes.RIDER_REQUIRED:
            rider: dict[str, Any] = {
                "rider_name": change.rider_name,
                "rider_phone": change.rider_phone,
            }
            if change.lat is not None and change.lng is not None:  # GCJ-02
                rider["rider_latitude"] = f"{change.lat:.6f}"
                rider["rider_longitude"] = f"{change.lng:.6f}"
            body["rider_info"] = rider
    if status == codes.MERCHANT_REJECTED:
        body["reason"] = {"code": 1, "desc": reason or "商家拒单"}  # ASSUMED code
    return body


def unwrap(body: bytes) -> Any:
    """``{"data": {"error_code": 0, ...}, "extra": {...}}`` -> data, else a SourceError
    (ASSUMED envelope [~ DY5 page])."""
    doc = answer_doc(SOURCE, body)
    data = as_dict(doc.get("data"))
    extra = as_dict(doc.get("extra"))
    code = int_or_none(data.get("error_code"))
    if code is None:
        code = int_or_none(extra.get("error_code")) or 0
    if code == 0:
        return data
    message = str(data.get("description") or extra.get("description") or "refused")
    raise error_from(SOURCE, codes.ERRORS, code, message)


def token_body(client_key: str, client_secret: str) -> bytes:
    """ASSUMED [?]: client_token request (client_credential grant)."""
    doc = {
        "client_key": client_key,
        "client_secret": client_secret,
        "grant_type": "client_credential",
    }
    return json.dumps(doc, separators=(",", ":")).encode()
