"""Injected time. Domain code never reads the wall clock itself."""

from __future__ import annotations

import threading
import time as _time
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """A source of the current time, timezone-aware in Asia/Shanghai."""

    #: Whether the time is simulated (it can be set and moved forward) rather than the wall clock's.
    simulated: bool

    def now(self) -> datetime:
        """The current moment."""
        ...


class SystemClock:
    """The real wall clock in Asia/Shanghai."""

    simulated = False

    def now(self) -> datetime:
        """The current wall-clock time."""
        return datetime.now(SHANGHAI)


class SimulatedClock:
    """Starts at a given moment, then runs at real speed; can be moved forward (never back).

    Used by the paper exchange (``QMTDESK_PAPER_CLOCK=<ISO datetime>``) and by tests. With
    ``running=False`` it stands still until advanced, which makes tests exact.
    """

    simulated = True

    def __init__(self, start: datetime, *, running: bool = True) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=SHANGHAI)
        self._base = start.astimezone(SHANGHAI)
        self._running = running
        self._mono = _time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The simulated current time."""
        with self._lock:
            if not self._running:
                return self._base
            return self._base + timedelta(seconds=_time.monotonic() - self._mono)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``; refuses to move backwards."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)
        with self._lock:
            current = (
                self._base if not self._running else self._base + timedelta(seconds=_time.monotonic() - self._mono)
            )
            if moment < current:
                raise ValueError(f"the clock cannot go back from {current.isoformat()} to {moment.isoformat()}")
            self._base = moment.astimezone(SHANGHAI)
            self._mono = _time.monotonic()

    def advance_to(self, moment: datetime) -> datetime:
        """Move forward to ``moment``, or stay where the clock already is if it is later; returns the time."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)
        with self._lock:
            current = (
                self._base if not self._running else self._base + timedelta(seconds=_time.monotonic() - self._mono)
            )
            self._base = max(current, moment.astimezone(SHANGHAI))
            self._mono = _time.monotonic()
            return self._base

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        target = self.now() + delta
        self.set(target)
        return target
