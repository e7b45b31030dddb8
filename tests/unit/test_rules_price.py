"""Price rules: ticks, daily limits, IPO no-limit days, the price cage, price types, T+0 (reference §3, §5, §6)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import (
    CageBook,
    PriceType,
    cage_bounds,
    cage_row,
    is_t0,
    limit_pct,
    limit_prices,
    on_tick,
    price_tick,
    round_to_tick,
    supported_price_types,
)
from qmtdesk.domain.validation import daily_limits

TODAY = date(2026, 11, 25)
D = Decimal
CENT = D("0.01")
MILLI = D("0.001")


def inst(code: str, prev_close: str = "10.00", *, is_st: bool = False, list_date: date | None = None) -> Instrument:
    return Instrument.create(code, "test", D(prev_close), is_st=is_st, list_date=list_date)


# --------------------------------------------------------------------------------------------------
# §3.1 ticks


@pytest.mark.parametrize(
    ("code", "tick"),
    [
        ("600000.SH", "0.01"),
        ("000001.SZ", "0.01"),
        ("300750.SZ", "0.01"),
        ("688981.SH", "0.01"),
        ("689009.SH", "0.01"),
        ("920001.BJ", "0.01"),
        ("510300.SH", "0.001"),
        ("159915.SZ", "0.001"),
        ("501018.SH", "0.001"),
        ("161725.SZ", "0.001"),
        ("508000.SH", "0.001"),
        ("900901.SH", "0.001"),  # SSE B share: 0.001 USD
        ("200002.SZ", "0.01"),  # SZSE B share: 0.01 HKD
    ],
)
def test_price_tick_per_instrument(code: str, tick: str) -> None:
    assert price_tick(inst(code)) == D(tick)


@pytest.mark.parametrize(
    ("price", "tick", "ok"),
    [
        ("10.01", CENT, True),
        ("10.00", CENT, True),
        ("10.001", CENT, False),
        ("10.015", CENT, False),
        ("1.001", MILLI, True),
        ("1.0005", MILLI, False),
    ],
)
def test_on_tick(price: str, tick: Decimal, ok: bool) -> None:
    assert on_tick(D(price), tick) is ok


# --------------------------------------------------------------------------------------------------
# §3.2 daily limits per board, ST status and date


@pytest.mark.parametrize(
    ("code", "is_st", "day", "pct"),
    [
        ("600000.SH", False, TODAY, "0.10"),
        ("000001.SZ", False, TODAY, "0.10"),
        # Main-board ST: ±5% until 2026-07-05, ±10% from 2026-07-06.
        ("600000.SH", True, date(2026, 7, 3), "0.05"),
        ("600000.SH", True, date(2026, 7, 5), "0.05"),
        ("600000.SH", True, date(2026, 7, 6), "0.10"),
        ("000001.SZ", True, date(2026, 7, 3), "0.05"),
        ("000001.SZ", True, date(2026, 7, 6), "0.10"),
        ("600000.SH", True, date(2020, 1, 2), "0.05"),
        # ChiNext: ±10% (ST ±5%) before 2020-08-24, ±20% ST included from it.
        ("300750.SZ", False, date(2020, 8, 21), "0.10"),
        ("300750.SZ", True, date(2020, 8, 21), "0.05"),
        ("300750.SZ", False, date(2020, 8, 24), "0.20"),
        ("300750.SZ", True, date(2020, 8, 24), "0.20"),
        ("300750.SZ", True, date(2026, 7, 3), "0.20"),
        ("300750.SZ", True, TODAY, "0.20"),
        # STAR ±20% ST included; BSE ±30% ST included.
        ("688981.SH", False, TODAY, "0.20"),
        ("688981.SH", True, TODAY, "0.20"),
        ("688981.SH", True, date(2026, 7, 3), "0.20"),
        ("689009.SH", False, TODAY, "0.20"),
        ("920001.BJ", False, TODAY, "0.30"),
        ("920001.BJ", True, TODAY, "0.30"),
        # Funds ±10%; funds tracking STAR/ChiNext indices ±20% (588xxx, SZSE list incl. 159915).
        ("510300.SH", False, TODAY, "0.10"),
        ("159919.SZ", False, TODAY, "0.10"),
        ("501018.SH", False, TODAY, "0.10"),
        ("588000.SH", False, TODAY, "0.20"),
        ("588080.SH", False, TODAY, "0.20"),
        ("159915.SZ", False, TODAY, "0.20"),
        # Convertible bonds ±20% under the 2022-08-01 rules.
        ("113050.SH", False, TODAY, "0.20"),
        ("123100.SZ", False, TODAY, "0.20"),
    ],
)
def test_limit_pct_per_board_st_and_date(code: str, is_st: bool, day: date, pct: str) -> None:
    assert limit_pct(inst(code, is_st=is_st), day) == D(pct)


# IPO no-limit days: (code, list date, listing day number, expected pct or None)
IPO_CASES = [
    # Main board, registration-based IPO listed on/after 2023-04-10: no limit on days 1-5.
    *[("600000.SH", date(2026, 11, 2), n, None) for n in range(1, 6)],
    ("600000.SH", date(2026, 11, 2), 6, "0.10"),
    ("000001.SZ", date(2026, 11, 2), 1, None),
    ("000001.SZ", date(2026, 11, 2), 5, None),
    ("000001.SZ", date(2026, 11, 2), 6, "0.10"),
    ("600000.SH", date(2023, 4, 10), 1, None),
    # Main board listed before 2023-04-10: limited from day 1.
    ("600000.SH", date(2023, 4, 7), 1, "0.10"),
    ("000001.SZ", date(2022, 6, 1), 1, "0.10"),
    # STAR and ChiNext: first 5 days.
    ("688981.SH", date(2026, 11, 2), 1, None),
    ("688981.SH", date(2026, 11, 2), 5, None),
    ("688981.SH", date(2026, 11, 2), 6, "0.20"),
    ("689009.SH", date(2026, 11, 2), 5, None),
    ("300750.SZ", date(2026, 11, 2), 1, None),
    ("300750.SZ", date(2026, 11, 2), 5, None),
    ("300750.SZ", date(2026, 11, 2), 6, "0.20"),
    # BSE: listing day only.
    ("920001.BJ", date(2026, 11, 2), 1, None),
    ("920001.BJ", date(2026, 11, 2), 2, "0.30"),
]


@pytest.mark.parametrize(("code", "list_date", "day_number", "pct"), IPO_CASES)
def test_ipo_no_limit_days(code: str, list_date: date, day_number: int, pct: str | None) -> None:
    expected = None if pct is None else D(pct)
    assert limit_pct(inst(code, list_date=list_date), TODAY, day_number) == expected


def test_unknown_listing_day_number_means_limited() -> None:
    assert limit_pct(inst("688981.SH", list_date=date(2026, 11, 20)), TODAY, None) == D("0.20")


def test_funds_have_no_ipo_no_limit_days() -> None:
    assert limit_pct(inst("510300.SH", list_date=date(2026, 11, 20)), TODAY, 1) == D("0.10")


# --------------------------------------------------------------------------------------------------
# §3.3 limit-price formula (half-up to the tick, one-tick rule)


@pytest.mark.parametrize(
    ("prev_close", "pct", "tick", "up", "down"),
    [
        ("10.05", "0.10", CENT, "11.06", "9.05"),
        ("10.05", "0.20", CENT, "12.06", "8.04"),
        ("0.05", "0.10", CENT, "0.06", "0.04"),  # the one-tick rule
        ("10.00", "0.10", CENT, "11.00", "9.00"),
        ("10.05", "0.05", CENT, "10.55", "9.55"),
        ("10.00", "0.30", CENT, "13.00", "7.00"),
        ("2.35", "0.10", CENT, "2.59", "2.12"),  # 2.585 -> 2.59 (banker's: 2.58)
        ("1.005", "0.10", MILLI, "1.106", "0.905"),  # 0.9045 -> 0.905 (banker's: 0.904)
    ],
)
def test_limit_prices_examples(prev_close: str, pct: str, tick: Decimal, up: str, down: str) -> None:
    assert limit_prices(D(prev_close), D(pct), tick) == (D(up), D(down))


@pytest.mark.parametrize(("prev_close", "pct"), [("2.35", "0.10"), ("10.05", "0.10"), ("1.005", "0.10")])
def test_limit_prices_round_half_up_where_bankers_rounding_differs(prev_close: str, pct: str) -> None:
    tick = MILLI if len(prev_close.split(".")[1]) == 3 else CENT
    raw_up, raw_down = D(prev_close) * (1 + D(pct)), D(prev_close) * (1 - D(pct))
    up, down = limit_prices(D(prev_close), D(pct), tick)
    bankers = (raw_up.quantize(tick, rounding=ROUND_HALF_EVEN), raw_down.quantize(tick, rounding=ROUND_HALF_EVEN))
    half_up = (raw_up.quantize(tick, rounding=ROUND_HALF_UP), raw_down.quantize(tick, rounding=ROUND_HALF_UP))
    assert bankers != half_up  # the case really is an exact half
    assert (up, down) == half_up


@pytest.mark.parametrize(
    ("price", "expected"), [("2.585", "2.59"), ("2.675", "2.68"), ("9.045", "9.05"), ("2.584", "2.58")]
)
def test_round_to_tick_is_half_up(price: str, expected: str) -> None:
    assert round_to_tick(D(price), CENT) == D(expected)


@pytest.mark.parametrize(
    ("code", "prev_close", "is_st", "day", "up", "down"),
    [
        ("600000.SH", "10.05", False, TODAY, "11.06", "9.05"),
        ("600000.SH", "10.05", True, date(2026, 7, 3), "10.55", "9.55"),
        ("600000.SH", "10.05", True, date(2026, 7, 6), "11.06", "9.05"),
        ("688981.SH", "10.05", False, TODAY, "12.06", "8.04"),
        ("300750.SZ", "10.05", True, TODAY, "12.06", "8.04"),
        ("920001.BJ", "10.00", False, TODAY, "13.00", "7.00"),
        ("510300.SH", "4.005", False, TODAY, "4.406", "3.605"),
    ],
)
def test_daily_limits_of_an_instrument(code: str, prev_close: str, is_st: bool, day: date, up: str, down: str) -> None:
    limits = daily_limits(inst(code, prev_close, is_st=is_st), day, None)
    assert (limits.up, limits.down) == (D(up), D(down))
    assert limits.has_limit


def test_daily_limits_on_a_no_limit_day_are_none() -> None:
    limits = daily_limits(inst("688981.SH", list_date=date(2026, 11, 23)), TODAY, 3)
    assert (limits.up, limits.down, limits.has_limit) == (None, None, False)


# --------------------------------------------------------------------------------------------------
# §3.5 price cage


def flat_book(base: str) -> CageBook:
    return CageBook(best_bid=D(base), best_ask=D(base), last_trade=D(base), prev_close=D(base))


@pytest.mark.parametrize(
    ("code", "day", "base", "buy_cap", "sell_floor"),
    [
        # SSE/SZSE main: max(2%, 10 ticks) from 2023-04-10.
        ("600000.SH", TODAY, "3.00", "3.10", "2.90"),  # 10-tick floor (pure 2% would be 3.06)
        ("600000.SH", TODAY, "0.20", "0.30", "0.10"),
        ("600000.SH", TODAY, "5.00", "5.10", "4.90"),
        ("600000.SH", TODAY, "10.00", "10.20", "9.80"),
        ("600000.SH", TODAY, "12.34", "12.59", "12.09"),  # 12.5868 / 12.0932
        ("000001.SZ", TODAY, "3.00", "3.10", "2.90"),
        ("000001.SZ", TODAY, "10.00", "10.20", "9.80"),
        ("600000.SH", date(2023, 4, 10), "3.00", "3.10", "2.90"),
        # STAR: pure 2%, no floor; bounds half-up; at least one tick.
        ("688981.SH", TODAY, "3.00", "3.06", "2.94"),
        ("688981.SH", TODAY, "10.00", "10.20", "9.80"),
        ("688981.SH", TODAY, "10.25", "10.46", "10.05"),  # 10.455 / 10.045 half-up
        ("688981.SH", TODAY, "0.20", "0.21", "0.19"),  # 2% < 1 tick -> base ± 1 tick
        ("689009.SH", TODAY, "3.00", "3.06", "2.94"),
        ("688981.SH", date(2019, 7, 22), "3.00", "3.06", "2.94"),
        # ChiNext: pure 2% from 2020-08-24, 10-tick floor from 2023-04-10.
        ("300750.SZ", date(2022, 6, 1), "3.00", "3.06", "2.94"),
        ("300750.SZ", date(2023, 4, 10), "3.00", "3.10", "2.90"),
        ("300750.SZ", TODAY, "3.00", "3.10", "2.90"),
        ("300750.SZ", TODAY, "10.00", "10.20", "9.80"),
        # BSE: max(5%, 10 ticks).
        ("920001.BJ", TODAY, "3.00", "3.15", "2.85"),
        ("920001.BJ", TODAY, "1.00", "1.10", "0.90"),
        ("920001.BJ", TODAY, "10.00", "10.50", "9.50"),
    ],
)
def test_cage_bounds_per_board(code: str, day: date, base: str, buy_cap: str, sell_floor: str) -> None:
    instrument = inst(code, base)
    row = cage_row(instrument, day)
    assert row is not None
    assert cage_bounds(row, flat_book(base), price_tick(instrument)) == (D(buy_cap), D(sell_floor))


@pytest.mark.parametrize(
    ("code", "day"),
    [
        ("600000.SH", date(2023, 4, 7)),  # main boards: no cage before 2023-04-10
        ("000001.SZ", date(2023, 4, 7)),
        ("300750.SZ", date(2020, 8, 21)),  # ChiNext: no cage before 2020-08-24
        ("688981.SH", date(2019, 7, 19)),  # STAR opened 2019-07-22
        ("510300.SH", TODAY),  # funds, bonds and B shares: never
        ("159915.SZ", TODAY),
        ("588000.SH", TODAY),
        ("113050.SH", TODAY),
        ("123100.SZ", TODAY),
        ("900901.SH", TODAY),
        ("200002.SZ", TODAY),
    ],
)
def test_no_cage(code: str, day: date) -> None:
    assert cage_row(inst(code), day) is None


@pytest.mark.parametrize(
    ("bid", "ask", "last", "prev_close", "buy_base", "sell_base"),
    [
        ("9.99", "10.01", "10.00", "9.50", "10.01", "9.99"),  # buy: ask; sell: bid
        (None, "10.01", "10.00", "9.50", "10.01", "10.01"),  # sell falls back to the ask
        ("9.99", None, "10.00", "9.50", "9.99", "9.99"),  # buy falls back to the bid
        (None, None, "10.00", "9.50", "10.00", "10.00"),  # then the last trade
        (None, None, None, "9.50", "9.50", "9.50"),  # then the previous close
    ],
)
def test_cage_base_price_fallbacks(
    bid: str | None, ask: str | None, last: str | None, prev_close: str, buy_base: str, sell_base: str
) -> None:
    book = CageBook(
        best_bid=D(bid) if bid else None,
        best_ask=D(ask) if ask else None,
        last_trade=D(last) if last else None,
        prev_close=D(prev_close),
    )
    assert book.buy_base() == D(buy_base)
    assert book.sell_base() == D(sell_base)


def test_cage_bounds_use_the_side_specific_base() -> None:
    row = cage_row(inst("600000.SH"), TODAY)
    assert row is not None
    book = CageBook(best_bid=D("10.00"), best_ask=D("10.50"), last_trade=D("10.20"), prev_close=D("10.00"))
    # Buy cap from the ask (10.50 * 1.02 = 10.71), sell floor from the bid (10.00 * 0.98 = 9.80).
    assert cage_bounds(row, book, CENT) == (D("10.71"), D("9.80"))


# --------------------------------------------------------------------------------------------------
# §6 price types per exchange

LIMIT_STYLE = {PriceType.LIMIT, PriceType.LATEST}
SH_TYPES = LIMIT_STYLE | {
    PriceType.MARKET,
    PriceType.BEST5_CANCEL,
    PriceType.BEST5_LIMIT,
    PriceType.COUNTERPARTY_BEST,
    PriceType.OWN_BEST,
}
SZ_TYPES = LIMIT_STYLE | {
    PriceType.MARKET,
    PriceType.BEST5_CANCEL,
    PriceType.COUNTERPARTY_BEST,
    PriceType.OWN_BEST,
    PriceType.IOC,
    PriceType.FOK,
}


@pytest.mark.parametrize(
    ("code", "has_daily_limit", "expected"),
    [
        ("600000.SH", True, SH_TYPES),
        ("688981.SH", True, SH_TYPES),
        ("688981.SH", False, SH_TYPES),  # SSE no-limit days: market orders with a protective price
        ("510300.SH", True, SH_TYPES),
        ("000001.SZ", True, SZ_TYPES),
        ("300750.SZ", True, SZ_TYPES),
        ("159915.SZ", True, SZ_TYPES),
        ("000001.SZ", False, LIMIT_STYLE),  # SZSE: market orders only for price-limited securities
        ("300750.SZ", False, LIMIT_STYLE),
        ("920001.BJ", True, SH_TYPES),  # BSE: same four types as SSE
        ("113050.SH", True, LIMIT_STYLE),  # bonds: no market orders
        ("123100.SZ", True, LIMIT_STYLE),
    ],
)
def test_supported_price_types(code: str, has_daily_limit: bool, expected: set[PriceType]) -> None:
    assert supported_price_types(inst(code), has_daily_limit) == expected


def test_sz_lacks_best5_limit_and_sh_lacks_ioc_and_fok() -> None:
    sz = supported_price_types(inst("000001.SZ"), True)
    sh = supported_price_types(inst("600000.SH"), True)
    assert PriceType.BEST5_LIMIT not in sz
    assert PriceType.IOC not in sh and PriceType.FOK not in sh


# --------------------------------------------------------------------------------------------------
# §5 same-day turnaround


@pytest.mark.parametrize(
    ("code", "t0"),
    [
        ("511880.SH", True),  # money-market ETF
        ("511010.SH", True),  # bond ETF
        ("518880.SH", True),  # gold ETF
        ("511700.SH", True),  # a money-market ETF not listed by code: the 511 range is all T+0
        ("511380.SH", True),  # a bond ETF, the same
        ("518680.SH", True),  # the 518 range: gold and commodity ETFs
        ("512880.SH", False),  # an equity ETF next to them stays T+1
        ("159919.SZ", False),  # SZSE's 159 range is not inferred: an equity ETF
        ("513100.SH", True),  # cross-border ETF
        ("159934.SZ", True),  # gold ETF
        ("113050.SH", True),  # convertible bonds
        ("123100.SZ", True),
        ("510300.SH", False),  # equity ETFs are T+1
        ("159915.SZ", False),
        ("600000.SH", False),
        ("688981.SH", False),
        ("920001.BJ", False),
    ],
)
def test_is_t0(code: str, t0: bool) -> None:
    assert is_t0(inst(code)) is t0
