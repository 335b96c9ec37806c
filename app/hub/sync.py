"""Store → hub sync, the hub's side: apply a batch of rows a counter PC uploaded
(``POST /hub/v1/sync``). Blocking; callers use ``asyncio.to_thread``.

Each row is ``{"table", "id", "version", "data"}`` (``data`` null: the counter deleted the
row). It is upserted under the device's own store, and only over an older version: a
repeated upload, or an old one arriving after a newer one, changes nothing. The whole
batch is one transaction, so a counter that saw no answer simply sends it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.hub.tables import (
    store_health,
    store_sync,
    sync_attempts,
    sync_events,
    sync_orders,
    sync_source_orders,
)

MAX_ROWS = 1000  # per request; the counter sends 200


class SyncRejected(ValueError):
    """The batch is malformed; nothing of it was applied."""


def _int(v: Any, default: int | None = 0) -> int | None:
    if v is None or isinstance(v, bool):
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _str(v: Any, n: int) -> str:
    return "" if v is None else str(v)[:n]


def _order(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "business_date": _str(d.get("business_date"), 10),
        "state": _str(d.get("state"), 16),
        "source": _str(d.get("source"), 16),
        "total_fen": _int(d.get("total_fen")),
        "delivery_fee_fen": _int(d.get("delivery_fee_fen")),
    }


def _attempt(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "order_id": _int(d.get("order_id"), None),
        "carrier": _str(d.get("carrier"), 16),
        "status": _str(d.get("status"), 20),
        "quoted_fee_fen": _int(d.get("quoted_fee_fen")),
        "actual_fee_fen": _int(d.get("actual_fee_fen"), None),
        "tip_fen": _int(d.get("tip_fen")),
        "cancel_fee_fen": _int(d.get("cancel_fee_fen")),
    }


def _source_order(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "order_id": _int(d.get("order_id"), None),
        "source": _str(d.get("source"), 16),
        "source_order_id": _str(d.get("source_order_id"), 40),
        "state": _str(d.get("state"), 16),
    }


def _event(d: Mapping[str, Any]) -> dict[str, Any]:
    return {"order_id": _int(d.get("order_id"), None), "kind": _str(d.get("kind"), 32)}


# the counter's table name -> the hub table and its typed columns
TABLES: dict[str, tuple[Table, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "orders": (sync_orders, _order),
    "attempts": (sync_attempts, _attempt),
    "source_orders": (sync_source_orders, _source_order),
    "order_events": (sync_events, _event),
}


@dataclass(frozen=True, slots=True)
class Applied:
    applied: int  # rows written (new, or a newer version)
    stale: int  # rows the hub already had at this version or newer


def parse_health(doc: Any) -> dict[str, Any] | None:
    """The optional ``health`` object of a sync request (printers, order sources)."""
    health = doc.get("health") if isinstance(doc, dict) else None
    if health is not None and not isinstance(health, dict):
        raise SyncRejected("health must be an object")
    return health


def parse_rows(doc: Any) -> list[tuple[str, int, int, dict[str, Any] | None]]:
    """``(table, id, version, data)`` from the request body; ``SyncRejected`` if malformed."""
    rows = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise SyncRejected('body must be {"rows": [...]}')
    if len(rows) > MAX_ROWS:
        raise SyncRejected(f"at most {MAX_ROWS} rows per request")
    out = []
    for r in rows:
        if not isinstance(r, dict) or r.get("table") not in TABLES:
            raise SyncRejected(f"unknown table in {str(r)[:80]}")
        row_id, version = _int(r.get("id"), None), _int(r.get("version"), None)
        data = r.get("data")
        if row_id is None or version is None or version < 1:
            raise SyncRejected("every row needs an integer id and a version >= 1")
        if data is not None and not isinstance(data, dict):
            raise SyncRejected("data must be an object (or null: deleted)")
        out.append((str(r["table"]), row_id, version, data))
    return out


class SyncStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply(
        self,
        store_id: str,
        rows: list[tuple[str, int, int, dict[str, Any] | None]],
        now: datetime,
        health: dict[str, Any] | None = None,
    ) -> Applied:
        applied = 0
        with self.engine.begin() as conn:
            last = pg_insert(store_sync).values(store_id=store_id, last_sync_at=now)
            conn.execute(
                last.on_conflict_do_update(
                    index_elements=[store_sync.c.store_id],
                    set_={"last_sync_at": last.excluded.last_sync_at},
                )
            )
            if health is not None:
                hs = pg_insert(store_health).values(store_id=store_id, data=health, reported_at=now)
                conn.execute(
                    hs.on_conflict_do_update(
                        index_elements=[store_health.c.store_id],
                        set_={"data": hs.excluded.data, "reported_at": hs.excluded.reported_at},
                    )
                )
            for table_name, row_id, version, data in rows:
                table, typed = TABLES[table_name]
                values = {
                    "store_id": store_id,
                    "row_id": row_id,
                    "version": version,
                    "deleted": data is None,
                    "data": data or {},
                    "synced_at": now,
                    **typed(data or {}),
                }
                stmt = pg_insert(table).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[table.c.store_id, table.c.row_id],
                    set_={k: stmt.excluded[k] for k in values if k not in ("store_id", "row_id")},
                    where=table.c.version < stmt.excluded.version,
                )
                # RETURNING: a row comes back only when it was written (rowcount is -1
                # for INSERT … ON CONFLICT through psycopg)
                applied += len(conn.execute(stmt.returning(table.c.row_id)).all())
        return Applied(applied, len(rows) - applied)
