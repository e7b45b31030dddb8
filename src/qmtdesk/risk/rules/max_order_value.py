"""max_order_value: an order may not be worth more than ``limit`` CNY (price × quantity)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec, money


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = money(params, "limit")
    if limit is not None and order.value > limit:
        return Denial(
            f"委托金额 {order.value:.2f} 元超过单笔上限 {limit:.2f} 元",
            f"Order value {order.value:.2f} exceeds the per-order limit {limit:.2f}",
            {"value": str(order.value), "limit": str(limit)},
        )
    return None


RULE = RuleSpec(
    id="max_order_value",
    title_zh="单笔委托金额上限",
    description="Refuse an order whose value (price × quantity) exceeds `limit` CNY.",
    params=(Param("limit", "money", "largest order value in CNY"),),
    defaults={"limit": "1000000"},
    enabled_by_default=False,
    buy_side_only=True,
    check=check,
)
