"""One paper market for several paper accounts: each step, auction and day start happens once, and an
exchange that is behind still reads its own day's prices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.market.shared import SharedPaperMarket
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, bundled_universe

DAY = date(2026, 11, 25)
NEXT = date(2026, 11, 26)


def _at(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


def _market() -> SimulatedMarket:
    return SimulatedMarket(Universe(bundled_universe()), TradingCalendar.load(None), volatility=Decimal(3), seed=7)


def _lasts(market: SimulatedMarket) -> dict[str, Decimal]:
    return {code: state.last for code, state in market.states().items()}


def test_two_exchanges_move_the_market_as_far_as_one_would() -> None:
    alone, inner = _market(), _market()
    shared = SharedPaperMarket(inner)
    a, b = shared.view(), shared.view()
    alone.start_day(DAY, _at(DAY, 9, 15))
    a.start_day(DAY, _at(DAY, 9, 15))
    b.start_day(DAY, _at(DAY, 9, 15))

    opens_alone = alone.open_auction(_at(DAY, 9, 25))
    assert a.open_auction(_at(DAY, 9, 25)) == opens_alone
    assert b.open_auction(_at(DAY, 9, 25)) == opens_alone  # the same opening, not a second overnight move

    alone.step(_at(DAY, 10, 0), 1800)
    stepped = a.step(_at(DAY, 10, 0), 1800)
    again = b.step(_at(DAY, 10, 0), 1800)
    assert again == stepped and again  # the late exchange matches on the snapshots already made
    assert _lasts(inner) == _lasts(alone)
    # An exchange behind the market gets nothing to match on, and moves nothing.
    assert b.step(_at(DAY, 9, 59), 60) == ()
    assert _lasts(inner) == _lasts(alone)


def test_an_exchange_that_rolls_late_reads_its_own_days_close() -> None:
    shared = SharedPaperMarket(_market())
    a, b = shared.view(), shared.view()
    for view in (a, b):
        view.start_day(DAY, _at(DAY, 9, 15))
    a.open_auction(_at(DAY, 9, 25))
    a.step(_at(DAY, 14, 0), 3 * 3600)
    closes = dict(a.close_prices())
    a.start_day(NEXT, _at(NEXT, 0, 0))
    a.open_auction(_at(NEXT, 9, 25))
    a.step(_at(NEXT, 10, 0), 1800)
    assert dict(a.close_prices()) != closes  # the market is on the next day
    assert dict(b.close_prices()) == closes  # b has not rolled yet: yesterday's close is still its close
    b.start_day(NEXT, _at(NEXT, 0, 0))
    assert dict(b.close_prices()) == dict(a.close_prices())
