"""The app's icon, for the first frame: this module imports ``QIcon`` alone (the tray
module names QMenu, QSystemTrayIcon, QPainter..., and PySide6 builds each class it is
asked for on first import: a few ms the first frame does not need)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from app.ui.resources import icon_path


def app_icon() -> QIcon:
    """The app's icon (it needs the QGuiApplication: never made at import)."""
    p = icon_path()
    return QIcon(str(p)) if p.exists() else QIcon()
