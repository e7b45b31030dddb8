"""duplicate_order: the same stock, side, quantity and price again within ``window_seconds`` is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    window = int(params["window_seconds"])
    same = facts.same_orders_since(now - timedelta(seconds=window), order, scope)
    if same:
        return Denial(
            f"{window} 秒内已有相同委托（{order.stock_code} {order.side.value} {order.quantity} 股 @ {order.price}）",
            f"An identical order was sent in the last {window}s",
            {"window_seconds": window},
        )
    return None


RULE = RuleSpec(
    id="duplicate_order",
    title_zh="重复委托检查",
    description="Refuse an order identical (stock, side, quantity, price type and price) to one sent in the "
    "last `window_seconds` (a double click, a strategy firing twice).",
    params=(Param("window_seconds", "seconds", "how long an order counts as a duplicate"),),
    defaults={"window_seconds": 5},
    enabled_by_default=False,
    buy_side_only=False,
    check=check,
)
