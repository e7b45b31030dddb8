"""Positions and cash: freezing, T+1 shares, T+0 products, same-day sale cash, cost and realised P&L (§5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.errors import OrderDenied
from qmtdesk.domain.fees import Fees
from qmtdesk.domain.portfolio import Cash, Portfolio, Position

D = Decimal
TODAY = date(2026, 11, 25)


# --------------------------------------------------------------------------------------------------
# Cash


def test_freeze_moves_cash_from_available_to_frozen() -> None:
    cash = Cash(D("100000"))
    cash.freeze(D("10005.10"))
    assert (cash.available, cash.frozen, cash.balance) == (D("89994.90"), D("10005.10"), D("100000"))


def test_freeze_beyond_available_is_denied_with_INSUFFICIENT_FUNDS() -> None:
    cash = Cash(D("10005.09"))
    with pytest.raises(OrderDenied) as info:
        cash.freeze(D("10005.10"))
    assert info.value.code == "INSUFFICIENT_FUNDS"
    assert (cash.available, cash.frozen) == (D("10005.09"), D(0))


def test_release_returns_frozen_cash_at_once() -> None:
    cash = Cash(D("100000"))
    cash.freeze(D("10005.10"))
    cash.release(D("10005.10"))
    assert (cash.available, cash.frozen) == (D("100000"), D(0))


def test_release_never_gives_back_more_than_is_frozen() -> None:
    cash = Cash(D("100000"))
    cash.freeze(D("100"))
    cash.release(D("500"))
    assert (cash.available, cash.frozen) == (D("100000"), D(0))


def test_buy_fill_is_paid_from_frozen_cash_and_the_rest_released() -> None:
    cash = Cash(D("100000"))
    cash.freeze(D("10005.10"))  # 1,000 @ 10.00 + fees
    cash.pay_from_frozen(D("9905.10"), D("9905.10"))  # filled at 9.90: 9,900 + 5.10 fees
    assert cash.frozen == D("100.00")
    cash.release(cash.frozen)
    assert (cash.available, cash.frozen) == (D("90094.90"), D(0))


def test_sale_proceeds_are_available_at_once_but_withdrawable_next_day() -> None:
    cash = Cash(D("1000"))
    cash.receive_sale(D("9989.90"))
    assert cash.available == D("10989.90")  # can buy today
    assert cash.withdrawable == D("1000")  # but not leave the account
    cash.roll_day()
    assert cash.withdrawable == D("10989.90")


def test_frozen_cash_is_not_withdrawable() -> None:
    cash = Cash(D("10000"))
    cash.freeze(D("4000"))
    assert cash.withdrawable == D("6000")


def test_spending_sale_proceeds_leaves_nothing_withdrawable_from_them() -> None:
    cash = Cash(D("0"))
    cash.receive_sale(D("5000"))
    cash.freeze(D("3000"))
    assert cash.available == D("2000")
    assert cash.withdrawable == D(0)


# --------------------------------------------------------------------------------------------------
# Positions: T+1 and T+0


def test_bought_shares_are_not_sellable_until_the_next_day() -> None:
    pos = Position("600000.SH")
    pos.apply_buy(1000, D("10000"), TODAY, t0=False)
    assert (pos.volume, pos.can_use_volume, pos.today_bought) == (1000, 0, 1000)
    with pytest.raises(OrderDenied) as info:
        pos.freeze_for_sell(100)
    assert info.value.code == "INSUFFICIENT_POSITION"
    assert "下一交易日" in info.value.message_zh
    pos.roll_day()
    assert (pos.volume, pos.yesterday_volume, pos.can_use_volume, pos.today_bought) == (1000, 1000, 1000, 0)


def test_old_shares_stay_sellable_and_todays_buys_do_not_add() -> None:
    # §5: 1,000 old shares and 400 bought today -> at most 1,000 can be sold today.
    pos = Position("600000.SH", volume=1000, yesterday_volume=1000, can_use_volume=1000, cost=D("10000"))
    pos.apply_buy(400, D("4000"), TODAY, t0=False)
    assert (pos.volume, pos.can_use_volume, pos.today_bought) == (1400, 1000, 400)


def test_t0_product_is_sellable_at_once() -> None:
    pos = Position("511880.SH")
    pos.apply_buy(1000, D("100000"), TODAY, t0=True)
    assert pos.can_use_volume == 1000
    pos.freeze_for_sell(1000)
    assert (pos.can_use_volume, pos.frozen_volume) == (0, 1000)


def test_freeze_and_release_shares_for_a_sell_order() -> None:
    pos = Position("600000.SH", volume=1000, yesterday_volume=1000, can_use_volume=1000)
    pos.freeze_for_sell(300)
    assert (pos.can_use_volume, pos.frozen_volume) == (700, 300)
    with pytest.raises(OrderDenied):
        pos.freeze_for_sell(701)
    pos.release_sell(300)
    assert (pos.can_use_volume, pos.frozen_volume) == (1000, 0)
    pos.release_sell(50)  # nothing frozen: nothing to give back
    assert (pos.can_use_volume, pos.frozen_volume) == (1000, 0)


def test_roll_day_releases_frozen_shares_and_makes_everything_sellable() -> None:
    pos = Position("600000.SH", volume=1000, yesterday_volume=1000, can_use_volume=1000)
    pos.freeze_for_sell(300)
    pos.apply_buy(200, D("2000"), TODAY, t0=False)
    pos.roll_day()
    assert (pos.volume, pos.yesterday_volume, pos.can_use_volume, pos.frozen_volume) == (1200, 1200, 1200, 0)


# --------------------------------------------------------------------------------------------------
# Cost and realised P&L


def test_cost_and_average_price_accumulate_over_buys() -> None:
    pos = Position("600000.SH")
    pos.apply_buy(1000, D("10000"), TODAY, t0=False)
    pos.apply_buy(500, D("5600"), TODAY, t0=False)
    assert pos.cost == D("15600")
    assert pos.avg_price == D("10.4000")
    assert pos.opened_on == TODAY


def test_partial_sell_realises_pnl_net_of_fees() -> None:
    pos = Position("600000.SH", volume=1000, yesterday_volume=1000, can_use_volume=1000, cost=D("10000"))
    pos.freeze_for_sell(400)
    fees = Fees(commission=D("5.00"), stamp_duty=D("2.40"), transfer_fee=D("0.05"))
    pnl = pos.apply_sell(400, D("4800"), fees)  # 400 @ 12.00, cost 4,000
    assert pnl == D("4800") - D("4000") - D("7.45")
    assert pos.realized_pnl == pnl
    assert (pos.volume, pos.frozen_volume, pos.can_use_volume) == (600, 0, 600)
    assert pos.cost == D("6000")
    assert pos.avg_price == D("10.0000")


def test_selling_everything_clears_cost_and_keeps_realised_pnl() -> None:
    pos = Position("600000.SH", volume=300, yesterday_volume=300, can_use_volume=300, cost=D("3000"))
    pos.freeze_for_sell(300)
    pnl = pos.apply_sell(300, D("2700"), Fees(commission=D("5.00"), stamp_duty=D("1.35"), transfer_fee=D("0.03")))
    assert pnl == D("-306.38")
    assert (pos.volume, pos.cost, pos.avg_price, pos.opened_on) == (0, D(0), D(0), None)
    assert pos.realized_pnl == D("-306.38")


def test_realised_pnl_accumulates_over_sells() -> None:
    pos = Position("600000.SH", volume=300, yesterday_volume=300, can_use_volume=300, cost=D("3300"))
    pos.freeze_for_sell(300)
    first = pos.apply_sell(100, D("1200"), Fees())
    second = pos.apply_sell(200, D("2000"), Fees())
    assert (first, second) == (D("100"), D("-200"))
    assert pos.realized_pnl == D("-100")


# --------------------------------------------------------------------------------------------------
# Portfolio


def test_portfolio_roll_day_settles_cash_releases_shares_and_drops_empty_positions() -> None:
    book = Portfolio(Cash(D("100000")))
    bought = book.position("600000.SH")
    bought.apply_buy(1000, D("10000"), TODAY, t0=False)
    book.position("000001.SZ")  # empty
    book.cash.receive_sale(D("500"))
    assert book.sellable("600000.SH") == 0
    assert book.sellable("688981.SH") == 0
    book.roll_day()
    assert set(book.positions) == {"600000.SH"}
    assert book.sellable("600000.SH") == 1000
    assert book.cash.withdrawable == book.cash.available


def test_position_is_created_once() -> None:
    book = Portfolio(Cash(D(0)))
    assert book.position("600000.SH") is book.position("600000.SH")
