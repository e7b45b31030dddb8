"""One contract for every broker behind the port: the paper exchange and the MiniQMT adapter behave alike.

Each harness starts a broker on a trading morning and knows how to make a resting order fill; the
same tests then check connection, acceptance, fills, cancels, rejections, T+1 and queries.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qmtdesk.brokers.base import (
    CancelErrorReport,
    ConnectionReport,
    ConnectionState,
    OrderAckReport,
    OrderErrorReport,
    OrderReport,
    OrderRequest,
    TradeReport,
)
from qmtdesk.brokers.paper.broker import PaperBroker
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, bundled_universe
from tests.xtfake import MiniQMT, install

MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
ACCOUNT = "8881234567"
CODE = "600000.SH"


@dataclass
class Recorder:
    """A broker listener that remembers everything (pushes arrive on broker threads)."""

    orders: list[OrderReport] = field(default_factory=list)
    trades: list[TradeReport] = field(default_factory=list)
    acks: list[OrderAckReport] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_order(self, report: OrderReport) -> None:
        with self.lock:
            self.orders.append(report)

    def on_trade(self, report: TradeReport) -> None:
        with self.lock:
            self.trades.append(report)

    def on_order_ack(self, report: OrderAckReport) -> None:
        with self.lock:
            self.acks.append(report)

    def on_order_error(self, report: OrderErrorReport) -> None:
        with self.lock:
            self.errors.append(report)

    def on_cancel_error(self, report: CancelErrorReport) -> None:
        with self.lock:
            self.errors.append(report)

    def on_connection(self, report: ConnectionReport) -> None:
        pass

    def last(self, ref: str) -> OrderReport | None:
        with self.lock:
            mine = [o for o in self.orders if o.ref == ref]
        return mine[-1] if mine else None

    def broker_id(self, ref: str) -> str | None:
        with self.lock:
            for report in self.orders:
                if report.ref == ref and report.broker_order_id:
                    return report.broker_order_id
            for ack in self.acks:
                if ack.ref == ref and ack.broker_order_id:
                    return ack.broker_order_id
        return None


async def until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {value!r}")
        await asyncio.sleep(0.02)


@dataclass
class Harness:
    """A connected broker plus how to make its market fill a resting order."""

    broker: Any
    recorder: Recorder
    fill: Callable[[str, int], None]


def _paper(calendar: TradingCalendar) -> Harness:
    market = SimulatedMarket(Universe(bundled_universe()), calendar, volatility=Decimal(0), seed=1)
    exchange = PaperExchange(
        market=market, calendar=calendar, clock=SimulatedClock(MORNING, running=False), fees=FeeSchedule()
    )
    broker = PaperBroker(exchange, tick_seconds=3600)

    def fill(broker_order_id: str, _quantity: int) -> None:
        order = exchange.orders[int(broker_order_id)]
        exchange.set_price(order.stock_code, order.limit_price - Decimal("0.01"))  # the market trades through it

    return Harness(broker, Recorder(), fill)


def _xtquant(path: Path) -> Harness:
    install()
    MiniQMT.reset_all()
    server = MiniQMT.at(str(path))
    server.add_account(ACCOUNT, cash=1_000_000)
    server.add_instrument(CODE, "浦发银行", Decimal("11.50"))
    server.configure(auto_match=True)
    config = XtQuantConfig(userdata_path=str(path), account_id=ACCOUNT)
    broker = XtQuantBroker(lambda: config, SimulatedClock(MORNING))

    def fill(broker_order_id: str, quantity: int) -> None:
        server.fill(int(broker_order_id), quantity)

    return Harness(broker, Recorder(), fill)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["paper", "xtquant"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path, calendar: TradingCalendar) -> AsyncIterator[Harness]:
    h = _paper(calendar) if request.param == "paper" else _xtquant(tmp_path / "userdata_mini")
    h.broker.set_listener(h.recorder)
    await h.broker.connect()
    yield h
    await h.broker.close()
    MiniQMT.reset_all()


def _request(ref: str, price: str, side: Side = Side.BUY, quantity: int = 100) -> OrderRequest:
    return OrderRequest(ref, CODE, side, quantity, PriceType.LIMIT, Decimal(price))


pytestmark = pytest.mark.anyio


async def test_connects_and_reports_cash(harness: Harness) -> None:
    assert harness.broker.state is ConnectionState.CONNECTED
    account = await harness.broker.query_account()
    assert account.cash > 0 and account.total_asset >= account.cash


async def test_resting_order_is_accepted_and_cancels_to_54(harness: Harness) -> None:
    await harness.broker.submit(_request("c-rest", "11.40"))
    accepted = await until(lambda: (r := harness.recorder.last("c-rest")) and r.status is OrderStatus.ACCEPTED and r)
    assert accepted.status_code == 50
    broker_id = await until(lambda: harness.recorder.broker_id("c-rest"))
    await harness.broker.cancel(broker_id)
    done = await until(lambda: (r := harness.recorder.last("c-rest")) and r.status is OrderStatus.CANCELED and r)
    assert done.status_code == 54 and done.filled_quantity == 0


async def test_resting_order_fills_with_a_trade_and_ends_56(harness: Harness) -> None:
    await harness.broker.submit(_request("c-fill", "11.40", quantity=300))
    broker_id = await until(lambda: harness.recorder.broker_id("c-fill"))
    await until(lambda: (r := harness.recorder.last("c-fill")) and r.status is OrderStatus.ACCEPTED)
    harness.fill(broker_id, 300)
    done = await until(lambda: (r := harness.recorder.last("c-fill")) and r.status is OrderStatus.FILLED and r)
    assert done.status_code == 56 and done.filled_quantity == 300
    trades = [t for t in harness.recorder.trades if t.broker_order_id == broker_id]
    assert sum(t.quantity for t in trades) == 300 and all(t.side is Side.BUY for t in trades)
    queried = await harness.broker.query_trades()
    assert {t.broker_trade_id for t in queried} >= {t.broker_trade_id for t in trades}


async def test_shares_bought_today_are_not_sellable(harness: Harness) -> None:
    await harness.broker.submit(_request("c-t1", "11.40"))
    broker_id = await until(lambda: harness.recorder.broker_id("c-t1"))
    await until(lambda: (r := harness.recorder.last("c-t1")) and r.status is OrderStatus.ACCEPTED)
    harness.fill(broker_id, 100)
    await until(lambda: (r := harness.recorder.last("c-t1")) and r.status is OrderStatus.FILLED)
    [position] = [p for p in await harness.broker.query_positions() if p.stock_code == CODE]
    assert position.volume == 100 and position.can_use_volume == 0


async def test_price_beyond_the_daily_limit_is_rejected_57(harness: Harness) -> None:
    await harness.broker.submit(_request("c-bad", "13.00"))
    rejected = await until(lambda: (r := harness.recorder.last("c-bad")) and r.status is OrderStatus.REJECTED and r)
    assert rejected.status_code == 57 and rejected.status_msg


async def test_query_orders_shows_every_order_of_the_day(harness: Harness) -> None:
    await harness.broker.submit(_request("c-q1", "11.40"))
    await harness.broker.submit(_request("c-q2", "11.41"))
    await until(lambda: harness.recorder.broker_id("c-q1") and harness.recorder.broker_id("c-q2"))
    refs = {o.ref for o in await harness.broker.query_orders()}
    assert {"c-q1", "c-q2"} <= refs
