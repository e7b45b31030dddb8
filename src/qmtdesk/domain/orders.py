"""Order statuses, the events that move them, and the explicit transition table.

An order changes status only through :func:`transition`, which looks the (status, event) pair up in
``TRANSITIONS``; a pair that is not there is refused. Statuses follow DESIGN.md, and the broker
status codes of xtquant (48-57, 255) map onto them through ``STATUS_BY_BROKER_CODE``.
"""

from __future__ import annotations

from enum import StrEnum


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


class BrokerStatus:
    """xtquant ``order_status`` codes; the paper exchange reports the same codes."""

    UNREPORTED = 48
    WAIT_REPORTING = 49
    REPORTED = 50
    REPORTED_CANCEL = 51
    PARTSUCC_CANCEL = 52
    PART_CANCEL = 53
    CANCELED = 54
    PART_SUCC = 55
    SUCCEEDED = 56
    JUNK = 57
    UNKNOWN = 255


STATUS_BY_BROKER_CODE: dict[int, OrderStatus] = {
    48: OrderStatus.SUBMITTED,
    49: OrderStatus.SUBMITTED,
    50: OrderStatus.ACCEPTED,
    51: OrderStatus.PENDING_CANCEL,
    52: OrderStatus.PENDING_CANCEL,
    53: OrderStatus.PARTIALLY_CANCELED,
    54: OrderStatus.CANCELED,
    55: OrderStatus.PARTIALLY_FILLED,
    56: OrderStatus.FILLED,
    57: OrderStatus.REJECTED,
    255: OrderStatus.UNKNOWN,
}

#: Chinese names of the broker codes, as QMT shows them.
BROKER_STATUS_NAMES: dict[int, str] = {
    48: "未报",
    49: "待报",
    50: "已报",
    51: "已报待撤",
    52: "部成待撤",
    53: "部撤",
    54: "已撤",
    55: "部成",
    56: "已成",
    57: "废单",
    255: "未知",
}


class OrderEvent(StrEnum):
    """What can happen to an order."""

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


def event_for_broker_status(code: int) -> OrderEvent:
    """The event a broker status code announces."""
    return _EVENT_BY_CODE[code]


_EVENT_BY_CODE: dict[int, OrderEvent] = {
    48: E.SUBMIT,
    49: E.SUBMIT,
    50: E.ACCEPT,
    51: E.CANCEL_REQUEST,
    52: E.CANCEL_REQUEST,
    53: E.PARTIAL_CANCEL,
    54: E.CANCEL,
    55: E.PARTIAL_FILL,
    56: E.FILL,
    57: E.REJECT,
    255: E.LOST,
}
