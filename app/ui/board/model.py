"""``BoardModel``: a ``QAbstractTableModel`` over ``BoardRow`` values, keyed by order id.

The model holds one query's rows (lane filter + search, run in SQL by the core): the
newest page first, older pages on scroll (``canFetchMore``/``fetchMore`` ask the
controller's fetcher; the keyset cursor marks where loaded rows end). Lane counts come
from the database and are then kept in step by the updates. Events update single rows
(``upsert``): a changed row emits ``dataChanged`` for that row only, a row that leaves
the query is removed, a new or newly matching one is inserted in order. Nothing here
reloads the whole table per event.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from app.core.board import BoardRow, Lane
from app.core.clock import local_str
from app.core.geo import distance_m
from app.core.money import fmt_money
from app.core.privacy import mask_name, mask_phone
from app.ui import labels
from app.ui.board.badges import RED, PlatformFlags, fulfilment_label
from app.ui.board.rows import RowStore, row_id, row_key

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
_UNUSED_ROLES = frozenset(
    {
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.SizeHintRole,
    }
)
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


class BoardModel(QAbstractTableModel):
    """Rows newest first; ``upsert`` keeps the id index and the lane counts in step."""

    queryChanged = Signal()  # lane filter or search changed: the controller reloads
    countsChanged = Signal()

    def __init__(
        self, now=None, show_full_phone: bool = False, store=None, parent=None, currency="CNY"
    ) -> None:
        super().__init__(parent)
        self._rows = RowStore()
        self._keys: dict[int, str] = {}  # search text per order id
        self._cells: dict[int, list[str | None]] = {}  # display texts per order id
        self._counts: dict[Lane, int] = dict.fromkeys(Lane, 0)
        self._known: dict[int, Lane] = {}  # last lane seen per order id, for the counts
        self._fresh: set[int] = set()  # new this session and not yet looked at
        self._now = now  # callable returning an aware datetime (the core clock)
        self.show_full_phone = show_full_phone
        self.store = store  # (lat, lng): straight-line distance before any quote
        self.currency = currency  # [store] currency: fees are its minor units
        self.lane: Lane | None = None  # the query: one lane or all, and a search
        self.search = ""
        self.cursor: object | None = None  # the core's keyset cursor; None: all loaded
        self.fetcher: Callable[[], None] | None = None  # set by the controller
        self.fetching = False
        self.counts_stale = False  # an update whose old lane is unknown: recount in SQL
        self.platform_flags = PlatformFlags()  # platforms' cancel/refund requests (shown red)

    # ----------------------------------------------------------------- Qt API
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        return not parent.isValid() and self.cursor is not None and self.fetcher is not None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        """Qt calls this when the view scrolls to the end: ask for the next page once."""
        if self.canFetchMore(parent) and not self.fetching and self.fetcher is not None:
            self.fetching = True
            self.fetcher()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return column_title(COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        # a paint asks every cell for seven roles; answer the unused ones first
        if role in _UNUSED_ROLES or not index.isValid():
            return None
        row = self._at(index.row())
        key = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(row, index.column(), key)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold() if key in ("pickup", "status") else None
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return (
                QColor(RED)
                if self.platform_flags.get(row.order.id)
                else labels.lane_color(row.lane)
            )
        if role == Qt.ItemDataRole.BackgroundRole and row_id(row) in self._fresh:
            return _NEW_BG
        if role == Qt.ItemDataRole.ToolTipRole and key == "status" and row.attention:
            return labels.attention_label(row.attention)
        return self._custom(row, role)

    @staticmethod
    @functools.cache
    def _bold() -> QFont:  # made on first paint: a QFont wants the QGuiApplication
        f = QFont()
        f.setBold(True)
        return f

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
        return self._rows.at(display_row)

    def _display_row(self, oid: int) -> int | None:
        return self._rows.display_row(oid)

    # ----------------------------------------------------------------- display
    def _cell(self, row: BoardRow, column: int, key: str) -> str:
        """Display text, kept per row until the row changes (repaints and scrolling
        ask again); the elapsed time is never kept."""
        if key == "elapsed":
            return self._display(row, key)
        oid = row_id(row)
        cells = self._cells.get(oid)
        if cells is None:
            cells = self._cells[oid] = [None] * len(COLUMNS)
        text = cells[column]
        if text is None:
            text = cells[column] = self._display(row, key)
        return text

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
            return fulfilment_label(o) if key == "carrier" else ""
        if key == "carrier":
            return labels.carrier_label(a.carrier)
        if key == "fee":
            fee = a.actual_fee_fen if a.actual_fee_fen is not None else a.quoted_fee_fen
            return fmt_money(fee + a.tip_fen, self.currency) if fee else ""
        if key == "rider":
            r = a.rider
            return f"{r.name} {mask_phone(r.phone)}".strip()
        return ""

    def _customer(self, row: BoardRow) -> str:
        c = row.order.customer
        phone = c.phone if self.show_full_phone else mask_phone(c.phone)
        return f"{mask_name(c.name)} {phone}".strip()

    def _status(self, row: BoardRow) -> str:
        flag = self.platform_flags.get(row.order.id)
        if flag and row.lane is not Lane.CANCELLED:
            return f"{flag} · {self._lane_status(row)}"
        return self._lane_status(row)

    def _lane_status(self, row: BoardRow) -> str:
        if row.lane is Lane.ATTENTION:
            return f"{labels.lane_label(row.lane)}: {labels.attention_label(row.attention)}"
        if row.lane is Lane.CANCELLED:
            return labels.lane_label(row.lane)
        if row.attempt is not None and row.attempt.status.live:
            return labels.status_label(row.attempt.status.value)
        return labels.status_label(row.order.state.value)

    def _search_key(self, row: BoardRow) -> str:
        oid = row_id(row)
        key = self._keys.get(oid)
        if key is None:
            o = row.order
            c = o.customer
            key = " ".join(
                (o.pickup_no, o.pos_order_id, c.name, c.phone, c.address.text, o.note)
            ).lower()
            self._keys[oid] = key
        return key

    # ----------------------------------------------------------------- query
    def set_query(self, lane: Lane | None = None, search: str | None = None) -> None:
        """Change what the board shows; the controller answers with ``set_page``."""
        search = self.search if search is None else search.strip()
        if (lane, search) != (self.lane, self.search):
            self.lane, self.search = lane, search
            self.queryChanged.emit()

    def matches(self, row: BoardRow) -> bool:
        """The SQL query's test, for rows that arrive by event rather than by page."""
        if self.lane is not None and row.lane is not self.lane:
            return False
        return self._matches_search(row)

    def _matches_search(self, row: BoardRow) -> bool:
        return not self.search or self.search.lower() in self._search_key(row)

    # ----------------------------------------------------------------- loading
    def set_rows(self, rows: Iterable[BoardRow]) -> None:
        """Replace everything with rows held in full (no more pages; counts from them)."""
        rows = list(rows)
        counts = dict.fromkeys(Lane, 0)
        for r in rows:
            counts[r.lane] += 1
        self.set_page(rows, None, counts)

    def set_page(self, rows: Iterable[BoardRow], cursor: object | None, counts) -> None:
        """The first page of the current query (newest first) and its lane counts."""
        self.beginResetModel()
        rows = list(rows)
        for r in rows:
            self.platform_flags.from_row(r)
        self._rows.reset(rows)
        self._keys.clear()
        self._cells.clear()
        self._known = {row_id(r): r.lane for r in self._rows.newest_first()}
        self.cursor = cursor
        self.fetching = False
        self.endResetModel()
        self.set_counts(counts)

    def append_page(self, rows: list[BoardRow], cursor: object | None) -> int:
        """An older page at the bottom (the answer to ``fetchMore``); returns rows added."""
        self.fetching = False
        self.cursor = cursor
        n = len(self._rows)
        fresh = [r for r in rows if row_id(r) not in self._rows]
        for r in fresh:
            self.platform_flags.from_row(r)
        if fresh:
            self.beginInsertRows(QModelIndex(), n, n + len(fresh) - 1)
            self._rows.extend_older(fresh)
            self._known.update((row_id(r), r.lane) for r in fresh)
            self.endInsertRows()
        return len(fresh)

    def set_counts(self, counts) -> None:
        self._counts = {lane: int(counts.get(lane, 0)) for lane in Lane}
        self.counts_stale = False
        self.countsChanged.emit()

    # ----------------------------------------------------------------- updates
    def upsert(self, row: BoardRow, *, fresh: bool = False) -> bool:
        """Apply one order's current row; True when the model had not seen it before."""
        oid = row_id(row)
        old = self._known.get(oid)
        if fresh:
            self._fresh.add(oid)
        self._count(row, old, fresh)
        self.platform_flags.from_row(row)
        self._known[oid] = row.lane
        self._keys.pop(oid, None)
        self._cells.pop(oid, None)
        if oid in self._rows:
            if self.matches(row):
                i = self._rows.replace(row)
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
            else:
                i = self._rows.display_row(oid) or 0
                self.beginRemoveRows(QModelIndex(), i, i)
                self._rows.remove(oid)
                self.endRemoveRows()
        elif self.matches(row) and self._within_loaded(row):
            i = self._rows.insert_at(row)
            self.beginInsertRows(QModelIndex(), i, i)
            self._rows.insert(row)
            self.endInsertRows()
        return old is None

    def _count(self, row: BoardRow, old: Lane | None, fresh: bool) -> None:
        if not self._matches_search(row) or old is row.lane:
            return
        if old is not None:
            self._counts[old] -= 1
        elif not fresh:  # an order we never saw changed: its old lane is unknown
            self.counts_stale = True
            return
        self._counts[row.lane] += 1
        self.countsChanged.emit()

    def _within_loaded(self, row: BoardRow) -> bool:
        """Rows older than the cursor come with a later page, not now (no duplicates)."""
        c = self.cursor
        if c is None:
            return True
        boundary = (getattr(c, "received_at", None), getattr(c, "id", None))
        return boundary[0] is None or row_key(row) > boundary  # type: ignore[operator]

    def platform_updated(self, event) -> None:
        """A ``SourceOrderUpdated``: repaint the row when its cancel/refund flag changed."""
        if self.platform_flags.update(event) and event.order_id in self._rows:
            self._cells.pop(event.order_id, None)
            i = self._rows.display_row(event.order_id) or 0
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def row_for(self, order_id: int) -> BoardRow | None:
        return self._rows.get(order_id)

    def index_for(self, order_id: int) -> QModelIndex:
        i = self._display_row(order_id)
        return QModelIndex() if i is None else self.index(i, 0)

    def order_ids(self, lanes: Iterable[Lane] | None = None) -> list[int]:
        want = set(lanes) if lanes is not None else None
        rows = self._rows.newest_first()
        return [row_id(r) for r in rows if want is None or r.lane in want]

    def lane_counts(self) -> dict[Lane, int]:
        return dict(self._counts)

    def total(self) -> int:
        """Orders in the query across all lanes (the "all" tab), from the counts."""
        return sum(self._counts.values())

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
