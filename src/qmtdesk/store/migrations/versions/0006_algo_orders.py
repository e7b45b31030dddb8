"""algo orders: TWAP and iceberg parents the desk slices into child orders

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qmtdesk.store.base
import qmtdesk.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "algo_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("stock_code", sa.String(length=16), nullable=False),
        sa.Column("stock_name", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("algo", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", qmtdesk.store.base.Money(length=32), nullable=True),
        sa.Column("display_quantity", sa.Integer(), nullable=True),
        sa.Column("trading_day", sa.Date(), nullable=False),
        sa.Column("start_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("arrival_price", qmtdesk.store.base.Money(length=32), nullable=True),
        sa.Column("filled_quantity", sa.Integer(), nullable=False),
        sa.Column("filled_amount", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("child_count", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=48), nullable=True),
        sa.Column("message", sa.String(length=255), nullable=False),
        sa.Column("strategy_name", sa.String(length=64), nullable=False),
        sa.Column("remark", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_algo_orders")),
    )
    op.create_index("ix_algo_orders_account_state", "algo_orders", ["account_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_algo_orders_account_state", table_name="algo_orders")
    op.drop_table("algo_orders")
