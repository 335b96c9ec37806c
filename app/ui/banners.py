"""Non-blocking banners: the rehearsal banner (演练模式), the storage-fault banner (disk
full, read-only or locked database) and the unread-alert bar."""

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


class StorageBanner(QLabel):
    """Red, above the board, while the database refuses writes (``StorageStateChanged``):
    what happened and what to do. Hidden again by the first write that succeeds."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("storageBanner")
        self.setWordWrap(True)
        self.setStyleSheet(
            "background:#cf222e; color:white; font-weight:bold; padding:6px 8px;"
            "border-bottom:1px solid #82071e;"
        )
        self.fault = ""
        self.hide()

    def show_fault(self, fault: str) -> None:
        """``fault``: full | readonly | busy, or "" when writes succeed again."""
        self.fault = fault
        texts = {
            "full": self.tr(
                "磁盘已满，新订单无法保存（POS 收到 503，会自动重试）— 请立即释放磁盘空间："
                "清空回收站、删除不用的大文件；空间恢复后自动恢复，此提示自动消失"
            ),
            "readonly": self.tr(
                "数据库只读，新订单无法保存（POS 收到 503，会自动重试）— 请检查数据文件夹的"
                "权限、磁盘是否被设为只读或已拔出；恢复后此提示自动消失"
            ),
            "busy": self.tr(
                "数据库被其他程序锁住，新订单暂时无法保存（POS 收到 503，会自动重试）— 请关闭"
                "正在打开聚配数据库的程序（备份、同步盘、杀毒软件）"
            ),
        }
        if fault not in texts:
            self.hide()
            return
        self.setText(texts[fault])
        self.show()


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
