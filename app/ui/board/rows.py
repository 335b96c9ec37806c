"""``RowStore``: the board's loaded rows, ordered newest first by (received_at, id), with
O(1) lookup of an order's display row.

A new order lands on top and an older page at the bottom; both are the common cases and
must not renumber every row (a burst of arrivals with 100k rows loaded must stay
cheap). Rows are kept oldest first in a list, so a new order is an append; an older page
is a splice at the front, and positions are stored as absolute numbers relative to a
moving ``_base`` so neither invalidates them. Only an insert or removal in the middle
(a row moving into or out of a filtered lane) renumbers, which is rare."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from datetime import datetime

from app.core.board import BoardRow


def row_id(row: BoardRow) -> int:
    return row.order.id if row.order.id is not None else -id(row)


def row_key(row: BoardRow) -> tuple[datetime, int]:
    o = row.order
    return (o.received_at or o.created_at, row_id(row))


class RowStore:
    def __init__(self) -> None:
        self._rows: list[BoardRow] = []  # oldest first
        self._base = 0  # absolute number of _rows[0]
        self._pos: dict[int, int] = {}  # order id -> absolute number

    def __len__(self) -> int:
        return len(self._rows)

    def reset(self, newest_first: Iterable[BoardRow]) -> None:
        rows: list[BoardRow] = []
        seen: set[int] = set()
        for r in newest_first:
            if row_id(r) not in seen:
                seen.add(row_id(r))
                rows.append(r)
        self._rows = rows[::-1]
        self._base = 0
        self._renumber()

    def _renumber(self) -> None:
        self._pos = {row_id(r): self._base + i for i, r in enumerate(self._rows)}

    def at(self, display_row: int) -> BoardRow:
        return self._rows[len(self._rows) - 1 - display_row]

    def display_row(self, oid: int) -> int | None:
        p = self._pos.get(oid)
        return None if p is None else len(self._rows) - 1 - (p - self._base)

    def get(self, oid: int) -> BoardRow | None:
        p = self._pos.get(oid)
        return None if p is None else self._rows[p - self._base]

    def __contains__(self, oid: int) -> bool:
        return oid in self._pos

    def newest_first(self) -> Iterator[BoardRow]:
        return reversed(self._rows)

    def replace(self, row: BoardRow) -> int:
        """Update a loaded row in place (same order id); returns its display row."""
        p = self._pos[row_id(row)]
        self._rows[p - self._base] = row
        return len(self._rows) - 1 - (p - self._base)

    def insert_at(self, row: BoardRow) -> int:
        """Where ``insert`` would put ``row`` (a display row), without inserting it."""
        j = bisect.bisect_left(self._rows, row_key(row), key=row_key)
        return len(self._rows) - j

    def insert(self, row: BoardRow) -> None:
        oid, n = row_id(row), len(self._rows)
        j = bisect.bisect_left(self._rows, row_key(row), key=row_key)
        if j == n:  # newest: the usual arrival
            self._pos[oid] = self._base + n
            self._rows.append(row)
        elif j == 0:  # oldest
            self._base -= 1
            self._rows.insert(0, row)
            self._pos[oid] = self._base
        else:
            self._rows.insert(j, row)
            self._renumber()

    def remove(self, oid: int) -> None:
        j = self._pos.pop(oid) - self._base
        del self._rows[j]
        if j == 0:
            self._base += 1
        elif j != len(self._rows):
            self._renumber()

    def extend_older(self, newest_first: list[BoardRow]) -> list[BoardRow]:
        """Add a page of older rows at the bottom; returns those that were not loaded."""
        fresh = [r for r in newest_first if row_id(r) not in self._pos]
        older = fresh[::-1]
        self._base -= len(older)
        self._rows[0:0] = older
        for i, r in enumerate(older):
            self._pos[row_id(r)] = self._base + i
        return fresh
