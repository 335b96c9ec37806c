"""饿了么 pushes: one callback URL per app, a JSON body signed over seven fields, and the
reply ``{"message":"ok"}``. Pure.

Push signature (shared/sources/eleme.md §4): sort ``appId, message, requestId, shopId,
timestamp, type, userId``, concatenate ``key=value`` (raw values, ``message`` as the
exact string received), append the app secret, MD5, compare case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.domain.source_order import FulfilmentMode
from app.core.sources.base import PushEvent, PushKind, PushRejected, PushRequest, PushResult
from app.core.sources.eleme import codes, mapping
from app.core.sources.eleme.rules import ElemeOptions
from app.core.sources.kit import (
    as_dict,
    check_kind,
    digest_equal,
    heartbeat,
    int_or_none,
    maybe_json,
    md5_hex,
    push_json,
    reply_json,
    text_id,
)

SOURCE = "eleme"
KINDS = ("push",)
SIGNED_FIELDS = ("appId", "message", "requestId", "shopId", "timestamp", "type", "userId")
OK_REPLY = reply_json({"message": "ok"})
# ASSUMED: the reply to a refused push is not documented
BAD_SIG_REPLY = reply_json({"message": "invalid signature"})


def _raw(value: object) -> str:
    return "" if value is None else str(value)


def sign_plaintext(doc: Mapping[str, Any], secret: str) -> str:
    return "".join(f"{k}={_raw(doc.get(k))}" for k in sorted(SIGNED_FIELDS)) + secret


def sign(doc: Mapping[str, Any], secret: str) -> str:
    return md5_hex(sign_plaintext(doc, secret)).upper()


def verify(doc: Mapping[str, Any], secret: str) -> None:
    if not digest_equal(str(doc.get("signature", "")), sign(doc, secret)):
        raise PushRejected("eleme: bad signature", 403, BAD_SIG_REPLY)


def parse(
    kind: str, request: PushRequest, creds: Mapping[str, str], opts: ElemeOptions
) -> PushResult:
    check_kind(SOURCE, kind, KINDS, BAD_SIG_REPLY)
    doc = push_json(SOURCE, request.body, BAD_SIG_REPLY, empty_ok=True)
    if not doc:  # ASSUMED: the console's URL check posts an empty body
        return heartbeat(OK_REPLY)
    verify(doc, creds["app_secret"])
    return PushResult((message_event(doc, opts),), 200, OK_REPLY)


def _who_delivers(mtype: int) -> FulfilmentMode | None:
    """71 自行配送 means the shop delivers; 51–56 are Ele.me's own rider [~ §5]."""
    if mtype == codes.SELF_DELIVERY_MESSAGE:
        return FulfilmentMode.SELF_DELIVERY
    if mtype in codes.PLATFORM_DELIVERY_MESSAGES:
        return FulfilmentMode.PLATFORM_DELIVERY
    return None


def message_event(doc: Mapping[str, Any], opts: ElemeOptions) -> PushEvent:
    """One message (pushed, or pulled by getPushFailMsg) as an event."""
    mtype = int_or_none(doc.get("type")) or 0
    body = as_dict(maybe_json(doc.get("message")))
    key = _raw(doc.get("requestId") or doc.get("msgId") or doc.get("id"))
    raw: dict[str, Any] = dict(doc)
    if mtype == codes.NEW_ORDER:
        order = mapping.parse_order(body, opts)
        return PushEvent(
            PushKind.ORDER, key, order.source_order_id, order=order, raw_type="10", raw=raw
        )
    oid = (
        text_id(body.get("orderId") or body.get("id"))
        if (body.get("orderId") or body.get("id"))
        else ""
    )
    if mtype in codes.STATE_MESSAGES:
        state, cancel, refund = codes.STATE_MESSAGES[mtype]
        return PushEvent(
            PushKind.STATE,
            key,
            oid,
            state=state,
            cancel_requested=cancel,
            refund_state=refund,
            raw_type=str(mtype),
            raw=raw,
        )
    if mtype in codes.DELIVERY_MESSAGES:
        return PushEvent(
            PushKind.DELIVERY,
            key,
            oid,
            fulfilment=_who_delivers(mtype),
            platform_status=codes.PLATFORM_STATUS.get(mtype),
            raw_type=str(mtype),
            raw=raw,
        )
    return PushEvent(PushKind.OTHER, key, oid, raw_type=str(mtype), raw=raw)
