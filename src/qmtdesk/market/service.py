"""Instruments and quotes for the rest of the desk, whichever source provides them."""

from __future__ import annotations

from decimal import Decimal

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError, UnknownInstrument
from qmtdesk.domain.instruments import Instrument, classify
from qmtdesk.domain.rules import cage_bounds, cage_row, price_tick
from qmtdesk.market.quotes import Quote, QuoteProvider
from qmtdesk.market.universe import Universe


class MarketService:
    """Looks instruments up in the universe and quotes up in the provider."""

    def __init__(self, universe: Universe, quotes: QuoteProvider) -> None:
        self.universe = universe
        self.quotes = quotes
        # Live quote sources describe instruments themselves (names, limits, suspension).
        self._lookup = getattr(quotes, "instrument", None)

    @property
    def source(self) -> str:
        """Where quotes come from (``paper`` or ``xtdata``)."""
        return self.quotes.source

    def instrument(self, code: str) -> Instrument:
        """The instrument of a code in any spelling (INVALID_STOCK_CODE / UNKNOWN_INSTRUMENT otherwise)."""
        if self._lookup is not None:
            return self._lookup(code)  # type: ignore[no-any-return]
        return self.universe.get(code)

    def quote(self, code: str) -> Quote | None:
        """The latest snapshot of a normalised code."""
        return self.quotes.quote(code)

    def last_price(self, code: str) -> Decimal | None:
        """The last price of a normalised code, None without a quote."""
        quote = self.quotes.quote(code)
        return quote.last_price if quote is not None else None

    def quote_for(self, raw_code: str) -> Quote:
        """The snapshot of a code in any spelling; UNKNOWN_INSTRUMENT when there is none."""
        code = classify(raw_code).code
        self.instrument(code)
        quote = self.quotes.quote(code)
        if quote is None:
            raise UnknownInstrument(code)
        return quote

    def cage(self, quote: Quote) -> tuple[Decimal, Decimal] | None:
        """(highest buy price, lowest sell price) the price cage accepts against ``quote``, inside the
        daily limits; ``None`` where no cage applies (funds, bonds) or the instrument is unknown."""
        try:
            instrument = self.instrument(quote.stock_code)
        except DeskError:
            return None
        row = cage_row(instrument, quote.time.astimezone(SHANGHAI).date())
        if row is None:
            return None
        buy_max, sell_min = cage_bounds(row, quote.book_view().cage_book(), price_tick(instrument))
        if quote.limit_up is not None:
            buy_max = min(buy_max, quote.limit_up)
        if quote.limit_down is not None:
            sell_min = max(sell_min, quote.limit_down)
        return buy_max, sell_min

    def search(self, query: str, limit: int = 20) -> list[Instrument]:
        """Instruments by code prefix or name."""
        return self.universe.search(query, limit)
