"""One paper market for several paper accounts.

Each paper account has its own exchange (books, cash, positions), and each exchange drives its
market through the day: day start, the opening auction, continuous steps, the close. When several
exchanges trade the same simulated market, every one of those steps must happen once, however many
exchanges ask for it and in whatever order, or prices would move twice as fast with two accounts and
an exchange that rolls its day late would read the new day's prices as yesterday's close.

:class:`SharedPaperMarket` owns the market and does each step once; every exchange gets a
:class:`PaperMarketView` that remembers which day that exchange is on, so a late exchange still
reads its own day's closing prices and opening prices, and a step another exchange already made
returns the snapshots it made (the late exchange matches its resting orders on them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from qmtdesk.domain.validation import DailyLimits
from qmtdesk.market.paper_market import PaperMarket
from qmtdesk.market.quotes import Quote, QuoteListener
from qmtdesk.market.simulator import DayState
from qmtdesk.market.universe import Universe

log = logging.getLogger(__name__)

#: How many past days' opening and closing prices are kept for exchanges that fall behind.
_DAYS_KEPT = 10


class SharedPaperMarket:
    """A paper market stepped once for every exchange that trades on it."""

    def __init__(self, market: PaperMarket) -> None:
        self.market = market
        self.day: date | None = None
        self._stepped_to: datetime | None = None
        self._last_step: tuple[datetime, Sequence[Quote]] | None = None
        self._opens: dict[date, Mapping[str, Decimal]] = {}
        self._closes: dict[date, Mapping[str, Decimal]] = {}
        #: Told of each day the market closes, with its day states (the daily bars are kept from them).
        self.day_closed: list[Callable[[date, Mapping[str, DayState]], None]] = []
        self._restored: set[tuple[date, str]] = set()

    @property
    def source(self) -> str:
        """Where the quotes come from (``paper`` or ``xtdata``)."""
        return self.market.source

    def view(self) -> PaperMarketView:
        """The market as one exchange drives it."""
        return PaperMarketView(self)

    # ------------------------------------------------------------------ once per day or moment
    def start_day(self, day: date, now: datetime) -> None:
        """Begin ``day`` unless some exchange already did (an earlier day is history: nothing to do)."""
        if self.day is not None and day <= self.day:
            return
        if self.day is not None:
            self._closes[self.day] = dict(self.market.close_prices())
            for listener in self.day_closed:
                try:
                    listener(self.day, self.market.states())
                except Exception:  # the K-line's store must never stop the day roll
                    log.exception("day-closed listener failed")
        self.market.start_day(day, now)
        self.day = day
        self._stepped_to = now
        self._last_step = None
        for kept in (self._opens, self._closes):
            for old in sorted(kept)[:-_DAYS_KEPT]:
                del kept[old]

    def restore(self, state: DayState, code: str, now: datetime) -> None:
        """Put back a saved day state once: the first exchange restored holds the market's own save."""
        key = (state.day, code)
        if key in self._restored or state.day != self.day:
            return
        self._restored.add(key)
        self.market.restore(state, code, now)

    def open_auction(self, day: date, now: datetime) -> Mapping[str, Decimal]:
        """The opening prices of ``day``, set by the first exchange to reach 9:25."""
        opens = self._opens.get(day)
        if opens is None:
            if day != self.day:
                return {}
            opens = self._opens[day] = dict(self.market.open_auction(now))
        return opens

    def step(self, now: datetime, elapsed_seconds: float) -> Sequence[Quote]:
        """Move on to ``now``: at most the time since the last step, whoever asked for that one."""
        last = self._stepped_to
        if last is not None and now <= last:
            if self._last_step is not None and self._last_step[0] == now:
                return self._last_step[1]
            return ()
        if last is not None:
            elapsed_seconds = min(elapsed_seconds, (now - last).total_seconds())
        quotes = self.market.step(now, elapsed_seconds)
        self._stepped_to = now
        self._last_step = (now, quotes)
        return quotes

    def close_prices(self, day: date | None) -> Mapping[str, Decimal]:
        """The closing prices of ``day``: today's as they stand, an earlier day's as they were."""
        if day is None or day == self.day:
            return self.market.close_prices()
        return self._closes.get(day, {})


class PaperMarketView:
    """One exchange's handle on a shared market: the :class:`PaperMarket` port, with its own day."""

    def __init__(self, shared: SharedPaperMarket) -> None:
        self._shared = shared
        self._market = shared.market
        self.universe: Universe = shared.market.universe
        #: Where the quotes come from (``paper`` or ``xtdata``).
        self.source: str = shared.market.source
        #: The trading day of the exchange this view serves.
        self.day: date | None = None

    @property
    def fixed(self) -> bool:
        """Whether the book never moves by itself (volatility 0)."""
        return bool(getattr(self._market, "fixed", False))

    def add_listener(self, listener: QuoteListener) -> None:
        """Receive every new snapshot."""
        self._market.add_listener(listener)

    def quote(self, stock_code: str) -> Quote | None:
        """The current snapshot."""
        return self._market.quote(stock_code)

    def limits(self, stock_code: str) -> DailyLimits:
        """Today's limit prices."""
        return self._market.limits(stock_code)

    def start_day(self, day: date, now: datetime) -> None:
        """This exchange begins ``day`` (the market begins it once)."""
        self.day = day
        self._shared.start_day(day, now)

    def restore(self, state: DayState, code: str, now: datetime) -> None:
        """Put back a saved day state (once for the market)."""
        self._shared.restore(state, code, now)

    def states(self) -> Mapping[str, DayState]:
        """The day state of every instrument."""
        return self._market.states()

    def open_auction(self, now: datetime) -> Mapping[str, Decimal]:
        """This exchange's day's opening prices."""
        return self._shared.open_auction(self.day or now.date(), now)

    def step(self, now: datetime, elapsed_seconds: float) -> Sequence[Quote]:
        """The snapshots at ``now`` (made once for every exchange)."""
        return self._shared.step(now, elapsed_seconds)

    def close_prices(self) -> Mapping[str, Decimal]:
        """The closing prices of this exchange's day."""
        return self._shared.close_prices(self.day)

    def record_trade(self, code: str, price: Decimal, quantity: int) -> None:
        """A fill of this exchange counts in the day's volume for every account."""
        self._market.record_trade(code, price, quantity)

    def set_price(self, code: str, price: Decimal, now: datetime) -> Quote:
        """Move a price by hand; every account's exchange sees it."""
        return self._market.set_price(code, price, now)

    def close(self) -> None:
        """Nothing of its own to release: the desk closes the market once."""
