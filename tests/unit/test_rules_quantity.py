"""Order quantities: lots, odd-lot sells and per-order caps (reference §2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.instruments import Board, Instrument
from qmtdesk.domain.rules import (
    LOT_RULES,
    QUANTITY_CAPS,
    LotRule,
    OddLotRule,
    OrderClass,
    buy_quantity_ok,
    lot_rule,
    quantity_cap,
    round_buy_quantity,
    sell_quantity_ok,
)

TODAY = date(2026, 11, 25)


def inst(code: str) -> Instrument:
    return Instrument.create(code, "test", Decimal("10.00"))


MAIN = lot_rule(inst("600000.SH"))
STAR = lot_rule(inst("688981.SH"))
BSE = lot_rule(inst("920001.BJ"))
FUND = lot_rule(inst("510300.SH"))
BOND = lot_rule(inst("113050.SH"))


# --------------------------------------------------------------------------------------------------
# §2.1 lot table: buy minimum, increment, odd-lot rule per board


@pytest.mark.parametrize(
    ("code", "board", "min_buy", "step", "odd_lot"),
    [
        ("600000.SH", Board.SSE_MAIN, 100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("000001.SZ", Board.SZSE_MAIN, 100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("300750.SZ", Board.CHINEXT, 100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("688981.SH", Board.STAR, 200, 1, OddLotRule.MINIMUM_OR_ALL),
        ("689009.SH", Board.STAR, 200, 1, OddLotRule.MINIMUM_OR_ALL),  # CDRs trade under STAR rules
        ("920001.BJ", Board.BSE, 100, 1, OddLotRule.MINIMUM_OR_ALL),
        ("510300.SH", Board.FUND, 100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("159915.SZ", Board.FUND, 100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("501018.SH", Board.FUND, 100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("113050.SH", Board.BOND, 10, 10, OddLotRule.ROUND_LOT_OR_REMAINDER),
        ("123100.SZ", Board.BOND, 10, 10, OddLotRule.ROUND_LOT_OR_REMAINDER),
    ],
)
def test_lot_rule_per_board(code: str, board: Board, min_buy: int, step: int, odd_lot: OddLotRule) -> None:
    instrument = inst(code)
    assert instrument.board is board
    assert lot_rule(instrument) == LotRule(min_buy, step, odd_lot)
    assert LOT_RULES[board] == LotRule(min_buy, step, odd_lot)


@pytest.mark.parametrize(
    ("rule", "quantity", "ok"),
    [
        (MAIN, 100, True),
        (MAIN, 200, True),
        (MAIN, 1_000_000, True),
        (MAIN, 99, False),
        (MAIN, 150, False),
        (MAIN, 101, False),
        (MAIN, 0, False),
        (STAR, 200, True),
        (STAR, 201, True),
        (STAR, 232, True),
        (STAR, 199, False),
        (STAR, 100, False),
        (BSE, 100, True),
        (BSE, 101, True),
        (BSE, 150, True),
        (BSE, 99, False),
        (FUND, 100, True),
        (FUND, 150, False),
        (BOND, 10, True),
        (BOND, 20, True),
        (BOND, 15, False),
        (BOND, 5, False),
    ],
)
def test_buy_quantity_minimum_and_increment(rule: LotRule, quantity: int, ok: bool) -> None:
    assert buy_quantity_ok(rule, quantity) is ok


@pytest.mark.parametrize(
    ("rule", "quantity", "expected"),
    [
        (MAIN, 250, 200),
        (MAIN, 100, 100),
        (MAIN, 99, 0),
        (MAIN, 0, 0),
        (STAR, 250, 250),
        (STAR, 200, 200),
        (STAR, 199, 0),
        (BSE, 150, 150),
        (BSE, 99, 0),
        (FUND, 1_050, 1_000),
        (BOND, 25, 20),
        (BOND, 9, 0),
    ],
)
def test_round_buy_quantity_gives_the_largest_valid_buy_not_above(rule: LotRule, quantity: int, expected: int) -> None:
    assert round_buy_quantity(rule, quantity) == expected
    if expected:
        assert buy_quantity_ok(rule, expected)


# --------------------------------------------------------------------------------------------------
# §2.2 exact odd-lot sell validation (A = sellable holding, q = sell quantity)


@pytest.mark.parametrize(
    ("rule", "sellable", "quantity", "ok"),
    [
        # Main board, ChiNext, ETFs: q % 100 == 0 or (A - q) % 100 == 0. A = 232: 32/132/232 valid, 150 not.
        (MAIN, 232, 32, True),
        (MAIN, 232, 132, True),
        (MAIN, 232, 232, True),
        (MAIN, 232, 100, True),
        (MAIN, 232, 200, True),
        (MAIN, 232, 150, False),
        (MAIN, 232, 31, False),
        (MAIN, 32, 32, True),
        (MAIN, 32, 10, False),
        (FUND, 232, 32, True),
        (FUND, 232, 150, False),
        # STAR: q >= 200 or q == A (A < 200). A = 232: 32 and 132 rejected; 200, 201, 232 valid.
        (STAR, 232, 32, False),
        (STAR, 232, 132, False),
        (STAR, 232, 200, True),
        (STAR, 232, 201, True),
        (STAR, 232, 232, True),
        (STAR, 32, 32, True),  # what 200 leaves behind, sold in one order
        (STAR, 31, 31, True),  # what 201 leaves behind
        # STAR A = 132: only q = 132.
        (STAR, 132, 132, True),
        (STAR, 132, 32, False),
        (STAR, 132, 100, False),
        (STAR, 132, 131, False),
        # BSE by analogy: q >= 100 or q == A (A < 100).
        (BSE, 232, 32, False),
        (BSE, 232, 100, True),
        (BSE, 232, 101, True),
        (BSE, 232, 150, True),
        (BSE, 232, 232, True),
        (BSE, 132, 132, True),
        (BSE, 132, 32, False),
        (BSE, 32, 32, True),
        (BSE, 32, 10, False),
        # Bonds: lots of 10 bonds.
        (BOND, 25, 5, True),
        (BOND, 25, 10, True),
        (BOND, 25, 25, True),
        (BOND, 25, 7, False),
        # Never more than the sellable holding, never nothing.
        (MAIN, 232, 300, False),
        (STAR, 232, 300, False),
        (MAIN, 232, 0, False),
        (STAR, 232, -200, False),
    ],
)
def test_odd_lot_sell_rule(rule: LotRule, sellable: int, quantity: int, ok: bool) -> None:
    assert sell_quantity_ok(rule, quantity, sellable) is ok


# --------------------------------------------------------------------------------------------------
# §2.1 per-order caps by board x order class x date


@pytest.mark.parametrize(
    ("code", "order_class", "day", "cap"),
    [
        ("600000.SH", OrderClass.LIMIT, TODAY, 1_000_000),
        ("600000.SH", OrderClass.MARKET, TODAY, 1_000_000),
        ("000001.SZ", OrderClass.LIMIT, TODAY, 1_000_000),
        ("000001.SZ", OrderClass.MARKET, TODAY, 1_000_000),
        # ChiNext: main-board caps before the 2020-08-24 reform, 300k limit / 150k market from it.
        ("300750.SZ", OrderClass.LIMIT, date(2020, 8, 21), 1_000_000),
        ("300750.SZ", OrderClass.MARKET, date(2020, 8, 21), 1_000_000),
        ("300750.SZ", OrderClass.LIMIT, date(2020, 8, 24), 300_000),
        ("300750.SZ", OrderClass.MARKET, date(2020, 8, 24), 150_000),
        ("300750.SZ", OrderClass.LIMIT, TODAY, 300_000),
        ("300750.SZ", OrderClass.MARKET, TODAY, 150_000),
        ("688981.SH", OrderClass.LIMIT, TODAY, 100_000),
        ("688981.SH", OrderClass.MARKET, TODAY, 50_000),
        ("689009.SH", OrderClass.LIMIT, TODAY, 100_000),
        ("689009.SH", OrderClass.MARKET, TODAY, 50_000),
        ("920001.BJ", OrderClass.LIMIT, TODAY, 1_000_000),
        ("510300.SH", OrderClass.LIMIT, TODAY, 1_000_000),
        ("159915.SZ", OrderClass.LIMIT, TODAY, 1_000_000),
        ("113050.SH", OrderClass.LIMIT, TODAY, 1_000_000),  # ≤10万手 of 10 bonds
    ],
)
def test_quantity_cap_per_board_order_class_and_date(code: str, order_class: OrderClass, day: date, cap: int) -> None:
    assert quantity_cap(inst(code), order_class, day) == cap


def test_quantity_caps_table_has_one_active_row_per_board_class_and_day() -> None:
    for board in {row.board for row in QUANTITY_CAPS}:
        for klass in OrderClass:
            for day in (date(2019, 1, 2), date(2020, 8, 23), date(2020, 8, 24), TODAY):
                active = [
                    r
                    for r in QUANTITY_CAPS
                    if r.board is board and r.order_class is klass and r.since <= day <= r.until
                ]
                assert len(active) == 1, (board, klass, day, active)
