"""``QuoteTable``: the quote comparison with one-click dispatch per row and a countdown."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from app.core.domain import Quote
from app.core.money import fmt_money
from app.ui import labels

_COLS = (
    QT_TRANSLATE_NOOP("QuoteTable", "运力"),
    QT_TRANSLATE_NOOP("QuoteTable", "运费"),
    QT_TRANSLATE_NOOP("QuoteTable", "预计接单"),
    QT_TRANSLATE_NOOP("QuoteTable", "预计取货"),
    QT_TRANSLATE_NOOP("QuoteTable", "报价类型"),
    QT_TRANSLATE_NOOP("QuoteTable", "有效期"),
    "",
)


def _mins(seconds: int | None) -> str:
    return "—" if seconds is None else f"{max(1, round(seconds / 60))} min"


class QuoteTable(QTableWidget):
    dispatch_requested = Signal(str)  # carrier id

    def __init__(self, now, parent=None, currency=lambda: "CNY") -> None:
        super().__init__(0, len(_COLS), parent)
        self.setObjectName("quoteTable")
        self._now = now
        self._currency = currency  # the store's ([store] currency); a quote may name its own
        self.quotes: list[Quote] = []
        self.setHorizontalHeaderLabels([self.tr(c) if c else "" for c in _COLS])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def set_quotes(self, quotes: list[Quote], enabled: bool = True) -> None:
        self.quotes = sorted(quotes, key=lambda q: q.fee_fen)
        self.setRowCount(len(self.quotes))
        for r, q in enumerate(self.quotes):
            fee = fmt_money(q.fee_fen, str(q.raw.get("currency") or self._currency()))
            cells = (labels.carrier_label(q.carrier), fee, _mins(q.accept_eta_s),
                     _mins(q.pickup_eta_s), self.tr("锁定价") if q.binding else self.tr("预估"), "")  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1 and r == 0:
                    item.setForeground(Qt.GlobalColor.darkGreen)
                self.setItem(r, c, item)
            btn = QPushButton(self.tr("派单"), self)
            btn.setObjectName(f"dispatch_{q.carrier}")
            btn.setEnabled(enabled)
            btn.clicked.connect(lambda _=False, cid=q.carrier: self.dispatch_requested.emit(cid))
            self.setCellWidget(r, len(_COLS) - 1, btn)
        self._tick()

    def _tick(self) -> None:
        if not self.quotes:
            return
        now: datetime = self._now()
        for r, q in enumerate(self.quotes):
            item = self.item(r, 5)
            if item is None:
                continue
            if q.expires_at is None:
                item.setText("—")
                continue
            left = int((q.expires_at - now).total_seconds())
            item.setText(self.tr("已过期") if left <= 0 else f"{left // 60}:{left % 60:02d}")
            item.setForeground(Qt.GlobalColor.red if left < 30 else Qt.GlobalColor.black)
