"""JSON views of market and account objects (orders and trades live in ``oms.views``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from qmtdesk.brokers.base import AccountReport, PositionReport, TradeReport
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import limit_pct, lot_rule, price_tick
from qmtdesk.market.history import Candle
from qmtdesk.market.quotes import Quote
from qmtdesk.oms.views import iso, money, price

RATIO = Decimal("0.0001")


def ratio(value: Decimal | None) -> str | None:
    """A fraction as a decimal string with four places (``"0.0523"`` = 5.23%)."""
    return None if value is None else str(value.quantize(RATIO))


def quote_view(q: Quote, cage: tuple[Decimal, Decimal] | None = None) -> dict[str, Any]:
    """The quote object of API.md; ``cage`` is (highest buy, lowest sell) the price cage accepts now."""
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
        "cage": {"buy_max": price(cage[0], code), "sell_min": price(cage[1], code)} if cage else None,
        "time": iso(q.time),
        "source": q.source,
    }


def candle_view(c: Candle, code: str) -> dict[str, Any]:
    """One chart bar: ``time`` is the minute's start or the day."""
    when = c.time.isoformat() if not isinstance(c.time, datetime) else iso(c.time)
    return {
        "time": when,
        "open": price(c.open, code),
        "high": price(c.high, code),
        "low": price(c.low, code),
        "close": price(c.close, code),
        "volume": c.volume,
        "amount": money(c.amount),
    }


def instrument_view(i: Instrument, day: date, listing_day_number: int | None = None) -> dict[str, Any]:
    """The instrument object of API.md; ``limit_pct`` is ``None`` on a no-limit day (a new listing's first days)."""
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
        "limit_pct": ratio(limit_pct(i, day, listing_day_number)),
        "prev_close": price(i.prev_close, i.code),
        "suspended": i.suspended,
    }


def position_cost(p: PositionReport) -> Decimal:
    """What a holding cost, buy fees included when the broker says (else its average price × volume)."""
    return p.cost if p.cost is not None else p.avg_price * p.volume


def floating_profit(positions: Iterable[PositionReport], last_price: Callable[[str], Decimal | None]) -> Decimal:
    """Unrealised P&L of the holdings at their last prices, net of what they cost (fees included)."""
    total = Decimal(0)
    for p in positions:
        last = last_price(p.stock_code)
        total += (last if last is not None else p.avg_price) * p.volume - position_cost(p)
    return total


def account_view(a: AccountReport, floating: Decimal, day_start_asset: Decimal | None) -> dict[str, Any]:
    """The account object of API.md, with P&L since the start and today, realised and floating.

    ``total_profit`` = realised + floating, fees included. A broker that reports no realised P&L
    (MiniQMT) leaves ``realized_profit`` null and ``total_profit`` floating only."""
    realized, today_realized = a.realized_profit, a.today_realized_profit
    today = a.total_asset - day_start_asset if day_start_asset is not None else None
    return {
        "account_id": a.account_id,
        "account_type": a.account_type,
        "cash": money(a.cash),
        "frozen_cash": money(a.frozen_cash),
        "market_value": money(a.market_value),
        "total_asset": money(a.total_asset),
        "withdrawable": money(a.withdrawable),
        "total_profit": money(floating + (realized or 0)),
        "realized_profit": money(realized),
        "floating_profit": money(floating),
        "today_profit": money(today),
        "today_realized_profit": money(today_realized),
        "today_floating_profit": money(today - today_realized)
        if today is not None and today_realized is not None
        else None,
        "updated_at": iso(a.time),
    }


@dataclass(frozen=True, slots=True)
class DayFlow:
    """What one stock's fills moved today: cash paid for buys and received for sells, fees included."""

    bought: Decimal = Decimal(0)
    sold: Decimal = Decimal(0)


def day_flows(trades: Iterable[TradeReport]) -> dict[str, DayFlow]:
    """Today's buy cost (amount + fees) and sale proceeds (amount − fees) per stock."""
    flows: dict[str, DayFlow] = {}
    for t in trades:
        flow = flows.get(t.stock_code, DayFlow())
        if t.side is Side.BUY:
            flow = DayFlow(flow.bought + t.amount + t.fees, flow.sold)
        else:
            flow = DayFlow(flow.bought, flow.sold + t.amount - t.fees)
        flows[t.stock_code] = flow
    return flows


class _QuoteSource(Protocol):
    def quote(self, stock_code: str) -> Quote | None: ...


class _Names(Protocol):
    def find(self, code: str) -> Instrument | None: ...


def position_views(
    positions: Iterable[PositionReport],
    trades: Iterable[TradeReport],
    quotes: _QuoteSource,
    names: _Names,
    holding_days: Callable[[datetime | None], int | None],
) -> list[dict[str, Any]]:
    """Every position object of API.md, by stock code, with today's P&L from today's fills."""
    flows = day_flows(trades)
    out = []
    for p in positions:
        instrument = names.find(p.stock_code)
        out.append(
            position_view(
                p,
                instrument.name if instrument else "",
                quotes.quote(p.stock_code),
                holding_days(p.opened_on),
                flows.get(p.stock_code),
            )
        )
    return sorted(out, key=lambda v: v["stock_code"])


def position_view(
    p: PositionReport,
    name: str,
    quote: Quote | None,
    holding_days: int | None,
    flow: DayFlow | None = None,
) -> dict[str, Any]:
    """The position object of API.md; P&L against what the holding cost, buy fees included.

    ``today_profit`` = market value − yesterday's holding at the previous close − today's buys +
    today's sales (the broker's 当日盈亏); ``change_pct`` is the stock's move since that close."""
    last_price = quote.last_price if quote is not None else p.avg_price
    market_value = last_price * p.volume
    cost = position_cost(p)
    profit = market_value - cost
    prev_close = quote.prev_close if quote is not None else None
    flow = flow or DayFlow()
    today_profit = (
        market_value - p.yesterday_volume * prev_close - flow.bought + flow.sold if prev_close is not None else None
    )
    return {
        "stock_code": p.stock_code,
        "stock_name": name,
        "volume": p.volume,
        "can_use_volume": p.can_use_volume,
        "frozen_volume": p.frozen_volume,
        "yesterday_volume": p.yesterday_volume,
        "avg_price": str(p.avg_price.quantize(Decimal("0.0001"))),
        "last_price": price(last_price, p.stock_code),
        "prev_close": price(prev_close, p.stock_code),
        "change_pct": ratio(last_price / prev_close - 1) if prev_close else None,
        "market_value": money(market_value),
        "profit": money(profit),
        "profit_rate": ratio(profit / cost) if cost else "0.0000",
        "today_profit": money(today_profit),
        "holding_days": holding_days,
        "opened_at": iso(p.opened_on),
    }
