"""Trading days and market phases.

Trading days come from exchange_calendars' XSHG (SSE, SZSE and BSE share one calendar) where it has
data, then from a bundled override file of later years, then from a user file; beyond any known
year every weekday is a trading day and a warning says so once per year.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import API_PHASE, Phase, phase_at, schedule_for

log = logging.getLogger(__name__)

CALENDAR_START = date(2005, 1, 1)


@dataclass(frozen=True, slots=True)
class Closure:
    """A weekday on which the exchanges are closed."""

    day: date
    name: str
    status: str  # official | provisional | user


def read_closures(lines: Iterable[str], default_status: str = "user") -> list[Closure]:
    """Parse a holiday CSV (``date,name[,status]``; ``#`` lines are comments)."""
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    closures = []
    for row in csv.DictReader(rows):
        closures.append(
            Closure(
                date.fromisoformat(row["date"].strip()),
                (row.get("name") or "").strip(),
                (row.get("status") or default_status).strip(),
            )
        )
    return closures


def bundled_closures() -> list[Closure]:
    """The closures shipped with qmtdesk for years after XSHG's data."""
    text = resources.files("qmtdesk.domain").joinpath("data/holidays.csv").read_text("utf-8")
    return read_closures(text.splitlines(), "official")


def xshg_sessions(start: date = CALENDAR_START) -> tuple[frozenset[date], date]:
    """Trading days known to exchange_calendars' XSHG from ``start`` and its last covered day."""
    import exchange_calendars  # imported lazily: it pulls in pandas

    cal = exchange_calendars.get_calendar("XSHG", start=start.isoformat())
    days = frozenset(ts.date() for ts in cal.sessions)
    return days, cal.last_session.date()


@dataclass
class TradingCalendar:
    """Answers which days are trading days, with explicit coverage.

    ``sessions``/``covered_until`` come from XSHG; ``closures`` add closed weekdays for any year (the
    bundled file for later years, a user's file for anything). Years after ``covered_until`` that
    no closure mentions fall back to weekdays only.
    """

    sessions: frozenset[date]
    covered_from: date
    covered_until: date
    closures: dict[date, Closure] = field(default_factory=dict)
    _warned_years: set[int] = field(default_factory=set, repr=False)

    @classmethod
    def load(cls, user_file: Path | None = None) -> TradingCalendar:
        """XSHG + the bundled override file + an optional user holiday file."""
        sessions, until = xshg_sessions()
        closures = {c.day: c for c in bundled_closures()}
        if user_file is not None and user_file.exists():
            closures |= {c.day: c for c in read_closures(user_file.read_text("utf-8").splitlines())}
        return cls(sessions, CALENDAR_START, until, closures)

    @property
    def known_years(self) -> set[int]:
        """Years after XSHG's data that a closure file describes."""
        return {d.year for d in self.closures if d > self.covered_until}

    def is_trading_day(self, day: date) -> bool:
        """Whether the exchanges trade on ``day``."""
        if day in self.closures:
            return False
        if self.covered_from <= day <= self.covered_until:
            return day in self.sessions
        if day > self.covered_until and day.year not in self.known_years and day.year not in self._warned_years:
            self._warned_years.add(day.year)
            log.warning(
                "no holiday data for %s: treating every weekday as a trading day; add the year's "
                "closures to a holiday file (QMTDESK_HOLIDAYS_FILE)",
                day.year,
            )
        return day.weekday() < 5

    def is_provisional(self, day: date) -> bool:
        """Whether ``day``'s status rests on provisional or missing data."""
        if self.covered_from <= day <= self.covered_until:
            return False
        closure_statuses = {c.status for c in self.closures.values() if c.day.year == day.year}
        return not closure_statuses or "provisional" in closure_statuses

    def next_trading_day(self, day: date) -> date:
        """The first trading day strictly after ``day``."""
        d = day + timedelta(days=1)
        while not self.is_trading_day(d):
            d += timedelta(days=1)
        return d

    def previous_trading_day(self, day: date) -> date:
        """The last trading day strictly before ``day``."""
        d = day - timedelta(days=1)
        while not self.is_trading_day(d):
            d -= timedelta(days=1)
        return d

    def trading_day_of(self, day: date) -> date:
        """``day`` itself when it trades, else the next trading day (where a weekend order lands)."""
        return day if self.is_trading_day(day) else self.next_trading_day(day)

    def trading_days_between(self, first: date, last: date) -> int:
        """Number of trading days in ``[first, last]``."""
        count, d = 0, first
        while d <= last:
            count += self.is_trading_day(d)
            d += timedelta(days=1)
        return count

    def listing_day_number(self, list_date: date | None, day: date) -> int | None:
        """1 on the listing day, 2 on the next trading day…; ``None`` if unknown or before listing.

        Counting stops past 30 days, where no listing rule applies any more.
        """
        if list_date is None or day < list_date:
            return None
        if (day - list_date).days > 30:
            return None
        return self.trading_days_between(list_date, day)

    def phase(self, moment: datetime, instrument: Instrument | None = None) -> Phase:
        """The trading phase at ``moment`` for ``instrument`` (stocks in general when ``None``)."""
        local = moment.astimezone(SHANGHAI)
        if not self.is_trading_day(local.date()):
            return Phase.CLOSED
        return phase_at(local.time(), schedule_for(instrument, local.date()))

    def api_phase(self, moment: datetime) -> str:
        """The market phase name of API.md (closed, pre_open, opening_auction, …)."""
        return API_PHASE[self.phase(moment)]
