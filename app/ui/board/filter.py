"""Lane + search filter over the rows ``BoardModel`` has loaded: instant feedback while the
same query runs in SQL on the core (the model then holds exactly that query's rows)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from app.core.board import Lane
from app.ui.board.model import BoardModel


class BoardFilter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._lane: Lane | None = None
        self._needle = ""

    def set_lane(self, lane: Lane | None) -> None:
        if lane != self._lane:
            self.beginFilterChange()
            self._lane = lane
            self.endFilterChange()

    def set_search(self, text: str) -> None:
        needle = text.strip().lower()
        if needle != self._needle:
            self.beginFilterChange()
            self._needle = needle
            self.endFilterChange()

    @property
    def lane(self) -> Lane | None:
        return self._lane

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        src = self.sourceModel()
        assert isinstance(src, BoardModel)
        row = src._at(source_row)
        if self._lane is not None and row.lane is not self._lane:
            return False
        return not self._needle or self._needle in src._search_key(row)
