"""A hand-written fake of the slice of ``AppService`` that ``BoardController`` reads."""

from __future__ import annotations

from collections.abc import Iterable

from app.core.board import BoardRow


class FakeBoardService:
    """Serves rows from a dict and records every batch it was asked for."""

    def __init__(self, rows: dict[int, BoardRow]) -> None:
        self.rows = rows
        self.batches: list[set[int]] = []

    async def board(self, *, search: str = "", **_: object) -> list[BoardRow]:
        return list(self.rows.values())

    async def board_rows_for(self, order_ids: Iterable[int]) -> dict[int, BoardRow]:
        ids = set(order_ids)
        self.batches.append(ids)
        return {oid: self.rows[oid] for oid in ids if oid in self.rows}
