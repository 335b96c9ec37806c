"""head office: HQ users (scrypt password hash) and their login tokens (hash only,
expiring); an index for the head-office board's newest-first paging

Revision ID: h0005
Revises: h0004
Create Date: 2026-12-02 11:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "h0005"
down_revision = "h0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_hq_user",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_hub_hq_user_name"),
    )
    op.create_table(
        "hub_hq_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), sa.ForeignKey("hub_hq_user.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_hub_hq_token_user", "hub_hq_token", ["user_id"])
    op.execute(
        "CREATE INDEX ix_hub_order_received ON hub_order "
        "((data->>'received_at') DESC, store_id DESC, row_id DESC)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_hub_order_received")
    op.drop_table("hub_hq_token")
    op.drop_table("hub_hq_user")
