"""Status-bar chips, one per order source that is on: "美团 正常", "饿了么 正在补单…",
"美团 异常: …", with the last push and pull times in the tooltip.

Fed by ``service.source_health()`` (at start, and again shortly after a change so the
tooltip's times are fresh) and by ``SourceHealthChanged`` events, which carry the state
at once."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.core.clock import local_str
from app.ui.labels import channel_label

log = logging.getLogger(__name__)

COLOURS = {
    "starting": ("#57606a", "#eaeef2"),
    "catching_up": ("#7d4e00", "#fff8c5"),
    "healthy": ("#1a7f37", "#dafbe1"),
    "error": ("#a40e26", "#ffebe9"),
}


def _t(text: str) -> str:
    return QCoreApplication.translate("SourceHealth", text)


def state_label(state: str) -> str:
    return {
        "starting": _t("启动中"),
        "catching_up": _t("正在补单…"),
        "healthy": _t("正常"),
        "error": _t("异常"),
    }.get(state, state)


def chip_text(source: str, state: str, detail: str = "", name: str = "") -> str:
    if not name:
        name = _t("总部中转") if source == "hub" else channel_label(source)  # hub: the link
    text = f"{name} {state_label(state)}"
    return f"{text}: {detail[:40]}" if state == "error" and detail else text


def _time(at) -> str:
    return local_str(at, "%H:%M:%S") if at is not None else _t("无")


class SourceHealthBar(QWidget):
    """Chips in the status bar; hidden while no source is on."""

    REFRESH_MS = 1500

    def __init__(self, service, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceHealth")
        self.service = service
        self.chips: dict[str, QLabel] = {}
        self.names: dict[str, str] = {}  # source id -> short name, for sources without a label
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)
        self._later = QTimer(self, singleShot=True, interval=self.REFRESH_MS)
        self._later.timeout.connect(self._refresh_soon)
        self.hide()

    def _chip(self, source: str) -> QLabel:
        chip = self.chips.get(source)
        if chip is None:
            chip = QLabel(self)
            chip.setObjectName(f"sourceHealth.{source}")
            self.chips[source] = chip
            self._lay.addWidget(chip)
        return chip

    def show_state(self, source: str, state: str, detail: str = "", tip: str = "") -> None:
        chip = self._chip(source)
        fg, bg = COLOURS.get(state, COLOURS["starting"])
        chip.setText(chip_text(source, state, detail, self.names.get(source, "")))
        chip.setStyleSheet(f"color:{fg}; background:{bg}; border-radius:3px; padding:0 6px;")
        if tip:
            chip.setToolTip(tip)
        self.show()

    def set_health(self, health) -> None:
        """``service.source_health()``: a list of ``SourceHealth`` values."""
        for h in health or []:
            state = str(getattr(h.state, "value", h.state))
            tip = "\n".join(
                line
                for line in (
                    f"{_t('最近推送')}: {_time(h.last_push_at)}",
                    f"{_t('最近拉取')}: {_time(h.last_pull_at)}",
                    h.last_error,
                )
                if line
            )
            self.show_state(h.source, state, h.last_error, tip)

    def on_event(self, event) -> None:
        """A ``SourceHealthChanged``: the chip now, the tooltip's times a moment later."""
        self.show_state(event.source, event.state, event.detail)
        if not self._later.isActive():
            self._later.start()

    def _refresh_soon(self) -> None:
        from app.ui.bridge import spawn

        spawn(self.load(), "source health")

    async def load(self) -> None:
        read = getattr(self.service, "source_health", None)
        if read is None:
            return  # a core without order sources
        out = read()
        if asyncio.iscoroutine(out):  # the proxy before the core exists
            out = await out
        self.set_health(out)
