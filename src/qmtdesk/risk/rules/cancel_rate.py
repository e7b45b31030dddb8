"""cancel_rate: after ``max_cancels`` cancels within ``window_seconds``, new orders wait."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from qmtdesk.risk.base import Denial, OrderCheck, Param, RiskFacts, RuleSpec


def check(
    order: OrderCheck, params: dict[str, Any], facts: RiskFacts, now: datetime, scope: str | None
) -> Denial | None:
    limit, window = int(params["max_cancels"]), int(params["window_seconds"])
    cancels = facts.cancels_since(now - timedelta(seconds=window), scope)
    if cancels >= limit:
        return Denial(
            f"{window} 秒内已撤单 {cancels} 笔，达到撤单频率上限 {limit} 笔，暂停新委托",
            f"{cancels} cancels in the last {window}s reached the limit {limit}; new orders wait",
            {"cancels": cancels, "max_cancels": limit, "window_seconds": window},
        )
    return None


RULE = RuleSpec(
    id="cancel_rate",
    title_zh="撤单频率上限",
    description="Refuse new orders while `max_cancels` cancels happened in the last `window_seconds`.",
    params=(
        Param("max_cancels", "count", "cancels allowed in the window"),
        Param("window_seconds", "seconds", "window"),
    ),
    defaults={"max_cancels": 300, "window_seconds": 1},
    enabled_by_default=True,
    buy_side_only=False,
    check=check,
)
