"""Orders, fills, positions, the account's figures and the trading status."""

from __future__ import annotations

from typing import Literal

from qmtdesk.api.schemas.common import Day, Dec, LinkState, MarketPhase, Model, Time, TradingState
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import Phase, PriceType


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
    price_type: PriceType
    price: Dec | None
    quantity: int
    filled_quantity: int
    avg_fill_price: Dec | None
    filled_amount: Dec
    status: OrderStatus
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
    status: OrderStatus | None
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
    state: LinkState
    account_id: str
    account_type: str
    trading_day: Day
    is_trading_day: bool
    market_phase: MarketPhase
    phase_detail: Phase
    server_time: Time
    halted: bool
    trading_state: TradingState
    message: str
    session_id: int | None
    quotes: str
    fees: Fees


class Reconciliation(Model):
    """What a reconciliation with the broker found and settled."""

    broker_orders: int
    broker_trades: int
    settled: int


class LinkAnswer(Model):
    """The broker link after ``connect`` / ``disconnect``; ``connect`` adds its reconciliation (null when
    the link did not come up or the broker could not be read)."""

    state: LinkState
    reconciliation: Reconciliation | None = None


class CancelRefusal(Model):
    """An order ``cancel-all`` could not cancel, and why."""

    order_id: int
    error: str
    message: str


class CanceledAll(Model):
    """What ``cancel-all`` did: each targeted order as it now stands, and the refusals."""

    requested: int
    orders: list[Order]
    refused: list[CancelRefusal]


class EquitySample(Model):
    """One point of the intraday equity curve."""

    time: Time
    total_asset: Dec
    cash: Dec
    market_value: Dec
