"""Status-bar chips, one per order source that is on: "美团 正常", "饿了么 正在补单…",
"美团 异常: …", with the last push and pull times and the status sync-back backlog in the
tooltip; a chip turns amber while the platform has refused a status sync for good (parked).

Fed by ``service.source_health()`` and ``service.sync_back_backlog()`` (at start, and again
shortly after a change so the tooltip is fresh) and by ``SourceHealthChanged`` events,
which carry the state at once; ``SyncBackChanged`` re-reads the backlog."""

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
PARKED = ("#7d4e00", "#ffd8a8")  # amber: a status sync the platform refused waits for a human


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
        self.backlog: dict[str, tuple[int, int]] = {}  # source -> (pending, parked) syncs
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
        if state != "error" and self.parked(source):
            fg, bg = PARKED
        chip.setText(chip_text(source, state, detail, self.names.get(source, "")))
        chip.setStyleSheet(f"color:{fg}; background:{bg}; border-radius:3px; padding:0 6px;")
        if tip:
            chip.setToolTip(tip)
        self.show()

    def parked(self, source: str) -> int:
        return self.backlog.get(source, (0, 0))[1]

    def backlog_line(self, source: str) -> str:
        """The tooltip's sync-back line ("" when the platform acknowledged everything)."""
        pending, parked = self.backlog.get(source, (0, 0))
        if not pending and not parked:
            return ""
        text = _t("状态同步：待发送 %1 条，平台拒绝 %2 条")
        return text.replace("%1", str(pending)).replace("%2", str(parked))

    def set_health(self, health, backlog=None) -> None:
        """``service.source_health()``: a list of ``SourceHealth`` values; ``backlog``:
        ``service.sync_back_backlog()``, ``{source: (pending, parked)}``."""
        if backlog is not None:
            self.backlog = {s: (int(b[0]), int(b[1])) for s, b in backlog.items()}
        for h in health or []:
            state = str(getattr(h.state, "value", h.state))
            tip = "\n".join(
                line
                for line in (
                    f"{_t('最近推送')}: {_time(h.last_push_at)}",
                    f"{_t('最近拉取')}: {_time(h.last_pull_at)}",
                    self.backlog_line(h.source),
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

    def on_sync_back(self, _event=None) -> None:
        """A sync-back was sent, failed or parked (or the cashier resent): re-read the
        backlog a moment later (a burst of calls shares one read)."""
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
        backlog = None
        read_backlog = getattr(self.service, "sync_back_backlog", None)
        if read_backlog is not None:
            try:
                backlog = await read_backlog()
            except Exception as e:  # the chips still show the sources' health
                log.info("sync-back backlog: %s", e)
        self.set_health(out, backlog)
