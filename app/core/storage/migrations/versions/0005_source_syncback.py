"""source_syncback: the durable status sync-back outbox to 美团外卖 / 饿了么

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_syncback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_order_id", sa.String(length=40), nullable=False),
        sa.Column("attempt_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parked", sa.String(length=300), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_source_syncback_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_syncback")),
        sa.UniqueConstraint(
            "source",
            "source_order_id",
            "attempt_id",
            "status",
            name=op.f("uq_source_syncback_source"),
        ),
    )
    with op.batch_alter_table("source_syncback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_syncback_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_source_syncback_pending", ["done_at", "parked", "next_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("source_syncback", schema=None) as batch_op:
        batch_op.drop_index("ix_source_syncback_pending")
        batch_op.drop_index(batch_op.f("ix_source_syncback_order_id"))
    op.drop_table("source_syncback")
