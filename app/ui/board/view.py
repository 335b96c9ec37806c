"""``BoardView``: lane tabs with counts, a search box and the order table.

The proxy filters the rows already loaded at once (instant feedback while typing); the
query itself goes to the model (``set_query``), whose controller reruns it in SQL, the
search after a short pause so each keystroke does not cost a database round trip."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.board import Lane
from app.ui import labels
from app.ui.board.badges import SourceBadgeDelegate
from app.ui.board.filter import BoardFilter
from app.ui.board.model import COLUMNS, ORDER_ID_ROLE, BoardModel


class BoardView(QWidget):
    """Emits ``order_selected(order_id)`` when the cashier picks a row."""

    order_selected = Signal(int)
    order_activated = Signal(int)  # double click / Enter: open the detail
    SEARCH_PAUSE_MS = 250

    def __init__(self, model: BoardModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = BoardFilter(self)
        self.proxy.setSourceModel(model)
        self.tabs = QTabBar(self)
        self.tabs.setObjectName("laneTabs")
        self.tabs.addTab("")
        for _lane in labels.LANE_ORDER:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(self._on_tab)
        self.search = QLineEdit(self)
        self.search.setObjectName("boardSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("搜索 取餐号/顾客/电话/地址 (Ctrl+F)"))
        self.search.textChanged.connect(self._on_search)
        self._search_timer = QTimer(self, singleShot=True, interval=self.SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.returnPressed.connect(self.apply_search)
        self.table = self._make_table()
        top = QHBoxLayout()
        top.addWidget(self.tabs, 1)
        top.addWidget(self.search)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.table)
        # a burst of row changes relabels the tabs a few times a second, not per row
        # (per-row tab relayout showed in the P3 profile); a lone change shows at once
        self._counts_dirty = False
        self._counts_timer = QTimer(self, singleShot=True, interval=200)
        self._counts_timer.timeout.connect(self._counts_trailing)
        for sig in (model.rowsInserted, model.rowsRemoved, model.countsChanged):
            sig.connect(self._counts_soon)
        model.modelReset.connect(self.update_counts)
        self.update_counts()

    def _make_table(self) -> QTableView:
        t = QTableView(self)
        t.setObjectName("boardTable")
        t.setModel(self.proxy)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setAlternatingRowColors(True)
        t.setWordWrap(False)
        t.verticalHeader().setVisible(False)
        t.verticalHeader().setDefaultSectionSize(28)
        h = t.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = {"pickup": 92, "time": 52, "channel": 52, "customer": 122, "address": 190,
                  "distance": 60, "status": 120, "carrier": 74, "fee": 62, "rider": 126,
                  "elapsed": 56}  # fmt: skip
        for i, key in enumerate(COLUMNS):
            h.resizeSection(i, widths[key])
        h.setStretchLastSection(True)
        self.badges = SourceBadgeDelegate(parent=t)  # 美团 yellow, 饿了么 blue, POS grey
        t.setItemDelegateForColumn(COLUMNS.index("pickup"), self.badges)
        t.selectionModel().selectionChanged.connect(self._on_selection)
        t.activated.connect(lambda ix: self._emit_id(ix, self.order_activated))
        return t

    def _on_tab(self, index: int) -> None:
        lane = None if index <= 0 else labels.LANE_ORDER[index - 1]
        self.proxy.set_lane(lane)
        self.model.set_query(lane=lane)

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._search_timer.start()

    def apply_search(self) -> None:
        """Run the typed search in the database now (the pause elapsed, or Enter)."""
        self._search_timer.stop()
        self.model.set_query(lane=self.model.lane, search=self.search.text())

    def set_lane(self, lane: Lane | None) -> None:
        self.tabs.setCurrentIndex(0 if lane is None else labels.LANE_ORDER.index(lane) + 1)

    def _counts_soon(self, *_args: object) -> None:
        if self._counts_timer.isActive():
            self._counts_dirty = True  # shown when the window closes
            return
        self.update_counts()
        self._counts_timer.start()

    def hideEvent(self, e: QHideEvent) -> None:
        # no timer left running in a closed view (it may be collected on another thread)
        self._counts_timer.stop()
        self._counts_trailing()
        super().hideEvent(e)

    def _counts_trailing(self) -> None:
        if self._counts_dirty:
            self._counts_dirty = False
            self.update_counts()

    def update_counts(self, *_args) -> None:
        counts = self.model.lane_counts()
        self.tabs.setTabText(0, self.tr("全部 %n", "", self.model.total()))
        for i, lane in enumerate(labels.LANE_ORDER, start=1):
            self.tabs.setTabText(i, f"{labels.lane_label(lane)} {counts[lane]}")
            color = labels.lane_color(lane) if lane is Lane.ATTENTION and counts[lane] else None
            self.tabs.setTabTextColor(
                i, color if color is not None else self.palette().text().color()
            )

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        idx = selected.indexes()
        if idx:
            self._emit_id(idx[0], self.order_selected)

    def _emit_id(self, index, signal) -> None:
        oid = index.data(ORDER_ID_ROLE)
        if oid is not None:
            self.model.mark_seen(oid)
            signal.emit(int(oid))

    def selected_order_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return None if not rows else rows[0].data(ORDER_ID_ROLE)

    def select_order(self, order_id: int) -> bool:
        src = self.model.index_for(order_id)
        ix = self.proxy.mapFromSource(src)
        if not ix.isValid():
            return False
        self.table.selectRow(ix.row())
        self.table.scrollTo(ix)
        return True

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
