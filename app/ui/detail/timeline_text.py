"""Timeline lines of the dispatch events in the UI language.

The core stores each event with an English ``message`` (for logs and audits) and
structured ``data``; the cashier reads the line built here from ``data``: carrier names,
status labels and money through ``fmt_yuan`` (never "123 fen"). Rows stored before a field
existed fall back to the stored message with its fen amounts shown as yuan."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.core.clock import local_str
from app.core.money import fmt_yuan
from app.core.privacy import mask_phones_in
from app.ui.labels import carrier_label, status_label

_FEN = re.compile(r"(-?\d+) fen\b")
# the core's log line for an order cancel, as stored before its reason was a field
_OLD_CANCEL = re.compile(r"^order cancelled: (.*) \(fees (-?\d+) fen\)$", re.S)


def _tr(text: str) -> str:
    return QCoreApplication.translate("timeline", text)


def _fill(text: str, *args: str) -> str:
    for i, a in enumerate(args, start=1):
        text = text.replace(f"%{i}", a)
    return text


def carrier_name(cid: object) -> str:
    """闪送 / SF Express Same-City: the carrier's name in the UI language."""
    return carrier_label(str(cid or ""))


def fen_as_yuan(message: str) -> str:
    """An old English message with "1200 fen" reads "¥12.00"; phones masked."""
    return mask_phones_in(_FEN.sub(lambda m: fmt_yuan(int(m.group(1))), message))


def _money(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return fmt_yuan(value if isinstance(value, int) else None)


def cancel_reason(reason: str) -> str:
    """The dispatcher's own cancel reasons in the UI language; a cashier's words as typed."""
    return {
        "re-dispatch": _tr("重新派单"),
        "self delivery": _tr("改为自配送"),
        "race lost": _tr("同时呼叫落选"),
    }.get(reason, reason)


def order_cancelled(data: dict[str, Any], message: str, actor: str) -> str:
    """ "平台已取消订单，取消费 ¥0.00" / "订单已取消（顾客不要了），取消费 ¥3.00"."""
    reason, fee = data.get("cancel_reason"), _money(data, "fee_fen")
    if reason is None:  # stored before the reason was a field
        m = _OLD_CANCEL.match(message)
        reason = m.group(1) if m else ""
        if m and "fee_fen" not in data:
            fee = fmt_yuan(int(m.group(2)))
    reason = str(reason)
    if reason == "平台已取消" and actor == "platform":
        return _fill(_tr("平台已取消订单，取消费 %1"), fee)
    if reason == "平台已退款" and actor == "platform":
        return _fill(_tr("平台已全额退款，订单已取消，取消费 %1"), fee)
    if reason:
        return _fill(_tr("订单已取消（%1），取消费 %2"), mask_phones_in(cancel_reason(reason)), fee)
    return _fill(_tr("订单已取消，取消费 %1"), fee)


def _carrier_cancel(d: dict[str, Any], m: str) -> str | None:
    if "carrier" not in d:
        return None
    return _fill(
        _tr("%1 取消配送（%2）：%3，取消费 %4"),
        carrier_name(d["carrier"]),
        mask_phones_in(cancel_reason(str(d.get("cancel_reason", "")))),
        status_label(str(d.get("status", ""))),
        _money(d, "fee_fen"),
    )


def _tip_added(d: dict[str, Any], m: str) -> str | None:
    if "carrier" not in d:
        return None
    total, carrier = _money(d, "tip_fen"), carrier_name(d["carrier"])
    if "amount_fen" in d:
        return _fill(_tr("%1 加小费 %2，小费合计 %3"), carrier, _money(d, "amount_fen"), total)
    return _fill(_tr("暂无骑手接单：%1 小费加到 %2"), carrier, total)


def _race(d: dict[str, Any], m: str) -> str | None:
    if "carriers" not in d:
        return None
    names = "、".join(carrier_name(c) for c in d["carriers"])
    return _fill(_tr("同时呼叫 %1，最多多付 %2"), names, _money(d, "at_risk_fen"))


def _race_cancel(d: dict[str, Any], m: str) -> str | None:
    if "winner" not in d:
        return None
    return _fill(
        _tr("%1 已接单，取消 %2（取消费 %3）"),
        carrier_name(d["winner"]),
        carrier_name(d.get("carrier")),
        _money(d, "fee_fen"),
    )


def _requoted(d: dict[str, Any], m: str) -> str | None:
    if "fee_fen" not in d:
        return None
    return _fill(
        _tr("%1 报价已过期，新报价 %2"), carrier_name(d.get("carrier")), _money(d, "fee_fen")
    )


def _dispatched(d: dict[str, Any], m: str) -> str | None:
    if "carrier" not in d:
        return None
    return _fill(_tr("已派单给 %1（运费 %2）"), carrier_name(d["carrier"]), _money(d, "fee_fen"))


def _carrier_line(text: str) -> Callable[[dict[str, Any], str], str | None]:
    def render(d: dict[str, Any], m: str) -> str | None:
        if "carrier" not in d:
            return None
        line = _fill(_tr(text), carrier_name(d["carrier"]), status_label(str(d.get("status", ""))))
        error = d.get("error")
        return f"{line}：{fen_as_yuan(str(error))}" if error else line

    return render


def _auto_scheduled(d: dict[str, Any], m: str) -> str | None:
    try:
        at = datetime.fromisoformat(str(d.get("at")))
    except ValueError:
        return None
    return _fill(_tr("将于 %1 自动派单"), local_str(at, "%H:%M"))


def _fixed(text: str) -> Callable[[dict[str, Any], str], str | None]:
    return lambda d, m: _tr(text)


def _pos_cancelled(d: dict[str, Any], m: str) -> str | None:
    reason = str(d.get("reason") or "")
    return (
        _fill(_tr("收银机取消订单：%1"), mask_phones_in(reason))
        if reason
        else _tr("收银机取消订单")
    )


def _decision(d: dict[str, Any], m: str) -> str | None:
    chosen = d.get("chosen")
    if not chosen:
        return _tr("没有可用的运力")
    quotes = d.get("inputs", {}).get("quotes", {})
    fee = quotes.get(chosen) if isinstance(quotes, dict) else None
    return _fill(
        _tr("选择 %1（运费 %2）：%3"),
        carrier_name(chosen),
        fmt_yuan(fee if isinstance(fee, int) else None),
        fen_as_yuan(str(d.get("why", ""))),
    )


def proof_type(kind: str) -> str:
    """A proof of delivery's type in the UI language (Uber Direct: picture, signature)."""
    names = {"picture": "照片", "signature": "签名", "pincode": "收货码"}
    return _tr(names[kind]) if kind in names else kind


def _proof(d: dict[str, Any], m: str) -> str | None:
    if "carrier" not in d:
        return None
    return _fill(_tr("%1 送达凭证：%2"), carrier_name(d["carrier"]), proof_type(str(d.get("type"))))


# kind -> renderer; None from a renderer means "an old row: show its message"
_RENDER: dict[str, Callable[[dict[str, Any], str], str | None]] = {
    "cancel": _carrier_cancel,
    "tip_added": _tip_added,
    "race": _race,
    "race_cancel": _race_cancel,
    "requoted": _requoted,
    "dispatched": _dispatched,
    "dispatch_skip": _carrier_line("%1 下单失败，尝试下一家运力"),
    "outcome_unknown": _carrier_line("%1 下单结果未知，正在查询"),
    "resolved": _carrier_line("%1 已收到此单（%2），不再重发"),
    "recreate": _carrier_line("%1 未收到下单，用同一单号重发"),
    "resent": _carrier_line("%1 下单结果未知，用同一单号重发（该运力视为同一配送）"),
    "outcome_unresolved": _carrier_line("%1 下单结果未知，为免重复配送未重发，请向运力确认或取消"),
    "auto_scheduled": _auto_scheduled,
    "queued_offline": _fixed("暂时连不上运力，订单排队，恢复后自动派单"),
    "self_delivered": _fixed("自配送：由门店自己的骑手配送"),
    "cancelled": _pos_cancelled,
    "dispatch_decision": _decision,
    "proof_of_delivery": _proof,
}


def dispatch_text(kind: str, actor: str, message: str, data: dict[str, Any]) -> str | None:
    """The line for a dispatch event kind, or None when the kind is not one of them."""
    if kind == "order_cancelled":
        return order_cancelled(data, message, actor)
    render = _RENDER.get(kind)
    if render is None:
        return None
    return render(data, message) or fen_as_yuan(message)
