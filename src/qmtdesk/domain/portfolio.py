"""Positions and cash of one account, with A-share settlement: T+1 shares, same-day sale cash.

- ``volume``: shares held; ``yesterday_volume``: held at the start of the day.
- ``can_use_volume``: sellable now (yesterday's holding, plus today's buys for T+0 products, minus
  shares sold or frozen by open sell orders).
- Cash ``available`` can buy; ``frozen`` backs open buy orders; sale proceeds are available at once
  but only ``withdrawable`` from the next trading day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from qmtdesk.domain.errors import OrderDenied
from qmtdesk.domain.fees import ZERO, Fees

PRICE_PLACES = Decimal("0.0001")


@dataclass
class Position:
    """One holding. ``cost`` is what the shares held cost, buy fees included (a broker's 持仓成本),
    so the average price is the break-even 成本价 and the P&L of a round trip counts both sides' fees."""

    stock_code: str
    volume: int = 0
    yesterday_volume: int = 0
    can_use_volume: int = 0
    frozen_volume: int = 0
    cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    opened_on: date | None = None

    @property
    def avg_price(self) -> Decimal:
        """Average price of the shares held (0 when flat)."""
        if self.volume == 0:
            return ZERO
        return (self.cost / self.volume).quantize(PRICE_PLACES)

    @property
    def today_bought(self) -> int:
        """Shares held now that were not held at the start of the day (never negative)."""
        return max(0, self.volume - self.yesterday_volume)

    def freeze_for_sell(self, quantity: int) -> None:
        """Reserve ``quantity`` sellable shares for a sell order."""
        if quantity > self.can_use_volume:
            raise insufficient_position(self, quantity)
        self.can_use_volume -= quantity
        self.frozen_volume += quantity

    def release_sell(self, quantity: int) -> None:
        """Give back shares of a sell order that will not trade (cancel, reject, expiry)."""
        quantity = min(quantity, self.frozen_volume)
        self.frozen_volume -= quantity
        self.can_use_volume += quantity

    def apply_buy(self, quantity: int, cost: Decimal, day: date, t0: bool) -> None:
        """Add bought shares at ``cost`` (traded value plus fees); sellable today only for T+0 products."""
        if self.volume == 0:
            self.opened_on = day
        self.volume += quantity
        self.cost += cost
        if t0:
            self.can_use_volume += quantity

    def apply_sell(self, quantity: int, amount: Decimal, fees: Fees) -> Decimal:
        """Remove sold shares (already frozen) and return the realised P&L of the fill, net of the fees
        of both the buys (in the cost) and this sale."""
        cost_out = self.cost if quantity >= self.volume else self.cost * quantity / self.volume
        cost_out = cost_out.quantize(PRICE_PLACES)
        self.volume -= quantity
        self.frozen_volume -= quantity
        self.cost -= cost_out
        if self.volume == 0:
            self.cost = ZERO
            self.opened_on = None
        pnl = amount - cost_out - fees.total
        self.realized_pnl += pnl
        return pnl

    def roll_day(self) -> None:
        """Start a new trading day: everything held becomes yesterday's, and sellable."""
        self.frozen_volume = 0
        self.yesterday_volume = self.volume
        self.can_use_volume = self.volume


def insufficient_position(position: Position | None, quantity: int) -> OrderDenied:
    """The INSUFFICIENT_POSITION refusal, saying so when today's buys are what is missing (T+1)."""
    sellable = position.can_use_volume if position else 0
    today = position.today_bought if position else 0
    if position is not None and quantity <= sellable + today and today > 0:
        return OrderDenied(
            "INSUFFICIENT_POSITION",
            f"可用股份不足：可卖 {sellable} 股；今日买入的 {today} 股需下一交易日才能卖出（T+1）",
            f"Insufficient sellable shares: {sellable} sellable; the {today} shares bought today "
            "cannot be sold until the next trading day (T+1)",
            data={"sellable": sellable, "today_bought": today, "requested": quantity},
        )
    return OrderDenied(
        "INSUFFICIENT_POSITION",
        f"可用股份不足：可卖 {sellable} 股，委托 {quantity} 股",
        f"Insufficient sellable shares: {sellable} sellable, {quantity} requested",
        data={"sellable": sellable, "requested": quantity},
    )


def insufficient_funds(available: Decimal, needed: Decimal) -> OrderDenied:
    """The INSUFFICIENT_FUNDS refusal."""
    return OrderDenied(
        "INSUFFICIENT_FUNDS",
        f"可用资金不足：可用 {available:.2f} 元，需要 {needed:.2f} 元（含预估费用）",
        f"Insufficient funds: {available:.2f} available, {needed:.2f} needed including estimated fees",
        data={"available": str(available), "needed": str(needed)},
    )


@dataclass
class Cash:
    """Cash of an account. ``unsettled`` is today's net sale proceeds: usable, not yet withdrawable."""

    available: Decimal
    frozen: Decimal = ZERO
    unsettled: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """Available plus frozen."""
        return self.available + self.frozen

    @property
    def withdrawable(self) -> Decimal:
        """What could leave the account today: not today's sale proceeds, not frozen cash."""
        return max(ZERO, min(self.available, self.balance - self.unsettled))

    def freeze(self, amount: Decimal) -> None:
        """Reserve ``amount`` for a buy order."""
        if amount > self.available:
            raise insufficient_funds(self.available, amount)
        self.available -= amount
        self.frozen += amount

    def release(self, amount: Decimal) -> None:
        """Return frozen cash that an order no longer needs."""
        amount = min(amount, self.frozen)
        self.frozen -= amount
        self.available += amount

    def pay_from_frozen(self, amount: Decimal, frozen_part: Decimal) -> None:
        """Pay a buy fill: ``frozen_part`` comes from the order's frozen cash, the rest from available."""
        frozen_part = min(frozen_part, amount, self.frozen)
        self.frozen -= frozen_part
        self.available -= amount - frozen_part

    def receive_sale(self, net: Decimal) -> None:
        """Sale proceeds net of fees: available at once, withdrawable next trading day."""
        self.available += net
        self.unsettled += net

    def roll_day(self) -> None:
        """Yesterday's sale proceeds settle."""
        self.unsettled = ZERO


@dataclass
class Portfolio:
    """Cash plus positions of one account."""

    cash: Cash
    positions: dict[str, Position] = field(default_factory=dict)
    fees_paid: Decimal = ZERO

    def position(self, code: str) -> Position:
        """The position in ``code``, created empty when absent."""
        pos = self.positions.get(code)
        if pos is None:
            pos = self.positions[code] = Position(code)
        return pos

    def sellable(self, code: str) -> int:
        """Shares of ``code`` that can be sold now."""
        pos = self.positions.get(code)
        return pos.can_use_volume if pos else 0

    def roll_day(self) -> None:
        """Day roll: release T+1 shares, settle cash, drop empty positions."""
        self.cash.roll_day()
        for code in [c for c, p in self.positions.items() if p.volume == 0 and p.frozen_volume == 0]:
            del self.positions[code]
        for pos in self.positions.values():
            pos.roll_day()
