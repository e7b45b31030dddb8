"""market daily bars: the simulated market's closed days, for the K-line

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qmtdesk.store.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_daily_bars",
        sa.Column("stock_code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("high", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("low", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("close", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("amount", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.Column("prev_close", qmtdesk.store.base.Money(length=32), nullable=False),
        sa.PrimaryKeyConstraint("stock_code", "day", name=op.f("pk_market_daily_bars")),
    )


def downgrade() -> None:
    op.drop_table("market_daily_bars")
