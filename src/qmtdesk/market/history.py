"""Bars for the charts: today's one-minute bars and the daily K-line.

Live (xtdata) desks ask MiniQMT for its history; a paper desk builds its own: one-minute bars from
the simulated quotes as they arrive, daily bars from the days its market closed (stored), with a
seeded random walk filling the days before the desk's first, so a new desk's K-line is not empty.
Today's daily bar is always the forming one, from the current quote.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.rules import price_tick, round_to_tick
from qmtdesk.market.quotes import Quote
from qmtdesk.market.service import MarketService
from qmtdesk.market.simulator import DayState

log = logging.getLogger(__name__)

#: The first one-minute bar starts at 9:30 and takes the opening auction's print (9:25) with it.
_FIRST_MINUTE = time(9, 30)
_MORNING_LAST = time(11, 29)
_AFTERNOON_FIRST = time(13, 0)
_LAST_MINUTE = time(14, 59)
_AUCTION_PRINT = time(9, 25)
#: Days of daily history a paper desk invents before its first stored day, at most.
MAX_SIMULATED_DAYS = 500
#: Daily volatility and share turnover of the invented history.
_DAILY_SIGMA = 0.018
_MEAN_DAILY_VOLUME = 8_000_000


@dataclass(frozen=True, slots=True)
class Candle:
    """One bar: ``time`` is the minute's start (one-minute bars) or the day (daily bars)."""

    time: datetime | date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    amount: Decimal
    #: The day's reference price (daily bars the desk stored; not shown).
    prev_close: Decimal | None = None


def trading_minute(moment: datetime) -> datetime | None:
    """The one-minute bar a quote at ``moment`` belongs to (Asia/Shanghai), ``None`` outside the sessions.

    The opening auction's print joins the 9:30 bar, the 11:30 and 15:00 prints the session's last bar."""
    local = moment.astimezone(SHANGHAI)
    minute = local.replace(second=0, microsecond=0)
    clock = minute.time()
    if clock < _AUCTION_PRINT or clock > time(15, 0):
        return None
    if clock < _FIRST_MINUTE:
        return minute.replace(hour=9, minute=30)
    if _MORNING_LAST < clock < _AFTERNOON_FIRST:
        if clock > time(11, 30):
            return None  # the lunch break prints nothing
        return minute.replace(hour=11, minute=29)
    if clock > _LAST_MINUTE:
        return minute.replace(hour=14, minute=59)
    return minute


class _Minutes:
    """One instrument's one-minute bars of one day, built from cumulative volume and amount."""

    __slots__ = ("amount", "bars", "day", "volume")

    def __init__(self, day: date, volume: int, amount: Decimal) -> None:
        self.day = day
        self.bars: list[list[Any]] = []  # [start, open, high, low, close, volume, amount]
        self.volume = volume
        self.amount = amount

    def add(self, minute: datetime, quote: Quote) -> None:
        volume = max(quote.volume - self.volume, 0)
        amount = max(quote.amount - self.amount, Decimal(0))
        self.volume, self.amount = quote.volume, quote.amount
        px = quote.last_price
        last = self.bars[-1] if self.bars else None
        if last is not None and last[0] == minute:
            last[2], last[3], last[4] = max(last[2], px), min(last[3], px), px
            last[5] += volume
            last[6] += amount
        elif last is None or minute > last[0]:
            self.bars.append([minute, px, px, px, px, volume, amount])
        else:  # a late snapshot: its price belongs to a closed minute, its volume to the day's total
            last[5] += volume
            last[6] += amount


class MinuteRecorder:
    """Today's one-minute bars of every instrument whose quotes arrive (a quote listener).

    Quotes may arrive on a quote source's own thread, so the bars sit behind a lock."""

    def __init__(self) -> None:
        self._codes: dict[str, _Minutes] = {}
        self._lock = threading.Lock()

    def __call__(self, quote: Quote) -> None:
        if quote.last_price <= 0:
            return
        minute = trading_minute(quote.time)
        if minute is None:
            return
        with self._lock:
            day = self._codes.get(quote.stock_code)
            if day is None or day.day != minute.date():
                # Volume before the first quote we saw traded before we listened: not in any bar.
                start_volume = quote.volume if minute.time() > _FIRST_MINUTE else 0
                start_amount = quote.amount if start_volume else Decimal(0)
                day = self._codes[quote.stock_code] = _Minutes(minute.date(), start_volume, start_amount)
            day.add(minute, quote)

    def bars(self, stock_code: str, day: date) -> list[Candle]:
        """The one-minute bars of ``stock_code`` on ``day`` so far, oldest first."""
        with self._lock:
            minutes = self._codes.get(stock_code)
            rows = [list(r) for r in minutes.bars] if minutes is not None and minutes.day == day else []
        return [Candle(*r) for r in rows]


def simulated_days(
    stock_code: str, days: Sequence[date], last_close: Decimal, tick: Decimal, limit: Decimal | None
) -> list[Candle]:
    """A seeded random walk of daily bars over ``days`` whose last close is ``last_close``.

    The same code, days and close give the same bars on every run and every machine; daily moves
    stay inside ``limit`` (a fraction) when there is one."""
    rng = random.Random(zlib.crc32(f"{stock_code}:{days[-1] if days else ''}".encode()))
    cap = float(limit) * 0.98 if limit else 0.3
    out: list[Candle] = []
    close = float(last_close)
    for day in reversed(days):
        move = max(-cap, min(cap, rng.gauss(0, _DAILY_SIGMA)))
        prev = close / (1 + move)
        open_ = prev * (1 + max(-cap, min(cap, rng.gauss(0, _DAILY_SIGMA / 3))))
        high = max(open_, close) * (1 + abs(rng.gauss(0, _DAILY_SIGMA / 2)))
        low = min(open_, close) * (1 - abs(rng.gauss(0, _DAILY_SIGMA / 2)))
        high, low = min(high, prev * (1 + cap)), max(low, prev * (1 - cap))
        volume = int(_MEAN_DAILY_VOLUME * math.exp(rng.gauss(0, 0.4))) // 100 * 100
        prices = [_on_tick(p, tick) for p in (open_, high, low, close)]
        o, h, c = prices[0], max(prices), prices[3]
        low_px = min(prices)
        out.append(Candle(day, o, h, low_px, c, volume, (Decimal(volume) * (h + low_px) / 2).quantize(Decimal("0.01"))))
        close = prev
    out.reverse()
    return out


def _on_tick(value: float, tick: Decimal) -> Decimal:
    return max(round_to_tick(Decimal(str(round(value, 6))), tick), tick)


class BarHistory:
    """Answers the chart routes: one-minute bars of today and the daily K-line of an instrument."""

    def __init__(
        self,
        market: MarketService,
        calendar: TradingCalendar,
        recorder: MinuteRecorder,
        stored_days: Callable[[str, int], list[Candle]],
        *,
        live: Any = None,
        simulate_history: bool = True,
    ) -> None:
        self.market = market
        self.calendar = calendar
        self.recorder = recorder
        self.stored_days = stored_days
        #: A source with ``history(code, period, count)`` (xtdata), asked first when present.
        self.live = live
        self.simulate_history = simulate_history

    def minutes(self, stock_code: str, today: date, count: int) -> list[Candle]:
        """Today's one-minute bars (the last ``count``)."""
        live = self._live(stock_code, "1m", count)
        if live is not None:
            bars = [b for b in live if isinstance(b.time, datetime) and b.time.date() == today]
        else:
            bars = self.recorder.bars(stock_code, today)
        return bars[-count:]

    def days(self, stock_code: str, today: date, count: int) -> list[Candle]:
        """The last ``count`` daily bars up to and including today's forming bar."""
        live = self._live(stock_code, "1d", count)
        if live is not None:
            return live[-count:]
        bars = [b for b in self.stored_days(stock_code, count) if isinstance(b.time, date) and b.time < today]
        quote = self.market.quote(stock_code)
        forming = _forming_day(quote, today)
        wanted = count - len(bars) - (1 if forming else 0)
        if forming is not None:
            bars.append(forming)
        if wanted > 0 and self.simulate_history and quote is not None:
            bars = self._invented(stock_code, quote, bars, today, min(wanted, MAX_SIMULATED_DAYS)) + bars
        return bars[-count:]

    def _invented(self, code: str, quote: Quote, known: list[Candle], today: date, n: int) -> list[Candle]:
        # The invented days end at the first real day's reference price, so they read the same
        # before and after that day is stored.
        first = known[0].time if known else today
        anchor = (known[0].prev_close or known[0].open) if known else quote.prev_close
        assert isinstance(first, date)
        days: list[date] = []
        day = first
        while len(days) < n:
            day = self.calendar.previous_trading_day(day)
            days.append(day)
        days.reverse()
        instrument = self.market.instrument(code)
        limit = None
        if quote.limit_up is not None and quote.prev_close > 0:
            limit = quote.limit_up / quote.prev_close - 1
        return simulated_days(code, days, anchor, price_tick(instrument), limit)

    def _live(self, code: str, period: str, count: int) -> list[Candle] | None:
        if self.live is None:
            return None
        try:
            return list(self.live.history(code, period, count))
        except Exception:  # a live source without history (no pandas, old MiniQMT): fall back
            log.warning("no %s history from the live source for %s", period, code, exc_info=True)
            return None


def _forming_day(quote: Quote | None, today: date) -> Candle | None:
    """Today's daily bar from the current quote, once the day has an opening price."""
    if quote is None or quote.open is None or quote.time.astimezone(SHANGHAI).date() != today:
        return None
    high = quote.high if quote.high is not None else quote.last_price
    low = quote.low if quote.low is not None else quote.last_price
    return Candle(today, quote.open, high, low, quote.last_price, quote.volume, quote.amount)


def closed_day_candles(
    states: Mapping[str, DayState], day: date, quote: Callable[[str], Quote | None]
) -> list[tuple[str, Candle]]:
    """The daily bars of a simulated market's closed day, from its day states and last quotes."""
    out = []
    for code, s in states.items():
        last_quote = quote(code)
        if s.day != day or last_quote is None:
            continue
        open_ = s.open if s.open is not None else s.last
        high = s.high if s.high is not None else max(open_, s.last)
        low = s.low if s.low is not None else min(open_, s.last)
        out.append((code, Candle(day, open_, high, low, s.last, s.volume, s.amount, last_quote.prev_close)))
    return out
