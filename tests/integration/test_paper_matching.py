"""The paper exchange matches like the exchange: displayed volume, price types, auctions, sessions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.conftest import ExchangeFactory, at

from qmtdesk.brokers.codes import BrokerStatus
from qmtdesk.brokers.paper.exchange import OrderNotCancelable
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType

D = Decimal


def buy(ex, code="600000.SH", qty=100, pt=PriceType.LIMIT, price=None):  # type: ignore[no-untyped-def]
    return ex.submit(stock_code=code, side=Side.BUY, quantity=qty, price_type=pt, price=price)


def sell(ex, code="600000.SH", qty=100, pt=PriceType.LIMIT, price=None):  # type: ignore[no-untyped-def]
    return ex.submit(stock_code=code, side=Side.SELL, quantity=qty, price_type=pt, price=price)


def trades_of(ex, order):  # type: ignore[no-untyped-def]
    return [(t.price, t.quantity) for t in ex.todays_trades() if t.order_id == order.order_id]


# ------------------------------------------------------------------------------------- fixed book


def test_fixed_book_matches_the_contract(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    q = ex.market.quote("600000.SH")
    assert q.last_price == D("11.50")
    assert [lv.price for lv in q.asks] == [D("11.51"), D("11.52"), D("11.53"), D("11.54"), D("11.55")]
    assert [lv.price for lv in q.bids] == [D("11.49"), D("11.48"), D("11.47"), D("11.46"), D("11.45")]
    assert all(lv.volume >= 10_000 for lv in q.asks + q.bids)
    fund = ex.market.quote("510300.SH")
    assert fund.asks[0].price == D("4.651") and fund.bids[0].price == D("4.649")


# ------------------------------------------------------------------------------------- limit orders


def test_limit_buy_above_the_ask_fills_at_the_ask(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.55"), qty=100)
    assert order.status is OrderStatus.FILLED and order.status_code == BrokerStatus.SUCCEEDED
    assert trades_of(ex, order) == [(D("11.51"), 100)]


def test_limit_buy_sweeps_levels_up_to_its_price_and_rests_the_rest(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.52"), qty=25_000)
    assert trades_of(ex, order) == [(D("11.51"), 10_000), (D("11.52"), 10_000)]
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.status_code == BrokerStatus.PART_SUCC
    assert order.remaining == 5_000


def test_partial_fill_consumes_displayed_volume_for_later_orders(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    first = buy(ex, price=D("11.51"), qty=8_000)
    second = buy(ex, price=D("11.51"), qty=5_000)
    assert first.filled == 8_000
    assert second.filled == 2_000  # only what the snapshot still shows
    assert second.status is OrderStatus.PARTIALLY_FILLED


def test_resting_order_fills_when_a_later_snapshot_crosses_it(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.51"), qty=15_000)
    assert order.filled == 10_000
    ex.clock.set(at("2026-11-25 10:00:03"))
    ex.sync()
    assert order.filled == 15_000 and order.status is OrderStatus.FILLED


def test_with_a_snapshot_interval_the_book_refreshes_only_once_the_interval_has_passed(
    make_exchange: ExchangeFactory,
) -> None:
    ex = make_exchange()
    ex.snapshot_seconds = 3.0
    order = buy(ex, price=D("11.51"), qty=15_000)
    assert order.filled == 10_000
    ex.clock.set(at("2026-11-25 10:00:02"))
    ex.sync()
    assert order.filled == 10_000  # the same snapshot: nothing new is displayed
    ex.clock.set(at("2026-11-25 10:00:03"))
    ex.sync()
    assert order.filled == 15_000 and order.status is OrderStatus.FILLED


def test_limit_buy_below_the_ask_rests_accepted(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.49"))
    assert order.status is OrderStatus.ACCEPTED and order.status_code == BrokerStatus.REPORTED
    assert order.frozen_cash > 0


def test_resting_buy_fills_when_the_price_falls_to_it(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.40"), qty=200)
    ex.set_price("600000.SH", D("11.39"))
    assert order.status is OrderStatus.FILLED
    assert trades_of(ex, order) == [(D("11.40"), 200)]


# ------------------------------------------------------------------------------------- market orders


def test_sh_market_order_sweeps_five_levels_and_cancels_the_rest(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, qty=60_000, pt=PriceType.MARKET, price=D("12.00"))
    assert order.filled == 50_000
    assert order.avg_fill_price == D("11.53")
    assert order.status is OrderStatus.PARTIALLY_CANCELED and order.status_code == BrokerStatus.PART_CANCEL
    assert ex.portfolio.cash.frozen == 0


def test_sh_market_order_without_protective_price_is_rejected(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, qty=100, pt=PriceType.BEST5_CANCEL)
    assert order.status is OrderStatus.REJECTED and order.status_code == BrokerStatus.JUNK
    assert order.error_code == "INVALID_PRICE"


def test_protective_price_bounds_market_fills(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, qty=30_000, pt=PriceType.BEST5_CANCEL, price=D("11.52"))
    assert trades_of(ex, order) == [(D("11.51"), 10_000), (D("11.52"), 10_000)]
    assert order.status is OrderStatus.PARTIALLY_CANCELED


def test_best5_limit_remainder_rests_at_the_last_fill_price(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, qty=60_000, pt=PriceType.BEST5_LIMIT, price=D("12.00"))
    assert order.filled == 50_000
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.limit_price == D("11.55")


def test_best5_limit_with_no_asks_rests_at_own_best_bid(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    ex.set_price("600000.SH", D("12.65"))  # sealed at limit-up: no asks
    order = buy(ex, qty=1_000, pt=PriceType.BEST5_LIMIT, price=D("12.65"))
    assert order.filled == 0
    assert order.status is OrderStatus.ACCEPTED and order.limit_price == D("12.65")


def test_market_buy_at_limit_up_with_nothing_to_buy_is_cancelled(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    ex.set_price("600000.SH", D("12.65"))
    quote = ex.market.quote("600000.SH")
    assert quote.asks == () and quote.bids[0].price == D("12.65")
    order = buy(ex, qty=1_000, pt=PriceType.MARKET, price=D("12.65"))
    assert order.status is OrderStatus.CANCELED and order.status_code == BrokerStatus.CANCELED
    assert ex.portfolio.cash.frozen == 0


def test_sz_ioc_takes_what_is_shown_and_cancels_the_rest(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, code="000001.SZ", qty=60_000, pt=PriceType.IOC)
    assert order.filled == 50_000 and order.status is OrderStatus.PARTIALLY_CANCELED


def test_sz_fok_fills_all_or_nothing(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    too_big = buy(ex, code="000001.SZ", qty=60_000, pt=PriceType.FOK)
    assert too_big.filled == 0 and too_big.status is OrderStatus.CANCELED
    fits = buy(ex, code="000001.SZ", qty=50_000, pt=PriceType.FOK)
    assert fits.filled == 50_000 and fits.status is OrderStatus.FILLED


def test_counterparty_best_is_priced_at_the_opposite_best_and_rests(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, code="000001.SZ", qty=15_000, pt=PriceType.COUNTERPARTY_BEST)
    assert order.limit_price == D("11.61")
    assert order.filled == 10_000 and order.status is OrderStatus.PARTIALLY_FILLED


def test_own_best_is_priced_at_the_own_best_and_rests(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = sell_setup = buy(ex, code="000001.SZ", qty=1_000, pt=PriceType.OWN_BEST)
    assert sell_setup.limit_price == D("11.59")
    assert order.filled == 0 and order.status is OrderStatus.ACCEPTED


def test_szse_only_types_are_refused_on_sse(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, qty=100, pt=PriceType.IOC)
    assert order.status is OrderStatus.REJECTED and order.error_code == "PRICE_TYPE_NOT_SUPPORTED"


def test_latest_is_a_limit_at_the_last_price(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, qty=100, pt=PriceType.LATEST)
    assert order.limit_price == D("11.50")
    assert order.status is OrderStatus.ACCEPTED  # the ask is a tick above the last price


# ------------------------------------------------------------------------------------- price checks


def test_limit_buy_outside_the_cage_is_rejected_with_price_cage(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.75"))  # cap = max(11.51 x 1.02 = 11.74, 11.51 + 10 ticks)
    assert order.error_code == "PRICE_CAGE" and order.status_code == BrokerStatus.JUNK
    assert buy(ex, price=D("11.74")).status is OrderStatus.FILLED


def test_limit_buy_beyond_limit_up_is_rejected(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    assert buy(ex, price=D("12.66")).error_code == "PRICE_OUT_OF_LIMIT"


# ------------------------------------------------------------------------------------- sessions


def test_orders_before_915_wait_at_the_broker_and_cancel_at_once(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 09:05"))
    order = buy(ex, price=D("11.50"))
    assert order.status is OrderStatus.SUBMITTED and order.status_code == BrokerStatus.WAIT_REPORTING
    cancelled = ex.cancel(order.order_id)
    assert cancelled.status is OrderStatus.CANCELED and ex.portfolio.cash.frozen == 0


def test_opening_auction_uncrosses_once_at_925_at_the_open_price(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 09:05"))
    order = buy(ex, price=D("11.60"), qty=1_000)
    ex.clock.set(at("2026-11-25 09:16"))
    ex.sync()
    assert order.status is OrderStatus.ACCEPTED and order.filled == 0  # no continuous matching in the auction
    ex.clock.set(at("2026-11-25 09:25"))
    ex.sync()
    assert order.status is OrderStatus.FILLED
    assert trades_of(ex, order) == [(D("11.50"), 1_000)]  # the single auction price, not the limit


def test_cancels_are_refused_from_920_to_925(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 09:16"))
    order = buy(ex, price=D("11.40"))
    ex.clock.set(at("2026-11-25 09:21"))
    with pytest.raises(OrderNotCancelable) as refused:
        ex.cancel(order.order_id)
    assert refused.value.code == "ORDER_NOT_CANCELABLE"
    assert order.is_open


def test_market_orders_are_refused_in_the_opening_auction(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 09:16"))
    order = buy(ex, pt=PriceType.MARKET, price=D("12.00"))
    assert order.error_code == "PRICE_TYPE_NOT_SUPPORTED"


def test_orders_between_925_and_930_queue_until_continuous_trading(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 09:26"))
    order = buy(ex, price=D("11.51"))
    assert order.status_code == BrokerStatus.WAIT_REPORTING
    ex.clock.set(at("2026-11-25 09:30"))
    ex.sync()
    assert order.status is OrderStatus.FILLED


def test_lunch_break_orders_queue_until_1300(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 12:00"))
    order = buy(ex, price=D("11.51"))
    assert order.status_code == BrokerStatus.WAIT_REPORTING and order.filled == 0
    ex.clock.set(at("2026-11-25 13:00:01"))
    ex.sync()
    assert order.status is OrderStatus.FILLED


def test_cancel_in_lunch_break_is_pending_until_the_exchange_reopens(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 11:00"))
    order = buy(ex, price=D("11.40"))
    ex.clock.set(at("2026-11-25 12:00"))
    pending = ex.cancel(order.order_id)
    assert pending.status is OrderStatus.PENDING_CANCEL and pending.status_code == BrokerStatus.REPORTED_CANCEL
    ex.clock.set(at("2026-11-25 13:00"))
    ex.sync()
    assert order.status is OrderStatus.CANCELED and order.status_code == BrokerStatus.CANCELED


def test_closing_auction_fills_at_the_close_and_refuses_cancels(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(at("2026-11-25 14:58"))
    order = buy(ex, price=D("11.55"), qty=500)
    assert order.status is OrderStatus.ACCEPTED and order.filled == 0
    with pytest.raises(OrderNotCancelable):
        ex.cancel(order.order_id)
    ex.clock.set(at("2026-11-25 15:00"))
    ex.sync()
    assert trades_of(ex, order) == [(D("11.50"), 500)]


def test_open_orders_expire_at_the_close_and_release_cash(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.40"), qty=1_000)
    assert ex.portfolio.cash.frozen > 0
    ex.clock.set(at("2026-11-25 15:01"))
    ex.sync()
    assert order.status is OrderStatus.EXPIRED and order.status_code == BrokerStatus.CANCELED
    assert ex.portfolio.cash.frozen == 0 and ex.portfolio.cash.available == D("1000000")


@pytest.mark.parametrize("moment", ["2026-11-28 10:00", "2026-11-25 16:00", "2026-10-01 10:00", "2026-11-25 08:30"])
def test_orders_outside_trading_hours_are_rejected_market_closed(make_exchange: ExchangeFactory, moment: str) -> None:
    ex = make_exchange(at(moment))
    assert buy(ex, price=D("11.50")).error_code == "MARKET_CLOSED"


def test_terminal_orders_cannot_be_cancelled(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.51"))
    with pytest.raises(OrderNotCancelable):
        ex.cancel(order.order_id)


# ------------------------------------------------------------------------------------- T+1 and the day roll


def test_shares_bought_today_are_sellable_only_next_trading_day(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    buy(ex, price=D("11.51"), qty=1_000)
    refused = sell(ex, price=D("11.49"), qty=1_000)
    assert refused.error_code == "INSUFFICIENT_POSITION" and "下一交易日" in refused.status_msg
    ex.clock.set(at("2026-11-26 09:31"))
    ex.sync()
    [position] = ex.position_reports()
    assert position.can_use_volume == 1_000 and position.yesterday_volume == 1_000
    assert sell(ex, price=D("11.49"), qty=1_000).status is OrderStatus.FILLED


def test_t0_fund_bought_today_is_sellable_today(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    buy(ex, code="511880.SH", price=D("100.501"), qty=100)
    assert sell(ex, code="511880.SH", price=D("100.499"), qty=100).status is OrderStatus.FILLED


def test_sale_proceeds_are_usable_at_once_and_withdrawable_next_day(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    buy(ex, price=D("11.51"), qty=1_000)
    ex.clock.set(at("2026-11-26 10:00"))
    ex.sync()
    before = ex.account_report()
    sell(ex, price=D("11.49"), qty=1_000)
    after = ex.account_report()
    proceeds = D("11490") - D("5.00") - D("5.75") - D("0.11")
    assert after.cash == before.cash + proceeds
    assert after.withdrawable == before.withdrawable
    ex.clock.set(at("2026-11-27 09:00"))
    ex.sync()
    assert ex.account_report().withdrawable == after.cash


def test_weekend_day_roll_moves_reference_prices_to_the_close(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(volatility="0.3")
    ex.clock.set(at("2026-11-27 15:00"))
    ex.sync()
    close = ex.market.quote("600519.SH").last_price
    ex.clock.set(at("2026-11-30 09:00"))  # Monday
    ex.sync()
    assert ex.current_day.isoformat() == "2026-11-30"
    assert ex.universe.get("600519.SH").prev_close == close


# ------------------------------------------------------------------------------------- fees


def test_commission_minimum_is_charged_once_per_order_across_fills(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.51"), qty=15_000)
    ex.clock.set(at("2026-11-25 10:00:03"))
    ex.sync()
    fills = [t for t in ex.todays_trades() if t.order_id == order.order_id]
    assert len(fills) == 2
    assert sum(t.fees.commission for t in fills) == D("43.16")  # 172,650 x 0.025%
    assert sum(t.fees.transfer_fee for t in fills) == D("1.73")


def test_small_order_pays_the_five_yuan_minimum(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange()
    order = buy(ex, price=D("11.51"), qty=100)
    assert order.fees.commission == D("5.00") and order.fees.transfer_fee == D("0.01")
    assert order.fees.stamp_duty == 0


# ------------------------------------------------------------------------------- ST daily buy cap


def test_the_exchange_junks_a_st_buy_past_500000_shares_the_same_day(make_exchange: ExchangeFactory) -> None:
    ex = make_exchange(cash="10000000")
    first = buy(ex, "600179.SH", 300_000, price=D("3.10"))
    assert first.status is OrderStatus.ACCEPTED
    over = buy(ex, "600179.SH", 300_000, price=D("3.10"))
    assert over.status is OrderStatus.REJECTED and over.error_code == "QUANTITY_TOO_LARGE"
    assert "风险警示" in over.status_msg
    ex.cancel(first.order_id)
    assert buy(ex, "600179.SH", 300_000, price=D("3.10")).status is OrderStatus.ACCEPTED
