"""``BoardModel``: a ``QAbstractTableModel`` over ``BoardRow`` values, keyed by order id.

Only the board's window (today by default) is loaded. Events update single rows in place
(``upsert``): a changed row emits ``dataChanged`` for that row only, a new order is
inserted at the top. Nothing here reloads the whole table per event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from app.core.board import BoardRow, Lane
from app.core.clock import local_str
from app.core.geo import distance_m
from app.core.money import fmt_yuan
from app.core.privacy import mask_name, mask_phone
from app.ui import labels

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
LANE_ROLE = Qt.ItemDataRole.UserRole + 2
ORDER_ID_ROLE = Qt.ItemDataRole.UserRole + 3
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 4

COLUMNS = (
    "pickup",
    "time",
    "channel",
    "customer",
    "address",
    "distance",
    "status",
    "carrier",
    "fee",
    "rider",
    "elapsed",
)
_NEW_BG = QColor("#fff4c2")
_Index = QModelIndex | QPersistentModelIndex


def column_title(key: str) -> str:
    titles = {
        "pickup": QT_TRANSLATE_NOOP("BoardModel", "取餐号"),
        "time": QT_TRANSLATE_NOOP("BoardModel", "下单时间"),
        "channel": QT_TRANSLATE_NOOP("BoardModel", "渠道"),
        "customer": QT_TRANSLATE_NOOP("BoardModel", "顾客"),
        "address": QT_TRANSLATE_NOOP("BoardModel", "地址"),
        "distance": QT_TRANSLATE_NOOP("BoardModel", "距离"),
        "status": QT_TRANSLATE_NOOP("BoardModel", "状态"),
        "carrier": QT_TRANSLATE_NOOP("BoardModel", "运力"),
        "fee": QT_TRANSLATE_NOOP("BoardModel", "运费"),
        "rider": QT_TRANSLATE_NOOP("BoardModel", "骑手"),
        "elapsed": QT_TRANSLATE_NOOP("BoardModel", "已用时"),
    }
    return QCoreApplication.translate("BoardModel", titles[key])


def elapsed_text(start: datetime | None, now: datetime) -> str:
    if start is None:
        return ""
    s = max(0, int((now - start).total_seconds()))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def row_id(row: BoardRow) -> int:
    return row.order.id if row.order.id is not None else -id(row)


class BoardModel(QAbstractTableModel):
    """Rows newest first; ``upsert`` keeps the id index and the lane counts in step."""

    def __init__(self, now=None, show_full_phone: bool = False, store=None, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[BoardRow] = []
        self._pos: dict[int, int] = {}
        self._search: dict[int, str] = {}
        self._counts: Counter[Lane] = Counter()
        self._fresh: set[int] = set()  # new this session and not yet looked at
        self._now = now  # callable returning an aware datetime (the core clock)
        self.show_full_phone = show_full_phone
        self.store = store  # (lat, lng): straight-line distance before any quote

    # ----------------------------------------------------------------- Qt API
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return column_title(COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._at(index.row())
        key = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return labels.lane_color(row.lane)
        if role == Qt.ItemDataRole.BackgroundRole and row_id(row) in self._fresh:
            return _NEW_BG
        if role == Qt.ItemDataRole.FontRole and key in ("pickup", "status"):
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and key == "status" and row.attention:
            return labels.attention_label(row.attention)
        return self._custom(row, role)

    def _custom(self, row: BoardRow, role: int):
        if role == ROW_ROLE:
            return row
        if role == LANE_ROLE:
            return row.lane.value
        if role == ORDER_ID_ROLE:
            return row.order.id
        if role == SEARCH_ROLE:
            return self._search_key(row)
        return None

    def _at(self, display_row: int) -> BoardRow:
        # stored oldest first so a new order is an O(1) append at display row 0
        return self._rows[len(self._rows) - 1 - display_row]

    def _display_row(self, oid: int) -> int | None:
        j = self._pos.get(oid)
        return None if j is None else len(self._rows) - 1 - j

    # ----------------------------------------------------------------- display
    def _display(self, row: BoardRow, key: str) -> str:
        o = row.order
        if key == "pickup":
            return o.pickup_no or o.pos_order_id
        if key == "time":
            return local_str(o.received_at or o.created_at, "%H:%M")
        if key == "channel":
            return labels.channel_label(o.channel.value)
        if key == "customer":
            return self._customer(row)
        if key == "address":
            return o.customer.address.text
        if key == "distance":
            return self._distance(row)
        if key == "status":
            return self._status(row)
        return self._attempt_cell(row, key)

    def _distance(self, row: BoardRow) -> str:
        o, a = row.order, row.attempt
        d = o.distance_m if o.distance_m is not None else (a.distance_m if a else None)
        if d is None and self.store is not None:
            addr = o.customer.address
            return f"≈{distance_m(self.store[0], self.store[1], addr.lat, addr.lng) / 1000:.1f} km"
        return "" if d is None else f"{d / 1000:.1f} km"

    def _attempt_cell(self, row: BoardRow, key: str) -> str:
        o, a = row.order, row.attempt
        if key == "elapsed":
            now = self._now() if self._now else None
            return (
                ""
                if now is None or row.lane in (Lane.DONE, Lane.CANCELLED)
                else (elapsed_text(o.received_at or o.created_at, now))
            )
        if a is None:
            return ""
        if key == "carrier":
            return labels.carrier_label(a.carrier)
        if key == "fee":
            fee = a.actual_fee_fen if a.actual_fee_fen is not None else a.quoted_fee_fen
            return fmt_yuan(fee + a.tip_fen) if fee else ""
        if key == "rider":
            r = a.rider
            return f"{r.name} {mask_phone(r.phone)}".strip()
        return ""

    def _customer(self, row: BoardRow) -> str:
        c = row.order.customer
        phone = c.phone if self.show_full_phone else mask_phone(c.phone)
        return f"{mask_name(c.name)} {phone}".strip()

    def _status(self, row: BoardRow) -> str:
        if row.lane is Lane.ATTENTION:
            return f"{labels.lane_label(row.lane)}: {labels.attention_label(row.attention)}"
        if row.lane is Lane.CANCELLED:
            return labels.lane_label(row.lane)
        if row.attempt is not None and row.attempt.status.live:
            return labels.status_label(row.attempt.status.value)
        return labels.status_label(row.order.state.value)

    def _search_key(self, row: BoardRow) -> str:
        oid = row_id(row)
        key = self._search.get(oid)
        if key is None:
            o = row.order
            c = o.customer
            key = " ".join(
                (o.pickup_no, o.pos_order_id, c.name, c.phone, c.address.text, o.note)
            ).lower()
            self._search[oid] = key
        return key

    # ----------------------------------------------------------------- updates
    def set_rows(self, rows: Iterable[BoardRow]) -> None:
        """Replace the window (initial load, day change, search on the server)."""
        self.beginResetModel()
        self._rows = list(rows)[::-1]  # given newest first
        self._pos = {row_id(r): i for i, r in enumerate(self._rows)}
        self._search.clear()
        self._counts = Counter(r.lane for r in self._rows)
        self.endResetModel()

    def upsert(self, row: BoardRow, *, fresh: bool = False) -> bool:
        """Insert or update one order; returns True when it was new."""
        oid = row_id(row)
        j = self._pos.get(oid)
        if fresh:
            self._fresh.add(oid)
        if j is not None:
            old = self._rows[j]
            self._counts[old.lane] -= 1
            self._counts[row.lane] += 1
            self._rows[j] = row
            self._search.pop(oid, None)
            i = len(self._rows) - 1 - j
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
            return False
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._pos[oid] = len(self._rows)
        self._rows.append(row)
        self._counts[row.lane] += 1
        self.endInsertRows()
        return True

    def row_for(self, order_id: int) -> BoardRow | None:
        j = self._pos.get(order_id)
        return None if j is None else self._rows[j]

    def index_for(self, order_id: int) -> QModelIndex:
        i = self._display_row(order_id)
        return QModelIndex() if i is None else self.index(i, 0)

    def order_ids(self, lanes: Iterable[Lane] | None = None) -> list[int]:
        want = set(lanes) if lanes is not None else None
        return [row_id(r) for r in reversed(self._rows) if want is None or r.lane in want]

    def lane_counts(self) -> dict[Lane, int]:
        return {lane: self._counts.get(lane, 0) for lane in Lane}

    def mark_seen(self, order_id: int) -> None:
        if order_id in self._fresh:
            self._fresh.discard(order_id)
            i = self._display_row(order_id)
            if i is not None:
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def is_fresh(self, order_id: int) -> bool:
        return order_id in self._fresh

    def tick(self) -> None:
        """Time moved: repaint the elapsed column only."""
        if self._rows:
            c = COLUMNS.index("elapsed")
            self.dataChanged.emit(self.index(0, c), self.index(len(self._rows) - 1, c))
