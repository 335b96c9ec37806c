"""store -> hub sync: the rows each counter PC uploads (orders, attempts, source orders,
order events), one table each, keyed by (store, the counter's row id), versioned

Revision ID: h0003
Revises: h0002
Create Date: 2026-12-02 11:20:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None


def _common() -> list[sa.Column]:
    return [
        sa.Column("store_id", sa.String(length=32), sa.ForeignKey("hub_store.id"), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    ]


def _table(name: str, *typed: sa.Column) -> None:
    op.create_table(
        name,
        *_common(),
        *typed,
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "row_id"),
    )


def upgrade() -> None:
    _table(
        "hub_order",
        sa.Column("business_date", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("delivery_fee_fen", sa.BigInteger(), nullable=False),
    )
    _table(
        "hub_attempt",
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quoted_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("actual_fee_fen", sa.BigInteger(), nullable=True),
        sa.Column("tip_fen", sa.BigInteger(), nullable=False),
        sa.Column("cancel_fee_fen", sa.BigInteger(), nullable=False),
    )
    _table(
        "hub_source_order",
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_order_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
    )
    _table(
        "hub_order_event",
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
    )
    op.create_index("ix_hub_order_day", "hub_order", ["store_id", "business_date"])
    op.create_index("ix_hub_attempt_order", "hub_attempt", ["store_id", "order_id"])
    op.create_index("ix_hub_order_event_order", "hub_order_event", ["store_id", "order_id"])


def downgrade() -> None:
    for name in ("hub_order_event", "hub_source_order", "hub_attempt", "hub_order"):
        op.drop_table(name)
