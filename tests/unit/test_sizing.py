"""Signal sizing: lots per board, cash with fees, target weights, odd-lot sells, caps and reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.portfolio import Position
from qmtdesk.domain.rules import buy_quantity_ok, lot_rule, sell_quantity_ok
from qmtdesk.domain.sizing import (
    SignalAction,
    SizingMethod,
    SizingResult,
    SkipCode,
    buy_cost,
    check_sizing,
    fit_cash,
    size_order,
    valid_sell_quantity,
)

DAY = date(2026, 11, 25)
FEES = FeeSchedule()  # 0.025% commission, 5 CNY minimum
RICH = Decimal(10_000_000)

MAIN = Instrument.create("600000.SH", "浦发银行", Decimal("11.50"))
STAR = Instrument.create("688981.SH", "中芯国际", Decimal("120.00"))
BSE = Instrument.create("920002.BJ", "北交所样本", Decimal("10.00"))
CHINEXT = Instrument.create("300750.SZ", "宁德时代", Decimal("380.00"))
ETF = Instrument.create("510300.SH", "沪深300ETF", Decimal("4.000"))
BOND = Instrument.create("113050.SH", "南银转债", Decimal("100.000"))

BUY, SELL, CLOSE = SignalAction.BUY, SignalAction.SELL, SignalAction.CLOSE
Q, AMT, EQ, TGT, POS = (
    SizingMethod.QUANTITY,
    SizingMethod.AMOUNT,
    SizingMethod.EQUITY_PCT,
    SizingMethod.TARGET_PCT,
    SizingMethod.POSITION_PCT,
)


def held(volume: int, sellable: int | None = None) -> Position:
    return Position("X", volume=volume, can_use_volume=volume if sellable is None else sellable)


def size(
    method: SizingMethod | None,
    value: str | int | None,
    action: SignalAction = BUY,
    instrument: Instrument = MAIN,
    price: str = "11.51",
    cash: Decimal | str = RICH,
    position: Position | None = None,
    total: Decimal | str = Decimal(1_000_000),
) -> SizingResult:
    return size_order(
        method,
        None if value is None else Decimal(str(value)),
        action,
        instrument,
        Decimal(price),
        Decimal(cash),
        position,
        Decimal(total),
        FEES,
        DAY,
    )


# ---------------------------------------------------------------------------------------------- buys


@pytest.mark.parametrize(
    ("instrument", "price", "method", "value", "expected"),
    [
        (MAIN, "11.51", Q, 250, 200),
        (MAIN, "11.51", AMT, "10000", 800),  # 868 shares -> 8 lots
        (CHINEXT, "380.00", AMT, "100000", 200),  # 263 -> 200
        (STAR, "120.00", AMT, "30000", 250),  # STAR: 200 then +1
        (STAR, "120.00", Q, 201, 201),
        (BSE, "10.00", AMT, "1555", 155),  # BSE: 100 then +1
        (ETF, "4.000", AMT, "1000", 200),  # funds: lots of 100
        (BOND, "100.000", AMT, "2555", 20),  # bonds: lots of 10
        (MAIN, "11.51", EQ, "0.1", 8600),  # 100000 / 11.51 = 8688
    ],
)
def test_buys_round_down_to_the_board_lot(
    instrument: Instrument, price: str, method: SizingMethod, value: str | int, expected: int
) -> None:
    result = size(method, value, instrument=instrument, price=price)
    assert result.quantity == expected and result.side is Side.BUY and result.code == ""
    assert buy_quantity_ok(lot_rule(instrument), result.quantity)
    assert "买入" in result.reason and "buy" in result.reason_en


@pytest.mark.parametrize(
    ("instrument", "price", "method", "value"),
    [(MAIN, "11.51", Q, 99), (MAIN, "11.51", AMT, "1000"), (STAR, "120.00", Q, 199), (BSE, "10.00", AMT, "999")],
)
def test_a_buy_below_one_lot_is_skipped_with_a_reason(
    instrument: Instrument, price: str, method: SizingMethod, value: str | int
) -> None:
    result = size(method, value, instrument=instrument, price=price)
    assert result.quantity == 0 and result.code == SkipCode.BELOW_MIN_LOT
    assert "不足一手" in result.reason and "less than one lot" in result.reason_en


def test_fees_eat_into_cash_so_one_lot_fewer_fits() -> None:
    # 1000 x 11.51 = 11510 exactly, but the commission minimum (5) and transfer fee push it over.
    result = size(Q, 1000, cash="11510")
    assert result.quantity == 900
    assert buy_cost(FEES, MAIN, Decimal("11.51"), 900, DAY) == Decimal("10364.10")
    assert "由 1000 股减至 900 股" in result.reason and "reduced from 1000 to 900" in result.reason_en


def test_cash_for_the_lot_but_not_its_fees_is_not_enough() -> None:
    result = size(Q, 100, cash="1151.00")
    assert result.quantity == 0 and result.code == SkipCode.INSUFFICIENT_CASH
    assert result.reason.startswith("资金不足一手") and "1156.01" in result.reason
    assert result.message("en").startswith("Not enough cash for one lot")
    assert size(Q, 100, cash="1156.01").quantity == 100


def test_star_steps_down_one_share_at_a_time_to_fit_cash() -> None:
    # 250 x 100 = 25000 + 6.25 commission + 0.25 transfer > 25000; 249 fits.
    assert size(Q, 250, instrument=STAR, price="100.00", cash="25000").quantity == 249
    # 200 shares need 20005.20 with fees: nothing valid fits 20000.
    assert size(Q, 250, instrument=STAR, price="100.00", cash="20000").code == SkipCode.INSUFFICIENT_CASH


@pytest.mark.parametrize("instrument", [MAIN, STAR, BSE, BOND])
def test_fit_cash_finds_the_largest_valid_buy_that_fits(instrument: Instrument) -> None:
    rule = lot_rule(instrument)
    price = Decimal("12.34")
    for cash in (Decimal(c) for c in ("1000", "1240", "2473.5", "2500", "3088", "5000.01", "12345.67")):
        fitted = fit_cash(rule, 1000, price, cash, FEES, instrument, DAY)
        brute = max(
            (
                q
                for q in range(1, 1001)
                if buy_quantity_ok(rule, q) and buy_cost(FEES, instrument, price, q, DAY) <= cash
            ),
            default=0,
        )
        assert fitted == brute, (instrument.code, cash)


def test_buys_are_capped_at_the_per_order_maximum() -> None:
    result = size(Q, 150_000, instrument=STAR, price="10.00", cash=Decimal(10**9))
    assert result.quantity == 100_000 and "单笔上限" in result.reason
    assert size(Q, 2_000_000, price="1.00", cash=Decimal(10**9)).quantity == 1_000_000


# ---------------------------------------------------------------------------------------------- target weight


def test_target_pct_buys_the_difference() -> None:
    # 1000 held at 11.50 = 11500; target 5% of 1,000,000 = 50000; the gap 38500 buys 3347 -> 3300.
    result = size(TGT, "0.05", price="11.50", position=held(1000))
    assert result.quantity == 3300 and result.side is Side.BUY and "目标仓位 5%" in result.reason


def test_target_pct_sells_the_difference() -> None:
    result = size(TGT, "0.05", SELL, price="10.00", position=held(10_000))
    assert result.quantity == 5000 and result.side is Side.SELL
    # An odd lot in the holding: 5050 reaches the target exactly and clears the odd lot ...
    assert size(TGT, "0.05", SELL, price="10.00", position=held(10_050)).quantity == 5050
    # ... while a gap of 5030 shares sells the largest valid quantity below it.
    assert size(TGT, "0.0502", SELL, price="10.00", position=held(10_050)).quantity == 5000


def test_target_pct_zero_sells_everything_sellable() -> None:
    assert size(TGT, "0", SELL, price="10.00", position=held(1_032)).quantity == 1_032


def test_target_pct_never_trades_against_the_signal_direction() -> None:
    above = size(TGT, "0.01", price="10.00", position=held(10_000))  # holding is 10%, target 1%
    assert above.quantity == 0 and above.code == SkipCode.AT_TARGET and "无需买入" in above.reason
    below = size(TGT, "0.5", SELL, price="10.00", position=held(10_000))
    assert below.quantity == 0 and below.code == SkipCode.AT_TARGET and "nothing to sell" in below.reason_en


# ---------------------------------------------------------------------------------------------- sells


def test_position_pct_sells_a_fraction_of_the_sellable_position() -> None:
    assert size(POS, "0.5", SELL, position=held(1000)).quantity == 500
    assert size(POS, "0.5", SELL, position=held(1500, sellable=1000)).quantity == 500  # of the sellable part
    # 116 of 232 is not a valid sale; 100 is.
    assert size(POS, "0.5", SELL, position=held(232)).quantity == 100
    assert size(POS, "1", SELL, position=held(232)).quantity == 232


def test_odd_lot_sells_on_main_boards() -> None:
    # 150 of 232 breaks the rule; 132 (clearing the odd lot) is the largest valid sale below it.
    result = size(Q, 150, SELL, position=held(232))
    assert result.quantity == 132 and "零股规则" in result.reason
    assert size(Q, 232, SELL, position=held(232)).quantity == 232
    assert size(Q, 500, SELL, position=held(232)).quantity == 232  # limited to what is sellable
    odd = size(Q, 30, SELL, position=held(50))
    assert odd.quantity == 0 and odd.code == SkipCode.ODD_LOT and "一次性卖出" in odd.reason


def test_odd_lot_sells_on_star_and_bse() -> None:
    assert size(Q, 210, SELL, STAR, "120.00", position=held(232)).quantity == 210
    assert size(Q, 100, SELL, STAR, "120.00", position=held(232)).code == SkipCode.ODD_LOT
    assert size(Q, 150, SELL, STAR, "120.00", position=held(150)).quantity == 150  # all of an odd holding
    assert size(Q, 120, SELL, BSE, "10.00", position=held(150)).quantity == 120
    assert size(Q, 50, SELL, BSE, "10.00", position=held(150)).code == SkipCode.ODD_LOT
    assert size(Q, 80, SELL, BSE, "10.00", position=held(80)).quantity == 80


def test_sell_by_amount_and_by_equity() -> None:
    assert size(AMT, "5000", SELL, price="10.00", position=held(1000)).quantity == 500
    assert size(EQ, "0.001", SELL, price="10.00", position=held(1000)).quantity == 100
    tiny = size(AMT, "5", SELL, price="10.00", position=held(1000))
    assert tiny.quantity == 0 and tiny.code == SkipCode.BELOW_MIN_LOT


def test_close_and_a_sell_without_sizing_sell_everything_sellable() -> None:
    assert size(None, None, CLOSE, position=held(1_032)).quantity == 1_032
    assert size(Q, 100, CLOSE, position=held(1_032)).quantity == 1_032  # sizing is ignored
    assert size(None, None, SELL, position=held(700, sellable=300)).quantity == 300


def test_nothing_to_sell_is_explained() -> None:
    flat = size(None, None, CLOSE)
    assert flat.quantity == 0 and flat.code == SkipCode.NO_POSITION
    assert flat.reason.startswith("无可卖持仓") and flat.message("en").startswith("No sellable position")
    bought_today = size(None, None, CLOSE, position=held(500, sellable=0))
    assert bought_today.code == SkipCode.NOT_SELLABLE and "T+1" in bought_today.reason


def test_sells_are_capped_at_the_per_order_maximum() -> None:
    result = size(None, None, CLOSE, price="1.00", position=held(1_500_050))
    assert result.quantity == 1_000_000 and "单笔上限" in result.reason


@pytest.mark.parametrize("instrument", [MAIN, STAR, BSE, BOND])
def test_valid_sell_quantity_is_the_largest_valid_sale_not_above_the_wish(instrument: Instrument) -> None:
    rule = lot_rule(instrument)
    for sellable in range(0, 460, 7):
        for wanted in range(0, sellable + 20, 3):
            got = valid_sell_quantity(rule, wanted, sellable)
            best = max(
                (q for q in range(1, min(wanted, sellable) + 1) if sell_quantity_ok(rule, q, sellable)), default=0
            )
            assert got == best, (instrument.code, sellable, wanted)


# ---------------------------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("action", "method", "value", "message"),
    [
        (BUY, None, None, "needs a sizing"),
        (BUY, POS, "0.5", "sells only"),
        (BUY, Q, "100.5", "whole number"),
        (SELL, Q, "0", "whole number"),
        (BUY, AMT, "-1", "positive"),
        (BUY, EQ, "1.5", "(0, 1]"),
        (SELL, POS, "0", "(0, 1]"),
        (SELL, TGT, "-0.1", "[0, 1]"),
        (BUY, AMT, "NaN", "finite"),
    ],
)
def test_check_sizing_refuses_what_cannot_be_applied(
    action: SignalAction, method: SizingMethod | None, value: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[").replace("]", r"\]")):
        check_sizing(action, method, None if value is None else Decimal(value))


def test_check_sizing_accepts_sells_without_sizing_and_any_close() -> None:
    check_sizing(SELL, None, None)
    check_sizing(CLOSE, POS, Decimal(5))
    check_sizing(SELL, TGT, Decimal(0))


def test_price_must_be_positive() -> None:
    with pytest.raises(ValueError, match="price"):
        size(Q, 100, price="0")
