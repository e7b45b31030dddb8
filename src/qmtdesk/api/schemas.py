"""Response models: what the API answers, for ``/openapi.json`` (and the clients generated from it).

The routes build their answers as plain dicts (the hot path never pays for a model); these models
describe them and are declared on the routes with :func:`answers`. ``tests/api/test_openapi.py``
checks real answers against them with unknown fields forbidden, so the description cannot drift.
Money, prices and rates are decimal strings, as everywhere in the API.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Dec = str  # a decimal as a string: "11.60", "0.0123"
Time = str  # ISO 8601 with the +08:00 offset
Day = str  # YYYY-MM-DD


class Model(BaseModel):
    """Strict about fields, so a test against a real answer finds any field added or dropped."""

    model_config = ConfigDict(extra="forbid")


class Envelope(Model, Generic[T]):
    """Every success body: ``{code: 0, message: "ok", data}``."""

    code: Literal[0] = 0
    message: Literal["ok"] = "ok"
    data: T


class ErrorBody(Model):
    """Every error body: the HTTP status again, a stable ``error`` code, a zh-CN (or en) message, data."""

    code: int
    error: str = Field(examples=["LOT_SIZE"])
    message: str
    data: Any = None


class PageOf(Model, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    page: int
    page_size: int


class Order(Model):
    """The order object (statuses in docs/API.md's table)."""

    order_id: int
    client_order_id: str | None
    broker_order_id: str | None
    broker_sysid: str | None
    account_id: str
    stock_code: str
    stock_name: str
    side: Literal["buy", "sell"]
    price_type: str
    price: Dec | None
    quantity: int
    filled_quantity: int
    avg_fill_price: Dec | None
    filled_amount: Dec
    status: str
    status_code: int | None
    status_msg: str
    error: str | None
    error_message: str | None
    strategy_name: str
    remark: str
    source: str
    fees: Dec
    frozen_amount: Dec
    trading_day: Day
    created_at: Time
    updated_at: Time
    finished_at: Time | None


class Placed(Model):
    """The answer to placing or cancelling an order."""

    order: Order


class Trade(Model):
    """A fill, with its fees."""

    trade_id: int
    broker_trade_id: str
    order_id: int | None
    broker_order_id: str | None
    stock_code: str
    stock_name: str
    side: Literal["buy", "sell"]
    price: Dec
    quantity: int
    amount: Dec
    commission: Dec
    stamp_duty: Dec
    transfer_fee: Dec
    fees: Dec
    traded_at: Time
    trading_day: Day
    strategy_name: str


class OrderEvent(Model):
    """One step of an order's timeline: the order after a change (``orders``) or a fill (``trades``)."""

    seq: int
    stream: Literal["orders", "trades"]
    event: str
    status: str | None
    time: Time
    data: Order | Trade


class OrderWithEvents(Order):
    """An order and its timeline (``GET /trading/orders/{id}``)."""

    events: list[OrderEvent]


class Position(Model):
    """A holding."""

    stock_code: str
    stock_name: str
    volume: int
    can_use_volume: int
    frozen_volume: int
    yesterday_volume: int
    avg_price: Dec
    last_price: Dec | None
    prev_close: Dec | None
    change_pct: Dec | None
    market_value: Dec
    profit: Dec
    profit_rate: Dec
    today_profit: Dec | None
    holding_days: int | None
    opened_at: Time | None


class AccountFigures(Model):
    """Cash, market value, total asset and P&L (every P&L figure includes fees)."""

    account_id: str
    account_type: str
    cash: Dec
    frozen_cash: Dec
    market_value: Dec
    total_asset: Dec
    withdrawable: Dec
    total_profit: Dec | None
    realized_profit: Dec | None
    floating_profit: Dec | None
    today_profit: Dec | None
    today_realized_profit: Dec | None
    today_floating_profit: Dec | None
    updated_at: Time | None


class Fees(Model):
    commission_rate: Dec
    commission_min: Dec


class TradingStatus(Model):
    """The broker link, the trading day, the market phase and the trading state."""

    broker: str
    connected: bool
    state: Literal["connected", "connecting", "reconnecting", "disconnected"]
    account_id: str
    account_type: str
    trading_day: Day
    is_trading_day: bool
    market_phase: str
    phase_detail: str
    server_time: Time
    halted: bool
    trading_state: str
    message: str | None
    session_id: int | None
    quotes: str
    fees: Fees


class Level(Model):
    price: Dec
    volume: int


class Cage(Model):
    buy_max: Dec
    sell_min: Dec


class Quote(Model):
    """A snapshot: last price, five levels each side, daily limits and the price cage."""

    stock_code: str
    stock_name: str
    last_price: Dec
    prev_close: Dec
    open: Dec | None
    high: Dec | None
    low: Dec | None
    volume: int
    amount: Dec
    bid: list[Level]
    ask: list[Level]
    limit_up: Dec | None
    limit_down: Dec | None
    cage: Cage | None
    time: Time
    source: str


class Trigger(Model):
    """A held order's trigger, as it was set."""

    type: Literal["price", "trailing", "time", "limit_open"]
    direction: Literal["above", "below"] | None = None
    price: Dec | None = None
    percent: Dec | None = None
    amount: Dec | None = None
    at: Time | None = None
    which: Literal["up", "down"] | None = None


class HeldOrder(Model):
    """A held order (条件单)."""

    id: int
    account_id: str
    stock_code: str
    stock_name: str
    side: Literal["buy", "sell"]
    quantity: int
    price_type: str
    price: Dec | None
    trigger: Trigger
    state: Literal["waiting", "armed", "triggered", "fired", "canceled", "expired", "failed"]
    state_label: str
    mark: Dec | None
    stop_price: Dec | None
    last_price: Dec | None
    distance_pct: Dec | None
    skipped_reason: str | None
    parent_order_id: int | None
    oco_group: str | None
    active_from: Day
    expires: Day
    order_id: int | None
    client_order_id: str | None
    error: str | None
    message: str
    strategy_name: str
    remark: str
    created_at: Time
    updated_at: Time
    triggered_at: Time | None
    notional: Dec | None


class Bracket(Model):
    """The two legs of a bracket."""

    oco_group: str
    legs: list[HeldOrder]


class AlgoOrder(Model):
    """A TWAP or iceberg order."""

    id: int
    account_id: str
    stock_code: str
    stock_name: str
    side: Literal["buy", "sell"]
    algo: Literal["twap", "iceberg"]
    quantity: int
    price: Dec | None
    display_quantity: int | None
    start_at: Time
    end_at: Time | None
    interval_seconds: int | None
    state: Literal["running", "completed", "canceled", "expired", "failed"]
    state_label: str
    filled_quantity: int
    filled_amount: Dec
    working_quantity: int
    progress: Dec
    arrival_price: Dec | None
    avg_price: Dec | None
    slippage_bps: Dec | None
    child_count: int
    paused_reason: str | None
    error: str | None
    message: str
    strategy_name: str
    remark: str
    created_at: Time
    updated_at: Time
    finished_at: Time | None


class AlgoOrderWithChildren(AlgoOrder):
    """An algo order and its child orders."""

    children: list[Order]


class StatementFill(Trade):
    """A fill on the statement: the trade and the cash it moved."""

    traded_time: str
    side_label: str
    net_amount: Dec


class StatementTotals(Model):
    """Sums of a day or of the whole statement."""

    buy_amount: Dec
    sell_amount: Dec
    commission: Dec
    stamp_duty: Dec
    transfer_fee: Dec
    fees: Dec
    net_amount: Dec


class StatementDay(StatementTotals):
    """One day's sums."""

    trading_day: Day


class StatementHolding(Model):
    """A stock's shares over the statement: opening + bought − sold against closing."""

    stock_code: str
    stock_name: str
    opening: int
    bought: int
    sold: int
    closing: int
    balanced: bool


class Statement(Model):
    """The statement (交割单)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account_id: str
    from_: Day = Field(alias="from")
    to: Day
    fills: list[StatementFill]
    days: list[StatementDay]
    positions: list[StatementHolding]
    totals: StatementTotals
    balanced: bool


class EquityPoint(Model):
    trading_day: Day
    total_asset: Dec


class DailyReturn(Model):
    trading_day: Day
    # "return" is a keyword: the field keeps its API name through the alias.
    value: Dec | None = Field(alias="return")


class StrategyHolding(Model):
    stock_code: str
    shares: int
    cost: Dec
    value: Dec


class StrategyDay(Model):
    trading_day: Day
    realized_profit: Dec
    cumulative: Dec


class StrategyPerformance(Model):
    """One strategy's (or the manual fills') results."""

    strategy_name: str
    manual: bool
    fills: int
    sales: int
    wins: int
    win_rate: Dec | None
    realized_profit: Dec
    floating_profit: Dec
    total_profit: Dec
    fees: Dec
    turnover: Dec
    holdings: list[StrategyHolding]
    daily: list[StrategyDay]


class Performance(Model):
    """The account's results and each strategy's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account_id: str
    from_: Day | None = Field(alias="from")
    to: Day | None
    equity: list[EquityPoint]
    returns: list[DailyReturn]
    total_return: Dec | None
    max_drawdown: Dec | None
    fees: Dec
    turnover: Dec
    strategies: list[StrategyPerformance]


#: Error answers every route may give (the body is always :class:`ErrorBody`).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "not signed in (UNAUTHORIZED)"),
        (403, "not allowed (FORBIDDEN, TRADE_LOCKED, …)"),
        (404, "not found"),
        (409, "conflict (a duplicate, a final order, …)"),
        (422, "refused: bad input or an A-share / risk rule (code says which)"),
        (429, "rate limited or locked"),
        (503, "broker unavailable"),
    )
}


def answers(model: Any, *statuses: int) -> dict[str, Any]:
    """Route keyword arguments declaring the success body ``Envelope[model]`` for ``statuses`` (200 by
    default), without validating answers at run time."""
    return {"response_model": None, "responses": {s: {"model": Envelope[model]} for s in statuses or (200,)}}
