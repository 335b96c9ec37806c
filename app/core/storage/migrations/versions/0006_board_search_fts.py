"""board search index: an FTS5 trigram table over orders.search_text, kept by triggers

A board search of 3+ characters becomes an index lookup (``orders_search MATCH``) instead
of a scan of every order's ``search_text``. External content (``content='orders'``): the
index holds only the trigrams, the text stays in ``orders``. ``case_sensitive 1``: the
column is already lower-cased in Python (as is the needle), so the index compares what
``instr`` compared and never folds again with SQLite's own rules.

Triggers keep it in step with every writer of ``orders`` (insert, delete, and an update
that changes ``search_text``). NOTE: a later batch migration that recreates ``orders``
(SQLite "move and copy") drops these triggers with the old table; it must recreate them
(``tests/core/board/test_board_search.py`` checks the index follows writes at head).

SQLite only, and only where FTS5 with the trigram tokenizer exists (SQLite >= 3.34 built
with FTS5): elsewhere nothing is created and the board keeps searching with ``instr``
(``app/core/storage/search_index.py`` looks for the table). Back-fill: FTS5's ``rebuild``
(~0.4 s for 100,000 orders here).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CREATE = [
    "CREATE VIRTUAL TABLE orders_search USING fts5(search_text, content='orders', "
    "content_rowid='id', tokenize='trigram case_sensitive 1', detail=full)",
    "CREATE TRIGGER orders_search_ai AFTER INSERT ON orders BEGIN "
    "INSERT INTO orders_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER orders_search_ad AFTER DELETE ON orders BEGIN "
    "INSERT INTO orders_search(orders_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER orders_search_au AFTER UPDATE OF search_text ON orders BEGIN "
    "INSERT INTO orders_search(orders_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO orders_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO orders_search(orders_search) VALUES ('rebuild')",
]


def _trigram_available(conn: sa.Connection) -> bool:
    try:
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.jupei_fts_probe USING fts5(x, tokenize='trigram')"
        )
    except sa.exc.OperationalError:  # no FTS5, or SQLite < 3.34 (no trigram tokenizer)
        return False
    conn.exec_driver_sql("DROP TABLE temp.jupei_fts_probe")
    return True


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite" or not _trigram_available(conn):
        return
    for stmt in _CREATE:
        conn.exec_driver_sql(stmt)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for name in ("orders_search_ai", "orders_search_ad", "orders_search_au"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql("DROP TABLE IF EXISTS orders_search")
