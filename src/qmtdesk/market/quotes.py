"""Quote snapshots with a five-level book, and the port every quote source implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Protocol

from qmtdesk.domain.validation import BookView


@dataclass(frozen=True, slots=True)
class Level:
    """One price level of the book."""

    price: Decimal
    volume: int


@dataclass(frozen=True)
class Quote:
    """A snapshot of one instrument. ``bids``/``asks`` are best first; empty at a limit."""

    stock_code: str
    stock_name: str
    prev_close: Decimal
    last_price: Decimal
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    volume: int
    amount: Decimal
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    limit_up: Decimal | None
    limit_down: Decimal | None
    time: datetime
    source: str

    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid, or ``None`` when there is none (limit-down)."""
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask, or ``None`` when there is none (limit-up)."""
        return self.asks[0].price if self.asks else None

    @property
    def traded_today(self) -> bool:
        """Whether anything has traded today (the cage falls back to prev_close otherwise)."""
        return self.volume > 0

    def book_view(self) -> BookView:
        """What pre-trade validation needs of this quote (built once per snapshot)."""
        return self._book_view

    @cached_property
    def _book_view(self) -> BookView:
        return BookView(
            prev_close=self.prev_close,
            best_bid=self.best_bid,
            best_ask=self.best_ask,
            last_trade=self.last_price if self.traded_today else None,
        )


QuoteListener = Callable[[Quote], None]


class QuoteProvider(Protocol):
    """A source of quote snapshots (simulated for paper, xtdata for live)."""

    source: str

    def quote(self, stock_code: str) -> Quote | None:
        """The latest snapshot of ``stock_code``, or ``None`` when unknown."""
        ...

    def add_listener(self, listener: QuoteListener) -> None:
        """Call ``listener`` with every new snapshot."""
        ...

    def close(self) -> None:
        """Stop whatever the source runs (subscriptions, polling threads)."""
        ...
