"""attempt engine state in typed columns

The dispatch engine kept its per-attempt state (race group, accept deadline, tip-ladder
step, re-creates, failover-pending, cancel-requested time) in the ``extra`` JSON. It now
has columns; in-flight attempts of an existing database keep their state: the values are
copied out of ``extra`` (SQLite's json_extract) and the keys removed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 03:00:00
"""

import sqlalchemy as sa
from alembic import op

from app.core.storage.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEYS = {
    "race_group": "race",
    "accept_deadline": "accept_deadline",
    "ladder_step": "ladder_step",
    "recreates": "recreates",
    "failover_pending": "failover_pending",
    "cancel_requested_at": "cancel_requested_at",
}


def upgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("race_group", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("accept_deadline", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("ladder_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("recreates", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("failover_pending", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("cancel_requested_at", UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _copy_out_of_extra()


def _copy_out_of_extra() -> None:
    """Only rows that carry engine keys (the in-flight ones) are touched. ISO timestamps
    with an offset become SQLite's naive-UTC text, the form ``UTCDateTime`` stores."""
    has = " OR ".join(f"json_extract(extra, '$.{k}') IS NOT NULL" for k in _KEYS.values())
    op.execute(
        f"""UPDATE attempts SET
        race_group = COALESCE(json_extract(extra, '$.race'), ''),
        ladder_step = COALESCE(json_extract(extra, '$.ladder_step'), 0),
        recreates = COALESCE(json_extract(extra, '$.recreates'), 0),
        failover_pending = COALESCE(json_extract(extra, '$.failover_pending'), 0),
        accept_deadline = datetime(json_extract(extra, '$.accept_deadline')),
        cancel_requested_at = datetime(json_extract(extra, '$.cancel_requested_at')),
        extra = json_remove(extra, {", ".join(f"'$.{k}'" for k in _KEYS.values())},
                            '$.tip_count')
        WHERE {has}"""
    )


def downgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        for name in _KEYS:
            batch_op.drop_column(name)
