"""Simulated quotes for the paper exchange: a seeded random walk with a five-level book.

Prices never leave the daily limits: at limit-up the book has no asks, at limit-down no bids. With
volatility 0 the book is fixed (API.md): last = prev_close clamped to the limits, best ask = last +
1 tick, best bid = last - 1 tick, five levels a tick apart, 10,000 shares each.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import price_tick, round_to_tick
from qmtdesk.domain.validation import DailyLimits, daily_limits
from qmtdesk.market.quotes import Level, Quote, QuoteListener
from qmtdesk.market.universe import Universe

FIXED_LEVEL_VOLUME = 10_000
LEVELS = 5
#: Seconds of continuous trading in a year (242 days x 4 hours), to scale annual volatility.
TRADING_SECONDS_PER_YEAR = 242 * 4 * 3600
#: The overnight gap of the opening auction, as a fraction of one trading day's variance.
OVERNIGHT_VARIANCE = 0.25


@dataclass
class DayState:
    """One instrument's trading day so far."""

    day: date
    fair: float  # unrounded walk; the displayed last price is this rounded to the tick
    last: Decimal
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    volume: int = 0
    amount: Decimal = Decimal(0)
    bid_side: bool = True  # whether the last trade hit the bid (decides where the spread sits)


class SimulatedMarket:
    """Quote source of the paper exchange. Driven by the exchange: day start, auctions, steps."""

    source = "paper"

    def __init__(
        self,
        universe: Universe,
        calendar: TradingCalendar,
        *,
        volatility: Decimal = Decimal("0.3"),
        seed: int | None = None,
    ) -> None:
        self.universe = universe
        self.calendar = calendar
        self.volatility = float(volatility)
        self._rng = random.Random(seed)
        self._states: dict[str, DayState] = {}
        self._limits: dict[str, DailyLimits] = {}
        self._listeners: list[QuoteListener] = []
        self._times: dict[str, datetime] = {}
        # One snapshot per state change, so displayed volumes stay put until the next step.
        self._quotes: dict[str, Quote] = {}

    # ---------------------------------------------------------------- port
    def add_listener(self, listener: QuoteListener) -> None:
        """Receive every new snapshot."""
        self._listeners.append(listener)

    def quote(self, stock_code: str) -> Quote | None:
        """The current snapshot of ``stock_code`` (``None`` when unknown or before the first day)."""
        return self._quotes.get(stock_code)

    def limits(self, stock_code: str) -> DailyLimits:
        """Today's limit prices of ``stock_code``."""
        return self._limits[stock_code]

    @property
    def fixed(self) -> bool:
        """Whether the book is fixed (volatility 0)."""
        return self.volatility == 0

    # ---------------------------------------------------------------- driving
    def start_day(self, day: date, now: datetime) -> None:
        """Begin ``day``: limits from each instrument's reference price, nothing traded yet."""
        for inst in self.universe:
            limits = daily_limits(inst, day, self.calendar.listing_day_number(inst.list_date, day))
            self._limits[inst.code] = limits
            last = self._clamp(inst.prev_close, limits)
            self._states[inst.code] = DayState(day=day, fair=float(last), last=last)
            self._times[inst.code] = now
            self._refresh(inst)

    def restore(self, state: DayState, code: str, now: datetime) -> None:
        """Put back a persisted day state (after a restart)."""
        inst = self.universe.find(code)
        if inst is None:
            return
        self._limits[code] = daily_limits(inst, state.day, self.calendar.listing_day_number(inst.list_date, state.day))
        self._states[code] = state
        self._times[code] = now
        self._refresh(inst)

    def states(self) -> dict[str, DayState]:
        """The day state of every instrument, for persistence."""
        return self._states

    def open_auction(self, now: datetime) -> dict[str, Decimal]:
        """Set each instrument's opening price from an overnight move; return the prices."""
        prices = {}
        for inst in self.universe:
            state = self._states[inst.code]
            if not inst.suspended:
                sigma = self.volatility * math.sqrt(OVERNIGHT_VARIANCE / 242)
                self._move(inst, state, sigma)
            state.open = state.high = state.low = state.last
            prices[inst.code] = state.last
            self._times[inst.code] = now
        self._publish_all(now)
        return prices

    def step(self, now: datetime, elapsed_seconds: float) -> list[Quote]:
        """Advance every instrument's walk by ``elapsed_seconds`` of continuous trading."""
        quotes = []
        sigma = self.volatility * math.sqrt(max(elapsed_seconds, 0.0) / TRADING_SECONDS_PER_YEAR)
        for inst in self.universe:
            state = self._states.get(inst.code)
            if state is None or inst.suspended:
                continue
            if sigma > 0:
                if state.open is None:
                    # Continuous trading without an opening print (a desk started after 9:25): the
                    # day opens where it stands, so the quote and the day's bar have an open.
                    state.open = state.high = state.low = state.last
                self._move(inst, state, sigma)
            self._times[inst.code] = now
            quotes.append(self._refresh(inst))
        for quote in quotes:
            self._emit(quote)
        return quotes

    def set_price(self, code: str, price: Decimal, now: datetime) -> Quote:
        """Move an instrument's last price (clamped to its limits): scripted scenarios and admin tools."""
        inst = self.universe.get(code)
        state = self._states[inst.code]
        state.last = self._clamp(price, self._limits[inst.code])
        state.fair = float(state.last)
        self._times[inst.code] = now
        quote = self._refresh(inst)
        self._emit(quote)
        return quote

    def close(self) -> None:
        """Nothing runs in the background of a simulated market."""

    def close_prices(self) -> dict[str, Decimal]:
        """Each instrument's closing price (its last price)."""
        return {code: state.last for code, state in self._states.items()}

    def record_trade(self, code: str, price: Decimal, quantity: int) -> None:
        """Count a paper fill in the day's volume and amount (the walk itself is not moved)."""
        state = self._states[code]
        state.volume += quantity
        state.amount += price * quantity
        if state.open is None:
            state.open = state.high = state.low = state.last
        quote = self._quotes.get(code)
        if quote is not None:
            self._quotes[code] = replace(
                quote,
                volume=state.volume,
                amount=state.amount,
                open=state.open,
                high=state.high,
                low=state.low,
            )

    # ---------------------------------------------------------------- internals
    def _move(self, inst: Instrument, state: DayState, sigma: float) -> None:
        state.fair *= math.exp(self._rng.gauss(0.0, sigma))
        tick = price_tick(inst)
        price = self._clamp(round_to_tick(Decimal(repr(state.fair)), tick), self._limits[inst.code])
        if price <= 0:
            price = tick
        state.fair = min(max(state.fair, float(price) - float(tick)), float(price) + float(tick))
        state.bid_side = price < state.last or (price == state.last and self._rng.random() < 0.5)
        state.last = price
        if state.open is not None:
            state.high = max(state.high or price, price)
            state.low = min(state.low or price, price)
        traded = self._rng.randint(1, 50) * 100
        state.volume += traded
        state.amount += price * traded

    @staticmethod
    def _clamp(price: Decimal, limits: DailyLimits) -> Decimal:
        if limits.up is not None and price > limits.up:
            return limits.up
        if limits.down is not None and price < limits.down:
            return limits.down
        return price

    def _level_volume(self) -> int:
        if self.fixed:
            return FIXED_LEVEL_VOLUME
        return self._rng.randint(20, 500) * 100

    def _snapshot(self, inst: Instrument, state: DayState) -> Quote:
        tick = price_tick(inst)
        limits = self._limits[inst.code]
        last = state.last
        if self.fixed:
            best_bid, best_ask = last - tick, last + tick
        elif state.bid_side:
            best_bid, best_ask = last, last + tick
        else:
            best_bid, best_ask = last - tick, last
        if limits.up is not None and last >= limits.up:
            best_bid = limits.up  # sealed at limit-up: buyers queue at the limit, nobody sells
        if limits.down is not None and last <= limits.down:
            best_ask = limits.down
        bids = self._side(best_bid, -tick, lambda p: (limits.down is None or p >= limits.down) and p > 0)
        asks = self._side(best_ask, tick, lambda p: limits.up is None or p <= limits.up)
        if limits.up is not None and last >= limits.up:
            asks = ()
        if limits.down is not None and last <= limits.down:
            bids = ()
        return Quote(
            stock_code=inst.code,
            stock_name=inst.name,
            prev_close=inst.prev_close,
            last_price=last,
            open=state.open,
            high=state.high,
            low=state.low,
            volume=state.volume,
            amount=state.amount,
            bids=bids,
            asks=asks,
            limit_up=limits.up,
            limit_down=limits.down,
            time=self._times[inst.code],
            source=self.source,
        )

    def _side(self, best: Decimal, step: Decimal, ok: Callable[[Decimal], bool]) -> tuple[Level, ...]:
        levels = []
        price = best
        for _ in range(LEVELS):
            if not ok(price):
                break
            levels.append(Level(price, self._level_volume()))
            price += step
        return tuple(levels)

    def _refresh(self, inst: Instrument) -> Quote:
        quote = self._snapshot(inst, self._states[inst.code])
        self._quotes[inst.code] = quote
        return quote

    def _publish_all(self, now: datetime) -> None:
        for inst in self.universe:
            if inst.code in self._states:
                self._emit(self._refresh(inst))

    def _emit(self, quote: Quote) -> None:
        for listener in self._listeners:
            listener(quote)
