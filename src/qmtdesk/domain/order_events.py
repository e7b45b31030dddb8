"""The typed events that change an order, each applied through the transition table.

Events are values: nothing changes one after it is made (they are not frozen dataclasses only because
those take several times as long to create, and several are made for every order).

Every event knows its journal name (``kind``, the ``order_events.event`` column), the status event it
triggers in the transition table (``trigger``, ``None`` for changes that keep the status), the order
fields it changes (``fields``, what its journal entry records) and how it changes them (``mutate``).
Status reports from a broker become one of the ``Reported*`` events through :data:`REPORTED_EVENT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from qmtdesk.domain.orders import ZERO, Order, OrderEvent, OrderStatus

#: Fields every status-moving event may change (terminal statuses end the order and release its freeze).
_STATUS_FIELDS = ("status", "updated_at", "finished_at", "frozen_amount")


@dataclass(slots=True)
class OrderChange:
    """Base of every order event: when it happened."""

    time: datetime

    kind: ClassVar[str] = "changed"
    trigger: ClassVar[OrderEvent | None] = None
    fields: ClassVar[tuple[str, ...]] = ("updated_at",)
    #: Whether it may change what the risk counters count (status, filled or frozen amounts).
    counted: ClassVar[bool] = True

    def mutate(self, order: Order) -> None:
        """Change the order's own fields (the status was already moved by :meth:`Order.apply`)."""


@dataclass(slots=True)
class OrderCreated(OrderChange):
    """The order exists, ``pending_new``: its journal entry holds the whole order."""

    kind: ClassVar[str] = "created"


@dataclass(slots=True)
class OrderDenied(OrderChange):
    """Refused by validation or risk; never sent."""

    code: str
    message: str

    kind: ClassVar[str] = "denied"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.DENY
    fields: ClassVar[tuple[str, ...]] = (*_STATUS_FIELDS, "error", "error_message", "status_msg")

    def mutate(self, order: Order) -> None:
        order.error = self.code
        order.error_message = order.status_msg = self.message[:255]


@dataclass(slots=True)
class OrderSubmitted(OrderChange):
    """Approved: cash (or shares) reserved, about to be sent."""

    frozen_amount: Decimal

    kind: ClassVar[str] = "submitted"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.SUBMIT
    fields: ClassVar[tuple[str, ...]] = _STATUS_FIELDS

    def mutate(self, order: Order) -> None:
        order.frozen_amount = self.frozen_amount


@dataclass(slots=True)
class OrderNotSent(OrderChange):
    """The broker link went down before the order left the desk: final, and a retry may place it anew."""

    code: str
    message: str

    kind: ClassVar[str] = "rejected"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.REJECT
    fields: ClassVar[tuple[str, ...]] = (*_STATUS_FIELDS, "error", "error_message", "status_msg")

    def mutate(self, order: Order) -> None:
        order.error = self.code
        order.error_message = order.status_msg = self.message[:255]


@dataclass(slots=True)
class OrderCanceledUnsent(OrderChange):
    """Cancelled before it ever reached the broker (a cancel request, or settled at a restart)."""

    reason: str

    kind: ClassVar[str] = "canceled"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.CANCEL
    fields: ClassVar[tuple[str, ...]] = (*_STATUS_FIELDS, "status_msg")

    def mutate(self, order: Order) -> None:
        order.status_msg = self.reason[:255]


@dataclass(slots=True)
class OrderAcknowledged(OrderChange):
    """The broker answered the submission with its order id."""

    broker_order_id: str

    kind: ClassVar[str] = "acknowledged"
    counted: ClassVar[bool] = False
    fields: ClassVar[tuple[str, ...]] = ("broker_order_id", "updated_at")

    def mutate(self, order: Order) -> None:
        order.broker_order_id = self.broker_order_id


@dataclass(slots=True)
class OrderCancelRequested(OrderChange):
    """The desk asked the broker to cancel (counted by the cancel-rate rule whatever the answer)."""

    kind: ClassVar[str] = "cancel_requested"
    counted: ClassVar[bool] = False


@dataclass(slots=True)
class OrderFillApplied(OrderChange):
    """A fill added to the order's traded quantity, amount and fees (the trade itself is journaled too)."""

    quantity: int
    amount: Decimal
    fees: Decimal

    kind: ClassVar[str] = "filled_quantity"
    fields: ClassVar[tuple[str, ...]] = ("filled_quantity", "filled_amount", "avg_fill_price", "fees", "updated_at")

    def mutate(self, order: Order) -> None:
        order.filled_quantity += self.quantity
        order.filled_amount += self.amount
        order.fees += self.fees


@dataclass(slots=True)
class OrderClientIdReleased(OrderChange):
    """An order that never left the desk hands its ``client_order_id`` to a retry (kept as ``<id>#<order>``)."""

    client_order_id: str

    kind: ClassVar[str] = "client_id_released"
    counted: ClassVar[bool] = False
    fields: ClassVar[tuple[str, ...]] = ("client_order_id", "updated_at")

    def mutate(self, order: Order) -> None:
        order.client_order_id = self.client_order_id


# ------------------------------------------------------------------------------ broker status reports
@dataclass(slots=True)
class ReportedStatus(OrderChange):
    """A status the broker reported, with its own code and text (and ids it may tell us first)."""

    status_code: int | None
    status_msg: str
    broker_order_id: str | None = None
    broker_sysid: str | None = None

    fields: ClassVar[tuple[str, ...]] = (
        *_STATUS_FIELDS,
        "status_code",
        "status_msg",
        "broker_order_id",
        "broker_sysid",
    )

    def mutate(self, order: Order) -> None:
        order.status_code = self.status_code
        order.status_msg = self.status_msg[:255]
        if self.broker_order_id and not order.broker_order_id:
            order.broker_order_id = self.broker_order_id
        if self.broker_sysid:
            order.broker_sysid = self.broker_sysid


@dataclass(slots=True)
class OrderStillSubmitted(ReportedStatus):
    """48 未报 / 49 待报."""

    kind: ClassVar[str] = "submitted"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.SUBMIT


@dataclass(slots=True)
class OrderAccepted(ReportedStatus):
    """50 已报: on the exchange."""

    kind: ClassVar[str] = "accepted"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.ACCEPT


@dataclass(slots=True)
class OrderPartiallyFilled(ReportedStatus):
    """55 部成."""

    kind: ClassVar[str] = "partially_filled"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.PARTIAL_FILL


@dataclass(slots=True)
class OrderFilled(ReportedStatus):
    """56 已成: the last shares filled."""

    kind: ClassVar[str] = "filled"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.FILL


@dataclass(slots=True)
class OrderPendingCancel(ReportedStatus):
    """51 已报待撤 / 52 部成待撤: a cancel in flight; the order may still fill."""

    kind: ClassVar[str] = "pending_cancel"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.CANCEL_REQUEST


@dataclass(slots=True)
class OrderCanceled(ReportedStatus):
    """54 已撤."""

    kind: ClassVar[str] = "canceled"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.CANCEL


@dataclass(slots=True)
class OrderPartiallyCanceled(ReportedStatus):
    """53 部撤."""

    kind: ClassVar[str] = "partially_canceled"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.PARTIAL_CANCEL


@dataclass(slots=True)
class OrderRejected(ReportedStatus):
    """57 废单, or an order error before any status: refused by the broker or the exchange."""

    error_code: str | None = None
    error_message: str | None = None

    kind: ClassVar[str] = "rejected"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.REJECT
    fields: ClassVar[tuple[str, ...]] = (*ReportedStatus.fields, "error", "error_message")

    def mutate(self, order: Order) -> None:
        ReportedStatus.mutate(self, order)
        order.error = self.error_code or "BROKER_REJECTED"
        order.error_message = (self.error_message if self.error_message is not None else self.status_msg)[:255]


@dataclass(slots=True)
class OrderExpired(ReportedStatus):
    """A day order still open at the close."""

    kind: ClassVar[str] = "expired"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.EXPIRE


@dataclass(slots=True)
class OrderLost(ReportedStatus):
    """255, or the broker has no record of an order we sent: ``unknown`` until reconciliation settles it."""

    kind: ClassVar[str] = "unknown"
    trigger: ClassVar[OrderEvent | None] = OrderEvent.LOST


@dataclass(slots=True)
class OrderBrokerStatus(ReportedStatus):
    """The same desk status with a new broker code (48 -> 49, 51 -> 52): recorded without a transition."""

    kind: ClassVar[str] = "broker_status"
    counted: ClassVar[bool] = False
    fields: ClassVar[tuple[str, ...]] = ("status_code", "status_msg", "broker_order_id", "broker_sysid", "updated_at")


@dataclass(slots=True)
class OrderErrorDetailed(OrderChange):
    """The 57 status came first; the error push after it carries the counter's precise code and text."""

    error_code: str
    error_message: str

    kind: ClassVar[str] = "order_error"
    counted: ClassVar[bool] = False
    fields: ClassVar[tuple[str, ...]] = ("error", "error_message", "updated_at")

    def mutate(self, order: Order) -> None:
        order.error = self.error_code or order.error
        order.error_message = self.error_message[:255] or order.error_message


#: The event a reported status becomes.
REPORTED_EVENT: dict[OrderStatus, type[ReportedStatus]] = {
    OrderStatus.SUBMITTED: OrderStillSubmitted,
    OrderStatus.ACCEPTED: OrderAccepted,
    OrderStatus.PARTIALLY_FILLED: OrderPartiallyFilled,
    OrderStatus.FILLED: OrderFilled,
    OrderStatus.PENDING_CANCEL: OrderPendingCancel,
    OrderStatus.CANCELED: OrderCanceled,
    OrderStatus.PARTIALLY_CANCELED: OrderPartiallyCanceled,
    OrderStatus.REJECTED: OrderRejected,
    OrderStatus.EXPIRED: OrderExpired,
    OrderStatus.UNKNOWN: OrderLost,
}

__all__ = [
    "REPORTED_EVENT",
    "ZERO",
    "OrderAccepted",
    "OrderAcknowledged",
    "OrderBrokerStatus",
    "OrderCancelRequested",
    "OrderCanceled",
    "OrderCanceledUnsent",
    "OrderChange",
    "OrderClientIdReleased",
    "OrderCreated",
    "OrderDenied",
    "OrderErrorDetailed",
    "OrderExpired",
    "OrderFillApplied",
    "OrderFilled",
    "OrderLost",
    "OrderNotSent",
    "OrderPartiallyCanceled",
    "OrderPartiallyFilled",
    "OrderPendingCancel",
    "OrderRejected",
    "OrderStillSubmitted",
    "OrderSubmitted",
]
