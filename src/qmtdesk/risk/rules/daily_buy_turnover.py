"""daily_buy_turnover: the value of today's buys (sent or filled) may not exceed ``limit`` CNY."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.domain.fees import Side
from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec, money


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = money(params, "limit")
    if limit is None or order.side is not Side.BUY:
        return None
    used = facts.buy_turnover_today(scope)
    if used + order.value > limit:
        return Denial(
            f"今日买入金额 {used:.2f} 元，加上本单 {order.value:.2f} 元将超过日上限 {limit:.2f} 元",
            f"Today's buys of {used:.2f} plus {order.value:.2f} would exceed the daily limit {limit:.2f}",
            {"used": str(used), "limit": str(limit)},
        )
    return None


RULE = RuleSpec(
    id="daily_buy_turnover",
    title_zh="日买入金额上限",
    description="Refuse a buy that would take the value of today's buy orders (not denied) above `limit` CNY.",
    params=(Param("limit", "money", "largest value bought per trading day in CNY"),),
    defaults={"limit": "5000000"},
    enabled_by_default=True,
    buy_side_only=True,
    check=check,
)
