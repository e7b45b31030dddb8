"""What the paper exchange needs of its market: the port both paper quote sources implement.

:class:`~qmtdesk.market.simulator.SimulatedMarket` (a seeded random walk) and
:class:`~qmtdesk.market.xtdata_paper.XtDataPaperMarket` (MiniQMT's live quotes) implement it. The
exchange drives the market (day start, opening auction, continuous steps, close) and matches its
orders against the snapshots the market returns; :class:`~qmtdesk.brokers.paper.store.SqlPaperStore`
saves the per-instrument :class:`DayState` so a restart continues the day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from qmtdesk.domain.validation import DailyLimits
from qmtdesk.market.quotes import Quote, QuoteProvider
from qmtdesk.market.simulator import DayState
from qmtdesk.market.universe import Universe

__all__ = ["DayState", "PaperMarket"]


class PaperMarket(QuoteProvider, Protocol):
    """A quote source the paper exchange can drive (and the desk's quote provider in paper mode)."""

    #: The instruments the exchange trades; their reference prices move at each day roll.
    universe: Universe

    def limits(self, stock_code: str) -> DailyLimits:
        """Today's limit prices of ``stock_code`` (a code of the universe, after :meth:`start_day`)."""
        ...

    def start_day(self, day: date, now: datetime) -> None:
        """Begin ``day``: limits from each instrument's reference price, nothing traded yet."""
        ...

    def restore(self, state: DayState, code: str, now: datetime) -> None:
        """Put back a persisted day state of ``code`` (after :meth:`start_day` of the same day)."""
        ...

    def states(self) -> Mapping[str, DayState]:
        """The day state of every instrument, for persistence."""
        ...

    def open_auction(self, now: datetime) -> Mapping[str, Decimal]:
        """The 9:25 opening prices (instruments without one are left out)."""
        ...

    def step(self, now: datetime, elapsed_seconds: float) -> Sequence[Quote]:
        """Move on to ``now`` in continuous trading; the new snapshots (resting orders are matched on them)."""
        ...

    def close_prices(self) -> Mapping[str, Decimal]:
        """Each instrument's closing price (the closing uncross, and the next day's reference price)."""
        ...

    def record_trade(self, code: str, price: Decimal, quantity: int) -> None:
        """Count a paper fill in the day's volume and amount."""
        ...

    def set_price(self, code: str, price: Decimal, now: datetime) -> Quote:
        """Move an instrument's price by hand (scripted scenarios); live sources refuse."""
        ...
