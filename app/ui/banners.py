"""Non-blocking banners: the rehearsal banner (演练模式) and the unread-alert bar."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class RehearsalBanner(QLabel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("rehearsalBanner")
        self.setText(self.tr("演练模式 — 所有运力均为本地沙箱，不会产生真实配送和费用"))
        self.setStyleSheet(
            "background:#fff8c5; color:#7d4e00; font-weight:bold; padding:4px 8px;"
            "border-bottom:1px solid #d4a72c;"
        )


class AlertBar(QWidget):
    acknowledge = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBar")
        self.setStyleSheet("#alertBar { background:#ffebe9; border-bottom:1px solid #ff8182; }")
        self.label = QLabel(self)
        self.label.setStyleSheet("color:#a40e26; font-weight:bold;")
        self.label.setObjectName("alertText")
        self.button = QPushButton(self.tr("确认提醒 (F2)"), self)
        self.button.setObjectName("ackAlerts")
        self.button.clicked.connect(self.acknowledge)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        self.hide()

    def show_alerts(self, alerts: list) -> None:
        if not alerts:
            self.hide()
            return
        latest = alerts[-1]
        text = self.tr("%n 条未确认提醒", "", len(alerts))
        self.label.setText(f"{text} — {latest.message}")
        self.show()
