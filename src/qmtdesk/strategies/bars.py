"""Bars from quote snapshots: OHLC per fixed period, closed when a later period begins.

Periods are aligned to midnight Asia/Shanghai: with ``period_seconds=60`` a bar covers
``[10:00:00, 10:01:00)``. A quote belongs to the period containing ``quote.time``. A bar is
reported closed when the first quote of a *later* period arrives (or when :meth:`BarBuilder.close_due`
is called with a time past its end). Gaps make no bars: after the lunch break or overnight the
next quote closes the last bar before the gap and opens a new one — no empty or filler bars.

Only quotes showing a trade count (``last_price > 0`` and ``volume > 0``): call-auction snapshots
with nothing traded yet are skipped. Quotes older than the last one seen, or falling into a bar
already closed, are ignored.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.market.quotes import Quote

_DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Bar:
    """One closed (or forming) bar. ``volume`` is shares traded within it, from cumulative volume."""

    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    ticks: int

    def to_json(self) -> list[Any]:
        """A compact JSON form: ``[start, open, high, low, close, volume, ticks]``."""
        return [
            self.start.isoformat(),
            str(self.open),
            str(self.high),
            str(self.low),
            str(self.close),
            self.volume,
            self.ticks,
        ]

    @classmethod
    def from_json(cls, row: list[Any], period: timedelta) -> Bar:
        """Inverse of :meth:`to_json`."""
        start = datetime.fromisoformat(row[0])
        return cls(
            start, start + period, Decimal(row[1]), Decimal(row[2]), Decimal(row[3]), Decimal(row[4]), row[5], row[6]
        )


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


class BarBuilder:
    """Aggregate quote snapshots into ``period_seconds`` bars and keep the last ``history`` closed bars.

    Use :meth:`update` with every quote; it returns the bar that the quote closed, if any.
    :attr:`closes` lists the closes of the kept bars, oldest first, for indicators.
    """

    def __init__(self, period_seconds: int = 60, history: int = 250) -> None:
        if isinstance(period_seconds, bool) or not isinstance(period_seconds, int) or period_seconds <= 0:
            raise ValueError("period_seconds must be a positive integer")
        if period_seconds > _DAY_SECONDS:
            raise ValueError("period_seconds must be at most one day (86400)")
        if isinstance(history, bool) or not isinstance(history, int) or history <= 0:
            raise ValueError("history must be a positive integer")
        self.period_seconds = period_seconds
        self.period = timedelta(seconds=period_seconds)
        self.history = history
        self._bars: deque[Bar] = deque(maxlen=history)
        self._current: Bar | None = None
        self._last_time: datetime | None = None
        self._last_volume: int | None = None
        self._closed_until: datetime | None = None

    # ------------------------------------------------------------------------------ views
    @property
    def bars(self) -> list[Bar]:
        """Closed bars kept, oldest first."""
        return list(self._bars)

    @property
    def closes(self) -> list[Decimal]:
        """Closes of the kept bars, oldest first."""
        return [bar.close for bar in self._bars]

    @property
    def current(self) -> Bar | None:
        """The bar still forming, if any."""
        return self._current

    def bucket(self, moment: datetime) -> datetime:
        """Start of the period containing ``moment`` (Asia/Shanghai, aligned to midnight)."""
        local = _local(moment)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (local - midnight) // timedelta(seconds=1)
        return midnight + timedelta(seconds=elapsed - elapsed % self.period_seconds)

    # ------------------------------------------------------------------------------ feeding
    def update(self, quote: Quote) -> Bar | None:
        """Add ``quote``; return the bar it closed (the quote opens the next one), else ``None``."""
        if quote.last_price <= 0 or quote.volume <= 0:
            return None
        moment = _local(quote.time)
        if self._last_time is not None and moment < self._last_time:
            return None
        if self._closed_until is not None and moment < self._closed_until:
            return None
        delta = self._volume_delta(quote.volume)
        self._last_time = moment
        price = quote.last_price
        start = self.bucket(moment)
        current = self._current
        if current is not None and start == current.start:
            self._current = Bar(
                current.start,
                current.end,
                current.open,
                max(current.high, price),
                min(current.low, price),
                price,
                current.volume + delta,
                current.ticks + 1,
            )
            return None
        closed = self._close() if current is not None else None
        self._current = Bar(start, start + self.period, price, price, price, price, delta, 1)
        return closed

    def close_due(self, now: datetime) -> Bar | None:
        """Close the forming bar if ``now`` is at or past its end (no quote needed); return it."""
        if self._current is None or _local(now) < self._current.end:
            return None
        return self._close()

    def _close(self) -> Bar:
        bar = self._current
        assert bar is not None
        self._bars.append(bar)
        self._closed_until = bar.end
        self._current = None
        return bar

    def _volume_delta(self, cumulative: int) -> int:
        previous = self._last_volume
        self._last_volume = cumulative
        if previous is None:
            return 0
        if cumulative < previous:  # a new trading day: the counter restarted
            return cumulative
        return cumulative - previous

    # ------------------------------------------------------------------------------ persistence
    def state(self) -> dict[str, Any]:
        """JSON-serialisable state (kept bars, the forming bar, the last quote seen)."""
        return {
            "period_seconds": self.period_seconds,
            "bars": [bar.to_json() for bar in self._bars],
            "current": self._current.to_json() if self._current is not None else None,
            "last_time": self._last_time.isoformat() if self._last_time is not None else None,
            "last_volume": self._last_volume,
            "closed_until": self._closed_until.isoformat() if self._closed_until is not None else None,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Load :meth:`state` output. State saved with another period is ignored (bars would not fit)."""
        if state.get("period_seconds") != self.period_seconds:
            return
        self._bars = deque((Bar.from_json(row, self.period) for row in state.get("bars", [])), maxlen=self.history)
        current = state.get("current")
        self._current = Bar.from_json(current, self.period) if current else None
        last_time = state.get("last_time")
        self._last_time = datetime.fromisoformat(last_time) if last_time else None
        self._last_volume = state.get("last_volume")
        closed_until = state.get("closed_until")
        self._closed_until = datetime.fromisoformat(closed_until) if closed_until else None
