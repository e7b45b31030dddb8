"""The broker port: what the desk asks of a broker, and the reports a broker sends back.

Paper and live share everything above this module. A broker learns intent through
:class:`OrderRequest` and reports outcomes only through :class:`BrokerListener` (pushes) and the
``query_*`` methods (pulls). Reports carry the xtquant status code as well as the desk status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.portfolio import Position
from qmtdesk.domain.rules import PriceType


class ConnectionState(StrEnum):
    """Link state between the desk and its broker."""

    CONNECTED = "connected"
    CONNECTING = "connecting"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


@dataclass(slots=True)  # built for every order: a frozen dataclass takes ~8x as long to create
class OrderRequest:
    """An order the desk sends. ``ref`` is the desk's short reference (xtquant ``order_remark``)."""

    ref: str
    stock_code: str
    side: Side
    quantity: int
    price_type: PriceType
    price: Decimal | None = None
    strategy_name: str = ""


@dataclass(slots=True)  # built for every order: a frozen dataclass takes ~8x as long to create
class OrderReport:
    """The broker's view of one order after a change (xtquant ``XtOrder``)."""

    broker_order_id: str
    ref: str | None
    stock_code: str
    side: Side
    price_type: PriceType | None
    price: Decimal | None
    quantity: int
    filled_quantity: int
    avg_fill_price: Decimal | None
    status: OrderStatus
    status_code: int
    status_msg: str
    time: datetime
    broker_sysid: str | None = None
    error_code: str | None = None
    strategy_name: str = ""


@dataclass(slots=True)  # built for every order: a frozen dataclass takes ~8x as long to create
class TradeReport:
    """One fill (xtquant ``XtTrade``); ``broker_trade_id`` is unique per account."""

    broker_trade_id: str
    broker_order_id: str
    ref: str | None
    stock_code: str
    side: Side
    price: Decimal
    quantity: int
    amount: Decimal
    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    time: datetime
    strategy_name: str = ""

    @property
    def fees(self) -> Decimal:
        """All fees of the fill."""
        return self.commission + self.stamp_duty + self.transfer_fee


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One holding (xtquant ``XtPosition``)."""

    stock_code: str
    volume: int
    can_use_volume: int
    frozen_volume: int
    yesterday_volume: int
    avg_price: Decimal
    opened_on: datetime | None = None
    #: What the holding cost, buy fees included; None when the broker gives only ``avg_price``.
    cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AccountReport:
    """Cash and totals (xtquant ``XtAsset``); ``cash`` is what is available to trade."""

    account_id: str
    account_type: str
    cash: Decimal
    frozen_cash: Decimal
    market_value: Decimal
    total_asset: Decimal
    withdrawable: Decimal
    time: datetime
    #: P&L of every sale since the account started, and of today's, fees included; None when the
    #: broker does not report them (MiniQMT's XtAsset has no such field).
    realized_profit: Decimal | None = None
    today_realized_profit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class IpoIssue:
    """A new stock or bond open for subscription (新股/新债), as the broker lists it (xtquant ``query_ipo_data``).

    Kept as the broker gave it: the code is not normalised and the purchase date is its text
    (``YYYYMMDD``); :mod:`qmtdesk.domain.subscriptions` reads and judges it. Quantities are shares
    (stocks) or 100-CNY units (张, bonds)."""

    code: str
    name: str
    kind: str  # the broker's type: "STOCK" | "BOND"
    min_quantity: int
    max_quantity: int
    purchase_date: str
    issue_price: Decimal


@dataclass(frozen=True, slots=True)
class OrderAckReport:
    """The broker's answer to an asynchronous submission: its order id for our reference."""

    ref: str | None
    broker_order_id: str | None
    error_msg: str = ""


@dataclass(frozen=True, slots=True)
class OrderErrorReport:
    """An order the broker refused before it had a status (xtquant ``on_order_error``)."""

    ref: str | None
    broker_order_id: str | None
    error_code: str
    error_msg: str


@dataclass(frozen=True, slots=True)
class CancelErrorReport:
    """A cancel the broker refused (xtquant ``on_cancel_error``)."""

    broker_order_id: str
    error_code: str
    error_msg: str


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """A change of link state."""

    state: ConnectionState
    message: str = ""
    details: dict[str, str] = field(default_factory=dict)


class BrokerListener(Protocol):
    """Receives pushes. Brokers may call it from any thread; the listener hands work to its loop."""

    def on_order(self, report: OrderReport) -> None:
        """An order changed."""

    def on_trade(self, report: TradeReport) -> None:
        """A fill happened."""

    def on_order_ack(self, report: OrderAckReport) -> None:
        """An asynchronous submission was answered with a broker order id."""

    def on_order_error(self, report: OrderErrorReport) -> None:
        """An order was refused outright."""

    def on_cancel_error(self, report: CancelErrorReport) -> None:
        """A cancel was refused."""

    def on_connection(self, report: ConnectionReport) -> None:
        """The link changed state."""


@runtime_checkable
class SubscriptionBroker(Protocol):
    """A broker that lists today's new issues and the account's subscription quota (MiniQMT, paper).

    ``supports_subscriptions`` says whether subscription and repo orders can be placed through it at
    all (the paper exchange lists no issues and knows no repo codes)."""

    supports_subscriptions: bool

    async def query_ipo_data(self) -> list[IpoIssue]:
        """Today's issues open for subscription."""
        ...

    async def query_new_purchase_limit(self) -> dict[str, int]:
        """The account's subscription quota in shares by market key (``SH``, ``SZ``, ``KCB``, ``CYB``…)."""
        ...


class Broker(Protocol):
    """The port every broker adapter implements (paper exchange, xtquant).

    Pushes go to the listener set with :meth:`set_listener`, from any thread. ``buying_view``,
    ``account_view`` and ``positions_view`` answer at once from what the broker last said (the paper
    exchange's own state, or MiniQMT's latest push or query): the pre-trade check never waits.
    """

    name: str
    account_id: str
    account_type: str
    #: Whether ``submit`` freezes the order's cash or shares before it returns (the paper counter);
    #: otherwise the broker freezes them once it accepts the order, and the desk reserves until then.
    freezes_synchronously: bool
    #: Seconds after sending past which an order the broker does not list was certainly never placed
    #: (a gateway refuses commands after their deadline); None when the broker gives no such promise.
    placement_deadline: float | None

    def set_listener(self, listener: BrokerListener) -> None:
        """Where pushes go."""

    async def connect(self) -> None:
        """Open the session (idempotent)."""

    async def disconnect(self) -> None:
        """Close the session."""

    async def close(self) -> None:
        """Disconnect and release what the adapter holds (threads, sessions)."""

    @property
    def state(self) -> ConnectionState:
        """Current link state."""
        ...

    @property
    def last_error(self) -> str:
        """Why the link is not up (empty while connected)."""
        ...

    @property
    def session_id(self) -> int | None:
        """The broker session of the link, when it has one (MiniQMT's session id)."""
        ...

    async def submit(self, request: OrderRequest) -> str | None:
        """Send an order; return the broker order id when known at once. Outcomes arrive as reports.

        Raises :class:`~qmtdesk.domain.errors.BrokerUnavailable` when the order cannot leave the desk.
        """
        ...

    async def cancel(self, broker_order_id: str) -> None:
        """Ask to cancel; the outcome arrives as an order report or a cancel error."""

    async def query_orders(self) -> list[OrderReport]:
        """Today's orders."""
        ...

    async def query_trades(self) -> list[TradeReport]:
        """Today's fills."""
        ...

    async def query_positions(self) -> list[PositionReport]:
        """Current holdings."""
        ...

    async def query_account(self) -> AccountReport:
        """Cash and totals."""
        ...

    def buying_view(self, stock_code: str) -> tuple[Decimal, Position | None]:
        """Cash available to buy and a copy of the position in ``stock_code``, as last known."""
        ...

    def account_view(self) -> AccountReport | None:
        """Cash and totals as last known (``None`` before the broker said anything)."""
        ...

    def positions_view(self) -> list[PositionReport]:
        """Holdings as last known."""
        ...
