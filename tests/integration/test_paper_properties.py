"""Property tests: whatever traders do, the paper account's books stay consistent."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import ExchangeFactory, at

from qmtdesk.brokers.paper.exchange import OrderNotCancelable, PaperExchange
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType

CODES = ["600000.SH", "000001.SZ", "688981.SH", "920185.BJ", "511880.SH", "300750.SZ"]
PRICE_TYPES = list(PriceType)

submit_op = st.tuples(
    st.just("submit"),
    st.sampled_from(CODES),
    st.sampled_from(list(Side)),
    st.sampled_from(PRICE_TYPES),
    st.integers(min_value=1, max_value=80_000),
    st.integers(min_value=-30, max_value=30),  # price offset in ticks from the last price
)
cancel_op = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=40))
advance_op = st.tuples(st.just("advance"), st.integers(min_value=1, max_value=26 * 3600))
operations = st.lists(st.one_of(submit_op, submit_op, cancel_op, advance_op), min_size=1, max_size=40)


def _check_invariants(ex: PaperExchange, initial: Decimal) -> None:
    orders = ex.todays_orders()
    for order in orders:
        assert 0 <= order.filled <= order.quantity
        if not order.is_open:
            assert order.frozen_cash == 0
    open_buys = [o for o in orders if o.is_open and o.side is Side.BUY]
    cash = ex.portfolio.cash
    assert cash.frozen == sum((o.frozen_cash for o in open_buys), Decimal(0))
    assert cash.available >= 0
    for code, position in ex.portfolio.positions.items():
        open_sells = sum(o.remaining for o in orders if o.is_open and o.side is Side.SELL and o.stock_code == code)
        assert position.frozen_volume == open_sells
        assert 0 <= position.can_use_volume <= position.volume
    # Conservation: cash + holdings at cost (buy fees are part of the cost) = starting cash + the
    # realised P&L of every sale (net of its fees and of the fees of the shares it sold).
    realised = sum((t.realized_pnl for t in ex.all_trades if t.side is Side.SELL), Decimal(0))
    holdings_at_cost = sum((p.cost for p in ex.portfolio.positions.values()), Decimal(0))
    assert cash.balance + holdings_at_cost == initial + realised
    assert ex.portfolio.fees_paid == sum((t.fees.total for t in ex.all_trades), Decimal(0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, volatility=st.sampled_from(["0", "0.3", "3"]))
def test_books_stay_consistent_under_any_sequence(make_exchange: ExchangeFactory, ops, volatility) -> None:  # type: ignore[no-untyped-def]
    initial = Decimal("1000000")
    ex = make_exchange(at("2026-11-25 09:10"), volatility=volatility)
    ex.all_trades = []  # type: ignore[attr-defined]
    seen: set[int] = set()

    class Collect:
        def on_order(self, order):  # type: ignore[no-untyped-def]
            pass

        def on_trade(self, trade):  # type: ignore[no-untyped-def]
            assert trade.trade_id not in seen
            seen.add(trade.trade_id)
            ex.all_trades.append(trade)  # type: ignore[attr-defined]

        def on_day_closed(self, day):  # type: ignore[no-untyped-def]
            pass

    ex.listeners.append(Collect())
    # Something to sell on the first day: holdings from "yesterday".
    for code in CODES:
        position = ex.portfolio.position(code)
        position.volume = position.yesterday_volume = position.can_use_volume = 1_000
        position.cost = ex.universe.get(code).prev_close * 1_000
        initial += position.cost
    for op in ops:
        if op[0] == "submit":
            _, code, side, price_type, qty, offset = op
            quote = ex.market.quote(code)
            tick = Decimal("0.001") if code.startswith("511") else Decimal("0.01")
            price = (
                quote.last_price + offset * tick if price_type is not PriceType.MARKET or code[-2:] != "SZ" else None
            )
            order = ex.submit(stock_code=code, side=side, quantity=qty, price_type=price_type, price=price)
            assert order.status is not OrderStatus.PENDING_NEW
        elif op[0] == "cancel":
            orders = ex.todays_orders()
            if orders:
                with contextlib.suppress(OrderNotCancelable):
                    ex.cancel(orders[op[1] % len(orders)].order_id)
        else:
            ex.clock.set(ex.clock.now() + timedelta(seconds=op[1]))
            ex.sync()
        _check_invariants(ex, initial)
