"""The paper exchange behind the broker port, on the event loop with the engine.

The paper counter and exchange are plain Python: matching an order takes tens of microseconds, so
they run on the loop thread, where the engine runs too — no thread hop, and a submission's reports
(acceptance, fills) reach the engine before ``submit`` returns. The exchange's own state is written
through the desk's journal, in the same transactions as the ledger changes it caused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from qmtdesk.brokers.base import (
    AccountReport,
    BrokerListener,
    CancelErrorReport,
    ConnectionReport,
    ConnectionState,
    IpoIssue,
    OrderReport,
    OrderRequest,
    PositionReport,
    TradeReport,
)
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.models import PaperOrder, PaperTrade
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import BrokerUnavailable, DeskError
from qmtdesk.domain.portfolio import Position

log = logging.getLogger(__name__)


class PaperClockRealtime(DeskError):
    """The paper clock is the wall clock: it cannot be moved."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            "PAPER_CLOCK_REALTIME",
            "纸面交易时钟为实时时钟，不能拨动；设置 QMTDESK_PAPER_CLOCK 为起始时间以使用模拟时钟",
            "The paper clock is the real-time clock; set QMTDESK_PAPER_CLOCK to a start time to simulate",
        )


class _Forward:
    """Turns the exchange's pushes into broker reports for the desk's listener."""

    def __init__(self, broker: PaperBroker) -> None:
        self.broker = broker

    def on_order(self, order: PaperOrder) -> None:
        if self.broker.listener is not None:
            self.broker.listener.on_order(order.report())

    def on_trade(self, trade: PaperTrade) -> None:
        if self.broker.listener is not None:
            self.broker.listener.on_trade(trade.report())

    def on_day_closed(self, day: date) -> None:
        # The account as it stands at this close, before anything moves on.
        account = self.broker.exchange.account_report()
        for hook in self.broker.close_hooks:
            hook(day, account)


class PaperBroker:
    """Broker port over :class:`PaperExchange`, called on the event loop."""

    name = "paper"
    account_type = "STOCK"
    #: The paper counter freezes cash and shares inside ``submit``; no reservation is needed above it.
    freezes_synchronously = True
    placement_deadline: float | None = None
    last_error = ""
    session_id: int | None = None
    #: The paper exchange lists no new issues and knows no repo codes.
    supports_subscriptions = False

    def __init__(self, exchange: PaperExchange, *, tick_seconds: float = 3.0) -> None:
        self.exchange = exchange
        self.account_id = exchange.account_id
        self.tick_seconds = tick_seconds
        self.listener: BrokerListener | None = None
        #: Called at each close with the account at that moment.
        self.close_hooks: list[Callable[[date, AccountReport], None]] = []
        self._state = ConnectionState.DISCONNECTED
        self._ticker: asyncio.Task[None] | None = None
        exchange.listeners.append(_Forward(self))

    def set_listener(self, listener: BrokerListener) -> None:
        """Where pushes go."""
        self.listener = listener

    @property
    def state(self) -> ConnectionState:
        """Connected once started; the paper exchange never drops its link by itself."""
        return self._state

    async def connect(self) -> None:
        """Start the session and the quote ticker."""
        if self._state is ConnectionState.CONNECTED:
            return
        self.exchange.sync()
        self._state = ConnectionState.CONNECTED
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick_forever(), name="paper-ticker")
        if self.listener is not None:
            self.listener.on_connection(ConnectionReport(ConnectionState.CONNECTED, "paper exchange"))

    async def disconnect(self) -> None:
        """Stop the ticker; orders are refused until reconnected."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self._state = ConnectionState.DISCONNECTED
        if self.listener is not None:
            self.listener.on_connection(ConnectionReport(ConnectionState.DISCONNECTED, "paper exchange stopped"))

    async def close(self) -> None:
        """Disconnect (the exchange holds nothing else)."""
        await self.disconnect()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                self.exchange.sync()
            except Exception:  # the ticker must survive anything one snapshot does
                log.exception("paper exchange tick failed")

    async def tick(self) -> None:
        """Bring the exchange up to the clock now (also used after the paper clock moves)."""
        self.exchange.sync()

    def _require_link(self) -> None:
        if self._state is not ConnectionState.CONNECTED:
            raise BrokerUnavailable(self._state.value)

    async def submit(self, request: OrderRequest) -> str | None:
        """Send an order to the paper counter; its reports reach the listener before this returns."""
        self._require_link()
        order = self.exchange.submit(
            stock_code=request.stock_code,
            side=request.side,
            quantity=request.quantity,
            price_type=request.price_type,
            price=request.price,
            ref=request.ref,
            strategy_name=request.strategy_name,
        )
        return str(order.order_id)

    async def cancel(self, broker_order_id: str) -> None:
        """Ask to cancel; a refusal raises and is also pushed as a cancel error."""
        self._require_link()
        try:
            self.exchange.cancel(int(broker_order_id))
        except DeskError as refused:
            if self.listener is not None:
                self.listener.on_cancel_error(CancelErrorReport(broker_order_id, refused.code, refused.message_zh))
            raise

    async def query_orders(self) -> list[OrderReport]:
        """Today's orders and any still open."""
        return [o.report() for o in self.exchange.todays_orders()]

    async def query_trades(self) -> list[TradeReport]:
        """Today's fills."""
        return [t.report() for t in self.exchange.todays_trades()]

    async def query_positions(self) -> list[PositionReport]:
        """Current holdings."""
        return self.exchange.position_reports()

    async def query_account(self) -> AccountReport:
        """Cash and totals."""
        return self.exchange.account_report()

    async def query_ipo_data(self) -> list[IpoIssue]:
        """The paper exchange has no primary market: nothing to subscribe."""
        return []

    async def query_new_purchase_limit(self) -> dict[str, int]:
        """No primary market, no subscription quota."""
        return {}

    def buying_view(self, stock_code: str) -> tuple[Decimal, Position | None]:
        """Available cash and the position in ``stock_code`` (the exchange's own object: the caller runs
        on the same loop and reads it at once; it must not change it)."""
        return self.exchange.portfolio.cash.available, self.exchange.portfolio.positions.get(stock_code)

    def account_view(self) -> AccountReport:
        """Cash and totals now."""
        return self.exchange.account_report()

    def positions_view(self) -> list[PositionReport]:
        """Holdings now."""
        return self.exchange.position_reports()

    # paper-only administration ------------------------------------------------------------
    async def advance_clock(self, to: datetime) -> None:
        """Move the simulated clock to ``to`` and run everything on the way, a day at a time (the loop
        keeps serving in between)."""
        await advance_paper_clock([self.exchange], to)

    async def set_price(self, stock_code: str, price: Decimal) -> Any:
        """Move a simulated price now (scripted practice and tests); crossing resting orders fill."""
        return self.exchange.set_price(stock_code, price)

    async def reset(self, cash: Decimal) -> None:
        """A fresh paper account."""
        self.exchange.reset(cash)


async def advance_paper_clock(exchanges: Sequence[PaperExchange], to: datetime) -> None:
    """Move the simulated clock the exchanges share to ``to``, a day at a time, every exchange in step.

    Each exchange runs each day's auctions, close and day roll before the clock moves on, so paper
    accounts on one market see the same day at the same moment (the loop keeps serving in between)."""
    clock: Any = exchanges[0].clock
    if not hasattr(clock, "advance_to"):
        raise PaperClockRealtime()
    while True:
        now = clock.now()
        midnight = datetime.combine(now.astimezone(SHANGHAI).date() + timedelta(days=1), time(0), SHANGHAI)
        step = min(to, midnight)
        # A running simulated clock may already have passed ``to`` by a hair: never move it back.
        moment = clock.advance_to(step)
        for exchange in exchanges:
            exchange.sync(moment)
        if step >= to:
            return
        await asyncio.sleep(0)
