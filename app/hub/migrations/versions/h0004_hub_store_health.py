"""store health: the newest printer / order-source health each counter PC reported

Revision ID: h0004
Revises: h0003
Create Date: 2026-12-02 11:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "h0004"
down_revision = "h0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_store_health",
        sa.Column("store_id", sa.String(length=32), sa.ForeignKey("hub_store.id"), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id"),
    )


def downgrade() -> None:
    op.drop_table("hub_store_health")
