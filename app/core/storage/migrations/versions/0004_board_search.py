"""board search: orders.search_text and a covering (received_at, state, search_text) index

The paged board counts lanes and searches all orders in SQL; with the searchable text in
one lower-cased column inside the index, a search reads the index, not every row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FIELDS = ("pos_order_id", "pickup_no", "customer_name", "customer_phone", "address", "note")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_text", sa.String(length=800), nullable=False, server_default="")
        )
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {', '.join(_FIELDS)} FROM orders")).all()
    # lowered in Python, as the app writes it (SQLite's lower() folds ASCII only)
    values = [
        {"i": r[0], "s": " ".join(str(v or "") for v in r[1:]).lower()[:800]} for r in rows
    ]
    if values:
        conn.execute(sa.text("UPDATE orders SET search_text = :s WHERE id = :i"), values)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_received_at")  # ix_orders_board starts with it
        batch_op.create_index(
            "ix_orders_board", ["received_at", "state", "search_text"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_board")
        batch_op.create_index("ix_orders_received_at", ["received_at"], unique=False)
        batch_op.drop_column("search_text")
