"""Orders the desk holds: conditional orders, brackets and execution algorithms."""

from __future__ import annotations

from typing import Literal

from qmtdesk.api.schemas.common import Day, Dec, Model, Time
from qmtdesk.api.schemas.orders import Order
from qmtdesk.domain.rules import PriceType


class Trigger(Model):
    """A held order's trigger, as it was set."""

    type: Literal["price", "trailing", "time", "limit_open"]
    direction: Literal["above", "below"] | None = None
    price: Dec | None = None
    percent: Dec | None = None
    amount: Dec | None = None
    at: Time | None = None
    which: Literal["up", "down"] | None = None


class DeskOrder(Model):
    """What every order the desk holds carries: whose, what, the latest word on it, when."""

    id: int
    account_id: str
    stock_code: str
    stock_name: str
    side: Literal["buy", "sell"]
    quantity: int
    price: Dec | None
    error: str | None
    message: str
    strategy_name: str
    remark: str
    created_at: Time
    updated_at: Time


class HeldOrder(DeskOrder):
    """A held order (条件单)."""

    price_type: PriceType
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
    triggered_at: Time | None
    notional: Dec | None


class Bracket(Model):
    """The two legs of a bracket."""

    oco_group: str
    legs: list[HeldOrder]


class AlgoOrder(DeskOrder):
    """A TWAP or iceberg order."""

    algo: Literal["twap", "iceberg"]
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
    finished_at: Time | None


class AlgoOrderWithChildren(AlgoOrder):
    """An algo order and its child orders."""

    children: list[Order]
