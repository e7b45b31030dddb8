"""The facts risk rules ask about, answered from memory for one check.

Counters (rates, active orders, turnover, duplicates) come from the engine's
:class:`~qmtdesk.risk.counters.OrderCounters`; cash, holdings and total asset from the broker's latest
account view (the paper exchange's own state, or what MiniQMT last pushed); today's P&L is measured
from the asset at the last close, which the risk engine keeps per trading day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from qmtdesk.brokers.base import AccountReport, PositionReport
from qmtdesk.market.quotes import Quote
from qmtdesk.risk.base import OrderCheck
from qmtdesk.risk.counters import OrderCounters


class LiveFacts:
    """Risk facts for one order check; broker views are read at most once per check."""

    def __init__(
        self,
        *,
        counters: OrderCounters,
        trading_day: date,
        account: Callable[[], AccountReport | None],
        positions: Callable[[], list[PositionReport]],
        quote: Callable[[str], Quote | None],
        day_base: Decimal | None,
    ) -> None:
        self.counters = counters
        self.trading_day = trading_day
        self._account_source = account
        self._positions_source = positions
        self._quote = quote
        self.day_base = day_base
        self._account: AccountReport | None = None
        self._positions: list[PositionReport] | None = None

    # ------------------------------------------------------------------------------ broker facts
    def _account_report(self) -> AccountReport | None:
        if self._account is None:
            self._account = self._account_source()
        return self._account

    def _position_reports(self) -> list[PositionReport]:
        if self._positions is None:
            self._positions = self._positions_source()
        return self._positions

    def total_asset(self) -> Decimal:
        """Cash + frozen cash + market value as the broker last told (0 when it has not yet)."""
        account = self._account_report()
        return account.total_asset if account is not None else Decimal(0)

    def position_value(self, stock_code: str) -> Decimal:
        """Market value of the holding in ``stock_code`` at its last price."""
        for p in self._position_reports():
            if p.stock_code == stock_code:
                quote = self._quote(stock_code)
                price = quote.last_price if quote else p.avg_price
                return Decimal(price * p.volume)
        return Decimal(0)

    def holdings(self) -> set[str]:
        """Codes held (volume above zero)."""
        return {p.stock_code for p in self._position_reports() if p.volume > 0}

    def day_pnl(self) -> tuple[Decimal, Decimal]:
        """Today's P&L against the total asset at the last close (realised and floating together)."""
        total = self.total_asset()
        if self.day_base is None:
            return Decimal(0), total
        return total - self.day_base, self.day_base

    # ------------------------------------------------------------------------------ counters
    def orders_since(self, since: datetime, strategy: str | None) -> int:
        """Orders sent since ``since`` (not counting ones refused before sending)."""
        return self.counters.orders_since(since, strategy)

    def cancels_since(self, since: datetime, strategy: str | None) -> int:
        """Cancel requests since ``since``."""
        return self.counters.cancels_since(since, strategy)

    def active_orders(self, strategy: str | None) -> int:
        """Orders at the broker and not final."""
        return self.counters.active_orders(strategy)

    def buy_turnover_today(self, strategy: str | None) -> Decimal:
        """Value of today's buys: what filled, plus what is still open (see ``buy_commitment``)."""
        return self.counters.buy_turnover(self.trading_day, strategy)

    def same_orders_since(self, since: datetime, check: OrderCheck, strategy: str | None) -> int:
        """Orders identical to ``check`` (stock, side, quantity, price) sent since ``since``."""
        return self.counters.same_orders_since(
            since,
            strategy=strategy,
            stock_code=check.stock_code,
            side=check.side.value,
            quantity=check.quantity,
            price_type=check.price_type,
            price=check.order_price,
        )
