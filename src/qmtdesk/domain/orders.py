"""Orders: statuses, the events that move them, the explicit transition table, and the Order aggregate.

An order changes only through :meth:`Order.apply` with a typed event (:mod:`qmtdesk.domain.order_events`).
An event that moves the status names its :class:`OrderEvent`; the pair (status, event) is looked up in
``TRANSITIONS`` and a pair that is not there is refused: the order stays as it was. Broker status codes
(xtquant's 48-57, 255) live next to the broker adapters, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from qmtdesk.domain.fees import Side
from qmtdesk.domain.rules import PriceType

if TYPE_CHECKING:
    from qmtdesk.domain.order_events import OrderChange

ZERO = Decimal(0)


class OrderStatus(StrEnum):
    """Life-cycle status of an order (DESIGN.md)."""

    PENDING_NEW = "pending_new"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    FILLED = "filled"
    CANCELED = "canceled"
    PARTIALLY_CANCELED = "partially_canceled"
    REJECTED = "rejected"
    DENIED = "denied"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


#: What a Chinese-speaking trader calls each status (the UI's labels; messages use them too).
STATUS_LABELS_ZH: dict[OrderStatus, str] = {
    OrderStatus.PENDING_NEW: "待发送",
    OrderStatus.SUBMITTED: "已提交",
    OrderStatus.ACCEPTED: "已报",
    OrderStatus.PARTIALLY_FILLED: "部成",
    OrderStatus.PENDING_CANCEL: "待撤",
    OrderStatus.FILLED: "已成",
    OrderStatus.CANCELED: "已撤",
    OrderStatus.PARTIALLY_CANCELED: "部撤",
    OrderStatus.REJECTED: "废单",
    OrderStatus.DENIED: "已拒绝",
    OrderStatus.EXPIRED: "已过期",
    OrderStatus.UNKNOWN: "状态未知",
}


TERMINAL = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.PARTIALLY_CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.DENIED,
        OrderStatus.EXPIRED,
    }
)
OPEN = frozenset(OrderStatus) - TERMINAL
#: Statuses in which a cancel may be requested (51/52 already have one in flight).
CANCELABLE = frozenset(
    {
        OrderStatus.PENDING_NEW,
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.UNKNOWN,
    }
)
#: Orders at the broker and not final (everything open but ``pending_new``).
ACTIVE = OPEN - {OrderStatus.PENDING_NEW}
#: Orders that never reached the broker: they count for nothing in rates and turnover.
NOT_SENT = frozenset({OrderStatus.DENIED, OrderStatus.PENDING_NEW})


class OrderEvent(StrEnum):
    """What can happen to an order's status."""

    SUBMIT = "submit"  # sent to the broker
    DENY = "deny"  # refused by our validation or risk
    ACCEPT = "accept"  # acknowledged by the exchange
    PARTIAL_FILL = "partial_fill"
    FILL = "fill"  # the last shares filled
    CANCEL_REQUEST = "cancel_request"  # cancel in flight at the broker/exchange
    CANCEL = "cancel"  # cancelled with nothing filled
    PARTIAL_CANCEL = "partial_cancel"  # cancelled after some fills
    REJECT = "reject"
    EXPIRE = "expire"
    LOST = "lost"  # broker says 255 or the outcome is unknown after a disconnect


S = OrderStatus
E = OrderEvent

_OPEN_AT_BROKER = (S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.UNKNOWN)

TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (S.PENDING_NEW, E.SUBMIT): S.SUBMITTED,
    (S.PENDING_NEW, E.DENY): S.DENIED,
    (S.PENDING_NEW, E.CANCEL): S.CANCELED,  # cancelled before it was ever sent
    (S.PENDING_NEW, E.REJECT): S.REJECTED,
    (S.PENDING_NEW, E.LOST): S.UNKNOWN,
    (S.SUBMITTED, E.SUBMIT): S.SUBMITTED,  # 48 未报 -> 49 待报
    **{(s, E.ACCEPT): S.ACCEPTED for s in (S.SUBMITTED, S.ACCEPTED, S.UNKNOWN)},
    # 51 -> 50: the broker refused the cancel and the order is live again.
    (S.PENDING_CANCEL, E.ACCEPT): S.ACCEPTED,
    # A 55 report ends a pending cancel (refused, or a fill raced it); 52 keeps it pending.
    **{(s, E.PARTIAL_FILL): S.PARTIALLY_FILLED for s in _OPEN_AT_BROKER},
    **{(s, E.FILL): S.FILLED for s in _OPEN_AT_BROKER},
    **{(s, E.CANCEL_REQUEST): S.PENDING_CANCEL for s in _OPEN_AT_BROKER},
    **{(s, E.CANCEL): S.CANCELED for s in _OPEN_AT_BROKER if s is not S.PARTIALLY_FILLED},
    **{(s, E.PARTIAL_CANCEL): S.PARTIALLY_CANCELED for s in _OPEN_AT_BROKER},
    **{(s, E.REJECT): S.REJECTED for s in (S.SUBMITTED, S.ACCEPTED, S.UNKNOWN, S.PENDING_CANCEL)},
    **{(s, E.EXPIRE): S.EXPIRED for s in (S.PENDING_NEW, *_OPEN_AT_BROKER)},
    **{(s, E.LOST): S.UNKNOWN for s in _OPEN_AT_BROKER},
}

#: The event a reported status announces.
EVENT_FOR_STATUS: dict[OrderStatus, OrderEvent] = {
    OrderStatus.SUBMITTED: OrderEvent.SUBMIT,
    OrderStatus.ACCEPTED: OrderEvent.ACCEPT,
    OrderStatus.PARTIALLY_FILLED: OrderEvent.PARTIAL_FILL,
    OrderStatus.FILLED: OrderEvent.FILL,
    OrderStatus.PENDING_CANCEL: OrderEvent.CANCEL_REQUEST,
    OrderStatus.CANCELED: OrderEvent.CANCEL,
    OrderStatus.PARTIALLY_CANCELED: OrderEvent.PARTIAL_CANCEL,
    OrderStatus.REJECTED: OrderEvent.REJECT,
    OrderStatus.EXPIRED: OrderEvent.EXPIRE,
    OrderStatus.UNKNOWN: OrderEvent.LOST,
}


class InvalidTransition(Exception):
    """An event that the transition table does not allow from the order's status."""

    def __init__(self, status: OrderStatus, event: OrderEvent) -> None:
        super().__init__(f"order in status {status.value!r} cannot take event {event.value!r}")
        self.status = status
        self.event = event


def transition(status: OrderStatus, event: OrderEvent) -> OrderStatus:
    """The status after ``event``, or :class:`InvalidTransition` if the table has no such pair."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(status, event) from None


@dataclass(slots=True, eq=False)
class Order:
    """One order as the desk knows it: the engine's in-memory object, authoritative while it runs.

    Its fields are those of the ``orders`` table and of the API's order object. Change it only
    through :meth:`apply`.
    """

    id: int
    account_id: str
    client_order_id: str | None
    ref: str  # the broker-side reference (xtquant ``order_remark``)
    payload_hash: str
    stock_code: str
    stock_name: str
    side: Side
    price_type: PriceType
    price: Decimal | None
    quantity: int
    source: str
    trading_day: date
    created_at: datetime
    updated_at: datetime
    strategy_name: str = ""
    remark: str = ""
    user_id: int | None = None
    status: OrderStatus = OrderStatus.PENDING_NEW
    status_code: int | None = None
    status_msg: str = ""
    error: str | None = None
    error_message: str | None = None
    broker_order_id: str | None = None
    broker_sysid: str | None = None
    filled_quantity: int = 0
    filled_amount: Decimal = ZERO
    fees: Decimal = ZERO
    frozen_amount: Decimal = ZERO
    finished_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Not in a terminal status."""
        return self.status not in TERMINAL

    @property
    def remaining(self) -> int:
        """Shares not filled."""
        return self.quantity - self.filled_quantity

    def apply(self, change: OrderChange) -> bool:
        """Apply one event; ``False`` (and the order unchanged) when the transition table refuses it."""
        trigger = change.trigger
        if trigger is not None:
            new_status = TRANSITIONS.get((self.status, trigger))
            if new_status is None:
                return False
            self.status = new_status
            if new_status in TERMINAL:
                self.finished_at = change.time
                self.frozen_amount = ZERO
        change.mutate(self)
        self.updated_at = change.time
        return True


@dataclass(slots=True, eq=False)  # built for every fill: not frozen (that costs ~8x at creation); never changed
class Trade:
    """One fill as the desk records it (unique per account by ``broker_trade_id``)."""

    id: int
    account_id: str
    broker_trade_id: str
    order_id: int | None
    broker_order_id: str | None
    stock_code: str
    stock_name: str
    side: Side
    price: Decimal
    quantity: int
    amount: Decimal
    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    strategy_name: str
    traded_at: datetime
    trading_day: date

    @property
    def fees(self) -> Decimal:
        """Every fee of the fill."""
        return self.commission + self.stamp_duty + self.transfer_fee
