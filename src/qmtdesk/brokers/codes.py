"""xtquant's ``order_status`` codes and what they mean on the desk (the paper exchange reports the same).

These are the broker's vocabulary, so they live next to the adapters; above the broker port only the
desk's own :class:`~qmtdesk.domain.orders.OrderStatus` is used.
"""

from __future__ import annotations

from qmtdesk.domain.orders import EVENT_FOR_STATUS, OrderEvent, OrderStatus


class BrokerStatus:
    """xtquant ``order_status`` codes."""

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


#: Broker code -> desk status (51/52 are pending_cancel, never terminal; 255 is unknown).
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

#: Chinese names of the codes, as QMT shows them.
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


def event_for_broker_status(code: int) -> OrderEvent:
    """The transition-table event a broker status code announces."""
    return EVENT_FOR_STATUS[STATUS_BY_BROKER_CODE[code]]
