"""order_rate: at most ``max_orders`` orders within any ``window_seconds``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit, window = int(params["max_orders"]), int(params["window_seconds"])
    sent = facts.orders_since(now - timedelta(seconds=window), scope)
    if sent + 1 > limit:
        return Denial(
            f"{window} 秒内已委托 {sent} 笔，超过频率上限 {limit} 笔",
            f"{sent} orders in the last {window}s; the limit is {limit}",
            {"orders": sent, "max_orders": limit, "window_seconds": window},
        )
    return None


RULE = RuleSpec(
    id="order_rate",
    title_zh="委托频率上限",
    description="Refuse an order when `max_orders` orders were already sent in the last `window_seconds`. "
    "The exchanges treat 300 orders+cancels a second as high-frequency trading.",
    params=(Param("max_orders", "count", "orders allowed in the window"), Param("window_seconds", "seconds", "window")),
    defaults={"max_orders": 300, "window_seconds": 1},
    enabled_by_default=True,
    buy_side_only=False,
    check=check,
)
