"""美团外卖 waimaiopen: pure signing, request building and parsing (no I/O).

Signature (requests AND pushes, shared/sources/meituan_waimai.md §3): MD5 lower-hex of
``<full URL without query>?<sorted k=v joined by &><app_secret>``, values raw (Chinese
as is). Order fields arrive in yuan floats, ``poi_receive_detail`` in fen; ids are
int64 and kept as text; coordinates GCJ-02 in degrees or degrees x 1e6.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from app.core.clock import from_unix
from app.core.domain.source_order import (
    SourceItem,
    SourceMoney,
    SourceOrder,
    SourceOrderState,
    SourceRecipient,
    classify_phone,
)
from app.core.domain.status import DeliveryStatus
from app.core.sources.base import (
    SourceError,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.kit import (
    answer_doc,
    as_dict,
    error_from,
    fen_or_none,
    int_or_none,
    maybe_json,
    md5_hex,
    text_id,
)
from app.core.sources.meituan import codes
from app.core.sources.meituan.rules import MtWmOptions

SOURCE = "meituan"
OK_REPLY = b'{"data":"ok"}'


# ---------------------------------------------------------------------------- signing
def sign_plaintext(url: str, params: Mapping[str, object], secret: str) -> str:
    joined = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sig")
    return f"{url}?{joined}{secret}"


def sign(url: str, params: Mapping[str, object], secret: str) -> str:
    return md5_hex(sign_plaintext(url, params, secret))


# ---------------------------------------------------------------------------- requests
@dataclass(frozen=True, slots=True)
class Wire:
    """One call: GET puts everything in the query; POST keeps system params and ``sig``
    in the query and business params in a form body (§2)."""

    method: str
    url: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


def build_call(
    base_url: str,
    path: str,
    business: Mapping[str, object],
    creds: Mapping[str, str],
    ts: int,
    *,
    method: str = "GET",
) -> Wire:
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    system = {"app_id": creds["app_id"], "timestamp": str(ts)}
    if creds.get("access_token"):
        system["access_token"] = creds["access_token"]
    biz = {k: str(v) for k, v in business.items() if v is not None and v != ""}
    sig = sign(url, {**system, **biz}, creds["app_secret"])
    if method == "GET":
        return Wire("GET", url, {**system, **biz, "sig": sig})
    return Wire("POST", url, {**system, "sig": sig}, biz)


def build_confirm(base: str, order_id: str, creds: Mapping[str, str], ts: int) -> Wire:
    return build_call(base, "order/confirm", {"order_id": order_id}, creds, ts)


def build_cancel(
    base: str, order_id: str, reason: str, reason_code: int, creds: Mapping[str, str], ts: int
) -> Wire:
    biz = {"order_id": order_id, "reason": reason, "reason_code": reason_code}
    return build_call(base, "order/cancel", biz, creds, ts)


def build_detail(base: str, order_id: str, creds: Mapping[str, str], ts: int) -> Wire:
    return build_call(base, "order/getOrderDetail", {"order_id": order_id}, creds, ts)


def build_view_status(base: str, order_id: str, creds: Mapping[str, str], ts: int) -> Wire:
    return build_call(base, "order/viewstatus", {"order_id": order_id}, creds, ts)


def build_latest_day_seq(base: str, creds: Mapping[str, str], ts: int) -> Wire:
    biz = {"app_poi_code": creds["app_poi_code"]}
    return build_call(base, "order/getOrderDaySeq", biz, creds, ts)


def build_id_by_day_seq(
    base: str, date_time: int, day_seq: int, creds: Mapping[str, str], ts: int
) -> Wire:
    biz = {"app_poi_code": creds["app_poi_code"], "date_time": date_time, "day_seq": day_seq}
    return build_call(base, "order/getOrderIdByDaySeq", biz, creds, ts)


def build_poi_self(
    base: str, order_id: str, creds: Mapping[str, str], opts: MtWmOptions, ts: int
) -> Wire:
    # ASSUMED: 转自配送 path and params (one Go constants file, §4)
    return build_call(base, opts.poi_self_path, {"order_id": order_id}, creds, ts)


# ---------------------------------------------------------------------------- responses
def unwrap(body: bytes) -> Any:
    """``{"data": ...}``; ``{"data":"ng","error":{...}}`` (ASSUMED shape) raises."""
    doc = answer_doc(SOURCE, body, empty_is_object=False, strict=True)
    err = doc.get("error")
    if doc.get("data") == "ng" or isinstance(err, dict):
        raise _error(as_dict(err))
    return doc.get("data")


def _error(err: dict[str, Any]) -> SourceError:
    code = int_or_none(err.get("code"))
    msg = str(err.get("msg") or err.get("message") or "error")
    return error_from(SOURCE, codes.ERRORS, code, msg)


def expect_ok(data: Any) -> None:
    if data != "ok":
        raise SourceRejectedError(SOURCE, f"unexpected answer {data!r}")


# ---------------------------------------------------------------------------- orders
def _sub_doc(value: object) -> Any:
    """JSON sub-documents may still be percent-encoded (F's dump: double-encoded)."""
    if isinstance(value, str) and value[:3].upper() in ("%5B", "%7B"):
        value = unquote(value)
    return maybe_json(value)


def _coord(value: object, threshold: float) -> float | None:
    if value is None or value == "":
        return None
    deg = float(str(value))
    # ASSUMED: doc says x1e6, a real dump has degrees: detect by magnitude (§6)
    return deg / 1e6 if abs(deg) > threshold else deg


def _phones(fields: Mapping[str, Any]) -> tuple[Any, ...]:
    out = []
    primary = str(fields.get("recipient_phone") or "").strip()
    if primary:
        out.append(classify_phone(primary))
    backups = _sub_doc(fields.get("backup_recipient_phone")) or []
    for p in backups if isinstance(backups, list) else []:
        if str(p).strip():
            out.append(classify_phone(str(p)))
    return tuple(out)


def _recipient(fields: Mapping[str, Any], opts: MtWmOptions) -> SourceRecipient:
    text = unquote(str(fields.get("recipient_address") or ""))
    address, _, geocoded = text.partition("@#")
    return SourceRecipient(
        name=str(fields.get("recipient_name") or ""),
        phones=_phones(fields),
        address=address.strip(),
        address_geocoded=geocoded.strip(),
        lat=_coord(fields.get("latitude"), opts.coord_e6_threshold),
        lng=_coord(fields.get("longitude"), opts.coord_e6_threshold),
    )


def _items(fields: Mapping[str, Any]) -> tuple[SourceItem, ...]:
    detail = _sub_doc(fields.get("detail")) or []
    return tuple(
        SourceItem(
            name=str(d.get("food_name", "")),
            qty=int(d.get("quantity", 1) or 1),
            unit_price_fen=fen_or_none(d.get("price")) or 0,
            sku_ref=str(d.get("sku_id") or d.get("app_food_code") or ""),
            spec=str(d.get("spec") or ""),
            basket=int(d.get("cart_id", 0) or 0),
        )
        for d in (detail if isinstance(detail, list) else [])
        if isinstance(d, dict)
    )


def _charges(entries: object) -> int | None:
    if not isinstance(entries, list):
        return None
    return sum(int(as_dict(e).get("moneyCent", 0) or 0) for e in entries)


def _money(fields: Mapping[str, Any]) -> SourceMoney:
    recv = as_dict(_sub_doc(fields.get("poi_receive_detail")))
    return SourceMoney(
        paid_total_fen=fen_or_none(fields.get("total")) or 0,
        original_total_fen=fen_or_none(fields.get("original_price")),
        delivery_fee_fen=fen_or_none(fields.get("shipping_fee")),
        packaging_fee_fen=int_or_none(fields.get("package_bag_money")),  # already fen
        merchant_receivable_fen=int_or_none(recv.get("wmPoiReceiveCent")),
        platform_fee_fen=int_or_none(recv.get("foodShareFeeChargeByPoi")),
        discount_merchant_fen=_charges(recv.get("actOrderChargeByPoi")),
        discount_platform_fen=_charges(recv.get("actOrderChargeByMt")),
    )


def parse_order(fields: Mapping[str, Any], opts: MtWmOptions) -> SourceOrder:
    """A paid/confirmed order push (form strings) or a getOrderDetail answer (JSON)."""
    status = int_or_none(fields.get("status")) or 2
    ctime = int_or_none(fields.get("ctime"))
    utime = int_or_none(fields.get("utime"))
    delivery_time = int_or_none(fields.get("delivery_time")) or 0
    return SourceOrder(
        source=SOURCE,
        source_order_id=text_id(fields.get("order_id") or fields.get("wm_order_id_view")),
        source_store_ref=str(fields.get("app_poi_code") or ""),
        display_no=int_or_none(fields.get("day_seq")),
        state=codes.ORDER_STATE.get(status, SourceOrderState.NEW),
        source_status_raw=str(status),
        fulfilment=codes.fulfilment(
            str(fields.get("logistics_code") or ""),
            int_or_none(fields.get("pick_type")),
            opts.self_delivery_codes,
        ),
        recipient=_recipient(fields, opts),
        money=_money(fields),
        created_at=from_unix(ctime or utime or 0),
        items=_items(fields),
        paid_at=from_unix(ctime) if ctime else None,
        expected_delivery_at=from_unix(delivery_time) if delivery_time > 0 else None,
        is_reservation=delivery_time > 0,
        note=str(fields.get("caution") or ""),
        data_degraded=int_or_none(fields.get("incmp_code")) == -1,
        updated_at=from_unix(utime) if utime else None,
        raw_payload=dict(fields),
    )


# ---------------------------------------------------------------------------- sync-back
def _fmt_deg(value: float) -> str:
    # ASSUMED: waimaiopen takes degrees (B sends the carrier's GCJ-02 degrees as given)
    return f"{value:.6f}"


def build_sync(
    base: str,
    change: SyncBack,
    creds: Mapping[str, str],
    opts: MtWmOptions,
    ts: int,
) -> Wire | None:
    """The call reporting one attempt change, or None when nothing is to be sent."""
    if opts.sync_api == "delivering_arrived":
        path = {
            DeliveryStatus.PICKED_UP: "order/delivering",
            DeliveryStatus.DELIVERED: "order/arrived",
        }.get(change.status)
        if path is None:
            return None
        return build_call(base, path, {"order_id": change.source_order_id}, creds, ts)
    status = codes.SYNC_STATUS.get(change.status)
    if status is None or (status == 0 and not change.rider_phone):
        return None  # 0 is optional, and nothing to say without a rider
    if change.lat is None or change.lng is None:
        raise SourceRejectedError(SOURCE, "sync-back needs a point (rider or shop)")
    biz = {
        "order_id": change.source_order_id,
        "third_carrier_order_id": change.carrier_order_id or change.attempt_id,
        # ASSUMED: all fields are required, so a change without rider details carries
        # the shop's name and phone (creds "store_name"/"store_phone") instead
        "courier_name": change.rider_name or creds.get("store_name", "商家"),
        "courier_phone": change.rider_phone or creds.get("store_phone", ""),
        "logistics_provider_code": codes.PROVIDER_CODE.get(change.carrier, codes.PROVIDER_OTHER),
        "logistics_status": status,
        "latitude": _fmt_deg(change.lat),
        "longitude": _fmt_deg(change.lng),
    }
    return build_call(base, "ecommerce/order/logistics/sync", biz, creds, ts, method="POST")
