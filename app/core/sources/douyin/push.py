"""抖音来客 webhooks: one URL per app, ``X-Douyin-Signature`` = SHA-1(secret + raw body),
the ``verify_webhook`` challenge answered with ``{"challenge": <n>}``, ``Msg-Id`` as the
dedupe key ("not guaranteed, unordered, may repeat"; 3 retries). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.sources.base import PushEvent, PushKind, PushRejected, PushRequest, PushResult
from app.core.sources.douyin import codes, mapping
from app.core.sources.douyin.rules import DouyinOptions
from app.core.sources.kit import (
    as_dict,
    check_kind,
    digest_equal,
    header,
    heartbeat,
    int_or_none,
    maybe_json,
    push_json,
    reply_json,
    text_id,
)

SOURCE = "douyin"
KINDS = ("webhook",)
OK_REPLY = reply_json({"err_no": 0, "err_tips": "success"})  # ASSUMED [~]: HTTP 200 is what counts
BAD_SIG_REPLY = reply_json({"err_no": 40001, "err_tips": "invalid signature"})  # ASSUMED [?]


def parse(
    kind: str,
    request: PushRequest,
    creds: Mapping[str, str],
    opts: DouyinOptions,
    received: datetime,
) -> PushResult:
    check_kind(SOURCE, kind, KINDS, BAD_SIG_REPLY)
    got = header(request.headers, "X-Douyin-Signature")
    secret = creds.get("client_secret") or creds.get("app_secret", "")  # the hub: app_secret
    if not got or not digest_equal(got, mapping.signature(secret, request.body)):
        raise PushRejected("douyin: bad X-Douyin-Signature", 403, BAD_SIG_REPLY)
    doc = push_json(SOURCE, request.body, BAD_SIG_REPLY)
    event = str(doc.get("event") or "")
    content = as_dict(maybe_json(doc.get("content")))
    if event == codes.VERIFY_EVENT:
        # the reply is the challenge itself, as JSON text [✓ DY2, DY6]
        reply = reply_json({"challenge": content.get("challenge")})
        return heartbeat(reply)
    key = header(request.headers, "Msg-Id") or str(doc.get("log_id") or "")
    ev = event_for(event, content, key, opts, received, creds.get("poi_id", ""))
    return PushResult((ev,), 200, OK_REPLY)


def event_for(
    event: str,
    content: Mapping[str, Any],
    key: str,
    opts: DouyinOptions,
    received: datetime,
    poi_id: str = "",
) -> PushEvent:
    raw: dict[str, Any] = {"event": event, "content": dict(content)}
    if content.get("poi_id"):
        raw["poi_id"] = str(content["poi_id"])  # the store, for the hub's routing
    if event == codes.ORDER_EVENT:
        action = str(content.get("action") or "")
        order_doc = as_dict(content.get("order"))
        oid = text_id(order_doc["order_id"]) if order_doc.get("order_id") else ""
        if action == codes.PAY_SUCCESS and oid:
            order = mapping.parse_order(order_doc, opts, received=received, poi_id=poi_id)
            return PushEvent(PushKind.ORDER, key, oid, order=order, raw_type=action, raw=raw)
        if action in opts.cancel_actions and oid:  # ASSUMED [?]
            return PushEvent(
                PushKind.STATE,
                key,
                oid,
                state=SourceOrderState.CANCELLED,
                cancel_requested=True,
                raw_type=action,
                raw=raw,
            )
        return PushEvent(PushKind.OTHER, key, oid, raw_type=action or event, raw=raw)
    if event == codes.DELIVERY_EVENT:
        oid = text_id(content["order_id"]) if content.get("order_id") else ""
        if content.get("from_third") is True:
            # the echo of our own (a third party's) report: nothing new [✓ DY4]
            return PushEvent(PushKind.OTHER, key, oid, raw_type=event, raw=raw)
        status = int_or_none(content.get("delivery_status")) or 0
        return PushEvent(
            PushKind.DELIVERY,
            key,
            oid,
            fulfilment=FulfilmentMode.PLATFORM_DELIVERY,
            platform_status=codes.PLATFORM_STATUS.get(status),
            raw_type=str(status),
            raw=raw,
        )
    return PushEvent(PushKind.OTHER, key, "", raw_type=event, raw=raw)
