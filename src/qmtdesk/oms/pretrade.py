"""The pre-trade check: link, kill switch, A-share validation and risk → an approval or one refusal.

It is synchronous and answers from memory — the broker's latest view of cash and shares less what the
desk has promised to orders the broker has not frozen yet (:class:`Reservations`), the risk engine's
counters — so the engine runs it and reserves what it approves in one step on the loop: two orders
can never both be approved against the same cash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from qmtdesk.brokers.base import Broker, ConnectionState
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.errors import BrokerUnavailable, DeskError, OrderDenied
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.orders import Order
from qmtdesk.domain.portfolio import Position, insufficient_funds
from qmtdesk.domain.rules import OrderClass, PriceType, st_daily_buy_cap
from qmtdesk.domain.validation import Approval, DailyLimits, OrderIntent, ValidationContext, validate
from qmtdesk.market.quotes import Quote
from qmtdesk.oms.commands import SpecialTerms
from qmtdesk.risk.engine import RiskDenial, RiskEngine


class MarketData(Protocol):
    """What the check needs to know of the market."""

    def instrument(self, code: str) -> Instrument:
        """The instrument of a normalised code (UNKNOWN_INSTRUMENT when none)."""
        ...

    def quote(self, code: str) -> Quote | None:
        """The latest snapshot."""
        ...


class Refused(Exception):
    """The check refused the order: ``error`` is what the client hears; ``risk`` when a risk rule said no."""

    def __init__(self, error: DeskError, risk: RiskDenial | None = None) -> None:
        super().__init__(error.code)
        self.error = error
        self.risk = risk


class Reservations:
    """Cash and shares promised to approved orders that the broker has not frozen yet."""

    def __init__(self) -> None:
        self._cash: dict[int, Decimal] = {}
        self._shares: dict[int, tuple[str, int]] = {}
        self.cash = Decimal(0)
        self._shares_by_code: dict[str, int] = {}

    def hold(self, order: Order, approval: Approval) -> None:
        """Promise what ``order`` needs (its cash, or its shares for a sell)."""
        if order.side is Side.BUY:
            self._cash[order.id] = approval.freeze_amount
            self.cash += approval.freeze_amount
        else:
            self._shares[order.id] = (order.stock_code, order.quantity)
            self._shares_by_code[order.stock_code] = self._shares_by_code.get(order.stock_code, 0) + order.quantity

    def release(self, order_id: int) -> None:
        """The broker froze (or will never need) what ``order_id`` was promised."""
        amount = self._cash.pop(order_id, None)
        if amount is not None:
            self.cash -= amount
        held = self._shares.pop(order_id, None)
        if held is not None:
            code, quantity = held
            left = self._shares_by_code[code] - quantity
            if left:
                self._shares_by_code[code] = left
            else:
                del self._shares_by_code[code]

    def hold_cash(self, order_id: int, amount: Decimal) -> None:
        """Promise ``amount`` of cash to ``order_id`` whatever its side (repo lending is a sell that takes cash)."""
        self._cash[order_id] = amount
        self.cash += amount

    def holds(self, order_id: int) -> bool:
        """Whether ``order_id`` has a promise outstanding."""
        return order_id in self._cash or order_id in self._shares

    def shares(self, stock_code: str) -> int:
        """Shares of ``stock_code`` promised to sells."""
        return self._shares_by_code.get(stock_code, 0)


class PreTrade:
    """Validation and risk for one account, answering from memory."""

    def __init__(
        self,
        *,
        broker: Broker,
        market: MarketData,
        calendar: TradingCalendar,
        fees: FeeSchedule,
        risk: RiskEngine,
        reservations: Reservations,
        bought_today: Callable[[str, date, Order], int] | None = None,
    ) -> None:
        self.broker = broker
        #: Shares of the order's stock the account bought or is buying on the day, the order aside.
        self.bought_today = bought_today
        self.market = market
        self.calendar = calendar
        self.fees = fees
        self.risk = risk
        self.reservations = reservations

    def check(self, order: Order, now: datetime, day: date) -> Approval:
        """Approve ``order`` (the price to send, the cash to freeze) or raise :class:`Refused`."""
        if self.broker.state is not ConnectionState.CONNECTED:
            raise Refused(BrokerUnavailable(self.broker.state.value))
        halted = self.risk.halt_denial()
        if halted is not None:
            raise Refused(halted.error(), halted)
        try:
            instrument = self.market.instrument(order.stock_code)
            quote = self.market.quote(instrument.code)
            if quote is None:
                raise OrderDenied(
                    "MARKET_CLOSED", f"{instrument.code} 暂无行情，不能委托", f"No quote for {instrument.code}"
                )
            cash, position = self._available(instrument.code)
            bought = 0
            if order.side is Side.BUY and self.bought_today is not None and st_daily_buy_cap(instrument) is not None:
                bought = self.bought_today(order.stock_code, day, order)
            approval = validate(
                OrderIntent(instrument.code, order.side, order.quantity, order.price_type, order.price),
                ValidationContext(
                    instrument=instrument,
                    day=day,
                    phase=self.calendar.phase(now, instrument),
                    limits=DailyLimits(quote.limit_up, quote.limit_down),
                    book=quote.book_view(),
                    position=position,
                    available_cash=cash,
                    fees=self.fees,
                    bought_today=bought,
                ),
            )
        except OrderDenied as denied:
            raise Refused(denied) from None
        denial = self.risk.evaluate(order, instrument, approval.freeze_price, quote, now)
        if denial is not None:
            raise Refused(denial.error(), denial)
        return approval

    def check_special(self, order: Order, special: SpecialTerms) -> Approval:
        """A subscription or repo lending (see :class:`SpecialTerms`): link, trading state, step, price, cash.

        The per-order risk rules (value, position share, turnover, price deviation…) are written for
        the secondary market and are not asked; the kill switch and reduce-only are."""
        if self.broker.state is not ConnectionState.CONNECTED:
            raise Refused(BrokerUnavailable(self.broker.state.value))
        denial = self.risk.state_denial()
        if denial is not None:
            raise Refused(denial.error(), denial)
        lot = max(special.lot, 1)
        if isinstance(order.quantity, bool) or order.quantity <= 0 or order.quantity % lot:
            raise Refused(
                OrderDenied(
                    "LOT_SIZE",
                    f"数量须为 {lot} 的正整数倍",
                    f"Quantity must be a positive multiple of {lot}",
                    data={"lot": lot},
                )
            )
        if order.price_type is not PriceType.LIMIT or order.price is None or order.price <= 0:
            raise Refused(OrderDenied("INVALID_PRICE", "须为大于0的限价", "Needs a limit price above 0"))
        if special.reserve_cash > 0:
            cash, _ = self._available(order.stock_code)
            if special.reserve_cash > cash:
                raise Refused(insufficient_funds(cash, special.reserve_cash))
        return Approval(order.price, order.price, special.reserve_cash, OrderClass.LIMIT)

    def _available(self, stock_code: str) -> tuple[Decimal, Position | None]:
        cash, position = self.broker.buying_view(stock_code)
        cash -= self.reservations.cash
        promised = self.reservations.shares(stock_code)
        if promised and position is not None:
            position = replace(position, can_use_volume=max(0, position.can_use_volume - promised))
        return cash, position
