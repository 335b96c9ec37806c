"""What the sources need from storage (``SourceStore``), and an in-memory store that
rehearsal and tests use. The SQLite store (``source_orders`` table, unique
``(source, source_order_id)``) implements the same protocol in a later step."""

from __future__ import annotations

from typing import Protocol

from app.core.domain.source_order import SourceOrder, merge


class SourceStore(Protocol):
    async def known_ids(self, source: str) -> set[str]: ...

    async def open_ids(self, source: str) -> list[str]:
        """Orders not yet completed or cancelled."""
        ...

    async def get(self, source: str, source_order_id: str) -> SourceOrder | None: ...

    async def upsert(self, order: SourceOrder) -> bool:
        """Insert, or merge into the stored copy (``source_order.merge``), durably;
        True when the order is new."""
        ...

    async def push_seen(self, source: str, dedupe_key: str) -> bool: ...

    async def remember_push(self, source: str, dedupe_key: str) -> None: ...


class MemorySourceStore:
    """A dict-backed ``SourceStore`` (no durability: rehearsal and tests)."""

    def __init__(self) -> None:
        self.orders: dict[tuple[str, str], SourceOrder] = {}
        self.pushes: set[tuple[str, str]] = set()

    async def known_ids(self, source: str) -> set[str]:
        return {oid for (src, oid) in self.orders if src == source}

    async def open_ids(self, source: str) -> list[str]:
        return [
            oid for (src, oid), o in self.orders.items() if src == source and not o.state.terminal
        ]

    async def get(self, source: str, source_order_id: str) -> SourceOrder | None:
        return self.orders.get((source, source_order_id))

    async def upsert(self, order: SourceOrder) -> bool:
        old = self.orders.get(order.key)
        self.orders[order.key] = merge(old, order) if old else order
        return old is None

    async def push_seen(self, source: str, dedupe_key: str) -> bool:
        return (source, dedupe_key) in self.pushes

    async def remember_push(self, source: str, dedupe_key: str) -> None:
        self.pushes.add((source, dedupe_key))
