"""客如云 pushes: ``delivery`` (客如云下发配送通知, a delivery request) and ``status``
(订单配送状态通知: the merchant cancelled, deliveryStatus 5), each to its own URL
registered with the service. Pure.

Both are JSON POSTs signed like every call ("上下行接口sign计算规则一样" [✓]); where the
system params travel is not stated (ASSUMED: the query string, else the JSON body's
top level). The reply must be ``{"code":0,…}`` or 客如云 stops
pushing [✓]. Dedupe key ``(orderId, deliveryStatus)`` (README §4).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.core.domain.source_order import SourceOrderState
from app.core.sources.base import PushEvent, PushKind, PushRejected, PushRequest, PushResult
from app.core.sources.keruyun import codes, mapping
from app.core.sources.keruyun.rules import KeruyunOptions
from app.core.sources.kit import (
    check_kind,
    digest_equal,
    heartbeat,
    int_or_none,
    push_json,
    reply_json,
    text_id,
)

SOURCE = "keruyun"
KINDS = ("delivery", "status")


def ok_reply() -> bytes:
    return reply_json({"code": 0, "message": "成功[OK]", "messageUuid": uuid.uuid4().hex})


# ASSUMED: the reply to a refused push is not documented
BAD_SIG_REPLY = reply_json({"code": 1, "message": "签名错误", "messageUuid": ""})


def system_params(request: PushRequest, doc: Mapping[str, Any]) -> dict[str, str]:
    """The signed system params of a push: the query string, else (ASSUMED) the body."""
    source: Mapping[str, Any] = request.query if request.query.get("sign") else doc
    return {k: str(source[k]) for k in (*mapping.SYSTEM_KEYS, "sign") if k in source}


def verify(
    request: PushRequest,
    doc: Mapping[str, Any],
    creds: Mapping[str, str],
    opts: KeruyunOptions,
    now: datetime,
) -> None:
    system = system_params(request, doc)
    got = system.pop("sign", "")
    # a hub relay knows only the token (its per-source "app_secret"), not the appKey
    app_key = creds.get("app_key")
    if not got or (app_key and system.get("appKey") != app_key):
        raise PushRejected("keruyun: unsigned push or another appKey", 403, BAD_SIG_REPLY)
    sent = mapping.timestamp_seconds(system.get("timestamp", ""))
    if sent is None or abs(sent - now.timestamp()) > opts.skew_s:
        raise PushRejected("keruyun: push timestamp out of range", 403, BAD_SIG_REPLY)
    body = request.body.decode("utf-8")
    # the version the push says it used decides whether the body is signed
    token = creds.get("token") or creds.get("app_secret", "")
    expected = mapping.sign(system, token, body, body_key=opts.v2_body_key)
    if not digest_equal(got, expected):
        raise PushRejected("keruyun: bad sign", 403, BAD_SIG_REPLY)


def parse(
    kind: str,
    request: PushRequest,
    creds: Mapping[str, str],
    opts: KeruyunOptions,
    now: datetime,
) -> PushResult:
    check_kind(SOURCE, kind, KINDS, BAD_SIG_REPLY)
    doc = push_json(SOURCE, request.body, BAD_SIG_REPLY, empty_ok=True)
    if not doc and not request.query.get("sign"):  # ASSUMED: a URL check posts nothing
        return heartbeat(ok_reply())
    verify(request, doc, creds, opts, now)
    if not doc.get("orderId"):
        raise PushRejected("keruyun: push without orderId", 400, BAD_SIG_REPLY)
    oid = text_id(doc["orderId"])
    # the store the push is for (a cancel names none in its body): for a hub relay
    doc.setdefault("shopIdenty", system_params(request, doc).get("shopIdenty", ""))
    if kind == "delivery":
        order = mapping.parse_delivery_order(doc, opts, now)
        event = PushEvent(
            PushKind.ORDER, f"{oid}:delivery", oid, order=order, raw_type="delivery", raw=doc
        )
        return PushResult((event,), 200, ok_reply())
    status = int_or_none(doc.get("deliveryStatus"))
    key = f"{oid}:{status}"
    if status == codes.CANCELLED:  # the merchant cancelled the delivery
        event = PushEvent(
            PushKind.STATE,
            key,
            oid,
            state=SourceOrderState.CANCELLED,
            cancel_requested=True,
            raw_type=f"status:{status}",
            raw=doc,
        )
    else:  # only 5 is documented for this direction
        event = PushEvent(PushKind.OTHER, key, oid, raw_type=f"status:{status}", raw=doc)
    return PushResult((event,), 200, ok_reply())
