"""Risk rules, risk events, the trading state (halt, resume, reduce-only) and the risk metrics."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from qmtdesk.api.schemas.common import Day, Dec, Model, Time, TradingState
from qmtdesk.api.schemas.orders import Order

RuleId = Literal[
    "symbol_blocklist",
    "max_order_quantity",
    "max_order_value",
    "price_deviation",
    "duplicate_order",
    "order_rate",
    "cancel_rate",
    "max_active_orders",
    "max_position_pct",
    "max_holdings",
    "daily_buy_turnover",
    "daily_loss",
]
#: A rule parameter's value: money and fractions as decimal strings, counts and seconds as integers,
#: ``codes`` a list of stock codes, ``block_st`` a boolean; ``null`` for an optional one left unset.
RuleParam = Dec | int | bool | list[str] | None

_PARAMS = (
    "the rule's parameters by name; each rule has its own: max_order_value {limit}, max_order_quantity "
    "{limit}, max_position_pct {limit}, max_holdings {limit}, daily_loss {limit_pct, limit_amount}, "
    "daily_buy_turnover {limit}, order_rate {max_orders, window_seconds}, cancel_rate {max_cancels, "
    "window_seconds}, max_active_orders {limit}, duplicate_order {window_seconds}, price_deviation {max_pct}, "
    "symbol_blocklist {codes, block_st}"
)


class RiskRule(Model):
    """A risk rule in one scope: its switch, its parameters and their defaults."""

    rule: RuleId
    code: str = Field(
        description="the denial's error code: RISK_ + the rule id in upper case (the block list: RISK_SYMBOL_BLOCKED)"
    )
    title: str
    description: str
    scope: str = Field(description="account, or strategy:<strategy_name>")
    enabled: bool
    params: dict[str, RuleParam] = Field(description=_PARAMS)
    defaults: dict[str, RuleParam]
    param_types: dict[str, Literal["money", "fraction", "count", "seconds", "codes", "bool"]]
    buy_side_only: bool = Field(description="sells that reduce a position are never refused by it")
    customised: bool = Field(description="changed in this scope (stored), not the built-in default")


class RiskEvent(Model):
    """A denial, a halt, a resume, a switch to reduce-only or a rule change."""

    id: int
    time: Time
    kind: Literal["denial", "halt", "resume", "reduce_only", "rule_change"]
    rule: str | None = Field(description="the rule id (trading_state for a halted or reduce-only denial)")
    code: str | None = Field(description="a denial's error code")
    scope: str | None
    order_id: int | None
    stock_code: str | None
    side: Literal["buy", "sell"] | None
    strategy_name: str | None
    message: str
    detail: dict[str, Any] = Field(
        description="a denial: {rule, scope, the figures it was refused on, params}; a rule change: "
        "{rule, scope, enabled, params}; a halt, resume or reduce-only: {}"
    )


class RiskState(Model):
    """The account's trading state (``POST /risk/resume``, ``/risk/reduce-only``)."""

    state: TradingState
    halted: bool
    reason: str


class HaltCancelRefusal(Model):
    """An open order the halt could not cancel."""

    order_id: int
    error: str
    message: str


class HaltCancelled(Model):
    """The open orders a halt asked to cancel: each order as it is now, and the refusals."""

    requested: int
    orders: list[Order]
    refused: list[HaltCancelRefusal]


class HaltAnswer(RiskState):
    """The trading state after a halt, and the cancels (``null`` unless ``cancel_open_orders``)."""

    cancelled: HaltCancelled | None


class AccountRiskState(RiskState):
    """One account's trading state after ``POST /risk/resume-all``."""

    account_id: str


class AccountHalt(AccountRiskState):
    """One account's trading state after ``POST /risk/halt-all``, with its cancels."""

    cancelled: HaltCancelled | None


class HaltAllAnswer(Model):
    """Every account the caller reaches, halted."""

    accounts: list[AccountHalt]


class ResumeAllAnswer(Model):
    """Every account the caller reaches, resumed."""

    accounts: list[AccountRiskState]


class RiskMetrics(Model):
    """Exposure, P&L, drawdown, turnover and order counts of the account now (ratios as fractions)."""

    time: Time
    trading_day: Day
    trading_state: TradingState
    halted: bool
    total_asset: Dec
    cash: Dec = Field(description="available plus frozen cash")
    cash_ratio: Dec | None = Field(description="null when the total asset is zero")
    market_value: Dec
    exposure: Dec | None = Field(description="market value / total asset; null when the total asset is zero")
    largest_position_code: str | None
    largest_position_pct: Dec
    holdings_count: int
    today_pnl: Dec
    today_pnl_pct: Dec
    current_drawdown: Dec
    max_drawdown: Dec
    turnover_today: Dec
    orders_today: int
    denied_today: int
    cancels_today: int
    active_orders: int
