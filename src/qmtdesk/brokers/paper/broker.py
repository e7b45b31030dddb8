"""The paper exchange behind the broker port, on its own thread like a real broker session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from qmtdesk.brokers.base import (
    AccountReport,
    BrokerListener,
    CancelErrorReport,
    ConnectionReport,
    ConnectionState,
    OrderReport,
    OrderRequest,
    PositionReport,
    TradeReport,
)
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.models import PaperOrder, PaperTrade
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.portfolio import Position

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        # The account as it stands at this close, taken on the exchange thread before anything moves on.
        account = self.broker.exchange.account_report()
        for hook in self.broker.close_hooks:
            hook(day, account)


class PaperBroker:
    """Broker port over :class:`PaperExchange`. Every exchange call runs on one dedicated thread."""

    name = "paper"
    account_type = "STOCK"
    #: The paper counter freezes cash and shares inside ``submit``; no reservation is needed above it.
    freezes_synchronously = True

    def __init__(self, exchange: PaperExchange, *, tick_seconds: float = 3.0) -> None:
        self.exchange = exchange
        self.account_id = exchange.account_id
        self.tick_seconds = tick_seconds
        self.listener: BrokerListener | None = None
        #: Called on the exchange thread at each close with the account at that moment.
        self.close_hooks: list[Callable[[date, AccountReport], None]] = []
        self._state = ConnectionState.DISCONNECTED
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="paper-exchange")
        self._ticker: asyncio.Task[None] | None = None
        exchange.listeners.append(_Forward(self))

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

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
        await self._call(self.exchange.sync)
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
        """Disconnect and release the exchange thread."""
        await self.disconnect()
        self._executor.shutdown(wait=True)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                await self._call(self.exchange.sync)
            except Exception:  # the ticker must survive anything one snapshot does
                log.exception("paper exchange tick failed")

    async def tick(self) -> None:
        """Bring the exchange up to the clock now (also used after the paper clock moves)."""
        await self._call(self.exchange.sync)

    async def submit(self, request: OrderRequest) -> str | None:
        """Send an order to the paper counter; reports arrive through the listener."""
        order = await self._call(
            self.exchange.submit,
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
        try:
            await self._call(self.exchange.cancel, int(broker_order_id))
        except DeskError as refused:
            if self.listener is not None:
                self.listener.on_cancel_error(CancelErrorReport(broker_order_id, refused.code, refused.message_zh))
            raise

    async def query_orders(self) -> list[OrderReport]:
        """Today's orders and any still open."""
        orders = await self._call(self.exchange.todays_orders)
        return [o.report() for o in orders]

    async def query_trades(self) -> list[TradeReport]:
        """Today's fills."""
        trades = await self._call(self.exchange.todays_trades)
        return [t.report() for t in trades]

    async def query_positions(self) -> list[PositionReport]:
        """Current holdings."""
        return await self._call(self.exchange.position_reports)

    async def query_account(self) -> AccountReport:
        """Cash and totals."""
        return await self._call(self.exchange.account_report)

    async def buying_view(self, stock_code: str) -> tuple[Decimal, Position | None]:
        """Available cash and a copy of the position in ``stock_code``, for pre-trade checks."""

        def read() -> tuple[Decimal, Position | None]:
            pos = self.exchange.portfolio.positions.get(stock_code)
            return self.exchange.portfolio.cash.available, replace(pos) if pos else None

        return await self._call(read)

    # paper-only administration ------------------------------------------------------------
    async def advance_clock(self, to: datetime) -> None:
        """Move the simulated clock to ``to`` and run everything on the way."""
        clock = self.exchange.clock
        setter = getattr(clock, "advance_to", None)
        if setter is None:
            raise DeskError(
                "PAPER_CLOCK_REALTIME",
                "纸面交易时钟为实时时钟，不能拨动；设置 QMTDESK_PAPER_CLOCK 为起始时间以使用模拟时钟",
                "The paper clock is the real-time clock; set QMTDESK_PAPER_CLOCK to a start time to simulate",
                http_status=409,
            )
        await self._call(self._advance, to)

    def _advance(self, to: datetime) -> None:
        # A running simulated clock may already have passed ``to`` by a hair: never move it back.
        now = self.exchange.clock.advance_to(to)  # type: ignore[attr-defined]
        self.exchange.sync(now)

    async def set_price(self, stock_code: str, price: Decimal) -> Any:
        """Move a simulated price now (scripted practice and tests); crossing resting orders fill."""
        return await self._call(self.exchange.set_price, stock_code, price)

    async def reset(self, cash: Decimal) -> None:
        """A fresh paper account."""
        await self._call(self.exchange.reset, cash)
