"""The risk rules, one per module; ``RULES`` lists them in the order they are checked."""

from __future__ import annotations

from qmtdesk.risk.base import RuleSpec
from qmtdesk.risk.rules import (
    cancel_rate,
    daily_buy_turnover,
    daily_loss,
    duplicate_order,
    max_active_orders,
    max_holdings,
    max_order_quantity,
    max_order_value,
    max_position_pct,
    order_rate,
    price_deviation,
    symbol_blocklist,
)

RULES: tuple[RuleSpec, ...] = (
    symbol_blocklist.RULE,
    max_order_quantity.RULE,
    max_order_value.RULE,
    price_deviation.RULE,
    duplicate_order.RULE,
    order_rate.RULE,
    cancel_rate.RULE,
    max_active_orders.RULE,
    max_position_pct.RULE,
    max_holdings.RULE,
    daily_buy_turnover.RULE,
    daily_loss.RULE,
)
RULES_BY_ID: dict[str, RuleSpec] = {rule.id: rule for rule in RULES}
