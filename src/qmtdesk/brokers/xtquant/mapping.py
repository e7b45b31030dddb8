"""Mapping tables between the desk and xtquant: order types, price types, statuses, account types.

Values from ``xtconstant`` (reference/xtquant-sdk.md §C and a-share-rules.md §6.3). Pushed orders
carry the counter's own price-type codes, which differ from what was sent; those have a table of
their own and are never used to match orders back.
"""

from __future__ import annotations

from qmtdesk.brokers.codes import STATUS_BY_BROKER_CODE
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import Exchange
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType

STOCK_BUY = 23
STOCK_SELL = 24
ORDER_TYPE: dict[Side, int] = {Side.BUY: STOCK_BUY, Side.SELL: STOCK_SELL}
SIDE_BY_ORDER_TYPE: dict[int, Side] = {STOCK_BUY: Side.BUY, STOCK_SELL: Side.SELL}
#: ``offset_flag`` on returned objects: 48 买入/开仓, 49 卖出/平仓.
SIDE_BY_OFFSET_FLAG: dict[int, Side] = {48: Side.BUY, 49: Side.SELL}

LATEST_PRICE = 5
FIX_PRICE = 11
MARKET_SH_CONVERT_5_CANCEL = 42
MARKET_SH_CONVERT_5_LIMIT = 43
MARKET_PEER_PRICE_FIRST = 44
MARKET_MINE_PRICE_FIRST = 45
MARKET_SZ_INSTBUSI_RESTCANCEL = 46
MARKET_SZ_CONVERT_5_CANCEL = 47
MARKET_SZ_FULL_OR_CANCEL = 48

#: Our price type on each exchange -> the xtquant ``price_type`` to send.
PRICE_TYPE_TO_XT: dict[tuple[Exchange, PriceType], int] = {
    **{(ex, PriceType.LIMIT): FIX_PRICE for ex in Exchange},
    **{(ex, PriceType.LATEST): LATEST_PRICE for ex in Exchange},
    **{(ex, PriceType.COUNTERPARTY_BEST): MARKET_PEER_PRICE_FIRST for ex in Exchange},
    **{(ex, PriceType.OWN_BEST): MARKET_MINE_PRICE_FIRST for ex in Exchange},
    (Exchange.SH, PriceType.MARKET): MARKET_SH_CONVERT_5_CANCEL,
    (Exchange.BJ, PriceType.MARKET): MARKET_SH_CONVERT_5_CANCEL,
    (Exchange.SZ, PriceType.MARKET): MARKET_SZ_CONVERT_5_CANCEL,
    (Exchange.SH, PriceType.BEST5_CANCEL): MARKET_SH_CONVERT_5_CANCEL,
    (Exchange.BJ, PriceType.BEST5_CANCEL): MARKET_SH_CONVERT_5_CANCEL,
    (Exchange.SZ, PriceType.BEST5_CANCEL): MARKET_SZ_CONVERT_5_CANCEL,
    (Exchange.SH, PriceType.BEST5_LIMIT): MARKET_SH_CONVERT_5_LIMIT,
    (Exchange.BJ, PriceType.BEST5_LIMIT): MARKET_SH_CONVERT_5_LIMIT,
    (Exchange.SZ, PriceType.IOC): MARKET_SZ_INSTBUSI_RESTCANCEL,
    (Exchange.SZ, PriceType.FOK): MARKET_SZ_FULL_OR_CANCEL,
}

#: Price types as they come back on orders: the counter's native codes and the SDK's own values.
PRICE_TYPE_FROM_XT: dict[int, PriceType | None] = {
    50: PriceType.LIMIT,
    84: PriceType.COUNTERPARTY_BEST,
    85: PriceType.BEST5_LIMIT,
    86: PriceType.OWN_BEST,
    87: PriceType.IOC,
    88: PriceType.BEST5_CANCEL,
    89: PriceType.FOK,
    49: None,  # "any"
    LATEST_PRICE: PriceType.LATEST,
    FIX_PRICE: PriceType.LIMIT,
    MARKET_SH_CONVERT_5_CANCEL: PriceType.BEST5_CANCEL,
    MARKET_SH_CONVERT_5_LIMIT: PriceType.BEST5_LIMIT,
    MARKET_PEER_PRICE_FIRST: PriceType.COUNTERPARTY_BEST,
    MARKET_MINE_PRICE_FIRST: PriceType.OWN_BEST,
    MARKET_SZ_INSTBUSI_RESTCANCEL: PriceType.IOC,
    MARKET_SZ_CONVERT_5_CANCEL: PriceType.BEST5_CANCEL,
    MARKET_SZ_FULL_OR_CANCEL: PriceType.FOK,
}

#: ``order_status`` -> desk status (51/52 are pending_cancel, never terminal; 255 is unknown).
STATUS_FROM_XT: dict[int, OrderStatus] = dict(STATUS_BY_BROKER_CODE)

#: ``StockAccount`` type names (xtconstant.ACCOUNT_TYPE_DICT) and their numbers.
ACCOUNT_TYPES: dict[str, int] = {
    "FUTURE": 1,
    "STOCK": 2,
    "CREDIT": 3,
    "FUTURE_OPTION": 5,
    "STOCK_OPTION": 6,
    "HUGANGTONG": 7,
    "INCOME_SWAP": 8,
    "NEW3BOARD": 10,
    "SHENGANGTONG": 11,
}

#: xtquant account status codes (on_account_status).
ACCOUNT_STATUS: dict[int, str] = {
    -1: "invalid",
    0: "ok",
    1: "waiting_login",
    2: "logging_in",
    3: "failed",
    4: "initialising",
    5: "correcting",
    6: "closed",
    7: "assistant_link_down",
    8: "disabled_by_system",
    9: "disabled_by_user",
}


def xt_price_type(exchange: Exchange, price_type: PriceType) -> int:
    """The xtquant price type for ``price_type`` on ``exchange`` (KeyError when the exchange has none)."""
    return PRICE_TYPE_TO_XT[(exchange, price_type)]


def side_of(order_type: int | None, offset_flag: int | None) -> Side | None:
    """Buy or sell from an object's ``order_type`` (23/24), else its ``offset_flag`` (48/49)."""
    if order_type in SIDE_BY_ORDER_TYPE:
        return SIDE_BY_ORDER_TYPE[order_type]  # type: ignore[index]
    if offset_flag in SIDE_BY_OFFSET_FLAG:
        return SIDE_BY_OFFSET_FLAG[offset_flag]  # type: ignore[index]
    return None
