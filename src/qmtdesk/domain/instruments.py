"""Stock codes: normalisation to ``600000.SH`` style and classification by exchange, board and kind.

The prefix tables follow reference/a-share-rules.md §1. Classification is data: a table of
(exchange, prefix) rows, longest prefix wins.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from qmtdesk.domain.errors import InvalidStockCode


class Exchange(StrEnum):
    """The three A-share exchanges, in xtquant suffix style."""

    SH = "SH"
    SZ = "SZ"
    BJ = "BJ"


class Board(StrEnum):
    """Market segment whose rules apply to an instrument (lots, limits, cage)."""

    SSE_MAIN = "sse_main"
    STAR = "star"
    SZSE_MAIN = "szse_main"
    CHINEXT = "chinext"
    BSE = "bse"
    FUND = "fund"
    BOND = "bond"
    INDEX = "index"
    B_SHARE = "b_share"
    OTHER = "other"


class Kind(StrEnum):
    """What sort of security a code is."""

    STOCK = "stock"
    CDR = "cdr"
    ETF = "etf"
    LOF = "lof"
    REIT = "reit"
    CLOSED_FUND = "closed_fund"
    CONVERTIBLE_BOND = "convertible_bond"
    EXCHANGEABLE_BOND = "exchangeable_bond"
    BOND = "bond"
    REPO = "repo"
    INDEX = "index"
    B_SHARE = "b_share"
    SUBSCRIPTION = "subscription"
    LEGACY = "legacy"


#: Kinds an order can be placed for on the secondary market.
TRADABLE_KINDS = frozenset(
    {
        Kind.STOCK,
        Kind.CDR,
        Kind.ETF,
        Kind.LOF,
        Kind.REIT,
        Kind.CLOSED_FUND,
        Kind.CONVERTIBLE_BOND,
        Kind.EXCHANGEABLE_BOND,
    }
)

FUND_KINDS = frozenset({Kind.ETF, Kind.LOF, Kind.REIT, Kind.CLOSED_FUND})
BOND_KINDS = frozenset({Kind.CONVERTIBLE_BOND, Kind.EXCHANGEABLE_BOND, Kind.BOND})
EQUITY_KINDS = frozenset({Kind.STOCK, Kind.CDR})

# (exchange, prefix, board, kind). Longest matching prefix wins within an exchange.
_PREFIX_TABLE: tuple[tuple[Exchange, str, Board, Kind], ...] = (
    # SSE
    (Exchange.SH, "600", Board.SSE_MAIN, Kind.STOCK),
    (Exchange.SH, "601", Board.SSE_MAIN, Kind.STOCK),
    (Exchange.SH, "603", Board.SSE_MAIN, Kind.STOCK),
    (Exchange.SH, "605", Board.SSE_MAIN, Kind.STOCK),
    (Exchange.SH, "688", Board.STAR, Kind.STOCK),
    (Exchange.SH, "689", Board.STAR, Kind.CDR),
    (Exchange.SH, "900", Board.B_SHARE, Kind.B_SHARE),
    (Exchange.SH, "510", Board.FUND, Kind.ETF),
    (Exchange.SH, "511", Board.FUND, Kind.ETF),
    (Exchange.SH, "512", Board.FUND, Kind.ETF),
    (Exchange.SH, "513", Board.FUND, Kind.ETF),
    (Exchange.SH, "515", Board.FUND, Kind.ETF),
    (Exchange.SH, "516", Board.FUND, Kind.ETF),
    (Exchange.SH, "517", Board.FUND, Kind.ETF),
    (Exchange.SH, "518", Board.FUND, Kind.ETF),
    (Exchange.SH, "520", Board.FUND, Kind.ETF),
    (Exchange.SH, "530", Board.FUND, Kind.ETF),
    (Exchange.SH, "560", Board.FUND, Kind.ETF),
    (Exchange.SH, "561", Board.FUND, Kind.ETF),
    (Exchange.SH, "562", Board.FUND, Kind.ETF),
    (Exchange.SH, "563", Board.FUND, Kind.ETF),
    (Exchange.SH, "588", Board.FUND, Kind.ETF),
    (Exchange.SH, "501", Board.FUND, Kind.LOF),
    (Exchange.SH, "502", Board.FUND, Kind.LOF),
    (Exchange.SH, "506", Board.FUND, Kind.LOF),
    (Exchange.SH, "508", Board.FUND, Kind.REIT),
    (Exchange.SH, "110", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SH, "111", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SH, "113", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SH, "118", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SH, "132", Board.BOND, Kind.EXCHANGEABLE_BOND),
    (Exchange.SH, "010", Board.BOND, Kind.BOND),
    (Exchange.SH, "019", Board.BOND, Kind.BOND),
    (Exchange.SH, "204", Board.OTHER, Kind.REPO),
    (Exchange.SH, "000", Board.INDEX, Kind.INDEX),
    (Exchange.SH, "7", Board.OTHER, Kind.SUBSCRIPTION),
    # SZSE
    (Exchange.SZ, "000", Board.SZSE_MAIN, Kind.STOCK),
    (Exchange.SZ, "001", Board.SZSE_MAIN, Kind.STOCK),
    (Exchange.SZ, "002", Board.SZSE_MAIN, Kind.STOCK),
    (Exchange.SZ, "003", Board.SZSE_MAIN, Kind.STOCK),
    (Exchange.SZ, "300", Board.CHINEXT, Kind.STOCK),
    (Exchange.SZ, "301", Board.CHINEXT, Kind.STOCK),
    (Exchange.SZ, "302", Board.CHINEXT, Kind.STOCK),
    (Exchange.SZ, "200", Board.B_SHARE, Kind.B_SHARE),
    (Exchange.SZ, "159", Board.FUND, Kind.ETF),
    (Exchange.SZ, "16", Board.FUND, Kind.LOF),
    (Exchange.SZ, "18", Board.FUND, Kind.CLOSED_FUND),
    (Exchange.SZ, "123", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SZ, "127", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SZ, "128", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.SZ, "10", Board.BOND, Kind.BOND),
    (Exchange.SZ, "11", Board.BOND, Kind.BOND),
    (Exchange.SZ, "131", Board.OTHER, Kind.REPO),
    (Exchange.SZ, "399", Board.INDEX, Kind.INDEX),
    (Exchange.SZ, "395", Board.INDEX, Kind.INDEX),
    # BSE: every listed share uses 920xxx since 2025-10-09; older codes are history only.
    (Exchange.BJ, "920", Board.BSE, Kind.STOCK),
    (Exchange.BJ, "899", Board.INDEX, Kind.INDEX),
    (Exchange.BJ, "810", Board.BOND, Kind.CONVERTIBLE_BOND),
    (Exchange.BJ, "43", Board.BSE, Kind.LEGACY),
    (Exchange.BJ, "83", Board.BSE, Kind.LEGACY),
    (Exchange.BJ, "87", Board.BSE, Kind.LEGACY),
    (Exchange.BJ, "88", Board.BSE, Kind.LEGACY),
)

# Exchange of a bare six-digit code. 920 is checked before the generic 9 -> SH (B shares), and a bare
# 000xxx is read as the SZSE stock: the SSE index of the same digits must be written 000001.SH.
_BARE_PREFIX_EXCHANGE: tuple[tuple[str, Exchange], ...] = (
    ("920", Exchange.BJ),
    ("4", Exchange.BJ),
    ("8", Exchange.BJ),
    ("6", Exchange.SH),
    ("5", Exchange.SH),
    ("9", Exchange.SH),
    ("7", Exchange.SH),
    ("110", Exchange.SH),
    ("111", Exchange.SH),
    ("113", Exchange.SH),
    ("118", Exchange.SH),
    ("132", Exchange.SH),
    ("010", Exchange.SH),
    ("019", Exchange.SH),
    ("204", Exchange.SH),
    ("0", Exchange.SZ),
    ("1", Exchange.SZ),
    ("2", Exchange.SZ),
    ("3", Exchange.SZ),
)

_SUFFIX_ALIASES = {"SH": Exchange.SH, "SS": Exchange.SH, "XSHG": Exchange.SH, "SZ": Exchange.SZ}
_SUFFIX_ALIASES |= {"XSHE": Exchange.SZ, "BJ": Exchange.BJ, "BSE": Exchange.BJ}

_CODE_RE = re.compile(
    r"^\s*(?:(?P<pre>SH|SZ|BJ)[.]?)?(?P<digits>\d{6})(?:[.](?P<suf>SH|SS|XSHG|SZ|XSHE|BJ|BSE))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What a code alone says: exchange, board and kind."""

    code: str
    exchange: Exchange
    board: Board
    kind: Kind

    @property
    def digits(self) -> str:
        """The six digits without the exchange suffix."""
        return self.code[:6]

    @property
    def tradable(self) -> bool:
        """Whether orders can be placed for this kind on the secondary market."""
        return self.kind in TRADABLE_KINDS


def _bare_exchange(digits: str) -> Exchange:
    for prefix, exchange in _BARE_PREFIX_EXCHANGE:
        if digits.startswith(prefix):
            return exchange
    raise InvalidStockCode(digits)  # pragma: no cover - every digit has a row


def normalize_code(raw: str) -> str:
    """Return ``raw`` in ``600000.SH`` style.

    Accepts ``600000``, ``600000.SH``, ``SH600000``, ``sh600000``, ``sh.600000`` and ``600000.XSHG``.
    Raises :class:`InvalidStockCode` when the text is not a six-digit code or its prefix and
    suffix disagree.
    """
    if not isinstance(raw, str):
        raise InvalidStockCode(str(raw))
    match = _CODE_RE.match(raw)
    if match is None:
        raise InvalidStockCode(raw)
    digits = match["digits"]
    named = {_SUFFIX_ALIASES[part.upper()] for part in (match["pre"], match["suf"]) if part}
    if len(named) > 1:
        raise InvalidStockCode(raw)
    exchange = named.pop() if named else _bare_exchange(digits)
    return f"{digits}.{exchange.value}"


def classify(raw: str) -> CodeInfo:
    """Normalise ``raw`` and classify it by the prefix table of reference §1.

    A code whose digits match no row of its exchange is :class:`InvalidStockCode`.
    """
    if isinstance(raw, str):
        return _classify_cached(raw)  # every order and every view asks, mostly for the same codes
    return _classify(raw)


def _classify(raw: str) -> CodeInfo:
    code = normalize_code(raw)
    digits, exchange = code[:6], Exchange(code[7:])
    best: tuple[Board, Kind] | None = None
    best_len = 0
    for row_exchange, prefix, board, kind in _PREFIX_TABLE:
        if row_exchange is exchange and digits.startswith(prefix) and len(prefix) > best_len:
            best, best_len = (board, kind), len(prefix)
    if best is None:
        raise InvalidStockCode(raw)
    return CodeInfo(code, exchange, best[0], best[1])


_classify_cached = functools.lru_cache(maxsize=16_384)(_classify)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable security as the desk knows it on one trading day.

    ``prev_close`` is the exchange reference price (前收盘价). ``list_date`` drives the no-limit IPO
    days; ``is_st`` the risk-warning limits; ``suspended`` refuses orders.
    """

    code: str
    name: str
    exchange: Exchange
    board: Board
    kind: Kind
    prev_close: Decimal
    is_st: bool = False
    list_date: date | None = None
    suspended: bool = False

    @classmethod
    def create(
        cls,
        code: str,
        name: str,
        prev_close: Decimal,
        *,
        is_st: bool = False,
        list_date: date | None = None,
        suspended: bool = False,
    ) -> Instrument:
        """Build an instrument from a code in any accepted spelling."""
        info = classify(code)
        return cls(
            code=info.code,
            name=name,
            exchange=info.exchange,
            board=info.board,
            kind=info.kind,
            prev_close=prev_close,
            is_st=is_st,
            list_date=list_date,
            suspended=suspended,
        )

    @property
    def info(self) -> CodeInfo:
        """The code-level classification of this instrument."""
        return CodeInfo(self.code, self.exchange, self.board, self.kind)
