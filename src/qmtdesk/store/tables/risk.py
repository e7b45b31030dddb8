"""Risk rules, the trading state (active / reduce-only / halted) and the log of risk events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base
from qmtdesk.store.types import UTCDateTime


class RiskRuleRow(Base):
    """One rule's settings for a scope (``account`` or ``strategy:<name>``)."""

    __tablename__ = "risk_rules"
    __table_args__ = (UniqueConstraint("account_id", "rule", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(48))
    scope: Mapped[str] = mapped_column(String(80), default="account")
    enabled: Mapped[bool] = mapped_column(Boolean)
    params: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class RiskStateRow(Base):
    """The account's trading state; ``halted`` stops every new order, ``reduce_only`` every buy."""

    __tablename__ = "risk_state"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class RiskEventRow(Base):
    """A denial, a halt, a resume or a rule change."""

    __tablename__ = "risk_events"
    __table_args__ = (Index("ix_risk_events_account_time", "account_id", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # denial | halt | resume | rule_change
    rule: Mapped[str | None] = mapped_column(String(48))
    code: Mapped[str | None] = mapped_column(String(48))
    scope: Mapped[str | None] = mapped_column(String(80))
    order_id: Mapped[int | None] = mapped_column(Integer)
    stock_code: Mapped[str | None] = mapped_column(String(32))
    side: Mapped[str | None] = mapped_column(String(8))
    strategy_name: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON
