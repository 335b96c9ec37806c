"""The store → hub upload outbox (``hub_outbox``, fed by the triggers of migration 0007):
switch capture on (with a back-fill of every existing row) or off, read a batch as the
rows the hub should hold, and forget what the hub acknowledged. Blocking; callers go
through ``asyncio.to_thread``.

What leaves the PC: the row as stored, with phones masked (``customer_phone``,
``rider_phone`` and any mobile number inside text or JSON), and without the board's
search text (it holds the full phone), the quote token or a platform's raw payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, func, insert, literal, select

from app.core.privacy import mask_phone, mask_phones_in
from app.core.storage import tables as t

SYNC_KEY = "hub.sync"  # present in kv: the triggers capture changes (migration 0007)
SYNCED: dict[str, Table] = {
    "orders": t.orders,
    "source_orders": t.source_orders,
    "attempts": t.attempts,
    "order_events": t.order_events,
}
DROPPED = {
    "orders": ("search_text",),
    "attempts": ("quote_token",),
    "source_orders": ("raw_payload",),
    "order_events": (),
}
PHONES = ("customer_phone", "rider_phone")


@dataclass(frozen=True, slots=True)
class OutRow:
    table: str
    id: int
    version: int
    data: dict[str, Any] | None  # None: the row is gone on the PC


@dataclass(frozen=True, slots=True)
class OutBatch:
    hi: int  # every outbox entry up to this id is covered by ``rows``
    rows: list[OutRow]
    entries: int  # outbox entries the batch covers (before coalescing)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return None
    return v


def row_doc(table: str, mapping: Any) -> dict[str, Any]:
    doc = {k: _plain(v) for k, v in dict(mapping).items() if k not in DROPPED[table]}
    for k in PHONES:
        if doc.get(k):
            doc[k] = mask_phone(str(doc[k]))
    masked: dict[str, Any] = json.loads(
        mask_phones_in(json.dumps(doc, ensure_ascii=False, default=str))
    )
    return masked


class HubOutboxRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enabled(self) -> bool:
        with self.engine.connect() as c:
            return c.execute(select(t.kv.c.key).where(t.kv.c.key == SYNC_KEY)).first() is not None

    def enable(self, store_id: str) -> int:
        """Capture changes from now on and queue every existing row once (the first
        upload to this store); returns how many were queued, 0 when already on for it.
        Joined to another store since: everything is queued again for the new one."""
        with self.engine.begin() as c:
            row = c.execute(select(t.kv.c.value).where(t.kv.c.key == SYNC_KEY)).first()
            if row is not None and row.value == store_id:
                return 0
            c.execute(delete(t.kv).where(t.kv.c.key == SYNC_KEY))
            c.execute(insert(t.kv).values(key=SYNC_KEY, value=store_id))
            n = 0
            for name, table in SYNCED.items():
                src = select(literal(name), table.c.id).order_by(table.c.id)
                n += c.execute(insert(t.hub_outbox).from_select(["tbl", "row_id"], src)).rowcount
        return int(n)

    def disable(self) -> None:
        """Stop capturing and drop what was not uploaded (the PC left its hub)."""
        with self.engine.begin() as c:
            c.execute(delete(t.kv).where(t.kv.c.key == SYNC_KEY))
            c.execute(delete(t.hub_outbox))

    def pending(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(t.hub_outbox)).scalar_one())

    def batch(self, limit: int) -> OutBatch:
        """The oldest ``limit`` entries, one row each for (table, id) at its newest
        version, read as they are now."""
        with self.engine.connect() as c:
            entries = c.execute(
                select(t.hub_outbox.c.id, t.hub_outbox.c.tbl, t.hub_outbox.c.row_id)
                .order_by(t.hub_outbox.c.id)
                .limit(limit)
            ).all()
            if not entries:
                return OutBatch(0, [], 0)
            newest: dict[tuple[str, int], int] = {}
            for e in entries:
                newest[(e.tbl, e.row_id)] = e.id
            rows: list[OutRow] = []
            for name, table in SYNCED.items():
                ids = [rid for (tbl, rid) in newest if tbl == name]
                if not ids:
                    continue
                found = {
                    r.id: r._mapping
                    for r in c.execute(select(table).where(table.c.id.in_(ids))).all()
                }
                for rid in ids:
                    data = row_doc(name, found[rid]) if rid in found else None
                    rows.append(OutRow(name, rid, newest[(name, rid)], data))
        rows.sort(key=lambda r: r.version)
        return OutBatch(entries[-1].id, rows, len(entries))

    def done(self, hi: int) -> None:
        """The hub has every row up to outbox entry ``hi``."""
        with self.engine.begin() as c:
            c.execute(delete(t.hub_outbox).where(t.hub_outbox.c.id <= hi))
