"""有赞: pure push signing, message decoding, trade parsing and API envelopes (no I/O).

Push (shared/sources/wechat_miniprogram.md §2 [✓ YZ1, YZ2]): ``Event-Sign`` header =
MD5(client_id + raw body + client_secret), lower hex; the body carries ``msg`` as
URL-encoded JSON, ``msg_id`` (dedupe) and ``version`` (higher wins). Money is yuan,
times GMT+8 ``yyyy-MM-dd HH:mm:ss``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from app.core.domain.source_order import (
    FulfilmentMode,
    SourceItem,
    SourceMoney,
    SourceOrder,
    SourceRecipient,
    classify_phone,
)
from app.core.sources.kit import (
    answer_doc,
    as_dict,
    degrees_or_none,
    error_from,
    fen_or_none,
    int_or_none,
    maybe_json,
    md5_hex,
    parse_local,
    tail_number,
    text_id,
)
from app.core.sources.youzan import codes

SOURCE = "youzan"


# ---------------------------------------------------------------------------- signing
def event_sign(client_id: str, raw_body: bytes | str, client_secret: str) -> str:
    """``Event-Sign``: MD5 of client_id + the raw body exactly as received + secret."""
    body = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
    return md5_hex(client_id + body + client_secret)


def decode_msg(msg: object) -> Any:
    """``msg`` is URL-encoded JSON: decode once, then parse (an empty msg is None)."""
    if not isinstance(msg, str) or not msg.strip():
        return None
    return maybe_json(unquote(msg))


# ---------------------------------------------------------------------------- orders
def _time(value: object) -> datetime | None:
    return parse_local(value) if isinstance(value, str) else None


def parse_order(full: Mapping[str, Any], *, received: datetime) -> SourceOrder:
    """A ``full_order_info`` document (ASSUMED shape, youzan.trade.get 4.0.0) as an order."""
    info = as_dict(full.get("order_info"))
    addr = as_dict(full.get("address_info"))
    pay = as_dict(full.get("pay_info"))
    remark = as_dict(full.get("remark_info"))
    tid = text_id(info.get("tid"))
    status = str(info.get("status") or "")
    extra = as_dict(maybe_json(addr.get("address_extra")))
    # ASSUMED [?]: address_extra lat/lon are GCJ-02
    lat, lng = (
        degrees_or_none(extra.get("lat")),
        degrees_or_none(extra.get("lon") or extra.get("lng")),
    )
    street = "".join(
        str(addr.get(k) or "")
        for k in ("delivery_province", "delivery_city", "delivery_district", "delivery_address")
    )
    phones = tuple(classify_phone(p) for p in (str(addr.get("receiver_tel") or ""),) if p)
    items = tuple(
        SourceItem(
            name=str(o.get("title") or ""),
            qty=int_or_none(o.get("num")) or 1,
            unit_price_fen=fen_or_none(o.get("price")) or 0,
            sku_ref=str(o.get("outer_sku_id") or o.get("sku_id") or ""),
            spec=str(o.get("sku_properties_name") or ""),
        )
        for o in (as_dict(x) for x in full.get("orders") or [])
    )
    express = int_or_none(info.get("express_type"))
    created = _time(info.get("created")) or received
    return SourceOrder(
        source=SOURCE,
        source_order_id=tid,
        source_store_ref=str(info.get("node_kdt_id") or full.get("kdt_id") or ""),
        display_no=tail_number(tid),  # 有赞 has no day number
        state=codes.ORDER_STATE.get(status, codes.ORDER_STATE["WAIT_SELLER_SEND_GOODS"]),
        source_status_raw=status,
        fulfilment=codes.FULFILMENT.get(
            express if express is not None else 2, FulfilmentMode.PLATFORM_DELIVERY
        ),
        recipient=SourceRecipient(
            name=str(addr.get("receiver_name") or ""),
            phones=phones,
            address=street,
            lat=lat,
            lng=lng,
        ),
        money=SourceMoney(
            paid_total_fen=fen_or_none(pay.get("payment")) or 0,
            original_total_fen=fen_or_none(pay.get("total_fee")),
            delivery_fee_fen=fen_or_none(pay.get("post_fee")),
        ),
        created_at=created,
        items=items,
        paid_at=_time(info.get("pay_time")),
        note=str(remark.get("buyer_message") or ""),
        updated_at=_time(info.get("update_time")),
        raw_payload=dict(full),
    )


def is_parcel(full: Mapping[str, Any]) -> bool:
    """A 快递 (parcel) trade: not a same-city delivery, so not an order for JuPei."""
    return int_or_none(as_dict(full.get("order_info")).get("express_type")) == codes.PARCEL


# ---------------------------------------------------------------------------- API
def api_path(method: str, version: str) -> str:
    """``api/youzan.trade.get/4.0.0`` (ASSUMED [~]: 有赞云 gateway path)."""
    return f"api/{method}/{version}"


def token_body(client_id: str, client_secret: str, kdt_id: str) -> bytes:
    """ASSUMED [?]: silent authorisation of a self-use app for one shop."""
    doc = {
        "client_id": client_id,
        "client_secret": client_secret,
        "authorize_type": "silent",
        "grant_id": kdt_id,
        "refresh": False,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def unwrap(body: bytes) -> Any:
    """``{"success": true, "code": 200, "data": ...}`` -> data, else a SourceError."""
    doc = answer_doc(SOURCE, body)
    code = int_or_none(doc.get("code"))
    if doc.get("success") is True or code == codes.OK_CODE:
        return doc.get("data")
    err = as_dict(doc.get("gw_err_resp"))
    code = int_or_none(err.get("err_code")) or code or 0
    message = str(err.get("err_msg") or doc.get("message") or "refused")
    raise error_from(SOURCE, codes.ERRORS, code, message)
