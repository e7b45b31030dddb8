"""Automatic trading on the watchlist: quotes in, strategy intents out, through the one signal path.

Quote snapshots reach the runtime from the quote source's thread and are handed to the event loop.
During continuous trading each enabled watched stock with a strategy sees its quotes; what the
strategy intends becomes a signal (source ``strategy``) that goes through sizing, A-share
validation and the risk engine like any other — so a halt stops strategies too. With ``auto_trade``
off, intents are shown as advisory signals and nothing is sent. A strategy that raises is disabled
and reported; it never takes the desk down.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.base import Broker
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.rules import Phase
from qmtdesk.domain.sizing import SignalAction, SizingMethod
from qmtdesk.market.quotes import Quote, QuoteProvider
from qmtdesk.market.universe import Universe
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.monitor import MonitoredStockRow
from qmtdesk.strategies.base import PositionView, SignalIntent, Strategy, make_strategy
from qmtdesk.strategies.signals import MAX_SIGNAL_ID, SignalRequest

if TYPE_CHECKING:
    from qmtdesk.strategies.signals import SignalService

log = logging.getLogger(__name__)

#: Strategies see quotes only while the exchange matches continuously.
TRADING_PHASES = frozenset({Phase.CONTINUOUS})


@dataclass
class Running:
    """A watched stock with its live strategy object."""

    code: str
    strategy_name: str
    auto_trade: bool
    sizing: dict[str, Any] | None
    strategy: Strategy


class StrategyRuntime:
    """Feeds quotes to the watchlist's strategies and turns their intents into signals."""

    def __init__(
        self,
        *,
        signals: SignalService,
        quotes: QuoteProvider,
        broker: Broker,
        universe: Universe,
        calendar: TradingCalendar,
        clock: Clock,
        bus: EventBus,
        session_factory: sessionmaker[Session],
    ) -> None:
        self.signals = signals
        self.quotes = quotes
        self.broker = broker
        self.universe = universe
        self.calendar = calendar
        self.clock = clock
        self.bus = bus
        self.session_factory = session_factory
        self.account_id = broker.account_id
        self._running: dict[str, Running] = {}
        self._queue: asyncio.Queue[Quote] = asyncio.Queue(maxsize=10_000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Load the watchlist and begin consuming quotes."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.reload)
        self.quotes.add_listener(self._on_quote_thread)
        self._task = asyncio.create_task(self._consume(), name="strategy-runtime")

    async def stop(self) -> None:
        """Stop consuming and save every strategy's state."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.to_thread(self._save_all)

    def reload(self) -> None:
        """Rebuild the running strategies from the watchlist table (after any change to it)."""
        running: dict[str, Running] = {}
        with unit_of_work(self.session_factory) as session:
            rows = session.scalars(select(MonitoredStockRow).where(MonitoredStockRow.account_id == self.account_id))
            for row in rows:
                if not row.enabled or not row.strategy_type:
                    row.status = "idle" if row.status != "error" else row.status
                    continue
                try:
                    strategy = make_strategy(row.strategy_type, json.loads(row.strategy_params or "{}"))
                    strategy.restore(json.loads(row.state or "{}"))
                except DeskError as exc:
                    row.status, row.error, row.enabled = "error", exc.message_zh, False
                    continue
                row.status, row.error = "running", None
                running[row.stock_code] = Running(
                    row.stock_code,
                    row.strategy_name,
                    row.auto_trade,
                    json.loads(row.sizing) if row.sizing else None,
                    strategy,
                )
        self._running = running

    def watched_codes(self) -> set[str]:
        """Codes whose strategies are running."""
        return set(self._running)

    # ------------------------------------------------------------------------------ quotes
    def _on_quote_thread(self, quote: Quote) -> None:
        # Called on the quote source's thread; only hand over.
        if quote.stock_code not in self._running or self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._enqueue, quote)

    def _enqueue(self, quote: Quote) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # keep the newest snapshots
        self._queue.put_nowait(quote)

    async def _consume(self) -> None:
        while True:
            quote = await self._queue.get()
            try:
                await self.on_quote(quote)
            except Exception:
                log.exception("strategy runtime failed on %s", quote.stock_code)

    async def on_quote(self, quote: Quote) -> list[dict[str, Any]]:
        """Run the stock's strategy on one snapshot; returns the signal decisions it led to."""
        running = self._running.get(quote.stock_code)
        now = self.clock.now()
        if running is None:
            return []
        instrument = self.universe.find(quote.stock_code)
        if self.calendar.phase(now, instrument) not in TRADING_PHASES:
            return []
        _cash, position = self.broker.buying_view(quote.stock_code)
        view = PositionView(position.volume, position.can_use_volume, position.avg_price) if position else None
        try:
            intents = running.strategy.on_quote(quote, view, now)
        except Exception as exc:  # a strategy bug must not take the desk down
            log.exception("strategy %s on %s failed; disabled", running.strategy_name, running.code)
            self._running.pop(running.code, None)
            await asyncio.to_thread(self._disable, running, f"{type(exc).__name__}: {exc}", now)
            self.bus.publish(
                Event(
                    "risk",
                    {
                        "kind": "strategy_error",
                        "stock_code": running.code,
                        "strategy_name": running.strategy_name,
                        "message": f"策略 {running.strategy_name} 出错，已停用：{exc}",
                    },
                    now,
                    account_id=self.account_id,
                )
            )
            return []
        decisions = []
        for intent in intents:
            decisions.append(await self._act(running, intent, quote, now))
        if intents:
            await asyncio.to_thread(self._save, running, now)
        return decisions

    async def _act(self, running: Running, intent: SignalIntent, quote: Quote, now: datetime) -> dict[str, Any]:
        sizing = intent.sizing or running.sizing or {"method": "equity_pct", "value": "0.1"}
        seq = next(self._seq)
        signal_id = f"{running.strategy_name[: MAX_SIGNAL_ID - 24]}-{now:%Y%m%d%H%M%S}-{seq}"[:MAX_SIGNAL_ID]
        if not running.auto_trade:
            advisory = {
                "signal_id": signal_id,
                "stock_code": running.code,
                "action": intent.action,
                "strategy_name": running.strategy_name,
                "decision": "skipped",
                "reason": f"自动交易未开启，仅提示：{intent.reason}",
                "source": "strategy",
                "advisory": True,
                "price": str(intent.price) if intent.price is not None else str(quote.last_price),
                "created_at": now.isoformat(),
            }
            self.bus.publish(Event("signals", advisory, now, account_id=self.account_id))
            return advisory
        request = SignalRequest(
            signal_id=signal_id,
            stock_code=running.code,
            action=SignalAction(intent.action),
            strategy_name=running.strategy_name,
            price=intent.price,
            sizing_method=SizingMethod(sizing["method"]) if intent.action != "close" else None,
            sizing_value=Decimal(str(sizing["value"])) if intent.action != "close" else None,
            reason=intent.reason[:500],
        )
        try:
            return await self.signals.execute(request, source="strategy", user_id=None)
        except DeskError as refused:  # e.g. a watchlist sizing that does not fit a buy
            refusal = {
                "signal_id": signal_id,
                "stock_code": running.code,
                "action": intent.action,
                "strategy_name": running.strategy_name,
                "decision": "denied",
                "error": refused.code,
                "reason": refused.message_zh,
                "source": "strategy",
                "created_at": now.isoformat(),
            }
            self.bus.publish(Event("signals", refusal, now, account_id=self.account_id))
            return refusal

    # ------------------------------------------------------------------------------ persistence
    def _row(self, session: Any, code: str) -> MonitoredStockRow | None:
        return session.scalar(
            select(MonitoredStockRow).where(
                MonitoredStockRow.account_id == self.account_id, MonitoredStockRow.stock_code == code
            )
        )

    def _save(self, running: Running, now: datetime) -> None:
        with unit_of_work(self.session_factory) as session:
            row = self._row(session, running.code)
            if row is not None:
                row.state = json.dumps(running.strategy.state(), ensure_ascii=False, default=str)
                row.last_signal_at = now

    def _save_all(self) -> None:
        with unit_of_work(self.session_factory) as session:
            for running in self._running.values():
                row = self._row(session, running.code)
                if row is not None:
                    row.state = json.dumps(running.strategy.state(), ensure_ascii=False, default=str)

    def _disable(self, running: Running, error: str, now: datetime) -> None:
        with unit_of_work(self.session_factory) as session:
            row = self._row(session, running.code)
            if row is not None:
                row.enabled, row.status, row.error, row.updated_at = False, "error", error[:1000], now
