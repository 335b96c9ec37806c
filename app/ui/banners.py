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


class ConfigProblemBanner(QWidget):
    """Red bar on top when the settings file could not be used (issue 19 item 2): the
    one-paragraph problem (file, line, key), what the app runs on instead, a button that
    opens the settings (saving there writes a good file) and one that hides the bar."""

    open_settings = Signal()

    def __init__(self, problem: str, *, on_last_good: bool, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("configProblemBanner")
        self.setStyleSheet(
            "#configProblemBanner { background:#ffebe9; border-bottom:1px solid #ff8182; }"
        )
        if on_last_good:
            head = self.tr("配置文件有问题，已按上次可用的配置启动。")
        else:
            head = self.tr("配置文件有问题，已按默认配置启动。")
        self.label = QLabel(f"<b>{_escape(head)}</b> {_escape(problem)}", self)
        self.label.setObjectName("configProblemText")
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color:#a40e26;")
        self.button = QPushButton(self.tr("打开设置…"), self)
        self.button.setObjectName("configOpenSettings")
        self.button.clicked.connect(self.open_settings)
        self.close_button = QPushButton(self.tr("隐藏"), self)
        self.close_button.setObjectName("configProblemHide")
        self.close_button.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        lay.addWidget(self.close_button)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)
