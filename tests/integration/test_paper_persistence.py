"""The paper account is a broker: a restart continues exactly where it stopped."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import TRADING_MORNING, ExchangeFactory, at

from qmtdesk.brokers.paper.store import SqlPaperStore
from qmtdesk.domain.clock import SimulatedClock
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType

D = Decimal


def _order(ex, side, qty, price, code="600000.SH"):  # type: ignore[no-untyped-def]
    return ex.submit(stock_code=code, side=side, quantity=qty, price_type=PriceType.LIMIT, price=price)


def test_restart_keeps_orders_trades_positions_and_cash(
    make_exchange: ExchangeFactory, paper_store: SqlPaperStore
) -> None:
    clock = SimulatedClock(TRADING_MORNING, running=False)
    first = make_exchange(store=paper_store, clock=clock)
    filled = _order(first, Side.BUY, 1_000, D("11.51"))
    resting = _order(first, Side.BUY, 500, D("11.40"))
    account_before = first.account_report()

    second = make_exchange(store=paper_store, clock=clock)
    assert second.account_report() == account_before
    assert [p.volume for p in second.position_reports()] == [1_000]
    assert [(t.price, t.quantity) for t in second.todays_trades()] == [(D("11.51"), 1_000)]
    orders = {o.order_id: o for o in second.todays_orders()}
    assert orders[filled.order_id].status is OrderStatus.FILLED
    assert orders[resting.order_id].status is OrderStatus.ACCEPTED
    assert orders[resting.order_id].frozen_cash == resting.frozen_cash

    cancelled = second.cancel(resting.order_id)
    assert cancelled.status is OrderStatus.CANCELED
    assert second.portfolio.cash.frozen == 0
    new = _order(second, Side.BUY, 100, D("11.51"))
    assert new.order_id == resting.order_id + 1  # ids continue, never reused


def test_restart_mid_day_keeps_t1_and_releases_next_day(
    make_exchange: ExchangeFactory, paper_store: SqlPaperStore
) -> None:
    clock = SimulatedClock(TRADING_MORNING, running=False)
    first = make_exchange(store=paper_store, clock=clock)
    _order(first, Side.BUY, 1_000, D("11.51"))
    second = make_exchange(store=paper_store, clock=clock)
    assert _order(second, Side.SELL, 1_000, D("11.49")).error_code == "INSUFFICIENT_POSITION"
    clock.set(at("2026-11-26 10:00"))
    third = make_exchange(store=paper_store, clock=clock)
    assert third.current_day.isoformat() == "2026-11-26"
    assert _order(third, Side.SELL, 1_000, D("11.49")).status is OrderStatus.FILLED


def test_orders_open_across_a_restart_expire_at_the_close(
    make_exchange: ExchangeFactory, paper_store: SqlPaperStore
) -> None:
    clock = SimulatedClock(TRADING_MORNING, running=False)
    first = make_exchange(store=paper_store, clock=clock)
    resting = _order(first, Side.BUY, 500, D("11.40"))
    clock.set(at("2026-11-26 09:00"))
    second = make_exchange(store=paper_store, clock=clock)
    orders = {o.order_id: o for o in second.todays_orders()}
    assert resting.order_id not in orders or orders[resting.order_id].status is OrderStatus.EXPIRED
    assert second.portfolio.cash.frozen == 0
    assert second.portfolio.cash.available == D("1000000")


def test_reset_starts_a_fresh_account(make_exchange: ExchangeFactory, paper_store: SqlPaperStore) -> None:
    clock = SimulatedClock(TRADING_MORNING, running=False)
    ex = make_exchange(store=paper_store, clock=clock)
    _order(ex, Side.BUY, 1_000, D("11.51"))
    ex.reset(D("500000"))
    again = make_exchange(store=paper_store, clock=clock)
    assert again.account_report().total_asset == D("500000")
    assert again.position_reports() == [] and again.todays_orders() == []
