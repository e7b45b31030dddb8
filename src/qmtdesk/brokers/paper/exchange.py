"""The paper exchange: a broker counter plus an exchange that follow A-share rules.

It validates like a broker (the same validator the desk uses), freezes cash and shares, queues
orders while the exchange is not accepting them (before 9:15, 9:25-9:30, lunch), runs the opening
call auction (one uncross at 9:25) and the closing call auction (14:57-15:00), matches limit and
market orders against the displayed simulated book in continuous trading (fills consume displayed
volume; the rest rests and fills when later snapshots cross it), refuses cancels in the no-cancel
windows, expires day orders at the close and rolls the day (T+1 shares, withdrawable cash).

It is synchronous and driven by :meth:`PaperExchange.sync` with the clock's time; every status it
reports uses xtquant's codes. Its state is saved through a :class:`PaperStore` after every
operation, so a restart continues where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import ClassVar, Protocol

from qmtdesk.brokers.base import AccountReport, PositionReport
from qmtdesk.brokers.codes import BrokerStatus
from qmtdesk.brokers.paper.models import PaperOrder, PaperTrade
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import OrderDenied, OrderNotCancelable, OrderNotFound
from qmtdesk.domain.fees import ZERO, FeeSchedule, Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.orders import STATUS_LABELS_ZH, OrderStatus
from qmtdesk.domain.portfolio import Cash, Portfolio, Position
from qmtdesk.domain.rules import (
    PHASE_RULES,
    Phase,
    PriceType,
    cage_bounds,
    cage_row,
    is_t0,
    phase_at,
    price_tick,
    schedule_for,
    st_daily_buy_cap,
)
from qmtdesk.domain.validation import OrderIntent, ValidationContext, validate
from qmtdesk.market.paper_market import PaperMarket
from qmtdesk.market.quotes import Level, Quote
from qmtdesk.market.simulator import DayState

log = logging.getLogger(__name__)

#: Market-order types whose unfilled remainder is cancelled at once.
IMMEDIATE_TYPES = frozenset({PriceType.MARKET, PriceType.BEST5_CANCEL, PriceType.IOC, PriceType.FOK})
#: How many displayed levels each market-order type may sweep (SZ IOC/FOK take every displayed level).
SWEEP_LEVELS: dict[PriceType, int] = {
    PriceType.MARKET: 5,
    PriceType.BEST5_CANCEL: 5,
    PriceType.BEST5_LIMIT: 5,
    PriceType.IOC: 10**6,
    PriceType.FOK: 10**6,
}


@dataclass
class Changes:
    """What one operation changed, for the store to save in one transaction."""

    orders: dict[int, PaperOrder] = field(default_factory=dict)
    trades: list[PaperTrade] = field(default_factory=list)
    positions: set[str] = field(default_factory=set)
    account: bool = False
    market: set[str] = field(default_factory=set)  # instruments whose simulated day state changed

    def __bool__(self) -> bool:
        return bool(self.orders or self.trades or self.positions or self.account or self.market)


@dataclass
class PaperState:
    """Everything the paper exchange needs to continue after a restart."""

    initial_cash: Decimal
    portfolio: Portfolio
    orders: list[PaperOrder]
    trades: list[PaperTrade]
    cursor: datetime | None
    current_day: date | None
    next_order_id: int
    next_trade_id: int
    prev_closes: dict[str, Decimal]
    market: dict[str, DayState]


class PaperStore(Protocol):
    """Persistence of the paper exchange."""

    def load(self, account_id: str) -> PaperState | None:
        """The saved state, or ``None`` for a new account."""
        ...

    def save(self, account_id: str, exchange: PaperExchange, changes: Changes) -> None:
        """Save what ``changes`` names, in one transaction."""
        ...

    def reset(self, account_id: str) -> None:
        """Forget the account entirely."""
        ...


class PaperListener(Protocol):
    """Receives the exchange's pushes (the paper broker adapter forwards them)."""

    def on_order(self, order: PaperOrder) -> None:
        """An order changed."""

    def on_trade(self, trade: PaperTrade) -> None:
        """A fill happened."""

    def on_day_closed(self, day: date) -> None:
        """The close of ``day`` was processed (after expiry)."""


class PaperExchange:
    """A simulated broker counter and exchange for one account."""

    def __init__(
        self,
        *,
        market: PaperMarket,
        calendar: TradingCalendar,
        clock: Clock,
        fees: FeeSchedule,
        account_id: str = "PAPER",
        initial_cash: Decimal = Decimal(1_000_000),
        store: PaperStore | None = None,
        snapshot_seconds: float = 0.0,
    ) -> None:
        """``snapshot_seconds``: continuous-trading time between two market snapshots (0: one per sync)."""
        self.market = market
        self.universe = market.universe
        self.calendar = calendar
        self.clock = clock
        self.fees = fees
        self.account_id = account_id
        self.store = store
        self.listeners: list[PaperListener] = []
        self.snapshot_seconds = snapshot_seconds
        # Continuous-trading seconds since the last snapshot: the book stays as it was until they
        # reach ``snapshot_seconds``, like an exchange's level-1 snapshots (every 3 s).
        self._unstepped = 0.0
        self._changes = Changes()
        self._upcoming: tuple[datetime, datetime] | None = None  # (asked after, the next phase boundary)
        self._open_by_code: dict[str, list[int]] = {}
        self._consumed: dict[tuple[str, Side, Decimal], int] = {}
        # The book a code's consumption was counted against: the level tuples of its snapshot, which
        # stay the same objects until the market takes a new snapshot.
        self._consumed_book: dict[str, tuple[tuple[Level, ...], tuple[Level, ...]]] = {}
        state = store.load(account_id) if store else None
        if state is None:
            self._fresh(initial_cash)
        else:
            self._restore(state)

    # ================================================================= lifecycle
    def _fresh(self, cash: Decimal) -> None:
        self.initial_cash = cash
        self.portfolio = Portfolio(Cash(available=cash))
        self.orders: dict[int, PaperOrder] = {}
        self.trades: list[PaperTrade] = []
        self.cursor: datetime | None = None
        self.current_day: date | None = None
        self.next_order_id = 1
        self.next_trade_id = 1
        self._open_by_code = {}
        self._changes = Changes(account=True)

    def _restore(self, state: PaperState) -> None:
        self.initial_cash = state.initial_cash
        self.portfolio = state.portfolio
        self.orders = {o.order_id: o for o in state.orders}
        self.trades = list(state.trades)
        self.cursor = state.cursor
        self.current_day = state.current_day
        self.next_order_id = state.next_order_id
        self.next_trade_id = state.next_trade_id
        for code, prev_close in state.prev_closes.items():
            if code in self.universe:
                self.universe.set_prev_close(code, prev_close)
        if self.current_day is not None:
            now = self.cursor or self.clock.now()
            self.market.start_day(self.current_day, now)
            for code, day_state in state.market.items():
                if day_state.day == self.current_day:
                    self.market.restore(day_state, code, now)
        self._open_by_code = {}
        for order in sorted(self.orders.values(), key=lambda o: o.order_id):
            if order.is_open:
                self._open_by_code.setdefault(order.stock_code, []).append(order.order_id)
        log.info(
            "paper account %s restored: %d open orders, cursor %s",
            self.account_id,
            sum(len(v) for v in self._open_by_code.values()),
            self.cursor,
        )

    def reset(self, cash: Decimal) -> None:
        """Start a brand-new paper account with ``cash`` (drops orders, fills and positions).

        Order and trade numbers carry on: a counter never hands out the same id twice, and the desk
        applies a fill once by its id."""
        next_order_id, next_trade_id = self.next_order_id, self.next_trade_id
        if self.store:
            self.store.reset(self.account_id)
        self._fresh(cash)
        self.next_order_id, self.next_trade_id = next_order_id, next_trade_id
        now = self.clock.now()
        self.sync(now)

    # ================================================================= time
    def phase(self, instrument: Instrument | None = None, now: datetime | None = None) -> Phase:
        """The phase now (or at ``now``) for ``instrument`` or for stocks in general."""
        return self.calendar.phase(now or self.clock.now(), instrument)

    def sync(self, now: datetime | None = None) -> None:
        """Bring the exchange up to ``now``: every phase change, auction, close and day roll on the way."""
        now = (now or self.clock.now()).astimezone(SHANGHAI)
        if self.cursor is None:
            self.cursor = now
            day = now.date()
            if self.calendar.is_trading_day(day):
                self._start_day(day, now)
            else:
                self._start_day(self.calendar.previous_trading_day(day), now)
            self._changes.account = True
        while True:
            boundary = self._next_boundary(self.cursor)
            if boundary is None or boundary > now:
                break
            self._continuous_step(self.cursor, boundary)
            self.cursor = boundary
            self._on_boundary(boundary)
        if now > self.cursor:
            self._continuous_step(self.cursor, now)
            self.cursor = now
            # The cursor is where a restart resumes the simulated clock: it is saved whenever it moves.
            self._changes.account = True
        self._flush()

    def _boundaries(self, day: date) -> list[time]:
        times = {time(0, 0)}
        for start, end, _phase in schedule_for(None, day):
            times.update((start, end))
        return sorted(times)

    def _next_boundary(self, after: datetime) -> datetime | None:
        # Asked on every order with the cursor, which only moves forward: the answer holds until the
        # cursor reaches it.
        known = self._upcoming
        if known is not None and known[0] <= after < known[1]:
            return known[1]
        day = after.date()
        for _ in range(400):
            if self.calendar.is_trading_day(day):
                for t in self._boundaries(day):
                    moment = datetime.combine(day, t, SHANGHAI)
                    if moment > after:
                        self._upcoming = (after, moment)
                        return moment
            day += timedelta(days=1)
        return None

    def _on_boundary(self, moment: datetime) -> None:
        day = moment.date()
        if day != self.current_day:
            self._roll_to(day, moment)
        entered = phase_at(moment.time(), schedule_for(None, day))
        handler = self._PHASE_HANDLERS.get(entered)
        if handler is not None:
            handler(self, moment)

    def _continuous_step(self, start: datetime, end: datetime) -> None:
        if self.calendar.phase(start) is not Phase.CONTINUOUS or end <= start:
            return
        self._unstepped += (end - start).total_seconds()
        if self._unstepped < self.snapshot_seconds:
            return
        quotes = self.market.step(end, self._unstepped)
        self._unstepped = 0.0
        self._changes.market.update(q.stock_code for q in quotes)
        for quote in quotes:
            self._match_resting(quote.stock_code, end)

    def _roll_to(self, day: date, moment: datetime) -> None:
        """Day roll: expire leftovers, settle T+1 shares and cash, new reference prices."""
        if self.current_day is not None:
            self._expire_open(moment, "日终清理，未成交部分自动撤销")
            for code, close in self.market.close_prices().items():
                self.universe.set_prev_close(code, close)
        held = set(self.portfolio.positions)
        self.portfolio.roll_day()
        self._start_day(day, moment)
        # Positions the roll dropped (flat) are saved as gone, the rest with their new T+1 state.
        self._changes.positions.update(held)
        self._changes.account = True
        log.info("paper day roll to %s", day)

    def _start_day(self, day: date, moment: datetime) -> None:
        self.current_day = day
        self.market.start_day(day, moment)
        self._changes.market.update(self.market.states())
        # Orders of earlier days are history; keep today's and any still open.
        self.orders = {k: o for k, o in self.orders.items() if o.trading_day == day or o.is_open}
        self.trades = [t for t in self.trades if t.trading_day == day]

    # phase handlers --------------------------------------------------------------------------
    def _enter_opening_auction(self, moment: datetime) -> None:
        self._release_queued(moment)

    def _enter_opening_break(self, moment: datetime) -> None:
        """9:25: the single opening uncross."""
        opens = self.market.open_auction(moment)
        self._changes.market.update(opens)
        for code, price in opens.items():
            self._uncross(code, price, moment)

    def _enter_continuous(self, moment: datetime) -> None:
        self._release_queued(moment)
        for code in list(self._open_by_code):
            self._match_resting(code, moment)

    def _enter_after_hours(self, moment: datetime) -> None:
        """15:00: the closing uncross at the close, then every open day order expires."""
        for code, price in self.market.close_prices().items():
            self._uncross(code, price, moment)
        self._expire_open(moment, "收盘未成交，委托已失效")
        for listener in self.listeners:
            listener.on_day_closed(moment.date())

    _PHASE_HANDLERS: ClassVar[dict[Phase, Callable[[PaperExchange, datetime], None]]] = {
        Phase.OPENING_AUCTION: _enter_opening_auction,
        Phase.OPENING_BREAK: _enter_opening_break,
        Phase.CONTINUOUS: _enter_continuous,
        Phase.AFTER_HOURS: _enter_after_hours,
    }

    # ================================================================= orders
    def submit(
        self,
        *,
        stock_code: str,
        side: Side,
        quantity: int,
        price_type: PriceType,
        price: Decimal | None = None,
        ref: str | None = None,
        strategy_name: str = "",
    ) -> PaperOrder:
        """Take an order. A refused order comes back as a 废单 (57) with the reason; never raises for rules."""
        now = self.clock.now()
        self.sync(now)
        assert self.current_day is not None
        order = PaperOrder(
            order_id=self.next_order_id,
            ref=ref,
            stock_code=stock_code,
            side=side,
            price_type=price_type,
            quantity=quantity,
            price=price,
            limit_price=None,
            protect=None,
            trading_day=self.current_day,
            created_at=now,
            updated_at=now,
            strategy_name=strategy_name,
        )
        self.next_order_id += 1
        self.orders[order.order_id] = order
        self._changes.account = True
        try:
            instrument = self.universe.get(stock_code)
            order.stock_code = instrument.code
            approval = validate(
                OrderIntent(instrument.code, side, quantity, price_type, price),
                self._context(instrument, now, placing=order),
            )
        except OrderDenied as denied:
            order.error_code = denied.code
            order.set_status(OrderStatus.REJECTED, BrokerStatus.JUNK, denied.message_zh, now)
            self._touch(order)
            self._flush()
            return order
        position = self.portfolio.position(instrument.code)
        if side is Side.BUY:
            self.portfolio.cash.freeze(approval.freeze_amount)
            order.frozen_cash = approval.freeze_amount
        else:
            position.freeze_for_sell(quantity)
            self._changes.positions.add(instrument.code)
        if price_type in (PriceType.LIMIT, PriceType.LATEST):
            order.limit_price = approval.price
        else:
            order.protect = approval.price
        order.set_status(OrderStatus.SUBMITTED, BrokerStatus.UNREPORTED, now=now)
        self._touch(order)
        self._open_by_code.setdefault(instrument.code, []).append(order.order_id)
        phase = self.phase(instrument, now)
        if PHASE_RULES[phase].queued:
            order.queued = True
            order.set_status(OrderStatus.SUBMITTED, BrokerStatus.WAIT_REPORTING, now=now)
            self._touch(order)
        else:
            self._to_exchange(order, instrument, phase, now)
        self._flush()
        return order

    def _context(self, instrument: Instrument, now: datetime, placing: PaperOrder | None = None) -> ValidationContext:
        quote = self.market.quote(instrument.code)
        assert quote is not None
        bought = 0
        if placing is not None and placing.side is Side.BUY and st_daily_buy_cap(instrument) is not None:
            bought = sum(
                o.quantity if o.is_open else o.filled
                for o in self.orders.values()
                if o.stock_code == instrument.code
                and o.side is Side.BUY
                and o.trading_day == placing.trading_day
                and o is not placing
            )
        return ValidationContext(
            instrument=instrument,
            day=self.current_day or now.date(),
            phase=self.phase(instrument, now),
            limits=self.market.limits(instrument.code),
            book=quote.book_view(),
            position=self.portfolio.positions.get(instrument.code),
            available_cash=self.portfolio.cash.available,
            fees=self.fees,
            bought_today=bought,
        )

    def _to_exchange(self, order: PaperOrder, instrument: Instrument, phase: Phase, now: datetime) -> None:
        """The order reaches the exchange: 已报, then match at once in continuous trading."""
        order.queued = False
        quote = self.market.quote(order.stock_code)
        assert quote is not None
        if phase is Phase.CONTINUOUS and order.limit_price is not None and order.price_type is PriceType.LIMIT:
            # The exchange re-checks the cage against the book it sees now (an order queued at lunch).
            row = cage_row(instrument, self.current_day or now.date())
            if row is not None:
                buy_cap, sell_floor = cage_bounds(row, quote.book_view().cage_book(), price_tick(instrument))
                out = order.limit_price > buy_cap if order.side is Side.BUY else order.limit_price < sell_floor
                if out:
                    order.error_code = "PRICE_CAGE"
                    self._finish(order, OrderStatus.REJECTED, BrokerStatus.JUNK, "超出有效申报价格范围", now)
                    return
        order.set_status(OrderStatus.ACCEPTED, BrokerStatus.REPORTED, now=now)
        self._touch(order)
        if phase is Phase.CONTINUOUS:
            self._match_incoming(order, quote, now)

    def _release_queued(self, moment: datetime) -> None:
        for code, ids in list(self._open_by_code.items()):
            instrument = self.universe.find(code)
            if instrument is None:
                continue
            phase = self.phase(instrument, moment)
            for order_id in list(ids):
                order = self.orders[order_id]
                if order.cancel_pending:
                    self._complete_cancel(order, moment)
                elif order.queued:
                    self._to_exchange(order, instrument, phase, moment)

    # ================================================================= matching
    def _levels(self, quote: Quote, side: Side) -> tuple[Level, ...]:
        return quote.asks if side is Side.BUY else quote.bids

    def _available(self, quote: Quote, side: Side, level: Level) -> int:
        seen = self._consumed_book.get(quote.stock_code)
        if seen is None or seen[0] is not quote.bids or seen[1] is not quote.asks:
            # A new snapshot shows fresh displayed volume.
            self._consumed_book[quote.stock_code] = (quote.bids, quote.asks)
            for key in [k for k in self._consumed if k[0] == quote.stock_code]:
                del self._consumed[key]
        return level.volume - self._consumed.get((quote.stock_code, side, level.price), 0)

    def _crosses(self, side: Side, level_price: Decimal, bound: Decimal | None) -> bool:
        if bound is None:
            return True
        return level_price <= bound if side is Side.BUY else level_price >= bound

    def _sweep(self, order: PaperOrder, quote: Quote, bound: Decimal | None, max_levels: int, now: datetime) -> None:
        for level in self._levels(quote, order.side)[:max_levels]:
            if order.remaining == 0 or not self._crosses(order.side, level.price, bound):
                break
            take = min(order.remaining, self._available(quote, order.side, level))
            if take > 0:
                self._consumed[(quote.stock_code, order.side, level.price)] = (
                    self._consumed.get((quote.stock_code, order.side, level.price), 0) + take
                )
                self._fill(order, level.price, take, now)

    def _sweepable(self, order: PaperOrder, quote: Quote, bound: Decimal | None, max_levels: int) -> int:
        total = 0
        for level in self._levels(quote, order.side)[:max_levels]:
            if not self._crosses(order.side, level.price, bound):
                break
            total += max(0, self._available(quote, order.side, level))
        return total

    def _match_incoming(self, order: PaperOrder, quote: Quote, now: datetime) -> None:
        """Match an order that just reached the continuous market, by its price type (§6.1)."""
        pt = order.price_type
        own = quote.bids if order.side is Side.BUY else quote.asks
        opposite = self._levels(quote, order.side)
        if pt in (PriceType.COUNTERPARTY_BEST, PriceType.OWN_BEST):
            levels = opposite if pt is PriceType.COUNTERPARTY_BEST else own
            if not levels:
                self._finish(order, OrderStatus.CANCELED, BrokerStatus.CANCELED, "无对应方向最优价格，自动撤销", now)
                return
            order.limit_price = self._bounded(order, levels[0].price)
        if order.limit_price is not None:
            self._sweep(order, quote, order.limit_price, 10**6, now)
            self._after_fill_status(order, now)
            return
        if pt is PriceType.FOK and self._sweepable(order, quote, order.protect, SWEEP_LEVELS[pt]) < order.remaining:
            self._finish(order, OrderStatus.CANCELED, BrokerStatus.CANCELED, "无法全额成交，自动撤销", now)
            return
        self._sweep(order, quote, order.protect, SWEEP_LEVELS[pt], now)
        if order.remaining == 0:
            self._after_fill_status(order, now)
            return
        if pt is PriceType.BEST5_LIMIT:
            last_fill = self._last_fill_price(order)
            convert_at = last_fill if last_fill is not None else (own[0].price if own else None)
            if convert_at is not None:
                order.limit_price = self._bounded(order, convert_at)
                self._after_fill_status(order, now)
                return
        self._cancel_remainder(order, "即时成交剩余撤销", now)

    def _bounded(self, order: PaperOrder, price: Decimal) -> Decimal:
        """A converted limit price never passes the protective price."""
        if order.protect is None:
            return price
        return min(price, order.protect) if order.side is Side.BUY else max(price, order.protect)

    def _last_fill_price(self, order: PaperOrder) -> Decimal | None:
        for trade in reversed(self.trades):
            if trade.order_id == order.order_id:
                return trade.price
        return None

    def _match_resting(self, code: str, now: datetime) -> None:
        """A new snapshot: resting orders whose price the book now crosses fill, oldest first."""
        ids = self._open_by_code.get(code)
        if not ids:
            return
        instrument = self.universe.find(code)
        if instrument is None or self.phase(instrument, now) is not Phase.CONTINUOUS:
            return
        quote = self.market.quote(code)
        if quote is None:
            return
        for order_id in list(ids):
            order = self.orders[order_id]
            if order.queued or order.limit_price is None or not order.is_open:
                continue
            before = order.filled
            self._sweep(order, quote, order.limit_price, 10**6, now)
            if order.filled != before:
                self._after_fill_status(order, now)

    def _uncross(self, code: str, price: Decimal, moment: datetime) -> None:
        """Call-auction uncross: every crossing order fills at the single auction price."""
        ids = self._open_by_code.get(code)
        if not ids:
            return
        quote = self.market.quote(code)
        liquidity = {
            Side.BUY: sum(level.volume for level in quote.asks) if quote else 0,
            Side.SELL: sum(level.volume for level in quote.bids) if quote else 0,
        }
        for side in Side:
            # Auctions match against the other side's interest at the uncross price; model it as the
            # displayed depth of the snapshot, at least 10,000 shares.
            liquidity[side] = max(liquidity[side], 10_000)
        for order_id in list(ids):
            order = self.orders[order_id]
            if order.queued or order.limit_price is None or not order.is_open:
                continue
            crosses = order.limit_price >= price if order.side is Side.BUY else order.limit_price <= price
            if not crosses:
                continue
            take = min(order.remaining, liquidity[order.side])
            if take <= 0:
                continue
            liquidity[order.side] -= take
            self._fill(order, price, take, moment)
            self._after_fill_status(order, moment)

    # ================================================================= fills and completion
    def _fill(self, order: PaperOrder, price: Decimal, quantity: int, now: datetime) -> None:
        instrument = self.universe.get(order.stock_code)
        amount = price * quantity
        fees = self.fees.fill_fees(
            order.side,
            instrument.kind,
            instrument.board,
            order.filled_amount,
            amount,
            self.current_day or now.date(),
        )
        trade = PaperTrade(
            trade_id=self.next_trade_id,
            order_id=order.order_id,
            ref=order.ref,
            stock_code=order.stock_code,
            side=order.side,
            price=price,
            quantity=quantity,
            fees=fees,
            time=now,
            trading_day=self.current_day or now.date(),
            strategy_name=order.strategy_name,
        )
        self.next_trade_id += 1
        position = self.portfolio.position(order.stock_code)
        cash = self.portfolio.cash
        if order.side is Side.BUY:
            cost = amount + fees.total
            from_frozen = min(order.frozen_cash, cost)
            cash.pay_from_frozen(cost, from_frozen)
            order.frozen_cash -= from_frozen
            position.apply_buy(quantity, cost, trade.trading_day, is_t0(instrument))
        else:
            trade.realized_pnl = position.apply_sell(quantity, amount, fees)
            cash.receive_sale(amount - fees.total)
        self.portfolio.fees_paid += fees.total
        order.filled += quantity
        order.filled_amount += amount
        order.fees = order.fees + fees
        order.updated_at = now
        self.trades.append(trade)
        self.market.record_trade(order.stock_code, price, quantity)
        self._changes.trades.append(trade)
        self._changes.positions.add(order.stock_code)
        self._changes.account = True
        for listener in self.listeners:
            listener.on_trade(trade)

    def _after_fill_status(self, order: PaperOrder, now: datetime) -> None:
        if order.remaining == 0:
            self._finish(order, OrderStatus.FILLED, BrokerStatus.SUCCEEDED, "", now)
        elif order.filled > 0:
            if order.cancel_pending:
                order.set_status(OrderStatus.PENDING_CANCEL, BrokerStatus.PARTSUCC_CANCEL, now=now)
            else:
                order.set_status(OrderStatus.PARTIALLY_FILLED, BrokerStatus.PART_SUCC, now=now)
            self._touch(order)

    def _cancel_remainder(self, order: PaperOrder, msg: str, now: datetime) -> None:
        if order.filled > 0:
            self._finish(order, OrderStatus.PARTIALLY_CANCELED, BrokerStatus.PART_CANCEL, msg, now)
        else:
            self._finish(order, OrderStatus.CANCELED, BrokerStatus.CANCELED, msg, now)

    def _finish(self, order: PaperOrder, status: OrderStatus, code: int, msg: str, now: datetime) -> None:
        """Terminal status: give back whatever the order still holds."""
        order.set_status(status, code, msg, now)
        order.cancel_pending = False
        order.queued = False
        if order.side is Side.BUY:
            self.portfolio.cash.release(order.frozen_cash)
            order.frozen_cash = ZERO
            self._changes.account = True
        else:
            position = self.portfolio.positions.get(order.stock_code)
            if position is not None:
                position.release_sell(order.remaining)
                self._changes.positions.add(order.stock_code)
        ids = self._open_by_code.get(order.stock_code)
        if ids and order.order_id in ids:
            ids.remove(order.order_id)
            if not ids:
                del self._open_by_code[order.stock_code]
        self._touch(order)

    def _expire_open(self, moment: datetime, msg: str) -> None:
        for ids in list(self._open_by_code.values()):
            for order_id in list(ids):
                order = self.orders[order_id]
                code = BrokerStatus.PART_CANCEL if order.filled else BrokerStatus.CANCELED
                self._finish(order, OrderStatus.EXPIRED, code, msg, moment)

    # ================================================================= cancel
    def cancel(self, order_id: int) -> PaperOrder:
        """Request a cancel. Raises ORDER_NOT_CANCELABLE for terminal orders and no-cancel windows."""
        now = self.clock.now()
        self.sync(now)
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(str(order_id))
        if not order.is_open:
            raise OrderNotCancelable(
                f"委托已是终态（{STATUS_LABELS_ZH[order.status]}），不能撤单",
                f"The order is already final ({order.status.value})",
            )
        if order.cancel_pending:
            raise OrderNotCancelable("撤单已在处理中", "A cancel is already in flight")
        instrument = self.universe.get(order.stock_code)
        phase = self.phase(instrument, now)
        if order.queued:
            # Still at the broker: dropped at once, the exchange never saw it.
            self._finish(order, OrderStatus.CANCELED, BrokerStatus.CANCELED, "撤单成功", now)
            self._flush()
            return order
        rule = PHASE_RULES[phase]
        if not rule.accepts_cancels:
            self._flush()
            raise OrderNotCancelable(
                "当前时段不接受撤单（9:20-9:25、14:57-15:00 及闭市时段）",
                "Cancels are not accepted now (9:20-9:25, 14:57-15:00 and outside trading hours)",
            )
        order.cancel_pending = True
        code = BrokerStatus.PARTSUCC_CANCEL if order.filled else BrokerStatus.REPORTED_CANCEL
        order.set_status(OrderStatus.PENDING_CANCEL, code, now=now)
        self._touch(order)
        if not rule.queued:
            self._complete_cancel(order, now)
        self._flush()
        return order

    def _complete_cancel(self, order: PaperOrder, now: datetime) -> None:
        self._cancel_remainder(order, "撤单成功", now)

    def cancel_all(self, stock_code: str | None = None, side: Side | None = None) -> list[PaperOrder]:
        """Cancel every open order (optionally of one code or side); refusals are skipped."""
        done = []
        for order in list(self.open_orders()):
            if (stock_code and order.stock_code != stock_code) or (side and order.side is not side):
                continue
            try:
                done.append(self.cancel(order.order_id))
            except OrderNotCancelable:
                continue
        return done

    def set_price(self, stock_code: str, price: Decimal) -> Quote:
        """Move an instrument's simulated price now; resting orders the new book crosses fill."""
        now = self.clock.now()
        self.sync(now)
        quote = self.market.set_price(stock_code, price, now)
        self._changes.market.add(quote.stock_code)
        self._match_resting(quote.stock_code, now)
        self._flush()
        return quote

    # ================================================================= queries
    def open_orders(self) -> Iterable[PaperOrder]:
        """Orders not yet final, oldest first."""
        return [o for o in sorted(self.orders.values(), key=lambda o: o.order_id) if o.is_open]

    def todays_orders(self) -> list[PaperOrder]:
        """Today's orders and any still open, oldest first."""
        return sorted(self.orders.values(), key=lambda o: o.order_id)

    def todays_trades(self) -> list[PaperTrade]:
        """Today's fills, oldest first."""
        return list(self.trades)

    def position_reports(self) -> list[PositionReport]:
        """Every non-empty position."""
        reports = []
        for pos in self.portfolio.positions.values():
            if pos.volume == 0 and pos.frozen_volume == 0:
                continue
            reports.append(_position_report(pos))
        return reports

    def market_value(self) -> Decimal:
        """Holdings at their last prices."""
        total = ZERO
        for pos in self.portfolio.positions.values():
            quote = self.market.quote(pos.stock_code)
            price = quote.last_price if quote else (pos.avg_price or ZERO)
            total += price * pos.volume
        return total

    def account_report(self) -> AccountReport:
        """Cash and totals now."""
        cash = self.portfolio.cash
        mv = self.market_value()
        held_cost = sum((p.cost for p in self.portfolio.positions.values()), ZERO)
        day = self.current_day
        return AccountReport(
            account_id=self.account_id,
            account_type="STOCK",
            cash=cash.available,
            frozen_cash=cash.frozen,
            market_value=mv,
            total_asset=cash.available + cash.frozen + mv,
            withdrawable=cash.withdrawable,
            time=self.clock.now(),
            # Cash plus what the holdings cost, against the starting cash: every sale's P&L net of fees.
            realized_profit=cash.balance + held_cost - self.initial_cash,
            today_realized_profit=sum((t.realized_pnl for t in self.trades if t.trading_day == day), ZERO),
        )

    # ================================================================= bookkeeping
    def _touch(self, order: PaperOrder) -> None:
        self._changes.orders[order.order_id] = order
        for listener in self.listeners:
            listener.on_order(order)

    def _flush(self) -> None:
        changes = self._changes
        if not changes:
            return
        self._changes = Changes()
        if self.store is not None:
            self.store.save(self.account_id, self, changes)


def _position_report(pos: Position) -> PositionReport:
    opened = datetime.combine(pos.opened_on, time(0), SHANGHAI) if pos.opened_on else None
    return PositionReport(
        stock_code=pos.stock_code,
        volume=pos.volume,
        can_use_volume=pos.can_use_volume,
        frozen_volume=pos.frozen_volume,
        yesterday_volume=pos.yesterday_volume,
        avg_price=pos.avg_price,
        opened_on=opened,
        cost=pos.cost,
    )
