"""Performance: the account's equity curve, returns and drawdown, and P&L by strategy.

The account figures come from its equity snapshots (one per day: the last of each trading day).
Strategies are told apart by the ``strategy_name`` on their fills; fills without one are manual,
kept apart in a row of their own (``manual: true``, even beside a strategy named "manual"). Each
(strategy, stock) book is kept at average cost, buy fees included:
a sale realises its proceeds net of fees minus the average cost of the shares sold, and counts as a
win when that is positive. What a strategy still holds is valued at the last price.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.oms.views import money
from qmtdesk.store.tables.orders import AccountSnapshotRow, TradeRow

ZERO = Decimal(0)
RATE = Decimal("0.0001")


def _rate(value: Decimal | None) -> str | None:
    return str(value.quantize(RATE)) if value is not None else None


@dataclass
class _Book:
    """One strategy's holding of one stock at average cost."""

    shares: int = 0
    cost: Decimal = ZERO  # what the shares held cost, buy fees included


@dataclass
class _Strategy:
    books: dict[str, _Book] = field(default_factory=lambda: defaultdict(_Book))
    realized: Decimal = ZERO
    fees: Decimal = ZERO
    turnover: Decimal = ZERO
    fills: int = 0
    sales: int = 0
    wins: int = 0
    by_day: dict[date, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))


def equity_figures(snapshots: Iterable[AccountSnapshotRow]) -> dict[str, Any]:
    """Daily equity (each day's last snapshot), daily returns, total return and max drawdown."""
    daily: dict[date, Decimal] = {}
    for s in sorted(snapshots, key=lambda r: r.time):
        daily[s.time.astimezone(SHANGHAI).date()] = s.total_asset
    curve, returns = [], []
    peak, drawdown, previous = None, ZERO, None
    for day, equity in daily.items():
        if previous:
            returns.append({"trading_day": day.isoformat(), "return": _rate(equity / previous - 1)})
        peak = equity if peak is None or equity > peak else peak
        if peak:
            drawdown = max(drawdown, (peak - equity) / peak)
        curve.append({"trading_day": day.isoformat(), "total_asset": money(equity)})
        previous = equity
    values = list(daily.values())
    total = values[-1] / values[0] - 1 if len(values) > 1 and values[0] else None
    return {"equity": curve, "returns": returns, "total_return": _rate(total), "max_drawdown": _rate(drawdown)}


def strategy_figures(trades: Iterable[TradeRow], last_price: Callable[[str], Decimal | None]) -> list[dict[str, Any]]:
    """P&L attribution by strategy: realised and floating P&L, win rate, turnover, fees, daily P&L."""
    strategies: dict[str | None, _Strategy] = defaultdict(_Strategy)  # None: the manual fills
    for t in sorted(trades, key=lambda r: (r.traded_at, r.id)):
        s = strategies[t.strategy_name or None]
        fees = t.commission + t.stamp_duty + t.transfer_fee
        book = s.books[t.stock_code]
        s.fees += fees
        s.turnover += t.amount
        s.fills += 1
        if t.side == "buy":
            book.shares += t.quantity
            book.cost += t.amount + fees
            continue
        sold = min(t.quantity, book.shares)  # shares this strategy never bought have no cost here
        cost = book.cost * sold / book.shares if book.shares else ZERO
        pnl = t.amount - fees - cost
        book.shares -= sold
        book.cost -= cost
        s.realized += pnl
        s.by_day[t.trading_day] += pnl
        s.sales += 1
        s.wins += pnl > 0
    out = []
    for name, s in sorted(strategies.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        floating, held = ZERO, []
        for code, book in sorted(s.books.items()):
            if not book.shares:
                continue
            last = last_price(code)
            value = last * book.shares if last is not None else book.cost
            floating += value - book.cost
            held.append({"stock_code": code, "shares": book.shares, "cost": money(book.cost), "value": money(value)})
        cumulative, curve = ZERO, []
        for day, pnl in sorted(s.by_day.items()):
            cumulative += pnl
            curve.append(
                {"trading_day": day.isoformat(), "realized_profit": money(pnl), "cumulative": money(cumulative)}
            )
        out.append(
            {
                "strategy_name": name or "",
                "manual": name is None,
                "fills": s.fills,
                "sales": s.sales,
                "wins": s.wins,
                "win_rate": _rate(Decimal(s.wins) / s.sales) if s.sales else None,
                "realized_profit": money(s.realized),
                "floating_profit": money(floating),
                "total_profit": money(s.realized + floating),
                "fees": money(s.fees),
                "turnover": money(s.turnover),
                "holdings": held,
                "daily": curve,
            }
        )
    return out
