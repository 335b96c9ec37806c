"""store -> hub upload outbox: hub_outbox, fed by triggers while the PC is joined to a hub

One row per insert or update of ``orders``, ``attempts``, ``source_orders`` and
``order_events``, written by the same transaction as the change (so nothing is missed,
whoever writes), only while ``kv`` holds the key ``hub.sync`` (set when the PC joins a
hub, removed when it leaves): a counter that never joins pays one indexed kv lookup per
write. ``AUTOINCREMENT``: ids are never reused after uploaded rows are deleted, so the id
is a version that only grows (the hub keeps a row only over an older version).
NOTE: a later batch migration that recreates one of these tables ("move and copy")
drops its triggers; it must recreate them (``tests/hub/test_store_sync.py`` checks the
triggers at head).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("orders", "attempts", "source_orders", "order_events")
SYNC_KEY = "hub.sync"


def _triggers(table: str) -> list[str]:
    when = f"WHEN EXISTS (SELECT 1 FROM kv WHERE key = '{SYNC_KEY}')"
    return [
        f"CREATE TRIGGER hub_outbox_{table}_{op_} AFTER {verb} ON {table} {when} BEGIN "
        f"INSERT INTO hub_outbox (tbl, row_id) VALUES ('{table}', new.id); END"
        for op_, verb in (("ai", "INSERT"), ("au", "UPDATE"))
    ]


def upgrade() -> None:
    op.create_table(
        "hub_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tbl", sa.String(length=24), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_outbox")),
        sqlite_autoincrement=True,
    )
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table in TABLES:
        for stmt in _triggers(table):
            conn.exec_driver_sql(stmt)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for table in TABLES:
            for op_ in ("ai", "au"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS hub_outbox_{table}_{op_}")
    op.drop_table("hub_outbox")
