"""Market history the desk keeps itself: the daily bars of the simulated market's closed days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from qmtdesk.store.base import Base, Money
from qmtdesk.store.db import unit_of_work


class DailyBarRow(Base):
    """One instrument's day on the simulated market, written when the day closes."""

    __tablename__ = "market_daily_bars"

    stock_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[Decimal] = mapped_column(Money())
    high: Mapped[Decimal] = mapped_column(Money())
    low: Mapped[Decimal] = mapped_column(Money())
    close: Mapped[Decimal] = mapped_column(Money())
    volume: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    prev_close: Mapped[Decimal] = mapped_column(Money())

    @classmethod
    def of(cls, stock_code: str, bar: Any) -> DailyBarRow:
        """The row of one closed day's bar (a ``market.history.Candle``)."""
        return cls(
            stock_code=stock_code,
            day=bar.time,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            amount=bar.amount,
            prev_close=bar.prev_close,
        )


def save_daily_bars(session_factory: sessionmaker[Session], day: date, rows: Iterable[DailyBarRow]) -> None:
    """Store one closed day's bars (a day written twice keeps the later bars)."""
    rows = list(rows)
    with unit_of_work(session_factory) as session:
        session.execute(delete(DailyBarRow).where(DailyBarRow.day == day))
        session.add_all(rows)


def load_daily_bars(session_factory: sessionmaker[Session], stock_code: str, count: int) -> list[DailyBarRow]:
    """The last ``count`` stored days of ``stock_code``, oldest first."""
    with session_factory() as session:
        newest = select(DailyBarRow).where(DailyBarRow.stock_code == stock_code).order_by(DailyBarRow.day.desc())
        rows = session.scalars(newest.limit(count)).all()
        session.expunge_all()
    return list(reversed(rows))
