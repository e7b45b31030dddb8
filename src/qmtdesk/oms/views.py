"""The order and trade objects of API.md, built from ledger rows. Money is a decimal string."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import classify
from qmtdesk.domain.rules import TICKS
from qmtdesk.store.tables.orders import OrderRow, TradeRow

CENT = Decimal("0.01")
PRICE_4 = Decimal("0.0001")


def money(value: Decimal | None) -> str | None:
    """Two decimals, half-up: ``"10.50"``."""
    if value is None:
        return None
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def price_places(stock_code: str) -> Decimal:
    """The tick of a code's kind: 0.001 for funds and bonds, 0.01 for shares (and unreadable codes)."""
    try:
        return TICKS.get(classify(stock_code).kind, CENT)
    except DeskError:
        return CENT


def price(value: Decimal | None, stock_code: str) -> str | None:
    """A price with the instrument's tick decimals."""
    if value is None:
        return None
    return str(Decimal(value).quantize(price_places(stock_code), rounding=ROUND_HALF_UP))


def avg_price(value: Decimal | None) -> str | None:
    """An average price, four decimals (averages fall between ticks)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(PRICE_4, rounding=ROUND_HALF_UP))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Asia/Shanghai with its offset."""
    return moment.astimezone(SHANGHAI).isoformat() if moment is not None else None


def order_view(row: OrderRow) -> dict[str, Any]:
    """The order object of API.md."""
    avg = row.filled_amount / row.filled_quantity if row.filled_quantity else None
    return {
        "order_id": row.id,
        "client_order_id": row.client_order_id,
        "broker_order_id": row.broker_order_id,
        "broker_sysid": row.broker_sysid,
        "account_id": row.account_id,
        "stock_code": row.stock_code,
        "stock_name": row.stock_name,
        "side": row.side,
        "price_type": row.price_type,
        "price": price(row.price, row.stock_code),
        "quantity": row.quantity,
        "filled_quantity": row.filled_quantity,
        "avg_fill_price": avg_price(avg),
        "filled_amount": money(row.filled_amount),
        "status": row.status,
        "status_code": row.status_code,
        "status_msg": row.status_msg,
        "error": row.error,
        "error_message": row.error_message,
        "strategy_name": row.strategy_name,
        "remark": row.remark,
        "source": row.source,
        "fees": money(row.fees),
        "frozen_amount": money(row.frozen_amount),
        "trading_day": row.trading_day.isoformat(),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "finished_at": iso(row.finished_at),
    }


def trade_view(row: TradeRow) -> dict[str, Any]:
    """The trade object of API.md."""
    fees = row.commission + row.stamp_duty + row.transfer_fee
    return {
        "trade_id": row.id,
        "broker_trade_id": row.broker_trade_id,
        "order_id": row.order_id,
        "broker_order_id": row.broker_order_id,
        "stock_code": row.stock_code,
        "stock_name": row.stock_name,
        "side": row.side,
        "price": price(row.price, row.stock_code),
        "quantity": row.quantity,
        "amount": money(row.amount),
        "commission": money(row.commission),
        "stamp_duty": money(row.stamp_duty),
        "transfer_fee": money(row.transfer_fee),
        "fees": money(fees),
        "traded_at": iso(row.traded_at),
        "trading_day": row.trading_day.isoformat(),
        "strategy_name": row.strategy_name,
    }
