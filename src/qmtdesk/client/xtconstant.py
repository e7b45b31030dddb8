"""The xtquant constants a trading script uses, with the values of ``xtquant.xtconstant``.

Scripts may keep ``from xtquant import xtconstant`` (the package imports on Linux) or use this module;
the numbers are the same. The tables below map them onto the desk's names, reusing the broker
adapter's tables so there is one source for each code.
"""

from __future__ import annotations

from qmtdesk.brokers.codes import BrokerStatus
from qmtdesk.brokers.xtquant.mapping import (
    ACCOUNT_TYPES,
    FIX_PRICE,
    LATEST_PRICE,
    MARKET_MINE_PRICE_FIRST,
    MARKET_PEER_PRICE_FIRST,
    MARKET_SH_CONVERT_5_CANCEL,
    MARKET_SH_CONVERT_5_LIMIT,
    MARKET_SZ_CONVERT_5_CANCEL,
    MARKET_SZ_FULL_OR_CANCEL,
    MARKET_SZ_INSTBUSI_RESTCANCEL,
    STOCK_BUY,
    STOCK_SELL,
)

__all__ = [
    "ACCOUNT_STATUS_OK",
    "ACCOUNT_TYPE_DICT",
    "FIX_PRICE",
    "LATEST_PRICE",
    "MARKET_MINE_PRICE_FIRST",
    "MARKET_PEER_PRICE_FIRST",
    "MARKET_SH_CONVERT_5_CANCEL",
    "MARKET_SH_CONVERT_5_LIMIT",
    "MARKET_SZ_CONVERT_5_CANCEL",
    "MARKET_SZ_FULL_OR_CANCEL",
    "MARKET_SZ_INSTBUSI_RESTCANCEL",
    "SECURITY_ACCOUNT",
    "STOCK_BUY",
    "STOCK_SELL",
]

SECURITY_ACCOUNT = ACCOUNT_TYPES["STOCK"]
ACCOUNT_TYPE_DICT: dict[int, str] = {number: name for name, number in ACCOUNT_TYPES.items()}

ACCOUNT_STATUS_INVALID = -1
ACCOUNT_STATUS_OK = 0
ACCOUNT_STATUS_FAIL = 3
DIRECTION_FLAG_LONG = 48
OFFSET_FLAG_OPEN = 48
OFFSET_FLAG_CLOSE = 49

ORDER_UNREPORTED = BrokerStatus.UNREPORTED
ORDER_WAIT_REPORTING = BrokerStatus.WAIT_REPORTING
ORDER_REPORTED = BrokerStatus.REPORTED
ORDER_REPORTED_CANCEL = BrokerStatus.REPORTED_CANCEL
ORDER_PARTSUCC_CANCEL = BrokerStatus.PARTSUCC_CANCEL
ORDER_PART_CANCEL = BrokerStatus.PART_CANCEL
ORDER_CANCELED = BrokerStatus.CANCELED
ORDER_PART_SUCC = BrokerStatus.PART_SUCC
ORDER_SUCCEEDED = BrokerStatus.SUCCEEDED
ORDER_JUNK = BrokerStatus.JUNK
ORDER_UNKNOWN = BrokerStatus.UNKNOWN

SIDE_BY_ORDER_TYPE: dict[int, str] = {STOCK_BUY: "buy", STOCK_SELL: "sell"}
ORDER_TYPE_BY_SIDE: dict[str, int] = {side: number for number, side in SIDE_BY_ORDER_TYPE.items()}
OFFSET_FLAG_BY_SIDE: dict[str, int] = {"buy": OFFSET_FLAG_OPEN, "sell": OFFSET_FLAG_CLOSE}

#: xtquant ``price_type`` sent by a script -> the desk's ``price_type`` (the exchange is in the code).
PRICE_TYPE_NAME: dict[int, str] = {
    FIX_PRICE: "limit",
    LATEST_PRICE: "latest",
    MARKET_SH_CONVERT_5_CANCEL: "best5_cancel",
    MARKET_SZ_CONVERT_5_CANCEL: "best5_cancel",
    MARKET_SH_CONVERT_5_LIMIT: "best5_limit",
    MARKET_PEER_PRICE_FIRST: "counterparty_best",
    MARKET_MINE_PRICE_FIRST: "own_best",
    MARKET_SZ_INSTBUSI_RESTCANCEL: "ioc",
    MARKET_SZ_FULL_OR_CANCEL: "fok",
}
#: The desk's ``price_type`` -> the xtquant number shown on returned orders (``market`` is best-5 IOC).
PRICE_TYPE_BY_NAME: dict[str, int] = {
    **{name: number for number, name in PRICE_TYPE_NAME.items()},
    "best5_cancel": MARKET_SH_CONVERT_5_CANCEL,
    "market": MARKET_SH_CONVERT_5_CANCEL,
}

#: The desk's order status -> xtquant ``order_status`` (the desk's own refusals read as 废单).
ORDER_STATUS_BY_DESK: dict[str, int] = {
    "pending_new": ORDER_UNREPORTED,
    "submitted": ORDER_WAIT_REPORTING,
    "accepted": ORDER_REPORTED,
    "partially_filled": ORDER_PART_SUCC,
    "pending_cancel": ORDER_REPORTED_CANCEL,
    "filled": ORDER_SUCCEEDED,
    "canceled": ORDER_CANCELED,
    "partially_canceled": ORDER_PART_CANCEL,
    "rejected": ORDER_JUNK,
    "denied": ORDER_JUNK,
    "expired": ORDER_CANCELED,
    "unknown": ORDER_UNKNOWN,
}
#: Statuses after which the order is done: the script hears of a refusal through ``on_order_error``.
REFUSED = frozenset({"rejected", "denied"})
#: Statuses a script may cancel (``query_stock_orders(cancelable_only=True)``).
CANCELABLE = frozenset({"pending_new", "submitted", "accepted", "partially_filled", "unknown"})


def order_status(status: str, traded_volume: int) -> int:
    """xtquant's ``order_status`` of a desk order (a cancel in flight after fills is 52 部成待撤)."""
    if status == "pending_cancel" and traded_volume > 0:
        return ORDER_PARTSUCC_CANCEL
    return ORDER_STATUS_BY_DESK.get(status, ORDER_UNKNOWN)
