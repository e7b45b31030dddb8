"""max_holdings: a buy of a new stock may not take the number of holdings above ``limit``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.domain.fees import Side
from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit = int(params["limit"])
    if order.side is not Side.BUY:
        return None
    held = facts.holdings()
    if order.stock_code not in held and len(held) + 1 > limit:
        return Denial(
            f"已持有 {len(held)} 只股票，再买入新股票将超过上限 {limit} 只",
            f"Already holding {len(held)} stocks; a new one would exceed the limit of {limit}",
            {"holdings": len(held), "limit": limit},
        )
    return None


RULE = RuleSpec(
    id="max_holdings",
    title_zh="持仓股票数量上限",
    description="Refuse a buy of a stock not yet held when the account already holds `limit` stocks.",
    params=(Param("limit", "count", "largest number of different stocks held"),),
    defaults={"limit": 20},
    enabled_by_default=False,
    buy_side_only=True,
    check=check,
)
