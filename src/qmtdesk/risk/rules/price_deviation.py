"""price_deviation: a limit price more than ``max_pct`` away from the last price is a fat finger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec, money


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = money(params, "max_pct")
    if limit is None or not order.last_price:
        return None
    deviation = abs(order.price - order.last_price) / order.last_price
    if deviation > limit:
        return Denial(
            f"委托价 {order.price} 偏离最新价 {order.last_price} 达 {deviation:.2%}，超过 {limit:.2%}",
            f"Price {order.price} is {deviation:.2%} away from the last price {order.last_price}, above {limit:.2%}",
            {"deviation": str(deviation.quantize(Decimal("0.0001"))), "max_pct": str(limit)},
        )
    return None


RULE = RuleSpec(
    id="price_deviation",
    title_zh="价格偏离检查（防乌龙指）",
    description="Refuse an order whose price is more than `max_pct` (a fraction) away from the last price.",
    params=(Param("max_pct", "fraction", "largest distance from the last price, e.g. 0.05"),),
    defaults={"max_pct": "0.05"},
    enabled_by_default=False,
    buy_side_only=False,
    check=check,
)
