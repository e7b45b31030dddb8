"""Tables of the paper exchange: it is a broker, and brokers do not forget."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base, Money
from qmtdesk.store.types import UTCDateTime


class PaperAccountRow(Base):
    """Cash and counters of one paper account."""

    __tablename__ = "paper_accounts"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    initial_cash: Mapped[Decimal] = mapped_column(Money())
    cash_available: Mapped[Decimal] = mapped_column(Money())
    cash_frozen: Mapped[Decimal] = mapped_column(Money())
    cash_unsettled: Mapped[Decimal] = mapped_column(Money())
    fees_paid: Mapped[Decimal] = mapped_column(Money())
    cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_day: Mapped[date | None] = mapped_column(Date)
    next_order_id: Mapped[int] = mapped_column(Integer)
    next_trade_id: Mapped[int] = mapped_column(Integer)


class PaperOrderRow(Base):
    """An order on the paper counter."""

    __tablename__ = "paper_orders"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64))
    stock_code: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))
    price_type: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Money())
    limit_price: Mapped[Decimal | None] = mapped_column(Money())
    protect: Mapped[Decimal | None] = mapped_column(Money())
    trading_day: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    strategy_name: Mapped[str] = mapped_column(String(64), default="")
    filled: Mapped[int] = mapped_column(Integer)
    filled_amount: Mapped[Decimal] = mapped_column(Money())
    commission: Mapped[Decimal] = mapped_column(Money())
    stamp_duty: Mapped[Decimal] = mapped_column(Money())
    transfer_fee: Mapped[Decimal] = mapped_column(Money())
    frozen_cash: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(24))
    status_code: Mapped[int] = mapped_column(Integer)
    status_msg: Mapped[str] = mapped_column(String(255), default="")
    error_code: Mapped[str | None] = mapped_column(String(48))
    queued: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_pending: Mapped[bool] = mapped_column(Boolean, default=False)


class PaperTradeRow(Base):
    """A fill on the paper counter."""

    __tablename__ = "paper_trades"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trade_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    ref: Mapped[str | None] = mapped_column(String(64))
    stock_code: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(Money())
    quantity: Mapped[int] = mapped_column(Integer)
    commission: Mapped[Decimal] = mapped_column(Money())
    stamp_duty: Mapped[Decimal] = mapped_column(Money())
    transfer_fee: Mapped[Decimal] = mapped_column(Money())
    realized_pnl: Mapped[Decimal] = mapped_column(Money())
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    trading_day: Mapped[date] = mapped_column(Date, index=True)
    strategy_name: Mapped[str] = mapped_column(String(64), default="")


class PaperPositionRow(Base):
    """A holding on the paper counter."""

    __tablename__ = "paper_positions"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stock_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    volume: Mapped[int] = mapped_column(Integer)
    yesterday_volume: Mapped[int] = mapped_column(Integer)
    can_use_volume: Mapped[int] = mapped_column(Integer)
    frozen_volume: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Money())
    realized_pnl: Mapped[Decimal] = mapped_column(Money())
    opened_on: Mapped[date | None] = mapped_column(Date)


class PaperMarketRow(Base):
    """The simulated market's reference price and day so far, per instrument."""

    __tablename__ = "paper_market"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stock_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    prev_close: Mapped[Decimal] = mapped_column(Money())
    day: Mapped[date] = mapped_column(Date)
    fair: Mapped[str] = mapped_column(String(32))
    last: Mapped[Decimal] = mapped_column(Money())
    open: Mapped[Decimal | None] = mapped_column(Money())
    high: Mapped[Decimal | None] = mapped_column(Money())
    low: Mapped[Decimal | None] = mapped_column(Money())
    volume: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    bid_side: Mapped[bool] = mapped_column(Boolean, default=True)
