"""The desk's order ledger: orders, their append-only events, fills and the equity curve."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base, Money
from qmtdesk.store.types import UTCDateTime


class OrderRow(Base):
    """One order as the desk knows it. Changed only through the engine's transition table."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id"),
        Index("ix_orders_account_day", "account_id", "trading_day"),
        Index("ix_orders_account_broker_id", "account_id", "broker_order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # xtquant order_remark
    payload_hash: Mapped[str] = mapped_column(String(64))
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    broker_sysid: Mapped[str | None] = mapped_column(String(64))
    stock_code: Mapped[str] = mapped_column(String(32))
    stock_name: Mapped[str] = mapped_column(String(64), default="")
    side: Mapped[str] = mapped_column(String(8))
    price_type: Mapped[str] = mapped_column(String(24))
    price: Mapped[Decimal | None] = mapped_column(Money())
    quantity: Mapped[int] = mapped_column(Integer)
    filled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    filled_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(24), index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    status_msg: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str | None] = mapped_column(String(48))
    error_message: Mapped[str | None] = mapped_column(String(255))
    strategy_name: Mapped[str] = mapped_column(String(64), default="", index=True)
    remark: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(String(16))
    fees: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    frozen_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    user_id: Mapped[int | None] = mapped_column(Integer)
    trading_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OrderEventRow(Base):
    """Append-only log of every order and trade change; ``seq`` is the WebSocket resume point."""

    __tablename__ = "order_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    stream: Mapped[str] = mapped_column(String(16))  # orders | trades
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    event: Mapped[str] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(24))
    payload: Mapped[str] = mapped_column(Text)  # the order or trade object after the change (JSON)
    time: Mapped[datetime] = mapped_column(UTCDateTime())


class TradeRow(Base):
    """One fill, unique per broker trade id."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("account_id", "broker_trade_id"),
        Index("ix_trades_account_day", "account_id", "trading_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    broker_trade_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    stock_code: Mapped[str] = mapped_column(String(32))
    stock_name: Mapped[str] = mapped_column(String(64), default="")
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(Money())
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    commission: Mapped[Decimal] = mapped_column(Money())
    stamp_duty: Mapped[Decimal] = mapped_column(Money())
    transfer_fee: Mapped[Decimal] = mapped_column(Money())
    strategy_name: Mapped[str] = mapped_column(String(64), default="")
    traded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trading_day: Mapped[date] = mapped_column(Date)


class AccountSnapshotRow(Base):
    """A point of the equity curve."""

    __tablename__ = "account_snapshots"
    __table_args__ = (Index("ix_account_snapshots_account_time", "account_id", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    total_asset: Mapped[Decimal] = mapped_column(Money())
    cash: Mapped[Decimal] = mapped_column(Money())
    market_value: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")
