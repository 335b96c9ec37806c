"""The board search's trigram index (migration 0006): an FTS5 table over
``orders.search_text`` that triggers keep in step with ``orders``.

A needle of 3 or more characters is looked up in it (a phrase of its trigrams: exactly
the rows whose ``search_text`` contains it, as ``instr`` finds them); shorter needles
have no trigram and keep the scan. Where the index was not built (not SQLite, or a SQLite
without FTS5/trigram) ``present`` is False and every search scans."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Integer, column, select, table

from app.core.storage import tables as t

TABLE = "orders_search"
MIN_CHARS = 3  # a trigram index cannot answer 1-2 characters

_fts = table(TABLE, column("rowid", Integer))


def present(conn: Connection) -> bool:
    """Whether this database has the index (one lookup in the schema)."""
    if conn.dialect.name != "sqlite":
        return False
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).first()
    return found is not None


def usable(needle: str) -> bool:
    """Whether the index can answer ``needle``: 3+ characters, and no NUL (FTS5's query
    parser ends a string there); anything else scans."""
    return len(needle) >= MIN_CHARS and "\x00" not in needle


def phrase(needle: str) -> str:
    """``needle`` as one FTS5 string: every character literal (quotes doubled)."""
    return '"' + needle.replace('"', '""') + '"'


def matching_ids(needle: str) -> ColumnElement[bool]:
    """``orders.id IN`` the rows whose ``search_text`` contains ``needle`` (lower-cased,
    ``MIN_CHARS`` or more), from the index."""
    hits = select(_fts.c.rowid).where(column(TABLE).op("MATCH")(phrase(needle)))
    return t.orders.c.id.in_(hits)


def include_name(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic autogenerate filter: the FTS5 table and its shadow tables are made by SQL
    in migration 0006, not by the table metadata."""
    return not (
        type_ == "table" and name is not None and (name == TABLE or name.startswith(f"{TABLE}_"))
    )
