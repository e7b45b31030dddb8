"""max_position_pct: after a buy, one stock may not exceed ``limit`` of total asset (buys only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from qmtdesk.domain.fees import Side
from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec, money


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = money(params, "limit")
    if limit is None or order.side is not Side.BUY:
        return None
    total = facts.total_asset()
    if total <= 0:
        return None
    after = facts.position_value(order.stock_code) + order.value
    share = after / total
    if share > limit:
        return Denial(
            f"买入后 {order.stock_code} 持仓占总资产 {share:.2%}，超过上限 {limit:.2%}",
            f"After this buy {order.stock_code} would be {share:.2%} of total asset, above {limit:.2%}",
            {"share": str(share.quantize(Decimal("0.0001"))), "limit": str(limit)},
        )
    return None


RULE = RuleSpec(
    id="max_position_pct",
    title_zh="单票持仓占比上限",
    description="Refuse a buy after which the stock would be more than `limit` (a fraction) of total asset.",
    params=(Param("limit", "fraction", "largest weight of one stock, e.g. 0.2 for 20%"),),
    defaults={"limit": "0.2"},
    enabled_by_default=True,
    buy_side_only=True,
    check=check,
)
