"""美团外卖 pushes: verify ``sig`` over the console-configured URL, turn each push kind
into a ``PushEvent`` and give the exact reply (``{"data":"ok"}``). Pure.

Kinds (one console URL each): ``order`` 推送已支付订单, ``confirm`` 推送已确认订单,
``cancel`` 推送用户或客服取消订单, ``refund`` 全额退款信息 / 退款状态, ``status`` 美配配送状态.
Meituan has no message id, so the dedupe key is (order_id, kind, status, utime) (README §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from app.core.domain.source_order import FulfilmentMode, RefundState, SourceOrderState
from app.core.sources.base import PushEvent, PushKind, PushRejected, PushRequest, PushResult
from app.core.sources.kit import (
    check_kind,
    digest_equal,
    form_fields,
    heartbeat,
    int_or_none,
    reply_json,
    text_id,
)
from app.core.sources.meituan import codes, mapping
from app.core.sources.meituan.rules import MtWmOptions

SOURCE = "meituan"
KINDS = ("order", "confirm", "cancel", "refund", "status")
# ASSUMED: the error reply to a refused push (Meituan's is not in our sources)
BAD_SIG_REPLY = reply_json({"data": "ng", "error": {"code": 703, "msg": "签名验证错误"}})

_REFUND_NOTIFY: dict[str, RefundState] = {
    "apply": RefundState.APPLIED,
    "agree": RefundState.FULL,
    "reject": RefundState.REJECTED,
    "cancelRefund": RefundState.NONE,
    "cancelRefundComplaint": RefundState.NONE,
}
_REFUND_STATUS: dict[int, RefundState] = {
    3: RefundState.FULL,
    4: RefundState.REJECTED,  # 全额退款失败
    13: RefundState.PARTIAL,
    14: RefundState.REJECTED,
}


def push_fields(request: PushRequest) -> dict[str, str]:
    """Query and form fields of a push (pushes are form POSTs; some arrive as GET)."""
    fields = dict(request.query)
    if request.body:
        fields.update(form_fields(request.body))
    return fields


def verify(callback_url: str, fields: Mapping[str, str], secret: str, mode: str) -> str:
    """Return which decoding matched ("once" or "full"); raise ``PushRejected``.

    ASSUMED (§3 [?]): whether the sig covers once- or fully-decoded values is unsettled;
    ``once_then_full`` tries both."""
    got = fields.get("sig", "")
    tries = {"once": ("once",), "full": ("full",)}.get(mode, ("once", "full"))
    for attempt in tries:
        values = fields if attempt == "once" else {k: unquote(v) for k, v in fields.items()}
        if got and digest_equal(got, mapping.sign(callback_url, values, secret)):
            return attempt
    raise PushRejected("meituan: bad sig", 400, BAD_SIG_REPLY)


def is_heartbeat(fields: Mapping[str, str]) -> bool:
    """Console verification and heartbeat pushes carry no order (B, H)."""
    return not fields.get("order_id") and not fields.get("sig")


def parse(
    kind: str,
    request: PushRequest,
    creds: Mapping[str, str],
    opts: MtWmOptions,
    push_base_url: str,
) -> PushResult:
    check_kind(SOURCE, kind, KINDS, BAD_SIG_REPLY)
    fields = push_fields(request)
    if is_heartbeat(fields):
        return heartbeat(mapping.OK_REPLY)
    url = push_base_url.rstrip("/") + "/" + kind
    verify(url, fields, creds["app_secret"], opts.push_sig_decode)
    return PushResult((_event(kind, fields, opts),), 200, mapping.OK_REPLY)


def _key(kind: str, fields: Mapping[str, str], *parts: str) -> str:
    return ":".join((fields.get("order_id", ""), kind, *parts))


def _event(kind: str, fields: Mapping[str, str], opts: MtWmOptions) -> PushEvent:
    raw: dict[str, Any] = dict(fields)
    if kind in ("order", "confirm"):
        order = mapping.parse_order(fields, opts)
        key = _key(kind, fields, order.source_status_raw, fields.get("utime", ""))
        return PushEvent(PushKind.ORDER, key, order.source_order_id, order=order, raw=raw)
    oid = text_id(fields.get("order_id"))
    if kind == "cancel":
        key = _key(kind, fields, fields.get("reason_code", ""))
        return PushEvent(
            PushKind.STATE,
            key,
            oid,
            state=SourceOrderState.CANCELLED,
            cancel_requested=True,
            raw_type=fields.get("reason_code", ""),
            raw=raw,
        )
    if kind == "refund":
        return _refund_event(fields, oid, raw)
    key = _key(kind, fields, fields.get("logistics_status", ""), fields.get("time", ""))
    # 推送美配/企客订单配送状态: only Meituan's own delivery is reported this way
    return PushEvent(
        PushKind.DELIVERY,
        key,
        oid,
        fulfilment=FulfilmentMode.PLATFORM_DELIVERY,
        platform_status=codes.PLATFORM_LOGISTICS.get(
            int_or_none(fields.get("logistics_status")) or -1
        ),
        raw_type=fields.get("logistics_status", ""),
        raw=raw,
    )


def _refund_event(fields: Mapping[str, str], oid: str, raw: dict[str, Any]) -> PushEvent:
    notify = fields.get("notify_type", "")
    refund_status = int_or_none(fields.get("refund_status"))
    if notify:
        refund = _REFUND_NOTIFY.get(notify, RefundState.APPLIED)
    else:
        refund = _REFUND_STATUS.get(refund_status or 0, RefundState.APPLIED)
    # a full refund agreed by the platform ends the order (§8): cancel the live attempt
    state = SourceOrderState.CANCELLED if refund is RefundState.FULL else None
    key = _key("refund", fields, fields.get("refund_id", ""), notify or str(refund_status))
    return PushEvent(
        PushKind.STATE,
        key,
        oid,
        state=state,
        refund_state=refund,
        raw_type=notify or str(refund_status),
        raw=raw,
    )
