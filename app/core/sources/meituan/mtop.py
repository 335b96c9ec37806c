"""美团 MTOp (技术服务合作中心, ``api-open-cater``) variant: signing, the form envelope and
the rider-position sync. Pure. Selected with option ``variant = "mtop"``.

``sign`` = SHA-1 lower hex of ``signKey + concat(sorted k+v)`` over every param but
``sign`` (shared/sources/meituan_waimai.md §3b); empty params are never sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.sources.base import PushRejected, SyncBack
from app.core.sources.kit import digest_equal, dumps_compact, sha1_hex
from app.core.sources.meituan import codes

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
