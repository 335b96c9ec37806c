"""The order's timeline from the event log, dispatch explanations included."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget, QListWidgetItem

from app.core.clock import local_str
from app.core.privacy import mask_phones_in


class Timeline(QListWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)

    def set_events(self, events) -> None:
        self.clear()
        for e in events:
            why = (e.data or {}).get("reason") or (e.data or {}).get("explanation") or ""
            text = f"{local_str(e.at, '%H:%M:%S')}  [{e.actor}] {mask_phones_in(e.message)}"
            if why and why not in e.message:
                text += f"\n    {why}"
            item = QListWidgetItem(text)
            item.setToolTip(f"{e.kind}: {e.data}" if e.data else e.kind)
            self.addItem(item)
        self.scrollToBottom()
