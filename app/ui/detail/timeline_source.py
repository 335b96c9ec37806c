"""Timeline lines of the order-source events (app/core/sources/desk_*.py) in the UI language.

The desk stores a Chinese message and structured ``data`` (the order's label 美团 #12, a
``code``, fees in fen); the line is rebuilt here from ``data`` so the English UI reads
English (the Chinese templates are the desk's own words). A row without the fields a
template needs shows its stored message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.core.money import fmt_yuan
from app.core.privacy import mask_phones_in
from app.ui.labels import status_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("timeline", text)


def _fill(text: str, *args: str) -> str:
    for i, a in enumerate(args, start=1):
        text = text.replace(f"%{i}", a)
    return text


def _fee(d: dict[str, Any], key: str) -> str:
    value = d.get(key)
    return fmt_yuan(value) if isinstance(value, int) else _tr("未知")


def _what(d: dict[str, Any]) -> str:
    return _tr("平台已退款") if d.get("refunded") else _tr("平台已取消")


def _cancelled(d: dict[str, Any]) -> str | None:
    label, code = str(d.get("label", "")), d.get("code")
    if code == "after_finish":
        return _fill(_tr("平台已取消订单（配送已结束：%1）"), status_label(str(d.get("state"))))
    if code == "cancelling":
        return _fill(_tr("%1 %2，正在取消配送（预计取消费 %3）"), label, _what(d), _fee(d, "fee_preview_fen"))  # fmt: skip
    if code == "delivery_cancelled":
        return _fill(_tr("%1 %2，配送已取消（取消费 %3）"), label, _what(d), _fee(d, "fee_fen"))
    if code == "order_cancelled":
        return _fill(_tr("%1 %2，订单已取消"), label, _what(d))
    return None


def _cancel_failed(d: dict[str, Any]) -> str | None:
    error = mask_phones_in(str(d.get("error", "")))
    return _fill(_tr("%1 %2，但配送取消未成功，请手动处理：%3"), str(d.get("label", "")), _what(d), error)  # fmt: skip


def _asked(d: dict[str, Any]) -> str | None:
    text = _tr("%1 顾客申请退款，请在平台处理") if d.get("code") == "refund" else _tr("%1 顾客申请取消，请在平台处理")  # fmt: skip
    return _fill(text, str(d.get("label", "")))


def _fulfilment_name(value: object) -> str:
    return {
        "platform_delivery": _tr("平台配送"),
        "pickup": _tr("到店自取"),
        "self_delivery": _tr("商家自配送"),
    }.get(str(value), str(value))


def _fulfilment(d: dict[str, Any]) -> str | None:
    label, code = str(d.get("label", "")), d.get("code")
    if code == "ignored_after_conversion":
        return _fill(_tr("%1 平台报告配送方式 %2（已转自配送，按自配送处理）"), label, _fulfilment_name(d.get("fulfilment")))  # fmt: skip
    if code == "to_self_delivery":
        return _fill(_tr("%1 平台改为商家自配送，由聚配呼叫骑手"), label)
    if code == "to_platform":
        text = _fill(_tr("%1 平台改为%2，聚配不再派单"), label, _fulfilment_name(d.get("fulfilment")))  # fmt: skip
        return text + _tr("；聚配的配送仍在进行，请确认是否取消") if d.get("live_attempt") else text
    return None


def _labelled(template: str) -> Callable[[dict[str, Any]], str | None]:
    return lambda d: _fill(_tr(template), str(d["label"])) if "label" in d else None


def _platform_delivery(d: dict[str, Any]) -> str | None:
    return _fill(
        _tr("%1 平台配送：%2"), str(d.get("label", "")), status_label(str(d.get("status")))
    )


def _rejected(d: dict[str, Any]) -> str | None:
    reason = mask_phones_in(str(d.get("reject_reason", "")))
    return _fill(_tr("%1 已拒单：%2"), str(d.get("label", "")), reason)


_RENDER: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "platform_cancelled": _cancelled,
    "platform_cancel_failed": _cancel_failed,
    "source_cancel_requested": _asked,
    "source_fulfilment": _fulfilment,
    "platform_completed": _labelled("%1 平台订单已完成"),
    "platform_delivery": _platform_delivery,
    "source_confirmed": _labelled("%1 已接单"),
    "source_rejected": _rejected,
    "source_self_delivery": _labelled("%1 已转自配送，由聚配呼叫骑手"),
    "source_confirm_failed": _labelled("%1 自动接单失败，请手动接单"),
    "platform_stalled": _labelled("%1 平台配送超时未接单，可转自配送"),
}


def source_text(kind: str, data: dict[str, Any]) -> str | None:
    """The line for an order-source event kind; None for other kinds or an old row."""
    render = _RENDER.get(kind)
    if render is None or ("label" not in data and kind != "platform_cancelled"):
        return None
    return render(data)
