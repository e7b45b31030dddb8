"""max_active_orders: at most ``limit`` orders open at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = int(params["limit"])
    active = facts.active_orders(scope)
    if active + 1 > limit:
        return Denial(
            f"当前有 {active} 笔未完成委托，达到上限 {limit} 笔",
            f"{active} orders are open; the limit is {limit}",
            {"active": active, "limit": limit},
        )
    return None


RULE = RuleSpec(
    id="max_active_orders",
    title_zh="未完成委托数量上限",
    description="Refuse an order while `limit` orders are open (not final).",
    params=(Param("limit", "count", "open orders allowed"),),
    defaults={"limit": 500},
    enabled_by_default=True,
    buy_side_only=False,
    check=check,
)
