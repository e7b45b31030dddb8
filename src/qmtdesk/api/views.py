"""JSON views of market and account objects (orders and trades live in ``oms.views``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from qmtdesk.brokers.base import AccountReport, PositionReport
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import limit_pct, lot_rule, price_tick
from qmtdesk.market.quotes import Quote
from qmtdesk.oms.views import iso, money, price

RATIO = Decimal("0.0001")


def ratio(value: Decimal | None) -> str | None:
    """A fraction as a decimal string with four places (``"0.0523"`` = 5.23%)."""
    return None if value is None else str(value.quantize(RATIO))


def quote_view(q: Quote) -> dict[str, Any]:
    """The quote object of API.md."""
    code = q.stock_code

    def levels(side: tuple[Any, ...]) -> list[dict[str, Any]]:
        out = [{"price": price(lv.price, code), "volume": lv.volume} for lv in side]
        return out + [{"price": None, "volume": 0}] * (5 - len(out))

    return {
        "stock_code": code,
        "stock_name": q.stock_name,
        "last_price": price(q.last_price, code),
        "prev_close": price(q.prev_close, code),
        "open": price(q.open, code),
        "high": price(q.high, code),
        "low": price(q.low, code),
        "volume": q.volume,
        "amount": money(q.amount),
        "bid": levels(q.bids),
        "ask": levels(q.asks),
        "limit_up": price(q.limit_up, code),
        "limit_down": price(q.limit_down, code),
        "time": iso(q.time),
        "source": q.source,
    }


def instrument_view(i: Instrument, day: date) -> dict[str, Any]:
    """The instrument object of API.md."""
    lots = lot_rule(i)
    return {
        "stock_code": i.code,
        "stock_name": i.name,
        "exchange": i.exchange.value,
        "board": i.board.value,
        "kind": i.kind.value,
        "lot_size": lots.min_buy,
        "lot_step": lots.buy_step,
        "price_tick": str(price_tick(i)),
        "is_st": i.is_st,
        "limit_pct": ratio(limit_pct(i, day)),
        "prev_close": price(i.prev_close, i.code),
        "suspended": i.suspended,
    }


def account_view(a: AccountReport, total_profit: Decimal, today_profit: Decimal | None) -> dict[str, Any]:
    """The account object of API.md."""
    return {
        "account_id": a.account_id,
        "account_type": a.account_type,
        "cash": money(a.cash),
        "frozen_cash": money(a.frozen_cash),
        "market_value": money(a.market_value),
        "total_asset": money(a.total_asset),
        "withdrawable": money(a.withdrawable),
        "total_profit": money(total_profit),
        "today_profit": money(today_profit),
        "updated_at": iso(a.time),
    }


def position_view(p: PositionReport, name: str, last: Decimal | None, holding_days: int | None) -> dict[str, Any]:
    """The position object of API.md; P&L against the average price."""
    last_price = last if last is not None else p.avg_price
    market_value = last_price * p.volume
    cost = p.avg_price * p.volume
    profit = market_value - cost
    return {
        "stock_code": p.stock_code,
        "stock_name": name,
        "volume": p.volume,
        "can_use_volume": p.can_use_volume,
        "frozen_volume": p.frozen_volume,
        "yesterday_volume": p.yesterday_volume,
        "avg_price": str(p.avg_price.quantize(Decimal("0.0001"))),
        "last_price": price(last_price, p.stock_code),
        "market_value": money(market_value),
        "profit": money(profit),
        "profit_rate": ratio(profit / cost) if cost else "0.0000",
        "holding_days": holding_days,
        "opened_at": iso(p.opened_on),
    }
