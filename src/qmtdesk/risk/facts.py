"""The facts risk rules ask about, loaded lazily once per check from the broker and the ledger.

Counters come from the ledger (orders, their events) by time window and trading day, so they survive
restarts and reset on the exchange calendar's day roll, never on a restart. The in-memory
:class:`~qmtdesk.risk.counters.OrderCounters` answers them when given; a window reaching further back
than the counters hold is counted in the database.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.base import AccountReport, PositionReport
from qmtdesk.domain.orders import OPEN, OrderStatus
from qmtdesk.risk.base import OrderCheck
from qmtdesk.risk.counters import OrderCounters, buy_commitment
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow

NOT_SENT = (OrderStatus.DENIED.value, OrderStatus.PENDING_NEW.value)
ACTIVE = [s.value for s in OPEN if s is not OrderStatus.PENDING_NEW]


class LedgerFacts:
    """Risk facts for one order check."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        account_id: str,
        order_id: int,
        trading_day: date,
        broker: Any,
        market: Any,
        day_start_asset: Any,
        counters: OrderCounters | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.account_id = account_id
        self.order_id = order_id
        self.trading_day = trading_day
        self.broker = broker
        self.market = market
        self.day_start_asset = day_start_asset
        self.counters = counters
        self._account: AccountReport | None = None
        self._positions: list[PositionReport] | None = None

    # ------------------------------------------------------------------------------ broker facts
    async def _account_report(self) -> AccountReport:
        if self._account is None:
            self._account = await self.broker.query_account()
        return self._account

    async def _position_reports(self) -> list[PositionReport]:
        if self._positions is None:
            self._positions = await self.broker.query_positions()
        return self._positions

    async def total_asset(self) -> Decimal:
        """Cash + frozen cash + market value now."""
        return (await self._account_report()).total_asset

    async def position_value(self, stock_code: str) -> Decimal:
        """Market value of the holding in ``stock_code`` at its last price."""
        for p in await self._position_reports():
            if p.stock_code == stock_code:
                quote = self.market.quote(stock_code)
                price = quote.last_price if quote else p.avg_price
                return Decimal(price * p.volume)
        return Decimal(0)

    async def holdings(self) -> set[str]:
        """Codes held (volume above zero)."""
        return {p.stock_code for p in await self._position_reports() if p.volume > 0}

    async def day_pnl(self) -> tuple[Decimal, Decimal]:
        """Today's P&L against the total asset at the last close (realised and floating together)."""
        total = await self.total_asset()
        base = await asyncio.to_thread(self.day_start_asset, self.trading_day)
        if base is None:
            return Decimal(0), total
        return total - base, base

    # ------------------------------------------------------------------------------ ledger counters
    def _orders(self, strategy: str | None) -> Any:
        query = (
            select(func.count())
            .select_from(OrderRow)
            .where(OrderRow.account_id == self.account_id, OrderRow.id != self.order_id)
        )
        if strategy:
            query = query.where(OrderRow.strategy_name == strategy)
        return query

    def _count(self, query: Any) -> int:
        with self.session_factory() as session:
            return int(session.scalar(query) or 0)

    async def orders_since(self, since: datetime, strategy: str | None) -> int:
        """Orders sent since ``since`` (not counting ones refused before sending)."""
        if self.counters is not None and self.counters.covers(since):
            return self.counters.orders_since(since, strategy)
        query = self._orders(strategy).where(OrderRow.created_at >= since, OrderRow.status.not_in(NOT_SENT))
        return await asyncio.to_thread(self._count, query)

    async def cancels_since(self, since: datetime, strategy: str | None) -> int:
        """Cancel requests since ``since``."""
        if self.counters is not None and self.counters.covers(since):
            return self.counters.cancels_since(since, strategy)
        query = (
            select(func.count())
            .select_from(OrderEventRow)
            .where(
                OrderEventRow.account_id == self.account_id,
                OrderEventRow.event == "cancel_requested",
                OrderEventRow.time >= since,
            )
        )
        if strategy:
            query = query.join(OrderRow, OrderRow.id == OrderEventRow.order_id).where(
                OrderRow.strategy_name == strategy
            )
        return await asyncio.to_thread(self._count, query)

    async def active_orders(self, strategy: str | None) -> int:
        """Orders at the broker and not final."""
        if self.counters is not None and self.counters.usable:
            return self.counters.active_orders(strategy)
        return await asyncio.to_thread(self._count, self._orders(strategy).where(OrderRow.status.in_(ACTIVE)))

    async def buy_turnover_today(self, strategy: str | None) -> Decimal:
        """Value of today's buys: what filled, plus what is still open (see ``buy_commitment``)."""
        if self.counters is not None and self.counters.covers_day(self.trading_day):
            return self.counters.buy_turnover(self.trading_day, strategy)

        def total() -> Decimal:
            query = select(
                OrderRow.status,
                OrderRow.price,
                OrderRow.quantity,
                OrderRow.filled_quantity,
                OrderRow.filled_amount,
                OrderRow.frozen_amount,
            ).where(
                OrderRow.account_id == self.account_id,
                OrderRow.id != self.order_id,
                OrderRow.side == "buy",
                OrderRow.trading_day == self.trading_day,
                OrderRow.status.not_in(NOT_SENT),
            )
            if strategy:
                query = query.where(OrderRow.strategy_name == strategy)
            value = Decimal(0)
            with self.session_factory() as session:
                for status, price, quantity, filled, filled_amount, frozen in session.execute(query):
                    value += buy_commitment(
                        status in ACTIVE,
                        price,
                        quantity,
                        quantity - filled,
                        filled_amount or Decimal(0),
                        frozen or Decimal(0),
                    )
            return value

        return await asyncio.to_thread(total)

    async def same_orders_since(self, since: datetime, check: OrderCheck, strategy: str | None) -> int:
        """Orders identical to ``check`` (stock, side, quantity, price) sent since ``since``."""
        if self.counters is not None and self.counters.covers(since):
            return self.counters.same_orders_since(
                since,
                strategy=strategy,
                stock_code=check.stock_code,
                side=check.side.value,
                quantity=check.quantity,
                price_type=check.price_type,
                price=check.order_price,
            )
        query = self._orders(strategy).where(
            OrderRow.created_at >= since,
            OrderRow.status.not_in(NOT_SENT),
            OrderRow.stock_code == check.stock_code,
            OrderRow.side == check.side.value,
            OrderRow.quantity == check.quantity,
            OrderRow.price_type == check.price_type,
        )
        rows = await asyncio.to_thread(self._prices, query)
        return sum(1 for price in rows if price == check.order_price)

    def _prices(self, count_query: Any) -> list[Decimal | None]:
        # Prices compare as decimals (the column is text on SQLite), so they are compared here.
        query = count_query.with_only_columns(OrderRow.price)
        with self.session_factory() as session:
            return list(session.scalars(query))
