"""Trading phases, what each phase allows, and the dated session schedules (reference §4.1)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import (
    API_PHASE,
    CONTINUOUS_TO_CLOSE,
    PHASE_RULES,
    WITH_CLOSING_AUCTION,
    Phase,
    next_phase_change,
    phase_at,
    schedule_for,
)

TODAY = date(2026, 11, 25)  # a Wednesday
P = Phase


def inst(code: str) -> Instrument:
    return Instrument.create(code, "test", Decimal("10.00"))


STOCK_BOUNDARIES = [
    (time(8, 59, 59), P.CLOSED),
    (time(9, 14, 59), P.PRE_OPEN),
    (time(9, 15), P.OPENING_AUCTION),
    (time(9, 19, 59), P.OPENING_AUCTION),
    (time(9, 20), P.OPENING_AUCTION_NO_CANCEL),
    (time(9, 24, 59), P.OPENING_AUCTION_NO_CANCEL),
    (time(9, 25), P.OPENING_BREAK),
    (time(9, 29, 59), P.OPENING_BREAK),
    (time(9, 30), P.CONTINUOUS),
    (time(11, 29, 59), P.CONTINUOUS),
    (time(11, 30), P.LUNCH_BREAK),
    (time(12, 59, 59), P.LUNCH_BREAK),
    (time(13, 0), P.CONTINUOUS),
    (time(14, 56, 59), P.CONTINUOUS),
    (time(14, 57), P.CLOSING_AUCTION),
    (time(14, 59, 59), P.CLOSING_AUCTION),
    (time(15, 0), P.AFTER_HOURS),
    (time(15, 29, 59), P.AFTER_HOURS),
    (time(15, 30), P.CLOSED),
    (time(20, 0), P.CLOSED),
]


@pytest.mark.parametrize(("moment", "phase"), STOCK_BOUNDARIES)
def test_stock_phase_at_each_boundary(moment: time, phase: Phase) -> None:
    assert phase_at(moment, schedule_for(inst("600000.SH"), TODAY)) is phase
    assert phase_at(moment, schedule_for(inst("000001.SZ"), TODAY)) is phase
    assert phase_at(moment, schedule_for(None, TODAY)) is phase


@pytest.mark.parametrize(("moment", "phase"), STOCK_BOUNDARIES)
def test_calendar_phase_on_a_trading_day(calendar: TradingCalendar, moment: time, phase: Phase) -> None:
    assert calendar.phase(datetime.combine(TODAY, moment, SHANGHAI)) is phase
    assert calendar.api_phase(datetime.combine(TODAY, moment, SHANGHAI)) == API_PHASE[phase]


@pytest.mark.parametrize("day", [date(2026, 11, 28), date(2026, 11, 29), date(2026, 10, 1)])
def test_calendar_phase_is_closed_all_day_on_a_non_trading_day(calendar: TradingCalendar, day: date) -> None:
    for moment in (time(9, 16), time(10, 0), time(14, 58)):
        assert calendar.phase(datetime.combine(day, moment, SHANGHAI)) is P.CLOSED


def test_calendar_phase_converts_to_shanghai_time(calendar: TradingCalendar) -> None:
    utc_moment = datetime(2026, 11, 25, 2, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Shanghai
    assert calendar.phase(utc_moment) is P.CONTINUOUS


# --------------------------------------------------------------------------------------------------
# PHASE_RULES


@pytest.mark.parametrize(
    ("phase", "accepts_orders", "accepts_cancels", "market_orders"),
    [
        (P.CLOSED, False, False, False),
        (P.PRE_OPEN, True, True, False),  # queued, sent into the opening auction
        (P.OPENING_AUCTION, True, True, False),
        (P.OPENING_AUCTION_NO_CANCEL, True, False, False),  # 9:20-9:25: no cancels
        (P.OPENING_BREAK, True, True, True),  # queued by the broker until 9:30
        (P.CONTINUOUS, True, True, True),
        (P.LUNCH_BREAK, True, True, True),  # queued until 13:00
        (P.CLOSING_AUCTION, True, False, False),  # 14:57-15:00: no cancels, no market orders
        (P.AFTER_HOURS, False, False, False),
    ],
)
def test_phase_rules(phase: Phase, accepts_orders: bool, accepts_cancels: bool, market_orders: bool) -> None:
    rule = PHASE_RULES[phase]
    assert (rule.accepts_orders, rule.accepts_cancels, rule.market_orders) == (
        accepts_orders,
        accepts_cancels,
        market_orders,
    )


@pytest.mark.parametrize(
    ("phase", "queued", "matching"),
    [
        (P.PRE_OPEN, True, False),
        (P.OPENING_AUCTION, False, False),
        (P.OPENING_BREAK, True, False),
        (P.CONTINUOUS, False, True),
        (P.LUNCH_BREAK, True, False),
        (P.CLOSING_AUCTION, False, False),
    ],
)
def test_phase_queueing_and_matching(phase: Phase, queued: bool, matching: bool) -> None:
    assert (PHASE_RULES[phase].queued, PHASE_RULES[phase].matching) == (queued, matching)


def test_every_phase_has_a_rule_and_an_api_name() -> None:
    assert set(PHASE_RULES) == set(Phase)
    assert set(API_PHASE) == set(Phase)


@pytest.mark.parametrize(
    ("phase", "api"),
    [
        (P.CLOSED, "closed"),
        (P.PRE_OPEN, "pre_open"),
        (P.OPENING_AUCTION, "opening_auction"),
        (P.OPENING_AUCTION_NO_CANCEL, "opening_auction"),
        (P.OPENING_BREAK, "opening_auction"),
        (P.CONTINUOUS, "continuous"),
        (P.LUNCH_BREAK, "lunch_break"),
        (P.CLOSING_AUCTION, "closing_auction"),
        (P.AFTER_HOURS, "after_hours"),
    ],
)
def test_api_phase_names(phase: Phase, api: str) -> None:
    assert API_PHASE[phase] == api
    assert api in {
        "closed",
        "pre_open",
        "opening_auction",
        "continuous",
        "lunch_break",
        "closing_auction",
        "after_hours",
    }


# --------------------------------------------------------------------------------------------------
# Dated schedules


@pytest.mark.parametrize(
    ("code", "day", "phase_at_1458"),
    [
        # SSE funds: no closing call auction before the 2026 revision, one from 2026-07-06.
        ("510300.SH", date(2026, 7, 3), P.CONTINUOUS),
        ("510300.SH", date(2026, 7, 6), P.CLOSING_AUCTION),
        ("588000.SH", date(2026, 7, 3), P.CONTINUOUS),
        ("508000.SH", date(2026, 7, 3), P.CONTINUOUS),
        ("501018.SH", date(2026, 7, 6), P.CLOSING_AUCTION),
        # SZSE funds have always had it.
        ("159915.SZ", date(2026, 7, 3), P.CLOSING_AUCTION),
        # SSE stocks since 2018-08-20.
        ("600000.SH", date(2018, 8, 17), P.CONTINUOUS),
        ("600000.SH", date(2018, 8, 20), P.CLOSING_AUCTION),
        ("600000.SH", date(2026, 7, 3), P.CLOSING_AUCTION),
        ("000001.SZ", date(2018, 8, 17), P.CLOSING_AUCTION),
        ("688981.SH", date(2026, 7, 3), P.CLOSING_AUCTION),
        ("920001.BJ", date(2026, 7, 3), P.CLOSING_AUCTION),
    ],
)
def test_dated_schedule_at_1458(code: str, day: date, phase_at_1458: Phase) -> None:
    assert phase_at(time(14, 58), schedule_for(inst(code), day)) is phase_at_1458


def test_sse_fund_schedule_before_2026_revision_is_continuous_to_close() -> None:
    assert schedule_for(inst("510300.SH"), date(2026, 7, 3)) == CONTINUOUS_TO_CLOSE
    assert schedule_for(inst("510300.SH"), date(2026, 7, 6)) == WITH_CLOSING_AUCTION


def test_sse_fund_phase_through_the_calendar(calendar: TradingCalendar) -> None:
    fund = inst("510300.SH")
    assert calendar.phase(datetime(2026, 7, 3, 14, 58, tzinfo=SHANGHAI), fund) is P.CONTINUOUS
    assert calendar.phase(datetime(2026, 7, 6, 14, 58, tzinfo=SHANGHAI), fund) is P.CLOSING_AUCTION


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (time(8, 0), time(9, 0)),
        (time(9, 14, 59), time(9, 15)),
        (time(9, 15), time(9, 20)),
        (time(10, 0), time(11, 30)),
        (time(12, 0), time(13, 0)),
        (time(14, 0), time(14, 57)),
        (time(14, 58), time(15, 0)),
        (time(15, 10), time(15, 30)),
        (time(15, 30), None),
    ],
)
def test_next_phase_change(moment: time, expected: time | None) -> None:
    assert next_phase_change(moment, WITH_CLOSING_AUCTION) == expected
