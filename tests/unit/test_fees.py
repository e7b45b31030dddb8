"""Fees: commission with a per-order minimum, stamp duty, transfer, handling and regulatory fees (reference §7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.fees import Fees, FeeSchedule, Side, to_fen
from qmtdesk.domain.instruments import Board, Kind

D = Decimal
TODAY = date(2026, 11, 25)
DEFAULT = FeeSchedule()  # 万2.5 including fees, 5 CNY minimum
NET = FeeSchedule(commission_includes_fees=False)  # 净佣金: handling + regulatory fees on top

STOCK = (Kind.STOCK, Board.SSE_MAIN)
SZ_STOCK = (Kind.STOCK, Board.SZSE_MAIN)
BSE_STOCK = (Kind.STOCK, Board.BSE)


def fees(
    side: Side, kind_board: tuple[Kind, Board], amount: str, day: date = TODAY, sched: FeeSchedule = DEFAULT
) -> Fees:
    kind, board = kind_board
    return sched.order_fees(side, kind, board, D(amount), day)


def test_worked_example_buy_10000() -> None:
    result = fees(Side.BUY, STOCK, "10000")
    assert result == Fees(commission=D("5.00"), stamp_duty=D("0.00"), transfer_fee=D("0.10"))
    assert result.total == D("5.10")


def test_worked_example_sell_10000() -> None:
    result = fees(Side.SELL, STOCK, "10000")
    assert result == Fees(commission=D("5.00"), stamp_duty=D("5.00"), transfer_fee=D("0.10"))
    assert result.total == D("10.10")


@pytest.mark.parametrize(
    ("amount", "commission"),
    [("10000", "5.00"), ("20000", "5.00"), ("20004", "5.00"), ("20040", "5.01"), ("100000", "25.00")],
)
def test_commission_rate_with_the_five_yuan_minimum(amount: str, commission: str) -> None:
    assert fees(Side.BUY, STOCK, amount).commission == D(commission)


def test_nothing_traded_costs_nothing() -> None:
    assert fees(Side.SELL, STOCK, "0") == Fees()


@pytest.mark.parametrize(
    ("kind_board", "day", "stamp"),
    [
        (STOCK, date(2008, 9, 19), "100.00"),  # 0.1% sell-only from 2008-09-19
        (STOCK, date(2023, 8, 25), "100.00"),
        (STOCK, date(2023, 8, 27), "100.00"),
        (STOCK, date(2023, 8, 28), "50.00"),  # 0.05% from 2023-08-28
        (STOCK, TODAY, "50.00"),
        (SZ_STOCK, TODAY, "50.00"),
        (BSE_STOCK, TODAY, "50.00"),  # A shares including BSE
        ((Kind.STOCK, Board.STAR), TODAY, "50.00"),
        ((Kind.STOCK, Board.CHINEXT), date(2023, 8, 25), "100.00"),
        ((Kind.ETF, Board.FUND), TODAY, "0.00"),  # funds exempt
        ((Kind.LOF, Board.FUND), TODAY, "0.00"),
        ((Kind.ETF, Board.FUND), date(2023, 8, 25), "0.00"),
        ((Kind.CONVERTIBLE_BOND, Board.BOND), TODAY, "0.00"),  # bonds exempt
    ],
)
def test_stamp_duty_on_sells_by_date_and_kind(kind_board: tuple[Kind, Board], day: date, stamp: str) -> None:
    assert fees(Side.SELL, kind_board, "100000", day).stamp_duty == D(stamp)


@pytest.mark.parametrize("day", [date(2008, 9, 19), date(2023, 8, 25), TODAY])
def test_no_stamp_duty_on_buys_since_2008_09_19(day: date) -> None:
    assert fees(Side.BUY, STOCK, "100000", day).stamp_duty == 0


def test_stamp_duty_was_charged_on_both_sides_before_2008_09_19() -> None:
    # §0: "2008-09-19 Stamp duty becomes sell-side only, at 0.1%" - before that day it was two-sided
    # (the reference gives no rate, so only its presence is checked).
    day = date(2008, 9, 18)
    assert fees(Side.BUY, STOCK, "100000", day).stamp_duty > 0
    assert fees(Side.SELL, STOCK, "100000", day).stamp_duty > 0


@pytest.mark.parametrize(
    ("side", "kind_board", "day", "transfer"),
    [
        (Side.BUY, STOCK, date(2022, 4, 28), "20.00"),  # 0.002% until 2022-04-28
        (Side.SELL, STOCK, date(2022, 4, 28), "20.00"),
        (Side.BUY, STOCK, date(2022, 4, 29), "10.00"),  # 0.001% from 2022-04-29
        (Side.SELL, STOCK, date(2022, 4, 29), "10.00"),
        (Side.BUY, SZ_STOCK, date(2022, 4, 28), "20.00"),  # both exchanges, not SSE only
        (Side.BUY, SZ_STOCK, TODAY, "10.00"),
        (Side.SELL, (Kind.STOCK, Board.CHINEXT), TODAY, "10.00"),
        (Side.BUY, (Kind.ETF, Board.FUND), TODAY, "0.00"),  # funds: none
    ],
)
def test_transfer_fee_by_date(side: Side, kind_board: tuple[Kind, Board], day: date, transfer: str) -> None:
    assert fees(side, kind_board, "1000000", day).transfer_fee == D(transfer)


# --------------------------------------------------------------------------------------------------
# 净佣金 profile: handling fee (经手费) and regulatory fee (证管费) on top of the commission


@pytest.mark.parametrize(
    ("kind_board", "day", "commission"),
    [
        # 250.00 commission + handling + regulatory 20.00 (0.002%)
        (STOCK, TODAY, "304.10"),  # handling 0.00341% = 34.10
        (SZ_STOCK, TODAY, "304.10"),
        (STOCK, date(2023, 8, 25), "318.70"),  # handling 0.00487% = 48.70 until 2023-08-27
        (BSE_STOCK, TODAY, "395.00"),  # BSE handling 0.0125% = 125.00
        (BSE_STOCK, date(2023, 8, 25), "520.00"),  # BSE handling 0.025% = 250.00 until 2023-08-27
    ],
)
def test_net_commission_adds_handling_and_regulatory_fees(
    kind_board: tuple[Kind, Board], day: date, commission: str
) -> None:
    result = fees(Side.BUY, kind_board, "1000000", day, NET)
    assert result.commission == D(commission)
    assert fees(Side.BUY, kind_board, "1000000", day).commission == D("250.00")


def test_net_commission_keeps_stamp_duty_and_transfer_fee_separate() -> None:
    inclusive = fees(Side.SELL, STOCK, "1000000", TODAY)
    net = fees(Side.SELL, STOCK, "1000000", TODAY, NET)
    assert (net.stamp_duty, net.transfer_fee) == (inclusive.stamp_duty, inclusive.transfer_fee)
    assert net.total - inclusive.total == D("54.10")


def test_regulatory_fee_was_0_004_pct_before_2012() -> None:
    # §7: 证管费 0.002%, "0.004% before 2012". The handling fee is the same on both days, so the
    # extra charged by the 净佣金 profile differs only by the regulatory fee: 0.002% of 1,000,000.
    def extra(day: date) -> Decimal:
        return fees(Side.BUY, STOCK, "1000000", day, NET).commission - fees(Side.BUY, STOCK, "1000000", day).commission

    assert extra(date(2011, 6, 1)) - extra(date(2012, 6, 1)) == D("20.00")


# --------------------------------------------------------------------------------------------------
# Rounding and the once-per-order minimum


def test_each_item_is_rounded_half_up_to_the_fen() -> None:
    # 1,234,500: commission 308.625 -> 308.63, stamp duty 617.25, transfer 12.345 -> 12.35
    result = fees(Side.SELL, STOCK, "1234500")
    assert result == Fees(commission=D("308.63"), stamp_duty=D("617.25"), transfer_fee=D("12.35"))
    assert result.total == D("938.23")


@pytest.mark.parametrize(
    ("amount", "fen"), [("0.005", "0.01"), ("0.0049", "0.00"), ("12.345", "12.35"), ("2.675", "2.68")]
)
def test_to_fen_rounds_half_up(amount: str, fen: str) -> None:
    assert to_fen(D(amount)) == D(fen)


@pytest.mark.parametrize(
    ("side", "fills"),
    [
        (Side.BUY, ["4000", "6000"]),
        (Side.SELL, ["4000", "6000"]),
        (Side.BUY, ["1000"] * 10),
        (Side.SELL, ["3333.33", "3333.33", "3333.34"]),
        (Side.BUY, ["30000", "50000", "20000"]),
        (Side.SELL, ["12345.67", "7654.33", "81234.55"]),
    ],
)
def test_sum_of_fill_fees_equals_the_fees_of_the_whole_order(side: Side, fills: list[str]) -> None:
    traded = D(0)
    charged = Fees()
    for fill in fills:
        charged = charged + DEFAULT.fill_fees(side, Kind.STOCK, Board.SSE_MAIN, traded, D(fill), TODAY)
        traded += D(fill)
    assert charged == DEFAULT.order_fees(side, Kind.STOCK, Board.SSE_MAIN, traded, TODAY)


def test_commission_minimum_is_charged_once_per_order_not_per_fill() -> None:
    first = DEFAULT.fill_fees(Side.BUY, Kind.STOCK, Board.SSE_MAIN, D(0), D("4000"), TODAY)
    second = DEFAULT.fill_fees(Side.BUY, Kind.STOCK, Board.SSE_MAIN, D("4000"), D("6000"), TODAY)
    assert first == Fees(commission=D("5.00"), transfer_fee=D("0.04"))
    assert second == Fees(commission=D("0.00"), transfer_fee=D("0.06"))
    assert (first + second).total == D("5.10")  # not 10.10 as a per-fill minimum would give


def test_commission_above_the_minimum_is_split_over_fills() -> None:
    first = DEFAULT.fill_fees(Side.BUY, Kind.STOCK, Board.SSE_MAIN, D(0), D("10000"), TODAY)
    second = DEFAULT.fill_fees(Side.BUY, Kind.STOCK, Board.SSE_MAIN, D("10000"), D("30000"), TODAY)
    assert first.commission == D("5.00")
    assert second.commission == D("5.00")  # 40,000 x 0.025% = 10.00 for the order


def test_fee_schedule_without_minimum() -> None:
    no_min = FeeSchedule(commission_rate=D("0.0001"), commission_min=D(0))
    assert no_min.order_fees(Side.BUY, Kind.ETF, Board.FUND, D("10000"), TODAY) == Fees(commission=D("1.00"))
