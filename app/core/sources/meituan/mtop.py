"""美团 MTOp (技术服务合作中心, ``api-open-cater``) variant: signing, the form envelope and
the rider-position sync. Pure. Selected with option ``variant = "mtop"``.

``sign`` = SHA-1 lower hex of ``signKey + concat(sorted k+v)`` over every param but
``sign`` (shared/sources/meituan_waimai.md §3b); empty params are never sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from app.core.sources.base import (
    PushRejected,
    SourceAuthError,
    SourceRateLimitedError,
    SyncBack,
)
from app.core.sources.kit import (
    ErrorRule,
    answer_doc,
    digest_equal,
    dumps_compact,
    error_from,
    sha1_hex,
)
from app.core.sources.meituan import codes

SOURCE = "meituan"
RIDER_POSITION = {2: "waimai/order/riderPosition", 16: "wmoper/ng/order/riderPosition"}


def sign_plaintext(sign_key: str, params: Mapping[str, object]) -> str:
    return sign_key + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")


def sign(sign_key: str, params: Mapping[str, object]) -> str:
    return sha1_hex(sign_plaintext(sign_key, params))


def build_form(
    biz: Mapping[str, object], creds: Mapping[str, str], business_id: int, ts: int
) -> dict[str, str]:
    form = {
        "developerId": creds["developer_id"],
        "timestamp": str(ts),
        "charset": "UTF-8",
        "version": "2",
        "businessId": str(business_id),
        "appAuthToken": creds["app_auth_token"],
        "biz": dumps_compact(dict(biz)),
    }
    form = {k: v for k, v in form.items() if v != ""}
    return {**form, "sign": sign(creds["sign_key"], form)}


def rider_position_biz(change: SyncBack, at_s: int) -> dict[str, object]:
    status = codes.SYNC_STATUS.get(change.status, 20)
    biz: dict[str, object] = {
        "orderId": int(change.source_order_id),
        "thirdCarrierId": (change.carrier_order_id or change.attempt_id)[:31],
        "logisticsStatus": status,
        "courierName": change.rider_name,
        "courierPhone": change.rider_phone,
        "courierPhoneType": 1 if "_" in change.rider_phone else 0,
        "thirdLogisticsId": codes.PROVIDER_CODE.get(change.carrier, codes.PROVIDER_OTHER),
        "latitude": f"{change.lat:.6f}" if change.lat is not None else "",
        "longitude": f"{change.lng:.6f}" if change.lng is not None else "",
        "backFlowTime": at_s,
    }
    return {k: v for k, v in biz.items() if v != ""}


def verify_push(fields: Mapping[str, str], sign_key: str) -> None:
    """ASSUMED (§3b [~]): pushes are signed like requests."""
    if not digest_equal(fields.get("sign", ""), sign(sign_key, fields)):
        raise PushRejected("meituan mtop: bad sign", 400, b'{"data":"ng"}')


# ---------------------------------------------------------------------------- wire
CONFIRM = "waimai/order/confirm"  # businessId 2 [✓ B]
CANCEL = "waimai/order/cancel"  # businessId 2 [✓ B]
OK_REPLY = b'{"data":"OK"}'
AUTH_CODES = frozenset({"OP_SIGN_ERROR", "OP_TOKEN_ERROR", "OP_AUTH_ERROR"})  # ASSUMED names
RATE_CODES = frozenset({"OP_LIMIT", "OP_RATE_LIMIT"})  # ASSUMED names
ERRORS = (
    ErrorRule(SourceAuthError, AUTH_CODES, ("sign", "token")),
    ErrorRule(SourceRateLimitedError, RATE_CODES, ("限流",)),
)


def unwrap(body: bytes) -> object:
    """``{"code":"OP_SUCCESS","msg":..,"data":..}``; anything else raises."""
    doc = answer_doc(SOURCE, body, empty_is_object=False, strict=True)
    code = str(doc.get("code", ""))
    if code == "OP_SUCCESS":
        return doc.get("data")
    raise error_from(SOURCE, ERRORS, code, str(doc.get("msg") or code))


def parse_push_fields(fields: Mapping[str, str], sign_key: str) -> tuple[str, dict[str, object]]:
    """``(ePoiId, message)`` of a verified push; ``("", {})`` for a heartbeat."""
    if not fields.get("message") or not fields.get("ePoiId"):
        return "", {}  # Meituan's heartbeat: answer success [✓ B, H]
    verify_push(fields, sign_key)
    message = json.loads(fields["message"])
    return fields["ePoiId"], message if isinstance(message, dict) else {}
