"""symbol_blocklist: codes that may not be bought, and optionally no ST stocks at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    if order.stock_code in set(params.get("codes") or []):
        return Denial(f"{order.stock_code} 在禁止交易名单中", f"{order.stock_code} is on the block list")
    if params.get("block_st") and order.is_st:
        return Denial(f"{order.stock_code} 为风险警示（ST）股票，已设置禁止买入", f"{order.stock_code} is an ST stock")
    return None


RULE = RuleSpec(
    id="symbol_blocklist",
    title_zh="禁止交易名单",
    description="Refuse buys of the listed `codes`, and of every ST stock when `block_st` is true.",
    params=(
        Param("codes", "codes", "stock codes that may not be bought"),
        Param("block_st", "bool", "refuse buys of risk-warning (ST) stocks"),
    ),
    defaults={"codes": [], "block_st": False},
    enabled_by_default=False,
    buy_side_only=True,
    check=check,
    denial_code="RISK_SYMBOL_BLOCKED",  # API.md's name for a refused blocked code
)
