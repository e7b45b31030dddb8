"""The watchlist (实时监测): built-in strategies and watched stocks."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from qmtdesk.api.schemas.common import Dec, Model, Time
from qmtdesk.api.schemas.market import Quote
from qmtdesk.domain.sizing import SizingMethod
from qmtdesk.strategies.base import ParamKind


class StrategyParamInfo(Model):
    """One parameter of a built-in strategy."""

    name: str
    type: ParamKind
    default: int | Dec | dict[str, Any] | None = Field(description="decimals as strings; null when none")
    description: str
    required: bool
    nullable: bool


class StrategyInfo(Model):
    """A built-in strategy and its parameters."""

    type: str
    name_zh: str
    description: str
    params: list[StrategyParamInfo]


class WatchedStrategy(Model):
    """The strategy on a watched stock; its parameters as given, decimals as plain decimal strings."""

    type: str
    params: dict[str, Any]


class WatchedSizing(Model):
    """How much the watched stock's strategy trades per signal."""

    method: SizingMethod
    value: Dec


class WatchStatus(Model):
    """What the watched stock's strategy is doing."""

    state: Literal["idle", "running", "error"]
    error: str | None
    last_signal_at: Time | None


class WatchedStock(Model):
    """A watchlist entry with its live quote and strategy status."""

    stock_code: str
    stock_name: str
    enabled: bool
    auto_trade: bool
    strategy: WatchedStrategy | None
    sizing: WatchedSizing | None
    strategy_name: str
    status: WatchStatus
    quote: Quote | None
    created_at: Time
    updated_at: Time


class WatchDeleted(Model):
    """The code no longer watched."""

    deleted: str
