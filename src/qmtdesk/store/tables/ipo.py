"""New-issue subscriptions (新股/新债申购) and repo lending (逆回购): at most one per account, code and day."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base, Money
from qmtdesk.store.types import UTCDateTime

#: ``planned``: a dry run's plan, nothing sent; ``claimed``: taken for sending (written before the
#: order is placed; a row left here by a crash is placed again with the same client_order_id, so at
#: most once); ``sent``: its order exists (the order's own status tells the broker's answer);
#: ``failed``: the desk refused the order before it left (halt, link down): a later run may try again.
SUBSCRIPTION_STATES = ("planned", "claimed", "sent", "failed")


class SubscriptionRow(Base):
    """One subscription or repo lending of one account on one trading day."""

    __tablename__ = "ipo_subscriptions"
    __table_args__ = (
        UniqueConstraint("account_id", "trading_day", "stock_code"),
        Index("ix_ipo_subscriptions_account_day", "account_id", "trading_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32))
    trading_day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))  # stock | bond | repo
    stock_code: Mapped[str] = mapped_column(String(16))
    stock_name: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money())
    state: Mapped[str] = mapped_column(String(12))
    #: Each claim after a refusal counts up; the order's client_order_id ends with it.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(48))
    message: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
