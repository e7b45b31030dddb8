"""The watchlist (实时监测): stocks watched, their strategy, and whether it may trade by itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base
from qmtdesk.store.types import UTCDateTime


class MonitoredStockRow(Base):
    """One watched stock. ``state`` is the strategy's own JSON state, kept across restarts."""

    __tablename__ = "monitored_stocks"
    __table_args__ = (UniqueConstraint("account_id", "stock_code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    stock_code: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_trade: Mapped[bool] = mapped_column(Boolean, default=False)
    strategy_type: Mapped[str | None] = mapped_column(String(32))
    strategy_params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    sizing: Mapped[str | None] = mapped_column(Text)  # JSON {method, value}
    strategy_name: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(Text, default="{}")  # JSON strategy state
    status: Mapped[str] = mapped_column(String(16), default="idle")  # idle | running | error
    error: Mapped[str | None] = mapped_column(Text)
    last_signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
