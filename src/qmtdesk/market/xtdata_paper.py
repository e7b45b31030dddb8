"""Paper trading on live MiniQMT quotes: the paper exchange's market, fed by ``xtquant.xtdata``.

``QMTDESK_BROKER=paper`` with ``QMTDESK_QUOTES=xtdata``. The paper exchange keeps everything it does
(A-share validation, T+1, fees, auctions, expiry, persistence) and matches against the real
five-level book and last prices instead of the random walk:

* the universe is the bundled/CSV universe; at each day start its instruments are refreshed from
  ``get_instrument_detail`` where MiniQMT knows them (name, ``PreClose``, suspension) and the day's
  limits are MiniQMT's ``UpStopPrice``/``DownStopPrice`` (computed from the reference price otherwise);
* every continuous-trading step polls ``get_full_tick`` for the whole universe in one call; a snapshot
  whose content did not change is kept as the same object, so the volume paper orders already took
  from its displayed levels stays taken (the exchange counts that per snapshot);
* the opening auction uncrosses at each instrument's real open (else its last price, else the
  reference price), the close at the real last price;
* paper fills are counted in a per-day paper volume (the :class:`DayState`) and never change the
  real book; prices cannot be set by hand (``PAPER_LIVE_QUOTES``).

Instruments MiniQMT has no tick for have no quote, so the desk refuses orders in them ("暂无行情").
When xtdata cannot be reached the last snapshots stay (nothing new fills) and a warning is logged.
Snapshots are stamped with the paper exchange's time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import TypeVar

from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.validation import DailyLimits, daily_limits
from qmtdesk.market.quotes import Quote, QuoteListener
from qmtdesk.market.simulator import DayState
from qmtdesk.market.xtdata import XtDataMarket, of_day

log = logging.getLogger(__name__)
T = TypeVar("T")


class LiveQuotesPriceFixed(DeskError):
    """Prices come from MiniQMT: a paper exchange on live quotes cannot move them."""

    def __init__(self) -> None:
        super().__init__(
            "PAPER_LIVE_QUOTES",
            "纸面交易使用 MiniQMT 实时行情，不能手动设置价格",
            "Paper trading runs on live MiniQMT quotes; prices cannot be set by hand",
            http_status=409,
        )


class XtDataPaperMarket:
    """The paper exchange's market over :class:`XtDataMarket` (implements ``PaperMarket``)."""

    source = "xtdata"

    def __init__(self, live: XtDataMarket, calendar: TradingCalendar) -> None:
        self.live = live
        self.universe = live.universe
        self.calendar = calendar
        self._states: dict[str, DayState] = {}
        self._limits: dict[str, DailyLimits] = {}
        self._ticks: dict[str, Quote] = {}  # the latest snapshot xtdata gave for each code
        self._quotes: dict[str, Quote] = {}  # what the exchange and the desk see
        self._listeners: list[QuoteListener] = []
        self._now: datetime | None = None  # the exchange's time at the last call that drove the market
        self._reachable = True
        self._xt_limits: dict[str, DailyLimits] = {}  # today's limits as MiniQMT publishes them
        # The day whose instrument details MiniQMT had not rolled to yet when it began (None: all current).
        self._stale_day: date | None = None
        self._stale_checked: datetime | None = None

    # ---------------------------------------------------------------- port
    def add_listener(self, listener: QuoteListener) -> None:
        """Receive every new snapshot."""
        self._listeners.append(listener)

    def quote(self, stock_code: str) -> Quote | None:
        """The current snapshot (``None`` when MiniQMT has given no tick for ``stock_code``)."""
        return self._quotes.get(stock_code)

    def limits(self, stock_code: str) -> DailyLimits:
        """Today's limit prices of ``stock_code``."""
        return self._limits[stock_code]

    def states(self) -> dict[str, DayState]:
        """The day state of every instrument, for persistence (volume and amount are paper fills)."""
        return self._states

    # ---------------------------------------------------------------- driving
    def start_day(self, day: date, now: datetime) -> None:
        """Begin ``day``: refresh instruments and limits from xtdata, take the first snapshots."""
        self._now = now
        fresh = self._poll()
        self._refresh_instruments(fresh)
        self._stale_day = day if self._details_stale(day) else None
        self._stale_checked = now
        for inst in self.universe:
            self._limits[inst.code] = self._day_limits(inst, day)
            self._states[inst.code] = DayState(day=day, fair=float(inst.prev_close), last=inst.prev_close)
            tick = self._ticks.get(inst.code)
            if tick is not None:
                # A tick from an earlier poll (xtdata unreachable now) still shows a book, not today's prices.
                self._update(inst, tick, now, today=inst.code in fresh)

    def restore(self, state: DayState, code: str, now: datetime) -> None:
        """Put back a persisted day state (after a restart); prices follow the live tick again."""
        inst = self.universe.find(code)
        if inst is None:
            return
        if code not in self._limits:
            self._limits[code] = self._day_limits(inst, state.day)
        self._states[code] = state
        tick = self._ticks.get(code)
        if tick is not None:
            self._apply(state, tick)

    def open_auction(self, now: datetime) -> dict[str, Decimal]:
        """The real opening prices (else last, else reference) of the instruments with a fresh tick."""
        self._now = now
        self._catch_up_day(now)
        fresh = self._poll()
        prices: dict[str, Decimal] = {}
        changed = []
        for inst in self.universe:
            state, tick = self._states.get(inst.code), fresh.get(inst.code)
            if state is None or tick is None or inst.suspended:
                continue
            quote = self._update(inst, tick, now)
            if quote is not None:
                changed.append(quote)
            price = tick.open or tick.last_price or inst.prev_close
            state.open, state.high, state.low = price, tick.high or price, tick.low or price
            prices[inst.code] = price
        self._emit(changed)
        return prices

    def step(self, now: datetime, elapsed_seconds: float) -> list[Quote]:
        """Poll every instrument's tick in one call; the snapshots that changed."""
        self._now = now
        self._catch_up_day(now)
        fresh = self._poll()
        quotes = []
        for inst in self.universe:
            tick = fresh.get(inst.code)
            if tick is None or inst.suspended or inst.code not in self._states:
                continue
            quote = self._update(inst, tick, now)
            if quote is not None:
                quotes.append(quote)
        self._emit(quotes)
        return quotes

    def close_prices(self) -> dict[str, Decimal]:
        """The last price of every instrument MiniQMT has quoted (polled once more first)."""
        if self._now is not None:
            changed = []
            for code, tick in self._poll().items():
                inst = self.universe.find(code)
                if inst is not None and code in self._states and not inst.suspended:
                    quote = self._update(inst, tick, self._now)
                    if quote is not None:
                        changed.append(quote)
            self._emit(changed)
        return {code: state.last for code, state in self._states.items() if code in self._ticks}

    def record_trade(self, code: str, price: Decimal, quantity: int) -> None:
        """Count a paper fill in the day's paper volume and amount; the real book is untouched."""
        state = self._states[code]
        state.volume += quantity
        state.amount += price * quantity

    def set_price(self, code: str, price: Decimal, now: datetime) -> Quote:
        """Refused: prices are MiniQMT's (``PAPER_LIVE_QUOTES``, 409)."""
        raise LiveQuotesPriceFixed()

    def close(self) -> None:
        """Stop the xtdata thread."""
        self.live.close()

    # ---------------------------------------------------------------- internals
    def _call(self, what: str, fn: Callable[[], T]) -> T | None:
        """An xtdata request; ``None`` (logged once per outage) when MiniQMT cannot be reached."""
        try:
            result = fn()
        except Exception as exc:
            if self._reachable:
                log.warning("xtdata %s failed, paper quotes stand still until it answers: %s", what, exc)
            self._reachable = False
            return None
        if not self._reachable:
            log.info("xtdata answers again (%s)", what)
        self._reachable = True
        return result

    def _poll(self) -> dict[str, Quote]:
        """One ``get_full_tick`` for the whole universe; the ticks it returned."""
        fresh = self._call("get_full_tick", lambda: self.live.quotes([inst.code for inst in self.universe])) or {}
        self._ticks.update(fresh)
        return fresh

    def _refresh_instruments(self, fresh: dict[str, Quote]) -> None:
        """Names, reference prices, suspension and limit prices from MiniQMT's instrument details."""
        self._xt_limits.clear()
        for inst in list(self.universe):
            detail = self._call("get_instrument_detail", partial(self.live.detail, inst.code))
            if not self._reachable:
                return
            if detail:
                known = self.live.instrument(inst.code)  # built from the cached detail, no new request
                if not float(detail.get("PreClose") or 0) > 0:
                    known = replace(known, prev_close=inst.prev_close)
                self.universe.put(replace(known, list_date=known.list_date or inst.list_date))
                up, down = self.live.limits(inst.code)
                if up is not None and down is not None:
                    self._xt_limits[inst.code] = DailyLimits(up, down)
            elif (tick := fresh.get(inst.code)) is not None and tick.prev_close > 0:
                self.universe.set_prev_close(inst.code, tick.prev_close)

    def _details_stale(self, day: date) -> bool:
        """Whether MiniQMT still served some instrument's detail of an earlier trading day."""
        return any((detail := self.live.cached_detail(inst.code)) and not of_day(detail, day) for inst in self.universe)

    def _catch_up_day(self, now: datetime) -> None:
        """The day began before MiniQMT rolled its details: read them again (at most once a minute) and
        take today's limits and reference price of every instrument whose detail is now of today."""
        day = self._stale_day
        if day is None or (self._stale_checked is not None and (now - self._stale_checked).total_seconds() < 60):
            return
        self._stale_checked = now
        self._refresh_instruments(self._ticks)
        still_stale = 0
        for inst in self.universe:
            detail = self.live.cached_detail(inst.code)
            if detail and not of_day(detail, day):
                still_stale += 1
                continue
            limits = self._day_limits(inst, day)
            if limits == self._limits.get(inst.code):
                continue
            self._limits[inst.code] = limits
            state = self._states.get(inst.code)
            if state is not None and state.volume == 0:  # no paper trade yet: today's reference price
                state.fair, state.last = float(inst.prev_close), inst.prev_close
        if not still_stale:
            self._stale_day = None
            log.info("MiniQMT's instrument details are now of %s: limits and reference prices re-read", day)

    def _day_limits(self, inst: Instrument, day: date) -> DailyLimits:
        """MiniQMT's limit prices when it publishes both, else computed from the reference price."""
        published = self._xt_limits.get(inst.code)
        if published is not None:
            return published
        return daily_limits(inst, day, self.calendar.listing_day_number(inst.list_date, day))

    def _update(self, inst: Instrument, tick: Quote, now: datetime, *, today: bool = True) -> Quote | None:
        """Make ``tick`` the snapshot of ``inst``; the new snapshot, or ``None`` when nothing changed."""
        limits = self._limits[inst.code]
        quote = replace(
            tick,
            stock_name=inst.name or tick.stock_name,
            prev_close=inst.prev_close,
            limit_up=limits.up,
            limit_down=limits.down,
            time=now,
            source=self.source,
        )
        state = self._states.get(inst.code)
        if state is not None and today:
            self._apply(state, tick)
        previous = self._quotes.get(inst.code)
        if previous is not None:
            # Unchanged levels stay the same objects: what paper orders took from them stays taken.
            quote = replace(
                quote,
                bids=previous.bids if previous.bids == quote.bids else quote.bids,
                asks=previous.asks if previous.asks == quote.asks else quote.asks,
            )
            if replace(previous, time=now) == quote:
                return None
        self._quotes[inst.code] = quote
        return quote

    @staticmethod
    def _apply(state: DayState, tick: Quote) -> None:
        """The real prices of the day into ``state`` (its volume and amount stay the paper fills)."""
        if tick.last_price > 0:
            state.last = tick.last_price
            state.fair = float(tick.last_price)
        if tick.open is not None:
            state.open = tick.open
            state.high = tick.high or max(state.high or tick.open, tick.open)
            state.low = tick.low or min(state.low or tick.open, tick.open)

    def _emit(self, quotes: list[Quote]) -> None:
        for quote in quotes:
            for listener in self._listeners:
                listener(quote)
