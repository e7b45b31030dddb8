"""The pure part of the execution algorithms: lots per board, the TWAP schedule, child prices."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest

from qmtdesk.domain.algos import (
    PriceBounds,
    TwapPlan,
    child_price,
    child_quantity,
    continuous_seconds,
    iceberg_price,
    slippage_bps,
)
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Side
from qmtdesk.domain.rules import LOT_RULES, Board, LotRule, schedule_for

MAIN, STAR, BSE = LOT_RULES[Board.SSE_MAIN], LOT_RULES[Board.STAR], LOT_RULES[Board.BSE]
STOCKS = schedule_for(None, datetime(2026, 11, 25).date())


def t(hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return datetime(2026, 11, 25, int(h), int(m), tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("rule", "want", "remaining", "child"),
    [
        (MAIN, 250, 1000, 200),  # rounded down to whole lots
        (MAIN, 50, 1000, 0),  # nothing valid yet
        (MAIN, 1000, 1050, 1050),  # the 50 left over could not go alone
        (MAIN, 1000, 1000, 1000),
        (MAIN, 100, 150, 150),  # an odd remainder goes with the last child (it closes a position)
        (STAR, 250, 1000, 250),  # 200 minimum, then any step of 1
        (STAR, 150, 1000, 0),
        (STAR, 200, 300, 300),  # 100 left could not be sent on its own
        (BSE, 150, 1000, 150),
        (BSE, 99, 1000, 0),
        (MAIN, 100, 0, 0),
    ],
)
def test_child_quantity_is_a_valid_lot_of_the_board(rule: LotRule, want: int, remaining: int, child: int) -> None:
    assert child_quantity(rule, want, remaining) == child


@pytest.mark.parametrize(
    ("rule", "want", "remaining", "cap", "child"),
    [
        (STAR, 100_150, 100_150, 100_000, 99_950),  # the last 150 could not go alone: 200 stay behind
        (STAR, 100_000, 100_150, 100_000, 99_950),
        (STAR, 100_000, 300_000, 100_000, 100_000),
        (MAIN, 1_000_050, 1_000_050, 1_000_000, 999_900),  # a sell closing a position with an odd lot
        (MAIN, 2_000_000, 2_000_000, 1_000_000, 1_000_000),
        (BSE, 1_000_000, 1_000_050, 1_000_000, 999_950),
        (STAR, 500, 500, 100_000, 500),
    ],
)
def test_a_child_never_passes_the_per_order_cap_and_leaves_a_tail_that_can_be_sent(
    rule: LotRule, want: int, remaining: int, cap: int, child: int
) -> None:
    got = child_quantity(rule, want, remaining, cap)
    assert got == child and got <= cap
    assert remaining - got == 0 or remaining - got >= rule.min_buy


def test_continuous_seconds_leave_out_the_lunch_break_and_the_closing_auction() -> None:
    assert continuous_seconds(t("11:00"), t("13:30"), STOCKS) == 3600
    assert continuous_seconds(t("14:50"), t("15:00"), STOCKS) == 7 * 60
    assert continuous_seconds(t("11:40"), t("12:50"), STOCKS) == 0
    assert continuous_seconds(t("10:00"), t("09:00"), STOCKS) == 0


def test_a_twap_target_does_not_grow_over_lunch() -> None:
    plan = TwapPlan(t("11:20"), t("13:10"), timedelta(minutes=5), STOCKS)
    assert plan.target(2000, t("11:25")) == 500
    assert plan.target(2000, t("11:30")) == plan.target(2000, t("12:59")) == 1000
    assert plan.target(2000, t("13:05")) == 1500
    assert plan.target(2000, t("13:10")) == 2000
    assert (plan.slice_index(t("11:19")), plan.slice_index(t("11:20")), plan.slice_index(t("11:34"))) == (-1, 0, 2)


def test_child_prices_take_the_opposite_best_within_the_limit_and_the_cage() -> None:
    bounds = PriceBounds(buy_max=D("10.20"), sell_min=D("9.80"))
    assert child_price(Side.BUY, None, D("9.99"), D("10.01"), D("10.00"), bounds) == D("10.01")
    assert child_price(Side.BUY, D("10.00"), D("9.99"), D("10.01"), D("10.00"), bounds) == D("10.00")
    assert child_price(Side.BUY, None, D("10.30"), D("10.35"), D("10.30"), bounds) == D("10.20")
    assert child_price(Side.BUY, None, D("11.00"), None, D("11.00"), PriceBounds(None, None)) == D("11.00")
    assert child_price(Side.SELL, None, D("9.99"), D("10.01"), D("10.00"), bounds) == D("9.99")
    assert child_price(Side.SELL, D("10.00"), D("9.99"), D("10.01"), D("10.00"), bounds) == D("10.00")
    assert child_price(Side.SELL, None, D("9.70"), D("9.72"), D("9.71"), bounds) == D("9.80")


def test_an_iceberg_price_is_pulled_inside_the_cage() -> None:
    bounds = PriceBounds(buy_max=D("10.20"), sell_min=D("9.80"))
    assert iceberg_price(Side.BUY, D("10.50"), bounds) == D("10.20")
    assert iceberg_price(Side.BUY, D("9.50"), bounds) == D("9.50")
    assert iceberg_price(Side.SELL, D("9.50"), bounds) == D("9.80")


def test_slippage_is_positive_when_worse_than_arrival_for_either_side() -> None:
    assert slippage_bps(Side.BUY, D("10.00"), D("10.01")) == D("10.00")
    assert slippage_bps(Side.SELL, D("10.00"), D("10.01")) == D("-10.00")
    assert slippage_bps(Side.SELL, D("10.00"), D("9.99")) == D("10.00")
