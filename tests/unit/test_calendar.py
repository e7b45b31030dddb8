"""The trading calendar: XSHG sessions, the bundled 2027 file, user holidays, the weekday fallback (§4.4)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from qmtdesk.domain.calendar import Closure, TradingCalendar, bundled_closures, read_closures
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import limit_pct


def fresh(calendar: TradingCalendar) -> TradingCalendar:
    """A calendar with the same data but its own once-per-year warning memory."""
    return TradingCalendar(calendar.sessions, calendar.covered_from, calendar.covered_until, dict(calendar.closures))


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 11, 25), True),  # an ordinary Wednesday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year
        (date(2024, 2, 9), False),  # exchange-only closure (Spring Festival eve)
        (date(2025, 9, 28), False),  # a make-up workday Sunday: exchanges stay closed
        (date(2026, 12, 31), True),
    ],
)
def test_known_trading_days(calendar: TradingCalendar, day: date, open_: bool) -> None:
    assert calendar.is_trading_day(day) is open_


def test_next_trading_day_skips_a_holiday(calendar: TradingCalendar) -> None:
    assert calendar.next_trading_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert calendar.previous_trading_day(date(2026, 10, 8)) == date(2026, 9, 30)


def test_next_trading_day_skips_a_weekend(calendar: TradingCalendar) -> None:
    assert calendar.next_trading_day(date(2026, 11, 27)) == date(2026, 11, 30)
    assert calendar.trading_day_of(date(2026, 11, 28)) == date(2026, 11, 30)
    assert calendar.trading_day_of(date(2026, 11, 25)) == date(2026, 11, 25)


@pytest.mark.parametrize(("year", "sessions"), [(2023, 242), (2024, 242), (2025, 243), (2026, 242)])
def test_session_counts_per_year(calendar: TradingCalendar, year: int, sessions: int) -> None:
    assert calendar.trading_days_between(date(year, 1, 1), date(year, 12, 31)) == sessions


def test_covered_years_are_not_provisional(calendar: TradingCalendar) -> None:
    assert calendar.covered_until == date(2026, 12, 31)
    assert not calendar.is_provisional(date(2026, 10, 1))


@pytest.mark.parametrize(
    "day",
    [date(2027, 1, 1), date(2027, 2, 8), date(2027, 5, 3), date(2027, 10, 1), date(2027, 10, 4), date(2027, 10, 7)],
)
def test_2027_provisional_closures_from_the_bundled_file(calendar: TradingCalendar, day: date) -> None:
    assert not calendar.is_trading_day(day)
    assert calendar.is_provisional(day)
    assert calendar.closures[day].status == "provisional"


def test_2027_ordinary_weekdays_trade_and_are_provisional(calendar: TradingCalendar) -> None:
    assert calendar.is_trading_day(date(2027, 10, 8))
    assert calendar.next_trading_day(date(2027, 9, 30)) == date(2027, 10, 8)
    assert calendar.is_provisional(date(2027, 3, 3))


def test_bundled_file_rows_are_weekdays_in_later_years() -> None:
    rows = bundled_closures()
    assert rows
    assert all(c.day.weekday() < 5 and c.day.year >= 2027 for c in rows)
    assert {c.status for c in rows} <= {"official", "provisional"}


def test_a_year_with_no_data_falls_back_to_weekdays_with_one_warning(
    calendar: TradingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    cal = fresh(calendar)
    with caplog.at_level(logging.WARNING, logger="qmtdesk.domain.calendar"):
        assert cal.is_trading_day(date(2030, 1, 1))  # a Tuesday; no holiday data for 2030
        assert not cal.is_trading_day(date(2030, 1, 5))  # Saturday
        assert cal.is_trading_day(date(2030, 10, 1))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "2030" in r.getMessage()]
    assert len(warnings) == 1
    assert cal.is_provisional(date(2030, 1, 1))


def test_a_user_holiday_file_adds_closures(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text(
        "# local closures\ndate,name\n2026-11-26,台风休市\n2030-02-04,春节\n",
        encoding="utf-8",
    )
    cal = TradingCalendar.load(user_file=path)
    assert not cal.is_trading_day(date(2026, 11, 26))  # inside XSHG's coverage
    assert cal.next_trading_day(date(2026, 11, 25)) == date(2026, 11, 27)
    assert not cal.is_trading_day(date(2030, 2, 4))  # beyond it
    assert cal.is_trading_day(date(2030, 2, 5))
    assert cal.closures[date(2026, 11, 26)] == Closure(date(2026, 11, 26), "台风休市", "user")
    assert not cal.is_trading_day(date(2027, 10, 4))  # the bundled file still applies


def test_a_missing_user_file_is_ignored(tmp_path: Path) -> None:
    cal = TradingCalendar.load(user_file=tmp_path / "absent.csv")
    assert cal.is_trading_day(date(2026, 11, 26))


def test_read_closures_parses_status_and_skips_comments() -> None:
    rows = read_closures(["# c", "date,name,status", "2027-01-01,元旦,official", "", "2027-02-05,春节"], "user")
    assert rows == [Closure(date(2027, 1, 1), "元旦", "official"), Closure(date(2027, 2, 5), "春节", "user")]


@pytest.mark.parametrize(
    ("list_date", "day", "number"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), 1),
        (date(2026, 11, 23), date(2026, 11, 27), 5),
        (date(2026, 11, 23), date(2026, 11, 30), 6),  # over the weekend
        (date(2026, 9, 28), date(2026, 10, 9), 5),  # over the National Day holiday
        (date(2026, 9, 28), date(2026, 10, 12), 6),
        (date(2026, 11, 23), date(2026, 11, 20), None),  # before listing
        (None, date(2026, 11, 25), None),
        (date(2020, 1, 2), date(2026, 11, 25), None),  # long past
    ],
)
def test_listing_day_number(calendar: TradingCalendar, list_date: date | None, day: date, number: int | None) -> None:
    assert calendar.listing_day_number(list_date, day) == number


def test_main_board_ipo_limit_over_a_holiday(calendar: TradingCalendar) -> None:
    ipo = Instrument.create("600000.SH", "新股", Decimal("10.00"), list_date=date(2026, 9, 28))
    day5, day6 = date(2026, 10, 9), date(2026, 10, 12)
    assert limit_pct(ipo, day5, calendar.listing_day_number(ipo.list_date, day5)) is None
    assert limit_pct(ipo, day6, calendar.listing_day_number(ipo.list_date, day6)) == Decimal("0.10")


def test_trading_days_between_counts_both_ends(calendar: TradingCalendar) -> None:
    start = date(2026, 11, 23)
    assert calendar.trading_days_between(start, start + timedelta(days=6)) == 5
