"""The signal decision log: every signal the desk received and what it decided."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base, Money
from qmtdesk.store.types import UTCDateTime

#: Decisions stored in ``signals.decision``. ``pending`` marks a claimed signal whose decision is
#: being made (a row left ``pending`` by a crash is resumed by the next replay of the signal);
#: ``duplicate`` is what a replay answers and is never written over a stored decision.
DECISIONS = ("pending", "executed", "skipped", "denied", "expired", "duplicate")
SIGNAL_SOURCES = ("api", "ui", "strategy")


class SignalRow(Base):
    """One signal and its decision; ``signal_id`` is unique per account (the idempotency key)."""

    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("account_id", "signal_id"),
        Index("ix_signals_account_strategy", "account_id", "strategy_name"),
        Index("ix_signals_account_code", "account_id", "stock_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    signal_id: Mapped[str] = mapped_column(String(64))
    stock_code: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(8))  # buy | sell | close
    strategy_name: Mapped[str] = mapped_column(String(64), default="")
    confidence: Mapped[Decimal | None] = mapped_column(Money())
    price: Mapped[Decimal | None] = mapped_column(Money())  # the signal's price, when it gave one
    sizing_method: Mapped[str | None] = mapped_column(String(16))
    sizing_value: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")  # the signal's own reason
    source: Mapped[str] = mapped_column(String(16))  # api | ui | strategy
    decision: Mapped[str] = mapped_column(String(16), index=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")  # zh-CN
    decision_reason_en: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(48))  # stable error code of a denial
    side: Mapped[str | None] = mapped_column(String(8))  # the sized order's side
    quantity: Mapped[int | None] = mapped_column(Integer)  # the sized order's quantity
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    payload_hash: Mapped[str] = mapped_column(String(64))
    replays: Mapped[int] = mapped_column(Integer, default=0)  # how many times it was sent again
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
