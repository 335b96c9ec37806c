"""A hand-written fake of the slice of ``AppService`` that ``BoardController`` reads."""

from __future__ import annotations

from collections.abc import Iterable

from app.core.board import BoardRow, Lane
from app.core.board_query import BoardPage


class FakeBoardService:
    """Serves rows from a dict and records every batch it was asked for."""

    def __init__(self, rows: dict[int, BoardRow]) -> None:
        self.rows = rows
        self.batches: list[set[int]] = []

    async def lane_counts(self, *, search: str = "") -> dict[Lane, int]:
        counts = dict.fromkeys(Lane, 0)
        for r in self.rows.values():
            counts[r.lane] += 1
        return counts

    async def board_page(self, **_: object) -> BoardPage:
        """Every row in one page, newest first."""
        rows = sorted(self.rows.values(), key=lambda r: r.order.id or 0, reverse=True)
        return BoardPage(rows, None)

    async def board_rows_for(self, order_ids: Iterable[int]) -> dict[int, BoardRow]:
        ids = set(order_ids)
        self.batches.append(ids)
        return {oid: self.rows[oid] for oid in ids if oid in self.rows}
