"""饿了么 napos OpenAPI: pure signing, envelope building and order parsing (no I/O).

Request signature (shared/sources/eleme.md §3): merge ``metas`` and ``params``, sort the
keys, append ``key=JSON(value)`` with no separator; MD5 UPPER of
``action + token + joined + app_secret``. The params are serialised once and the same
bytes are signed and sent. Order ids are 19-digit strings; money is yuan; times are
GMT+8 local without a zone; ``deliveryGeo`` is ``"lng,lat"`` GCJ-02.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.clock import from_unix
from app.core.domain.source_order import (
    FulfilmentMode,
    Phone,
    RefundState,
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
    SourceNotFoundError,
    SyncBack,
)
from app.core.sources.eleme import codes
from app.core.sources.eleme.rules import ElemeOptions
from app.core.sources.kit import (
    answer_doc,
    as_dict,
    dumps_compact,
    error_from,
    fen_or_none,
    int_or_none,
    maybe_json,
    md5_hex,
    parse_local,
    text_id,
)

SOURCE = "eleme"


# ---------------------------------------------------------------------------- signing
def sign_plaintext(
    action: str, token: str, metas: Mapping[str, object], params: Mapping[str, object], secret: str
) -> str:
    merged = {**metas, **params}
    joined = "".join(f"{k}={dumps_compact(merged[k])}" for k in sorted(merged))
    return f"{action}{token}{joined}{secret}"


def sign(
    action: str, token: str, metas: Mapping[str, object], params: Mapping[str, object], secret: str
) -> str:
    return md5_hex(sign_plaintext(action, token, metas, params, secret)).upper()


def build_request(
    action: str,
    params: Mapping[str, object],
    creds: Mapping[str, str],
    ts: int,
    request_id: str,
    *,
    token: str | None = None,
) -> bytes:
    """The JSON-RPC envelope; ``token=""`` for app-level calls (getPushFailMsg)."""
    tok = creds.get("access_token", "") if token is None else token
    metas = {"app_key": creds["app_key"], "timestamp": ts}
    envelope = {
        "nop": "1.0.0",
        "id": request_id,
        "action": action,
        "token": tok,
        "metas": metas,
        "params": dict(params),  # {} not []: the platform rejects an empty list
        "signature": sign(action, tok, metas, params, creds["app_secret"]),
    }
    return dumps_compact(envelope).encode("utf-8")


# ---------------------------------------------------------------------------- responses
def unwrap(body: bytes) -> Any:
    doc = answer_doc(SOURCE, body, empty_is_object=False)
    err = doc.get("error")
    if err:
        raise _error(as_dict(err))
    return doc.get("result")


def _error(err: dict[str, Any]) -> SourceError:
    code = str(err.get("code") or "")
    msg = str(err.get("message") or code or "error")
    if "NOT_FOUND" in code:  # no code of the other rules has it
        return SourceNotFoundError(SOURCE, msg, code=code)
    return error_from(SOURCE, codes.ERRORS, code, msg)


# ---------------------------------------------------------------------------- orders
def _geo(text: object) -> tuple[float | None, float | None]:
    """``"lng,lat"`` — longitude first."""
    if not isinstance(text, str) or "," not in text:
        return None, None
    lng, lat = (float(p) for p in text.split(",", 1))
    return lat, lng


def _phones(doc: Mapping[str, Any]) -> tuple[Phone, ...]:
    expires = parse_local(doc.get("secretPhoneExpireTime"))
    phones = doc.get("phoneList") or []
    return tuple(
        classify_phone(str(p), expires) for p in phones if isinstance(p, (str, int)) and str(p)
    )


def _recipient(doc: Mapping[str, Any]) -> SourceRecipient:
    lat, lng = _geo(doc.get("deliveryGeo"))
    return SourceRecipient(
        name=str(doc.get("consignee") or ""),
        phones=_phones(doc),
        address=str(doc.get("address") or ""),
        address_geocoded=str(doc.get("deliveryPoiAddress") or ""),
        lat=lat,
        lng=lng,
    )


def _items(doc: Mapping[str, Any]) -> tuple[SourceItem, ...]:
    out = []
    for basket, group in enumerate(doc.get("groups") or []):
        for item in as_dict(group).get("items") or []:
            it = as_dict(item)
            specs = [str(as_dict(s).get("value", "")) for s in it.get("newSpecs") or []]
            out.append(
                SourceItem(
                    name=str(it.get("name", "")),
                    qty=int(it.get("quantity", 1) or 1),
                    unit_price_fen=fen_or_none(it.get("price")) or 0,
                    sku_ref=str(it.get("skuId") or it.get("id") or ""),
                    spec="/".join(s for s in specs if s),
                    basket=basket,
                )
            )
    return tuple(out)


def _abs_fen(value: object) -> int | None:
    fen = fen_or_none(value)
    return abs(fen) if fen is not None else None


def _money(doc: Mapping[str, Any]) -> SourceMoney:
    return SourceMoney(
        paid_total_fen=fen_or_none(doc.get("totalPrice")) or 0,
        original_total_fen=fen_or_none(doc.get("originalPrice")),
        delivery_fee_fen=fen_or_none(doc.get("deliverFee")),
        packaging_fee_fen=fen_or_none(doc.get("packageFee")),
        merchant_receivable_fen=fen_or_none(doc.get("income")),
        platform_fee_fen=fen_or_none(doc.get("serviceFee")),
        discount_merchant_fen=_abs_fen(doc.get("shopPart")),
        discount_platform_fen=_abs_fen(doc.get("elemePart")),
    )


def parse_order(raw: Mapping[str, Any] | str, opts: ElemeOptions) -> SourceOrder:
    """A ``type 10`` message body or an ``eleme.order.getOrder`` result."""
    doc: Mapping[str, Any] = as_dict(maybe_json(raw)) if isinstance(raw, str) else raw
    status = str(doc.get("status") or "unprocessed")
    created = parse_local(doc.get("createdAt")) or parse_local(doc.get("activeAt"))
    deliver = parse_local(doc.get("deliverTime"))
    book = bool(doc.get("book"))
    return SourceOrder(
        source=SOURCE,
        source_order_id=text_id(doc.get("id") or doc.get("orderId")),
        source_store_ref=str(doc.get("shopId") or ""),
        display_no=int_or_none(doc.get("daySn")),
        state=codes.ORDER_STATE.get(status, SourceOrderState.NEW),
        source_status_raw=status,
        # ASSUMED: the body has no delivery-mode field; the shop's setting decides
        fulfilment=FulfilmentMode(opts.default_fulfilment),
        recipient=_recipient(doc),
        money=_money(doc),
        created_at=created or from_unix(0),
        items=_items(doc),
        cancel_requested=status == "invalid",
        refund_state=codes.REFUND_STATE.get(str(doc.get("refundStatus") or ""), RefundState.NONE),
        paid_at=parse_local(doc.get("activeAt")),
        expected_delivery_at=deliver,
        is_reservation=book,
        note=str(doc.get("description") or ""),
        data_degraded=bool(doc.get("downgraded")),
        raw_payload=dict(doc),
    )


# ---------------------------------------------------------------------------- sync-back
@dataclass(frozen=True, slots=True)
class Call:
    action: str
    params: dict[str, object]


def sync_calls(
    change: SyncBack, shop_id: str, opts: ElemeOptions, company_name: str = ""
) -> list[Call]:
    """The calls, in order, that report one attempt change (§6). The documented actions
    come first; ``selfDeliveryStateSync`` (one integrator's shape) follows them."""
    oid = change.source_order_id
    calls: list[Call] = []
    if change.status is DeliveryStatus.PICKED_UP:
        calls.append(
            Call("eleme.order.startDeliveryBySelf", {"orderId": oid, "phone": change.rider_phone})
        )
    elif change.status is DeliveryStatus.DELIVERED:
        calls.append(
            Call(
                "eleme.order.completeDeliveryBySelf", {"orderId": oid, "phone": change.rider_phone}
            )
        )
    state = codes.SYNC_STATE.get(change.status)
    if change.status is DeliveryStatus.ACCEPTED and opts.accept_state:
        state = opts.accept_state  # ASSUMED: the accept state is unknown [?]
    if opts.state_sync and state:
        calls.append(
            Call(
                "eleme.order.selfDeliveryStateSync",
                _state_params(change, shop_id, state, opts, company_name),
            )
        )
    if (
        opts.location_sync
        and change.lat is not None
        and change.lng is not None
        and change.status
        in (
            DeliveryStatus.PICKED_UP,
            DeliveryStatus.AT_DROPOFF,
        )
    ):
        calls.append(location_call(change, shop_id))
    return calls


def _state_params(
    change: SyncBack, shop_id: str, state: str, opts: ElemeOptions, company_name: str
) -> dict[str, object]:
    # ASSUMED: stateInfo shape of one integrator (S), distributorId 201
    return {
        "shopId": int(shop_id),
        "stateInfo": {
            "orderId": change.source_order_id,
            "distributorId": opts.distributor_id,
            "knight": {"id": "", "name": change.rider_name, "phone": change.rider_phone},
            "state": state,
            "deliveryCompanyName": opts.delivery_company_name or company_name or change.carrier,
        },
    }


def location_call(change: SyncBack, shop_id: str) -> Call:
    """Rider position, GCJ-02 only ("仅接受火星坐标系")."""
    utc_s = int(change.at.timestamp()) if change.at is not None else 0
    return Call(
        "eleme.order.selfDeliveryLocationSync",
        {
            "shopId": int(shop_id),
            "orderId": change.source_order_id,
            "locationInfo": {
                "latitude": change.lat,
                "longitude": change.lng,
                "altitude": 0,
                "utc": utc_s,
            },
        },
    )
