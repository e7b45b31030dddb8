"""daily_loss: once today's loss (realised + floating) reaches the limit, new buys are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.domain.fees import Side
from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec, money


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    if order.side is not Side.BUY:
        return None
    limit_pct, limit_amount = money(params, "limit_pct"), money(params, "limit_amount")
    if limit_pct is None and limit_amount is None:
        return None
    pnl, base = facts.day_pnl()
    loss = -pnl
    breached = (limit_amount is not None and loss >= limit_amount) or (
        limit_pct is not None and base > 0 and loss / base >= limit_pct
    )
    if breached:
        return Denial(
            f"今日亏损 {loss:.2f} 元已达日亏损限额，暂停买入",
            f"Today's loss of {loss:.2f} reached the daily loss limit; buys are halted",
            {"loss": str(loss), "base": str(base)},
        )
    return None


RULE = RuleSpec(
    id="daily_loss",
    title_zh="日亏损限额",
    description="Refuse buys once today's P&L (realised + floating, against the last close's total asset) "
    "is a loss of `limit_amount` CNY or `limit_pct` of that asset.",
    params=(
        Param("limit_pct", "fraction", "loss as a fraction of the day's starting asset", required=False),
        Param("limit_amount", "money", "loss in CNY", required=False),
    ),
    defaults={"limit_pct": "0.05", "limit_amount": None},
    enabled_by_default=True,
    buy_side_only=True,
    check=check,
)
