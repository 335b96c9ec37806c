"""Tray icon with an unread-alert badge (when the platform has a tray)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.ui.icon import app_icon


def badge_pixmap(count: int, size: int = 64) -> QPixmap:
    # the Qt namespace's first use builds all its Python enums (tens of ms): not at import,
    # since the tray is made right after the first frame
    from PySide6.QtCore import Qt

    pm = app_icon().pixmap(size, size)
    if pm.isNull():
        pm = QPixmap(size, size)
        pm.fill(QColor("#1f6feb"))
    if count <= 0:
        return pm
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    r = QRect(size // 2 - 2, 0, size // 2 + 2, size // 2 + 2)
    p.setBrush(QColor("#cf222e"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(r)
    f = QFont()
    f.setBold(True)
    f.setPixelSize(size // 3)
    p.setFont(f)
    p.setPen(QColor("white"))
    p.drawText(r, Qt.AlignmentFlag.AlignCenter, "99+" if count > 99 else str(count))
    p.end()
    return pm


class Tray:
    """Wraps ``QSystemTrayIcon``; a no-op where no tray exists (offscreen, some desktops)."""

    def __init__(self, window) -> None:
        self.window = window
        self.count = 0
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(app_icon(), window)
            menu = QMenu(window)
            menu.addAction(QCoreApplication.translate("Tray", "显示主窗口"), self._show)
            menu.addAction(
                QCoreApplication.translate("Tray", "确认全部提醒"), window.acknowledge_alerts
            )
            menu.addSeparator()
            menu.addAction(QCoreApplication.translate("Tray", "退出"), window.close)
            self.icon.setContextMenu(menu)
            self.icon.activated.connect(lambda _r: self._show())
            self.icon.show()

    def _show(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def set_unread(self, count: int) -> None:
        self.count = count
        tip = (
            QCoreApplication.translate("Tray", "聚配 — %n 条未确认提醒", "", count)
            if count
            else QCoreApplication.translate("Tray", "聚配")
        )
        if self.icon is not None:
            self.icon.setIcon(QIcon(badge_pixmap(count)))
            self.icon.setToolTip(tip)

    def notify(self, title: str, text: str) -> None:
        if self.icon is not None and self.icon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 5000)
