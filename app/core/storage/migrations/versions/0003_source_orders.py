"""source orders (美团外卖, 饿了么) and their push dedupe keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 03:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('source_orders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_order_id', sa.String(length=40), nullable=False),
    sa.Column('source_store_ref', sa.String(length=64), nullable=False),
    sa.Column('display_no', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('fulfilment', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('raw_payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_source_orders_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_orders')),
    sa.UniqueConstraint('source', 'source_order_id', name=op.f('uq_source_orders_source'))
    )
    with op.batch_alter_table('source_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_orders_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_orders_state'), ['state'], unique=False)

    op.create_table('source_pushes',
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'dedupe_key', name=op.f('pk_source_pushes'))
    )
    with op.batch_alter_table('source_pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_pushes_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_pushes_seen_at'))
    op.drop_table('source_pushes')
    with op.batch_alter_table('source_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_orders_state'))
        batch_op.drop_index(batch_op.f('ix_source_orders_order_id'))
    op.drop_table('source_orders')
