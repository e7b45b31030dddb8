"""max_order_quantity: an order may not be for more than ``limit`` shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = int(params["limit"])
    if order.quantity > limit:
        return Denial(
            f"委托数量 {order.quantity} 股超过单笔上限 {limit} 股",
            f"Quantity {order.quantity} exceeds the per-order limit {limit}",
            {"quantity": order.quantity, "limit": limit},
        )
    return None


RULE = RuleSpec(
    id="max_order_quantity",
    title_zh="单笔委托数量上限",
    description="Refuse an order for more than `limit` shares.",
    params=(Param("limit", "count", "largest quantity in shares"),),
    defaults={"limit": 100000},
    enabled_by_default=False,
    buy_side_only=True,
    check=check,
)
