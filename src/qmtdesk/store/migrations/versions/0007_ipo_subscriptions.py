"""ipo subscriptions: new-issue subscriptions and repo lending, once per account, code and day

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qmtdesk.store.base
import qmtdesk.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ipo_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("trading_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("stock_code", sa.String(length=16), nullable=False),
        sa.Column("stock_name", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=48), nullable=True),
        sa.Column("message", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", qmtdesk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipo_subscriptions")),
        sa.UniqueConstraint(
            "account_id",
            "trading_day",
            "stock_code",
            name=op.f("uq_ipo_subscriptions_account_id_trading_day_stock_code"),
        ),
    )
    op.create_index(
        "ix_ipo_subscriptions_account_day", "ipo_subscriptions", ["account_id", "trading_day"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ipo_subscriptions_account_day", table_name="ipo_subscriptions")
    op.drop_table("ipo_subscriptions")
