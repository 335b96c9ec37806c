"""有赞 pushes: one URL per app, a JSON body, ``Event-Sign`` over the raw body, reply
``{"code":200,"msg":"success"}`` (anything else is retried after 5 s, 5 m 20 s, 21 m 20 s
and 2 h). Pure.

Dedupe key ``msg_id`` [✓ YZ2]; ``version`` orders messages of one trade ("高版本覆盖低
版本"): the state rank rule of ``merge`` never moves an order back, so a late lower
version cannot undo a close; its other fields do win (ASSUMED rare, RULES.unverified).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.core.domain.source_order import SourceOrderState
from app.core.sources.base import PushEvent, PushKind, PushRejected, PushRequest, PushResult
from app.core.sources.kit import (
    as_dict,
    check_kind,
    digest_equal,
    header,
    heartbeat,
    json_body,
    push_json,
    reply_json,
    text_id,
)
from app.core.sources.youzan import codes, mapping
from app.core.sources.youzan.rules import YouzanOptions

SOURCE = "youzan"
KINDS = ("push",)
OK_REPLY = reply_json({"code": 200, "msg": "success"})
# ASSUMED [?]: the reply to a refused push is not documented (any non-success is retried)
BAD_SIG_REPLY = reply_json({"code": 403, "msg": "invalid sign"})


def verify(request: PushRequest, client_id: str, secret: str) -> None:
    got = header(request.headers, "Event-Sign")
    want = mapping.event_sign(client_id, request.body, secret)
    if not got or not digest_equal(got, want):
        raise PushRejected("youzan: bad Event-Sign", 403, BAD_SIG_REPLY)


def _client_id(request: PushRequest, creds: Mapping[str, str]) -> str:
    """Ours; on the hub, which holds only the app secret, the one the body names (the
    signature still needs the secret)."""
    if creds.get("client_id"):
        return creds["client_id"]
    try:
        return str(json_body(request.body).get("client_id") or "")
    except ValueError:
        return ""


def parse(
    kind: str,
    request: PushRequest,
    creds: Mapping[str, str],
    opts: YouzanOptions,
    received: datetime,
) -> PushResult:
    check_kind(SOURCE, kind, KINDS, BAD_SIG_REPLY)
    client_id = _client_id(request, creds)
    verify(request, client_id, creds.get("client_secret") or creds.get("app_secret", ""))
    doc = push_json(SOURCE, request.body, BAD_SIG_REPLY)
    if str(doc.get("client_id", "")) != client_id:
        raise PushRejected("youzan: push for another client_id", 403, BAD_SIG_REPLY)
    if doc.get("test") is True:  # ASSUMED [?]: the console's URL check
        return heartbeat(OK_REPLY)
    return PushResult((message_event(doc, opts, received),), 200, OK_REPLY)


def dedupe_key(doc: Mapping[str, Any]) -> str:
    if doc.get("msg_id"):
        return str(doc["msg_id"])
    return f"{doc.get('id', '')}:{doc.get('type', '')}:{doc.get('version', '')}"


def message_event(doc: Mapping[str, Any], opts: YouzanOptions, received: datetime) -> PushEvent:
    mtype = str(doc.get("type") or "")
    key = dedupe_key(doc)
    raw: dict[str, Any] = dict(doc)
    tid = text_id(doc["id"]) if doc.get("id") else ""
    msg = as_dict(mapping.decode_msg(doc.get("msg")))
    if mtype in opts.paid_types:
        full = as_dict(msg.get("full_order_info"))
        if full and mapping.is_parcel(full):  # 快递: not a same-city order
            return PushEvent(PushKind.OTHER, key, tid, raw_type=mtype, raw=raw)
        if full:
            order = mapping.parse_order({**full, "kdt_id": doc.get("kdt_id")}, received=received)
            if order.source_status_raw != codes.UNPAID:
                return PushEvent(
                    PushKind.ORDER, key, order.source_order_id, order=order, raw_type=mtype, raw=raw
                )
        # ASSUMED [~]: a paid message without the order: read it (youzan.trade.get)
        return PushEvent(
            PushKind.STATE, key, tid, state=SourceOrderState.CONFIRMED, raw_type=mtype, raw=raw
        )
    if mtype in opts.closed_types:
        return PushEvent(
            PushKind.STATE,
            key,
            tid,
            state=SourceOrderState.CANCELLED,
            cancel_requested=True,
            raw_type=mtype,
            raw=raw,
        )
    if mtype in opts.success_types:
        return PushEvent(
            PushKind.STATE, key, tid, state=SourceOrderState.COMPLETED, raw_type=mtype, raw=raw
        )
    # trade_TradeCreate (unpaid), refunds in progress, shop messages: nothing to do
    return PushEvent(PushKind.OTHER, key, tid, raw_type=mtype, raw=raw)
