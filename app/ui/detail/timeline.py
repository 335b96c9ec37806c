"""The order's timeline from the event log, dispatch explanations included.

The core stores each event with a ``kind`` and structured ``data`` (and an English
message for logs and audits); the common kinds are rendered here in the UI language."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from app.core.clock import local_str
from app.core.privacy import mask_phones_in
from app.ui.detail.timeline_source import source_text
from app.ui.detail.timeline_text import dispatch_text, fen_as_yuan
from app.ui.labels import carrier_facts, carrier_label, status_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("timeline", text)


def _actor(actor: str) -> str:
    if actor in carrier_facts():
        return carrier_label(actor)  # in the UI language, as on the board
    return {
        "pos": _tr("收银机"),
        "manual": _tr("电话下单"),
        "simulated": _tr("模拟"),
        "cashier": _tr("收银员"),
        "manager": _tr("店长"),
        "engine": _tr("系统"),
        "auto": _tr("自动派单"),
        "platform": _tr("平台"),
        "tip_ladder": _tr("小费阶梯"),
        "race": _tr("同时呼叫"),
        "failover": _tr("自动换运力"),
        "offline_retry": _tr("恢复后重派"),
        "resolve": _tr("系统"),
    }.get(actor, actor)


def _source_actor(actor: str) -> str:
    """Who a ``received`` order came from: a platform id (``meituan``) names the order
    source 美团, never the carrier of the same id (美团配送)."""
    from app.ui.labels import channel_label

    name = channel_label(actor)
    return name if name != actor else _actor(actor)


def event_text(kind: str, actor: str, message: str, data: dict) -> str:
    """A timeline line in the UI language; unknown kinds keep the stored message."""
    if kind == "received":
        return _tr("收到订单")
    if kind == "status" and data.get("status"):
        text = status_label(str(data["status"]))
        if data.get("rider"):
            text += f" · {_tr('骑手')} {data['rider']}"
        return text
    if kind == "sync_back":
        return sync_back_text(data, message)
    text = dispatch_text(kind, actor, message, data)
    if text is None:
        text = source_text(kind, data)
    return text if text is not None else fen_as_yuan(message)


def sync_back_text(data: dict, message: str) -> str:
    """ "同步美团：已取货（已发送）": one status sync-back call to the platform."""
    from app.ui.labels import channel_label

    outcome = {
        "sent": _tr("已发送"),
        "retrying": _tr("失败，稍后重试"),
        "parked": _tr("平台拒绝，已停止重试"),
    }.get(str(data.get("outcome", "")), str(data.get("outcome", "")))
    raw = str(data.get("status", ""))
    status = _tr("骑手位置") if raw == "position" else status_label(raw) if raw else ""
    text = _tr("同步%1：").replace("%1", channel_label(str(data.get("source", ""))))
    text += f"{status}（{outcome}）" if outcome else status or mask_phones_in(message)
    error = data.get("error")
    return f"{text} {mask_phones_in(str(error))}" if error else text


class Timeline(QListWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)

    def set_events(self, events) -> None:
        self.clear()
        for e in events:
            data = e.data or {}
            why = data.get("reason") or data.get("explanation") or ""
            body = event_text(e.kind, e.actor, e.message, data)
            who = _source_actor(e.actor) if e.kind == "received" else _actor(e.actor)
            text = f"{local_str(e.at, '%H:%M:%S')}  [{who}] {body}"
            if why and isinstance(why, str) and why not in body:
                text += f"\n    {mask_phones_in(why)}"
            item = QListWidgetItem(text)
            item.setToolTip(mask_phones_in(f"{e.kind}: {e.message}"))
            self.addItem(item)
        self.scrollToBottom()
