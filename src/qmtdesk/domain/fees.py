"""Trading fees: broker commission (with a per-order minimum), stamp duty and transfer fee, dated.

Fees of an order are a function of its cumulative traded amount, so each fill is charged the
difference between the order's fees after and before it: the commission minimum is charged once per
order, never once per fill, and the sum over fills equals the fee of the whole order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from qmtdesk.domain.instruments import Board, Kind
from qmtdesk.domain.rules import BEGINNING, FOREVER

FEN = Decimal("0.01")
ZERO = Decimal(0)


class Side(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"


def to_fen(amount: Decimal) -> Decimal:
    """Round half-up to 0.01 CNY, as statements do per fee item."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class RateRow:
    """A fee rate on the traded value for some kinds and sides, in a date range."""

    kinds: frozenset[Kind]
    sides: frozenset[Side]
    rate: Decimal
    since: date = BEGINNING
    until: date = FOREVER
    boards: frozenset[Board] | None = None


_EQUITY = frozenset({Kind.STOCK, Kind.CDR})
_BOTH = frozenset({Side.BUY, Side.SELL})
_SELL = frozenset({Side.SELL})

#: 印花税: both sides until 2008-09-18 (0.3% from 2007-05-30, 0.1% from 2008-04-24), sell side only
#: since 2008-09-19, halved on 2023-08-28. Funds and bonds are exempt.
STAMP_DUTY: tuple[RateRow, ...] = (
    RateRow(_EQUITY, _BOTH, Decimal("0.001"), until=date(2007, 5, 29)),
    RateRow(_EQUITY, _BOTH, Decimal("0.003"), since=date(2007, 5, 30), until=date(2008, 4, 23)),
    RateRow(_EQUITY, _BOTH, Decimal("0.001"), since=date(2008, 4, 24), until=date(2008, 9, 18)),
    RateRow(_EQUITY, _SELL, Decimal("0.001"), since=date(2008, 9, 19), until=date(2023, 8, 27)),
    RateRow(_EQUITY, _SELL, Decimal("0.0005"), since=date(2023, 8, 28)),
)

#: 过户费 (CSDC): both sides on shares of every exchange; halved on 2022-04-29.
TRANSFER_FEE: tuple[RateRow, ...] = (
    RateRow(_EQUITY, _BOTH, Decimal("0.00002"), until=date(2022, 4, 28)),
    RateRow(_EQUITY, _BOTH, Decimal("0.00001"), since=date(2022, 4, 29)),
)

_SSE_SZSE = frozenset(set(Board) - {Board.BSE})
_BSE = frozenset({Board.BSE})
_LISTED_FUNDS = _EQUITY | {Kind.ETF, Kind.LOF}

#: Exchange handling fee (经手费) and regulatory fee (证管费); normally inside the quoted commission.
HANDLING_FEE: tuple[RateRow, ...] = (
    RateRow(_LISTED_FUNDS, _BOTH, Decimal("0.0000487"), until=date(2023, 8, 27), boards=_SSE_SZSE),
    RateRow(_LISTED_FUNDS, _BOTH, Decimal("0.0000341"), since=date(2023, 8, 28), boards=_SSE_SZSE),
    RateRow(_EQUITY, _BOTH, Decimal("0.00025"), until=date(2023, 8, 27), boards=_BSE),
    RateRow(_EQUITY, _BOTH, Decimal("0.000125"), since=date(2023, 8, 28), boards=_BSE),
)
REGULATORY_FEE: tuple[RateRow, ...] = (
    RateRow(_EQUITY, _BOTH, Decimal("0.00004"), until=date(2011, 12, 31)),
    RateRow(_EQUITY, _BOTH, Decimal("0.00002"), since=date(2012, 1, 1)),
)


#: Rates already looked up, by (id of the table, kind, side, board, day): a handful a day, asked per fill.
_RATES: dict[tuple[int, Kind, Side, Board, date], Decimal] = {}


def _rate(table: tuple[RateRow, ...], kind: Kind, side: Side, board: Board, day: date) -> Decimal:
    key = (id(table), kind, side, board, day)  # the tables are module constants: their ids are stable
    rate = _RATES.get(key)
    if rate is None:
        if len(_RATES) > 100_000:
            _RATES.clear()
        rate = _RATES[key] = _find_rate(table, kind, side, board, day)
    return rate


def _find_rate(table: tuple[RateRow, ...], kind: Kind, side: Side, board: Board, day: date) -> Decimal:
    for row in table:
        if (
            kind in row.kinds
            and side in row.sides
            and row.since <= day <= row.until
            and (row.boards is None or board in row.boards)
        ):
            return row.rate
    return ZERO


@dataclass(frozen=True, slots=True)
class Fees:
    """Fees itemised as on a broker statement."""

    commission: Decimal = ZERO
    stamp_duty: Decimal = ZERO
    transfer_fee: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Sum of all items."""
        return self.commission + self.stamp_duty + self.transfer_fee

    def __sub__(self, other: Fees) -> Fees:
        return Fees(
            self.commission - other.commission,
            self.stamp_duty - other.stamp_duty,
            self.transfer_fee - other.transfer_fee,
        )

    def __add__(self, other: Fees) -> Fees:
        return Fees(
            self.commission + other.commission,
            self.stamp_duty + other.stamp_duty,
            self.transfer_fee + other.transfer_fee,
        )


NO_FEES = Fees()


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """A broker's fee profile.

    ``commission_includes_fees``: a quoted "万2.5" normally includes the exchange handling fee and
    the regulatory fee (含规费); brokers quoting 净佣金 add them on top.
    """

    commission_rate: Decimal = Decimal("0.00025")
    commission_min: Decimal = Decimal("5")
    commission_includes_fees: bool = True

    def order_fees(self, side: Side, kind: Kind, board: Board, amount: Decimal, day: date) -> Fees:
        """Fees of an order that has traded ``amount`` CNY in total (zero when nothing traded)."""
        if amount <= 0:
            return NO_FEES
        commission = to_fen(max(amount * self.commission_rate, self.commission_min))
        if not self.commission_includes_fees:
            commission += to_fen(amount * _rate(HANDLING_FEE, kind, side, board, day))
            commission += to_fen(amount * _rate(REGULATORY_FEE, kind, side, board, day))
        return Fees(
            commission=commission,
            stamp_duty=to_fen(amount * _rate(STAMP_DUTY, kind, side, board, day)),
            transfer_fee=to_fen(amount * _rate(TRANSFER_FEE, kind, side, board, day)),
        )

    def fill_fees(
        self, side: Side, kind: Kind, board: Board, traded_before: Decimal, fill_amount: Decimal, day: date
    ) -> Fees:
        """Fees charged for one fill: the order's fees after it minus its fees before it."""
        after = self.order_fees(side, kind, board, traded_before + fill_amount, day)
        before = self.order_fees(side, kind, board, traded_before, day)
        return after - before
