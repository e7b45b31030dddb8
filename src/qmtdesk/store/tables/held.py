"""Held orders (条件单): orders the desk keeps until their trigger fires, then places once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base, Money
from qmtdesk.store.types import UTCDateTime

#: ``waiting``: a bracket leg whose entry has not finished filling; ``armed``: watching quotes;
#: ``triggered``: claimed for firing (a row left here by a crash is placed again at start, with the
#: same client_order_id, so it is placed once); ``fired``: its order exists. The rest are final.
HELD_STATES = ("waiting", "armed", "triggered", "fired", "canceled", "expired", "failed")


class HeldOrderRow(Base):
    """One held order and the memory of its trigger."""

    __tablename__ = "held_orders"
    __table_args__ = (Index("ix_held_orders_account_state", "account_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    stock_code: Mapped[str] = mapped_column(String(16))
    stock_name: Mapped[str] = mapped_column(String(64), default="")
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    price_type: Mapped[str] = mapped_column(String(24))
    price: Mapped[Decimal | None] = mapped_column(Money())
    trigger_type: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(Text)  # JSON as the client set it
    memory: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the trailing mark, a sealed board
    state: Mapped[str] = mapped_column(String(12))
    parent_order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    oco_group: Mapped[str | None] = mapped_column(String(64))
    active_from: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    order_id: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(48))
    message: Mapped[str] = mapped_column(String(255), default="")
    strategy_name: Mapped[str] = mapped_column(String(64), default="")
    remark: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
