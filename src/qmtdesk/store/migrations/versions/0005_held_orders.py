"""held orders: stops, trailing stops, brackets and other triggers the desk holds

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qmtdesk.store.base
import qmtdesk.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("stock_code", sa.String(length=16), nullable=False),
        sa.Column("stock_name", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_type", sa.String(length=24), nullable=False),
        sa.Column("price", qmtdesk.store.base.Money(length=32), nullable=True),
        sa.Column("trigger_type", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("memory", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("parent_order_id", sa.Integer(), nullable=True),
        sa.Column("oco_group", sa.String(length=64), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=48), nullable=True),
        sa.Column("message", sa.String(length=255), nullable=False),
        sa.Column("strategy_name", sa.String(length=64), nullable=False),
        sa.Column("remark", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("triggered_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_orders")),
    )
    op.create_index("ix_held_orders_account_state", "held_orders", ["account_id", "state"], unique=False)
    op.create_index(op.f("ix_held_orders_parent_order_id"), "held_orders", ["parent_order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_held_orders_parent_order_id"), table_name="held_orders")
    op.drop_index("ix_held_orders_account_state", table_name="held_orders")
    op.drop_table("held_orders")
