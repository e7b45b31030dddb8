"""Execution algorithms (TWAP, iceberg): a parent order the desk slices into child orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base, Money
from qmtdesk.store.types import UTCDateTime

#: ``running`` is the only live state; the children (orders with client_order_id ``algo-<id>-<n>``)
#: are the truth of what filled, and the counters here are recomputed from them at start.
ALGO_STATES = ("running", "completed", "canceled", "expired", "failed")


class AlgoOrderRow(Base):
    """One algo order, its schedule and what its children filled."""

    __tablename__ = "algo_orders"
    __table_args__ = (Index("ix_algo_orders_account_state", "account_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    stock_code: Mapped[str] = mapped_column(String(16))
    stock_name: Mapped[str] = mapped_column(String(64), default="")
    side: Mapped[str] = mapped_column(String(8))
    algo: Mapped[str] = mapped_column(String(12))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Money())
    display_quantity: Mapped[int | None] = mapped_column(Integer)
    trading_day: Mapped[date] = mapped_column(Date)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    state: Mapped[str] = mapped_column(String(12))
    arrival_price: Mapped[Decimal | None] = mapped_column(Money())
    filled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    filled_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    child_count: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(48))
    message: Mapped[str] = mapped_column(String(255), default="")
    strategy_name: Mapped[str] = mapped_column(String(64), default="")
    remark: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
