"""Head-office values in the settings dialog: every widget whose object name is a settings
path head office sets (``dispatch.fee_cap_fen``, ``carriers.dada.shop_no``; or a table
such as ``dispatch.channel_overrides`` holding one) is read-only with a "总部设定" hint.
The service refuses a save that changes one anyway (``HeadOfficeLocked``)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget


def is_locked(path: str, locked: Iterable[str]) -> bool:
    return any(p == path or p.startswith(path + ".") for p in locked)


def mark_headoffice(root: QWidget, locked: frozenset[str]) -> list[str]:
    """Lock the widgets under ``root`` that show head-office values; returns their paths."""
    if not locked:
        return []
    hint = QCoreApplication.translate("settings", "总部设定（只读，由总部统一下发）")
    done = []
    for w in root.findChildren(QWidget):
        name = w.objectName()
        if name and "." in name and is_locked(name, locked):
            w.setEnabled(False)
            w.setToolTip(hint)
            done.append(name)
    return sorted(done)
