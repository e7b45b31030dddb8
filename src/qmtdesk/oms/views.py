"""The order and trade objects of API.md, from domain objects or ledger rows. Money is a decimal string.

The journal records each change of an order as the fields it changed, in these same formats
(:func:`order_delta`): folding an order's journal entries in order rebuilds its object after each
change (:func:`fold_orders`), which is how the WebSocket replays ``since_seq`` and the order
timeline is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, Protocol

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import classify
from qmtdesk.domain.rules import TICKS

CENT = Decimal("0.01")
PRICE_4 = Decimal("0.0001")


def money(value: Decimal | None) -> str | None:
    """Two decimals, half-up: ``"10.50"``."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(value)
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@lru_cache(maxsize=8192)
def price_places(stock_code: str) -> Decimal:
    """The tick of a code's kind: 0.001 for funds and bonds, 0.01 for shares (and unreadable codes)."""
    try:
        return TICKS.get(classify(stock_code).kind, CENT)
    except DeskError:
        return CENT


def price(value: Decimal | None, stock_code: str) -> str | None:
    """A price with the instrument's tick decimals, or with all of its own when it has more.

    A price off the tick (refused with ``PRICE_TICK``) is shown as the client sent it, never
    rounded onto a tick it did not name."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(value)
    shown = value.quantize(price_places(stock_code), rounding=ROUND_HALF_UP)
    if shown != value:
        return f"{value.normalize():f}"
    return str(shown)


def avg_price(value: Decimal | None) -> str | None:
    """An average price, four decimals (averages fall between ticks)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(PRICE_4, rounding=ROUND_HALF_UP))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Asia/Shanghai with its offset."""
    return _iso(moment) if moment is not None else None


@lru_cache(maxsize=512)  # an order's times repeat in every view of it
def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def _text(value: Any) -> Any:
    """Enums (the domain's) and plain strings (ledger rows) both as their text."""
    return value.value if isinstance(value, Enum) else value


class OrderLike(Protocol):
    """An order: the engine's :class:`~qmtdesk.domain.orders.Order` or an ``orders`` row."""

    @property
    def id(self) -> int: ...
    @property
    def client_order_id(self) -> str | None: ...
    @property
    def broker_order_id(self) -> str | None: ...
    @property
    def broker_sysid(self) -> str | None: ...
    @property
    def account_id(self) -> str: ...
    @property
    def stock_code(self) -> str: ...
    @property
    def stock_name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def filled_quantity(self) -> int: ...
    @property
    def filled_amount(self) -> Decimal: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def status_msg(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def strategy_name(self) -> str: ...
    @property
    def remark(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def fees(self) -> Decimal: ...
    @property
    def frozen_amount(self) -> Decimal: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def finished_at(self) -> datetime | None: ...

    @property
    def side(self) -> Any: ...

    @property
    def price_type(self) -> Any: ...

    @property
    def price(self) -> Decimal | None: ...

    @property
    def status(self) -> Any: ...

    @property
    def trading_day(self) -> Any: ...


def _avg_fill(o: OrderLike) -> str | None:
    return avg_price(o.filled_amount / o.filled_quantity) if o.filled_quantity else None


#: Each field of the order object and how it is read from an order.
ORDER_FIELDS: dict[str, Callable[[OrderLike], Any]] = {
    "order_id": lambda o: o.id,
    "client_order_id": lambda o: o.client_order_id,
    "broker_order_id": lambda o: o.broker_order_id,
    "broker_sysid": lambda o: o.broker_sysid,
    "account_id": lambda o: o.account_id,
    "stock_code": lambda o: o.stock_code,
    "stock_name": lambda o: o.stock_name,
    "side": lambda o: _text(o.side),
    "price_type": lambda o: _text(o.price_type),
    "price": lambda o: price(o.price, o.stock_code),
    "quantity": lambda o: o.quantity,
    "filled_quantity": lambda o: o.filled_quantity,
    "avg_fill_price": _avg_fill,
    "filled_amount": lambda o: money(o.filled_amount),
    "status": lambda o: _text(o.status),
    "status_code": lambda o: o.status_code,
    "status_msg": lambda o: o.status_msg,
    "error": lambda o: o.error,
    "error_message": lambda o: o.error_message,
    "strategy_name": lambda o: o.strategy_name,
    "remark": lambda o: o.remark,
    "source": lambda o: o.source,
    "fees": lambda o: money(o.fees),
    "frozen_amount": lambda o: money(o.frozen_amount),
    "trading_day": lambda o: o.trading_day.isoformat(),
    "created_at": lambda o: iso(o.created_at),
    "updated_at": lambda o: iso(o.updated_at),
    "finished_at": lambda o: iso(o.finished_at),
}


def order_view(o: OrderLike) -> dict[str, Any]:
    """The order object of API.md (the fields of :data:`ORDER_FIELDS`, written out: it is built often)."""
    code = o.stock_code
    filled = o.filled_quantity
    return {
        "order_id": o.id,
        "client_order_id": o.client_order_id,
        "broker_order_id": o.broker_order_id,
        "broker_sysid": o.broker_sysid,
        "account_id": o.account_id,
        "stock_code": code,
        "stock_name": o.stock_name,
        "side": _text(o.side),
        "price_type": _text(o.price_type),
        "price": price(o.price, code),
        "quantity": o.quantity,
        "filled_quantity": filled,
        "avg_fill_price": avg_price(o.filled_amount / filled) if filled else None,
        "filled_amount": money(o.filled_amount),
        "status": _text(o.status),
        "status_code": o.status_code,
        "status_msg": o.status_msg,
        "error": o.error,
        "error_message": o.error_message,
        "strategy_name": o.strategy_name,
        "remark": o.remark,
        "source": o.source,
        "fees": money(o.fees),
        "frozen_amount": money(o.frozen_amount),
        "trading_day": o.trading_day.isoformat(),
        "created_at": iso(o.created_at),
        "updated_at": iso(o.updated_at),
        "finished_at": iso(o.finished_at),
    }


def order_delta(o: OrderLike, fields: Iterable[str]) -> dict[str, Any]:
    """Some fields of the order object, as they are now (a journal entry of one change)."""
    return {name: ORDER_FIELDS[name](o) for name in fields}


def fold_orders(entries: Iterable[tuple[int, dict[str, Any]]]) -> Iterable[dict[str, Any]]:
    """The order object after each journal entry, from ``(order_id, recorded fields)`` in journal order.

    An order's first entry holds the whole object (its creation); each later one the fields it changed.
    """
    state: dict[int, dict[str, Any]] = {}
    for order_id, recorded in entries:
        current = state.get(order_id)
        current = dict(recorded) if current is None else {**current, **recorded}
        state[order_id] = current
        yield current


class TradeLike(Protocol):
    """A fill: the engine's :class:`~qmtdesk.domain.orders.Trade` or a ``trades`` row."""

    @property
    def id(self) -> int: ...
    @property
    def broker_trade_id(self) -> str: ...
    @property
    def order_id(self) -> int | None: ...
    @property
    def broker_order_id(self) -> str | None: ...
    @property
    def stock_code(self) -> str: ...
    @property
    def stock_name(self) -> str: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> int: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def commission(self) -> Decimal: ...
    @property
    def stamp_duty(self) -> Decimal: ...
    @property
    def transfer_fee(self) -> Decimal: ...
    @property
    def traded_at(self) -> datetime: ...
    @property
    def strategy_name(self) -> str: ...

    @property
    def side(self) -> Any: ...

    @property
    def trading_day(self) -> Any: ...


def trade_view(t: TradeLike) -> dict[str, Any]:
    """The trade object of API.md."""
    fees = t.commission + t.stamp_duty + t.transfer_fee
    return {
        "trade_id": t.id,
        "broker_trade_id": t.broker_trade_id,
        "order_id": t.order_id,
        "broker_order_id": t.broker_order_id,
        "stock_code": t.stock_code,
        "stock_name": t.stock_name,
        "side": _text(t.side),
        "price": price(t.price, t.stock_code),
        "quantity": t.quantity,
        "amount": money(t.amount),
        "commission": money(t.commission),
        "stamp_duty": money(t.stamp_duty),
        "transfer_fee": money(t.transfer_fee),
        "fees": money(fees),
        "traded_at": iso(t.traded_at),
        "trading_day": t.trading_day.isoformat(),
        "strategy_name": t.strategy_name,
    }
