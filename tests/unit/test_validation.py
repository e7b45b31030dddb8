"""Pre-trade validation in the check order of reference §10: each refusal code, and what an approval freezes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.errors import OrderDenied
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.portfolio import Position
from qmtdesk.domain.rules import OrderClass, Phase, PriceType
from qmtdesk.domain.validation import (
    Approval,
    BookView,
    OrderIntent,
    ValidationContext,
    daily_limits,
    validate,
)

D = Decimal
TODAY = date(2026, 11, 25)
FEES = FeeSchedule()
BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = PriceType.LIMIT, PriceType.MARKET


def make_ctx(
    code: str = "600000.SH",
    prev_close: str = "10.00",
    *,
    phase: Phase = Phase.CONTINUOUS,
    day: date = TODAY,
    bid: str | None = "9.99",
    ask: str | None = "10.00",
    last: str | None = "10.00",
    position: Position | None = None,
    cash: str = "1000000",
    is_st: bool = False,
    suspended: bool = False,
    list_date: date | None = None,
    listing_day_number: int | None = None,
) -> ValidationContext:
    inst = Instrument.create(code, "test", D(prev_close), is_st=is_st, list_date=list_date, suspended=suspended)
    return ValidationContext(
        instrument=inst,
        day=day,
        phase=phase,
        limits=daily_limits(inst, day, listing_day_number),
        book=BookView(
            prev_close=D(prev_close),
            best_bid=D(bid) if bid else None,
            best_ask=D(ask) if ask else None,
            last_trade=D(last) if last else None,
        ),
        position=position,
        available_cash=D(cash),
        fees=FEES,
    )


def order(
    side: Side = BUY, quantity: int = 100, price: str | None = "10.00", price_type: PriceType = LIMIT, code: str = ""
) -> OrderIntent:
    return OrderIntent(code or "600000.SH", side, quantity, price_type, D(price) if price is not None else None)


def held(volume: int, *, sellable: int | None = None, yesterday: int | None = None) -> Position:
    return Position(
        "600000.SH",
        volume=volume,
        yesterday_volume=volume if yesterday is None else yesterday,
        can_use_volume=volume if sellable is None else sellable,
    )


def denied(intent: OrderIntent, ctx: ValidationContext) -> OrderDenied:
    with pytest.raises(OrderDenied) as info:
        validate(intent, ctx)
    return info.value


# --------------------------------------------------------------------------------------------------
# Code and session


def test_legacy_bse_code_is_denied_as_not_tradable() -> None:
    err = denied(order(code="430047.BJ"), make_ctx("430047.BJ"))
    assert err.code == "UNKNOWN_INSTRUMENT"


def test_index_is_denied_as_not_tradable() -> None:
    err = denied(order(code="000300.SH"), make_ctx("000300.SH"))
    assert err.code == "UNKNOWN_INSTRUMENT"


@pytest.mark.parametrize("phase", [Phase.CLOSED, Phase.AFTER_HOURS])
def test_order_when_market_closed_is_denied_with_MARKET_CLOSED(phase: Phase) -> None:
    err = denied(order(), make_ctx(phase=phase))
    assert err.code == "MARKET_CLOSED"
    assert err.http_status == 422


def test_ioc_on_sh_is_denied_with_PRICE_TYPE_NOT_SUPPORTED() -> None:
    assert denied(order(price_type=PriceType.IOC), make_ctx()).code == "PRICE_TYPE_NOT_SUPPORTED"


def test_fok_on_sh_is_denied_with_PRICE_TYPE_NOT_SUPPORTED() -> None:
    assert denied(order(price_type=PriceType.FOK), make_ctx()).code == "PRICE_TYPE_NOT_SUPPORTED"


def test_best5_limit_on_sz_is_denied_with_PRICE_TYPE_NOT_SUPPORTED() -> None:
    ctx = make_ctx("000001.SZ")
    assert denied(order(price_type=PriceType.BEST5_LIMIT, price=None), ctx).code == "PRICE_TYPE_NOT_SUPPORTED"


def test_market_order_on_a_bond_is_denied_with_PRICE_TYPE_NOT_SUPPORTED() -> None:
    ctx = make_ctx("113050.SH", "120.000", bid="119.990", ask="120.000", last="120.000")
    assert denied(order(quantity=10, price="121.000", price_type=MARKET), ctx).code == "PRICE_TYPE_NOT_SUPPORTED"


@pytest.mark.parametrize(
    "phase", [Phase.PRE_OPEN, Phase.OPENING_AUCTION, Phase.OPENING_AUCTION_NO_CANCEL, Phase.CLOSING_AUCTION]
)
def test_market_order_in_an_auction_is_denied_with_PRICE_TYPE_NOT_SUPPORTED(phase: Phase) -> None:
    err = denied(order(price_type=MARKET, price="10.50"), make_ctx(phase=phase))
    assert err.code == "PRICE_TYPE_NOT_SUPPORTED"


def test_sz_market_order_on_a_no_limit_ipo_day_is_denied_with_PRICE_TYPE_NOT_SUPPORTED() -> None:
    ctx = make_ctx("301236.SZ", list_date=date(2026, 11, 23), listing_day_number=3)
    assert not ctx.limits.has_limit
    assert denied(order(price_type=MARKET, price=None), ctx).code == "PRICE_TYPE_NOT_SUPPORTED"


@pytest.mark.parametrize("price_type", [PriceType.IOC, PriceType.FOK, PriceType.MARKET, PriceType.COUNTERPARTY_BEST])
def test_sz_market_types_are_approved_in_continuous(price_type: PriceType) -> None:
    approval = validate(order(price_type=price_type, price=None), make_ctx("000001.SZ"))
    assert approval.order_class is OrderClass.MARKET


# --------------------------------------------------------------------------------------------------
# Security status


def test_suspended_instrument_is_denied_with_INSTRUMENT_SUSPENDED() -> None:
    assert denied(order(), make_ctx(suspended=True)).code == "INSTRUMENT_SUSPENDED"


# --------------------------------------------------------------------------------------------------
# Quantity


@pytest.mark.parametrize("quantity", [0, -100, -1])
def test_zero_or_negative_quantity_is_denied_with_INVALID_QUANTITY(quantity: int) -> None:
    assert denied(order(quantity=quantity), make_ctx()).code == "INVALID_QUANTITY"


@pytest.mark.parametrize("quantity", [100.0, 1.5, True])
def test_non_integer_quantity_is_denied_with_INVALID_QUANTITY(quantity: object) -> None:
    assert denied(order(quantity=quantity), make_ctx()).code == "INVALID_QUANTITY"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "quantity"),
    [
        ("600000.SH", 150),
        ("600000.SH", 99),
        ("000001.SZ", 250),
        ("688981.SH", 199),
        ("688981.SH", 100),
        ("920001.BJ", 99),
    ],
)
def test_buy_not_multiple_of_lot_is_denied_with_LOT_SIZE(code: str, quantity: int) -> None:
    assert denied(order(quantity=quantity, code=code), make_ctx(code)).code == "LOT_SIZE"


@pytest.mark.parametrize(("code", "quantity"), [("688981.SH", 201), ("920001.BJ", 101), ("600000.SH", 300)])
def test_buy_on_the_board_increment_is_approved(code: str, quantity: int) -> None:
    assert validate(order(quantity=quantity, code=code), make_ctx(code)).freeze_price == D("10.00")


def test_sell_breaking_the_odd_lot_rule_is_denied_with_LOT_SIZE() -> None:
    err = denied(order(SELL, 150), make_ctx(position=held(232)))
    assert err.code == "LOT_SIZE"


@pytest.mark.parametrize("quantity", [32, 132, 232])
def test_sell_of_the_odd_lot_remainder_is_approved(quantity: int) -> None:
    approval = validate(order(SELL, quantity), make_ctx(position=held(232)))
    assert approval.freeze_amount == 0


def test_star_sell_of_an_odd_lot_below_200_is_denied_with_LOT_SIZE() -> None:
    pos = replace(held(232), stock_code="688981.SH")
    assert denied(order(SELL, 132, code="688981.SH"), make_ctx("688981.SH", position=pos)).code == "LOT_SIZE"


@pytest.mark.parametrize(
    ("code", "price_type", "quantity"),
    [
        ("600000.SH", LIMIT, 1_000_100),
        ("000001.SZ", LIMIT, 1_000_100),
        ("300750.SZ", LIMIT, 300_100),
        ("300750.SZ", MARKET, 150_100),
        ("688981.SH", LIMIT, 100_001),
        ("688981.SH", MARKET, 50_001),
    ],
)
def test_quantity_above_the_per_order_cap_is_denied_with_QUANTITY_TOO_LARGE(
    code: str, price_type: PriceType, quantity: int
) -> None:
    price = None if code.endswith(".SZ") and price_type is MARKET else "10.00"
    err = denied(order(quantity=quantity, price=price, price_type=price_type, code=code), make_ctx(code, cash="1e9"))
    assert err.code == "QUANTITY_TOO_LARGE"


@pytest.mark.parametrize(
    ("code", "price_type", "quantity"),
    [
        ("300750.SZ", LIMIT, 300_000),
        ("300750.SZ", MARKET, 150_000),
        ("688981.SH", LIMIT, 100_000),
        ("688981.SH", MARKET, 50_000),
    ],
)
def test_quantity_at_the_cap_is_approved(code: str, price_type: PriceType, quantity: int) -> None:
    price = None if code.endswith(".SZ") and price_type is MARKET else "10.00"
    validate(order(quantity=quantity, price=price, price_type=price_type, code=code), make_ctx(code, cash="1e9"))


def test_sell_without_a_position_is_denied_with_INSUFFICIENT_POSITION() -> None:
    err = denied(order(SELL, 100), make_ctx())
    assert err.code == "INSUFFICIENT_POSITION"


def test_sell_of_more_than_sellable_is_denied_with_INSUFFICIENT_POSITION() -> None:
    err = denied(order(SELL, 300), make_ctx(position=held(232)))
    assert err.code == "INSUFFICIENT_POSITION"


def test_sell_of_shares_bought_today_is_denied_with_a_T_plus_1_message() -> None:
    pos = held(500, sellable=0, yesterday=0)  # all 500 bought today
    err = denied(order(SELL, 100), make_ctx(position=pos))
    assert err.code == "INSUFFICIENT_POSITION"
    assert "下一交易日" in err.message_zh
    assert "T+1" in err.message_en


def test_sell_beyond_yesterdays_holding_mentions_today_buys() -> None:
    pos = held(1400, sellable=1000, yesterday=1000)  # 1,000 old shares + 400 bought today
    err = denied(order(SELL, 1100), make_ctx(position=pos))
    assert err.code == "INSUFFICIENT_POSITION"
    assert "下一交易日" in err.message_zh
    assert validate(order(SELL, 1000), make_ctx(position=pos)).freeze_amount == 0


# --------------------------------------------------------------------------------------------------
# Price


@pytest.mark.parametrize("price", [None, "0", "-1.00"])
def test_limit_order_without_a_positive_price_is_denied_with_INVALID_PRICE(price: str | None) -> None:
    assert denied(order(price=price), make_ctx()).code == "INVALID_PRICE"


@pytest.mark.parametrize(("code", "price"), [("600000.SH", "10.001"), ("688981.SH", "10.005"), ("510300.SH", "1.0005")])
def test_price_off_the_tick_is_denied_with_PRICE_TICK(code: str, price: str) -> None:
    prev = "1.000" if code == "510300.SH" else "10.00"
    ctx = make_ctx(code, prev, bid=prev, ask=prev, last=prev)
    qty = 200 if code.startswith("688") else 100
    assert denied(order(quantity=qty, price=price, code=code), ctx).code == "PRICE_TICK"


def test_fund_price_on_the_milli_tick_is_approved() -> None:
    ctx = make_ctx("510300.SH", "1.000", bid="1.000", ask="1.001", last="1.000")
    assert validate(order(price="1.001", code="510300.SH"), ctx).freeze_price == D("1.001")


@pytest.mark.parametrize(
    ("side", "price", "phase"),
    [
        (BUY, "11.01", Phase.CONTINUOUS),  # limit-up 11.00
        (SELL, "8.99", Phase.CONTINUOUS),  # limit-down 9.00
        (BUY, "11.01", Phase.OPENING_AUCTION),
        (SELL, "8.99", Phase.CLOSING_AUCTION),
    ],
)
def test_price_beyond_the_daily_limit_is_denied_with_PRICE_OUT_OF_LIMIT(side: Side, price: str, phase: Phase) -> None:
    ctx = make_ctx(phase=phase, position=held(1000))
    err = denied(order(side, 100, price), ctx)
    assert err.code == "PRICE_OUT_OF_LIMIT"
    assert err.data["limit_up"] == "11.00" and err.data["limit_down"] == "9.00"


def test_st_limit_before_the_2026_revision_is_5_pct() -> None:
    ctx = make_ctx(is_st=True, day=date(2026, 7, 3))
    assert denied(order(price="10.51"), ctx).code == "PRICE_OUT_OF_LIMIT"
    ctx_after = make_ctx(is_st=True, day=date(2026, 7, 6))
    assert validate(order(price="10.20"), ctx_after).freeze_price == D("10.20")


def test_any_price_is_within_limits_on_a_no_limit_ipo_day() -> None:
    ctx = make_ctx("688981.SH", list_date=date(2026, 11, 23), listing_day_number=3, phase=Phase.OPENING_AUCTION)
    assert validate(order(quantity=200, price="30.00", code="688981.SH"), ctx).freeze_price == D("30.00")


@pytest.mark.parametrize(
    ("side", "price", "code"),
    [
        (BUY, "10.21", "600000.SH"),  # ask 10.00 -> cap 10.20
        (SELL, "9.78", "600000.SH"),  # bid 9.99 -> floor 9.79
        (BUY, "10.21", "688981.SH"),
        (BUY, "10.51", "920001.BJ"),  # BSE 5%
    ],
)
def test_limit_order_outside_the_cage_in_continuous_is_denied_with_PRICE_CAGE(
    side: Side, price: str, code: str
) -> None:
    qty = 200 if code.startswith("688") else 100
    pos = replace(held(1000), stock_code=code)
    err = denied(order(side, qty, price, code=code), make_ctx(code, position=pos))
    assert err.code == "PRICE_CAGE"


def test_cage_edges_are_approved() -> None:
    ctx = make_ctx(position=held(1000))
    assert validate(order(BUY, 100, "10.20"), ctx).freeze_price == D("10.20")
    assert validate(order(SELL, 100, "9.79"), ctx).freeze_amount == 0


def test_cage_uses_the_10_tick_floor_below_5_yuan() -> None:
    ctx = make_ctx(prev_close="3.00", bid="3.00", ask="3.00", last="3.00")
    assert validate(order(price="3.10"), ctx).freeze_price == D("3.10")
    assert denied(order(price="3.11"), ctx).code == "PRICE_CAGE"


def test_star_cage_is_a_pure_2_pct_with_no_floor() -> None:
    ctx = make_ctx("688981.SH", "3.00", bid="3.00", ask="3.00", last="3.00")
    assert validate(order(quantity=200, price="3.06", code="688981.SH"), ctx).freeze_price == D("3.06")
    assert denied(order(quantity=200, price="3.07", code="688981.SH"), ctx).code == "PRICE_CAGE"


@pytest.mark.parametrize("phase", [Phase.OPENING_AUCTION, Phase.OPENING_AUCTION_NO_CANCEL, Phase.CLOSING_AUCTION])
def test_cage_does_not_apply_in_call_auctions(phase: Phase) -> None:
    approval = validate(order(price="11.00"), make_ctx(phase=phase))  # limit-up, far outside the cage
    assert approval.freeze_price == D("11.00")


def test_latest_price_order_is_caged_too() -> None:
    ctx = make_ctx(bid="10.00", ask="10.00", last="10.30")  # last trade far above the book
    assert denied(order(price=None, price_type=PriceType.LATEST), ctx).code == "PRICE_CAGE"


def test_no_cage_for_funds() -> None:
    ctx = make_ctx("510300.SH", "1.000", bid="1.000", ask="1.000", last="1.000")
    assert validate(order(price="1.090", code="510300.SH"), ctx).freeze_price == D("1.090")


def test_no_cage_on_main_board_before_2023_04_10() -> None:
    ctx = make_ctx(day=date(2023, 4, 7))
    assert validate(order(price="10.50"), ctx).freeze_price == D("10.50")


def test_chinext_out_of_cage_order_before_2023_04_10_is_held_not_rejected() -> None:
    # §3.5: from 2020-08-24 to 2023-04-09 ChiNext out-of-cage orders were held (暂存) in the exchange
    # host, not rejected; rejection on every board starts 2023-04-10.
    ctx = make_ctx("300750.SZ", day=date(2022, 6, 1))
    try:
        validate(order(price="10.50", code="300750.SZ"), ctx)  # within the ±20% limit, 5% above the ask
    except OrderDenied as err:
        refusal: str | None = err.code
    else:
        refusal = None
    assert refusal != "PRICE_CAGE"


def test_chinext_out_of_cage_order_from_2023_04_10_is_denied_with_PRICE_CAGE() -> None:
    ctx = make_ctx("300750.SZ", day=date(2023, 4, 10))
    assert denied(order(price="10.50", code="300750.SZ"), ctx).code == "PRICE_CAGE"


# --------------------------------------------------------------------------------------------------
# Cash


def test_buy_freezes_price_times_quantity_plus_estimated_fees_exactly() -> None:
    approval = validate(order(BUY, 1000, "10.00"), make_ctx())
    # 10,000 + commission 5.00 (minimum) + transfer fee 0.10
    assert approval == Approval(D("10.00"), D("10.00"), D("10005.10"), OrderClass.LIMIT)


def test_buy_with_cash_one_fen_short_is_denied_with_INSUFFICIENT_FUNDS() -> None:
    err = denied(order(BUY, 1000, "10.00"), make_ctx(cash="10005.09"))
    assert err.code == "INSUFFICIENT_FUNDS"
    assert err.data == {"available": "10005.09", "needed": "10005.10"}


def test_buy_with_exactly_enough_cash_is_approved() -> None:
    assert validate(order(BUY, 1000, "10.00"), make_ctx(cash="10005.10")).freeze_amount == D("10005.10")


def test_sell_freezes_no_cash() -> None:
    assert validate(order(SELL, 100, "10.00"), make_ctx(position=held(100), cash="0")).freeze_amount == 0


# --------------------------------------------------------------------------------------------------
# Market orders: protective price (SH) and freezing


def test_sh_market_buy_without_protective_price_is_denied_with_INVALID_PRICE() -> None:
    assert denied(order(price=None, price_type=MARKET), make_ctx()).code == "INVALID_PRICE"


def test_sh_market_buy_freezes_at_the_protective_price() -> None:
    approval = validate(order(BUY, 1000, "10.50", MARKET), make_ctx())
    assert approval.price == D("10.50")
    assert approval.freeze_price == D("10.50")
    assert approval.freeze_amount == D("10500") + D("5.00") + D("0.11")
    assert approval.order_class is OrderClass.MARKET


def test_sh_market_buy_freezes_at_limit_up_when_the_protection_is_higher() -> None:
    approval = validate(order(BUY, 1000, "12.00", PriceType.BEST5_CANCEL), make_ctx())
    assert approval.price == D("11.00")
    assert approval.freeze_price == D("11.00")  # min(protective 12.00, limit-up 11.00)
    assert approval.freeze_amount == D("11000") + D("5.00") + D("0.11")


def test_sh_market_buy_with_protection_below_limit_down_is_denied() -> None:
    assert denied(order(BUY, 100, "8.50", MARKET), make_ctx()).code == "PRICE_OUT_OF_LIMIT"


def test_sh_market_sell_with_protection_above_limit_up_is_denied() -> None:
    assert denied(order(SELL, 100, "11.50", MARKET), make_ctx(position=held(100))).code == "PRICE_OUT_OF_LIMIT"


def test_sh_market_protective_price_must_be_on_the_tick() -> None:
    assert denied(order(BUY, 100, "10.005", MARKET), make_ctx()).code == "PRICE_TICK"


def test_star_market_buy_on_a_no_limit_day_freezes_at_the_protective_price() -> None:
    ctx = make_ctx("688981.SH", list_date=date(2026, 11, 23), listing_day_number=3)
    approval = validate(order(BUY, 200, "25.00", MARKET, code="688981.SH"), ctx)
    assert (approval.price, approval.freeze_price) == (D("25.00"), D("25.00"))


def test_sz_market_buy_freezes_at_limit_up() -> None:
    approval = validate(order(BUY, 1000, None, MARKET, code="000001.SZ"), make_ctx("000001.SZ"))
    assert approval.price is None
    assert approval.freeze_price == D("11.00")
    assert approval.freeze_amount == D("11000") + D("5.00") + D("0.11")


def test_sz_market_buy_short_of_cash_at_limit_up_is_denied_with_INSUFFICIENT_FUNDS() -> None:
    ctx = make_ctx("000001.SZ", cash="10500")  # enough at 10.00, not at limit-up 11.00
    assert denied(order(BUY, 1000, None, MARKET, code="000001.SZ"), ctx).code == "INSUFFICIENT_FUNDS"


# --------------------------------------------------------------------------------------------------
# Check order (§10): the first failing check is the one reported


def test_closed_market_is_reported_before_suspension_and_quantity() -> None:
    ctx = make_ctx(phase=Phase.CLOSED, suspended=True)
    assert denied(order(quantity=0, price="99.00"), ctx).code == "MARKET_CLOSED"


def test_suspension_is_reported_before_quantity() -> None:
    assert denied(order(quantity=150), make_ctx(suspended=True)).code == "INSTRUMENT_SUSPENDED"


def test_quantity_is_reported_before_price() -> None:
    assert denied(order(quantity=150, price="99.999"), make_ctx()).code == "LOT_SIZE"


def test_tick_is_reported_before_the_daily_limit() -> None:
    assert denied(order(price="12.001"), make_ctx()).code == "PRICE_TICK"


def test_daily_limit_is_reported_before_the_cage() -> None:
    assert denied(order(price="11.01"), make_ctx()).code == "PRICE_OUT_OF_LIMIT"


def test_price_is_reported_before_cash() -> None:
    assert denied(order(price="10.50"), make_ctx(cash="0")).code == "PRICE_CAGE"


# --------------------------------------------------------------------------------------------------
# Risk-warning stocks: 500,000 shares a day (§2.3)


def test_a_st_buy_up_to_the_daily_cap_passes_and_one_share_more_is_QUANTITY_TOO_LARGE() -> None:
    ctx = make_ctx(is_st=True, cash="100000000")
    ctx.bought_today = 400_000
    validate(order(quantity=100_000), ctx)
    err = denied(order(quantity=100_100), ctx)
    assert err.code == "QUANTITY_TOO_LARGE" and err.data == {"max_quantity": 100_000, "bought_today": 400_000}


def test_the_st_cap_tells_a_quantity_that_can_be_sent_on_star() -> None:
    ctx = make_ctx("688001.SH", is_st=True, cash="100000000")
    ctx.bought_today = 499_750  # 250 left: one valid STAR buy of 250
    assert denied(order(quantity=300, code="688001.SH"), ctx).data["max_quantity"] == 250  # type: ignore[index]
    ctx.bought_today = 499_900  # 100 left, under STAR's 200 minimum: nothing can be sent
    assert denied(order(quantity=200, code="688001.SH"), ctx).data["max_quantity"] == 0  # type: ignore[index]


def test_the_st_cap_does_not_touch_sells_or_other_stocks() -> None:
    plain = make_ctx(cash="100000000")
    plain.bought_today = 500_000
    validate(order(quantity=100_000), plain)
    st = make_ctx(is_st=True, position=held(600_000))
    st.bought_today = 500_000
    validate(order(side=Side.SELL, quantity=600_000), st)
