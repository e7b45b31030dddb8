"""An account's money figures as the API shows them: the account object, and the overview row."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

from qmtdesk.accounts import Account
from qmtdesk.brokers.paper.broker import PaperBroker
from qmtdesk.desk import Desk
from qmtdesk.oms.account_views import account_view, floating_profit, ratio


async def account_figures(desk: Desk, account: Account) -> tuple[dict[str, Any], int, float]:
    """The account object of API.md, the number of holdings, and how long the broker took to answer
    the account query (ms: the link's round trip for MiniQMT or a gateway, near zero on paper)."""
    started = time.perf_counter()
    report = await account.broker.query_account()
    rtt_ms = (time.perf_counter() - started) * 1000
    positions = await account.broker.query_positions()
    floating = floating_profit(positions, desk.market.last_price)
    now = desk.clock.now()
    base = await asyncio.to_thread(account.jobs.day_start_asset, desk.calendar.trading_day_of(now.date()))
    if base is None and isinstance(account.broker, PaperBroker):
        base = account.broker.exchange.initial_cash  # a paper account's first day starts from its cash
    holdings = sum(1 for p in positions if p.volume > 0)
    return account_view(report, floating, base), holdings, rtt_ms


#: The figures of an overview row, in order (all null when the account's broker cannot answer).
OVERVIEW_FIGURES = (
    "cash",
    "frozen_cash",
    "market_value",
    "total_asset",
    "total_profit",
    "today_profit",
    "realized_profit",
    "floating_profit",
    "exposure",
    "holdings",
    "open_orders",
    "rtt_ms",
)


async def overview_row(desk: Desk, account: Account) -> dict[str, Any]:
    """One account in the all-accounts overview: identity, link, trading state and money."""
    view = account.view(default=account.account_id == desk.accounts.default_id)
    try:
        figures, holdings, rtt_ms = await account_figures(desk, account)
    except Exception as exc:  # an account whose broker cannot answer still has its row, figures null
        error = f"{type(exc).__name__}: {exc}"[:200]
        return {**view, "available": False, "error": error, **dict.fromkeys(OVERVIEW_FIGURES)}
    total, market_value = Decimal(figures["total_asset"]), Decimal(figures["market_value"])
    return {
        **view,
        "available": True,
        "error": None,
        **{k: figures[k] for k in OVERVIEW_FIGURES[:8]},
        "exposure": ratio(market_value / total) if total > 0 else "0.0000",
        "holdings": holdings,
        "open_orders": sum(1 for _ in account.engine.book.open_orders()),
        "rtt_ms": round(rtt_ms, 3),
    }
