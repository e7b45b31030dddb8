"""account scopes: users and API tokens limited to some of the desk's accounts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("account_ids", sa.String(length=1024), nullable=True))
    op.add_column("api_tokens", sa.Column("account_ids", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("account_ids")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("account_ids")
