"""Dated exchange rule tables and the small functions that read them.

Every rule is a row keyed by board (or kind) and an effective date range, as in
reference/a-share-rules.md. Code asks "what applies to this instrument on this day"; it never
branches on a board inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache

from qmtdesk.domain.instruments import (
    BOND_KINDS,
    FUND_KINDS,
    Board,
    Exchange,
    Instrument,
    Kind,
)

FOREVER = date(9999, 12, 31)
BEGINNING = date(1990, 1, 1)

#: The 2026 rule revision of all three exchanges (ST ±10%, SSE fund closing auction).
REVISION_2026 = date(2026, 7, 6)
#: Main-board registration reform: cage on main boards, 10-tick floor, rejection of out-of-cage orders.
REGISTRATION_REFORM = date(2023, 4, 10)
CHINEXT_REFORM = date(2020, 8, 24)
STAR_OPENED = date(2019, 7, 22)
BSE_OPENED = date(2021, 11, 15)

ONE_HUNDRED = Decimal(100)


def _active(since: date, until: date, day: date) -> bool:
    return since <= day <= until


# --------------------------------------------------------------------------------------------------
# Lots and quantities (§2)


class OddLotRule(StrEnum):
    """How a sell of fewer shares than a lot is allowed (§2.2)."""

    #: Main boards, ChiNext, funds, bonds: q is a multiple of the lot, or what remains is.
    ROUND_LOT_OR_REMAINDER = "round_lot_or_remainder"
    #: STAR and BSE: q reaches the minimum, or q is the whole sellable holding.
    MINIMUM_OR_ALL = "minimum_or_all"


@dataclass(frozen=True, slots=True)
class LotRule:
    """Buy minimum and increment, and the odd-lot sell rule of one board."""

    min_buy: int
    buy_step: int
    odd_lot: OddLotRule


_ROUND_100 = LotRule(100, 100, OddLotRule.ROUND_LOT_OR_REMAINDER)

LOT_RULES: dict[Board, LotRule] = {
    Board.SSE_MAIN: _ROUND_100,
    Board.SZSE_MAIN: _ROUND_100,
    Board.CHINEXT: _ROUND_100,
    Board.STAR: LotRule(200, 1, OddLotRule.MINIMUM_OR_ALL),
    Board.BSE: LotRule(100, 1, OddLotRule.MINIMUM_OR_ALL),
    Board.FUND: _ROUND_100,
    Board.BOND: LotRule(10, 10, OddLotRule.ROUND_LOT_OR_REMAINDER),
    Board.B_SHARE: _ROUND_100,
}


def lot_rule(instrument: Instrument) -> LotRule:
    """The lot rule of the instrument's board."""
    return LOT_RULES.get(instrument.board, _ROUND_100)


def buy_quantity_ok(rule: LotRule, quantity: int) -> bool:
    """A buy must reach the minimum and step by the increment above it."""
    return quantity >= rule.min_buy and (quantity - rule.min_buy) % rule.buy_step == 0


def sell_quantity_ok(rule: LotRule, quantity: int, sellable: int) -> bool:
    """Whether selling ``quantity`` out of ``sellable`` shares obeys the odd-lot rule (§2.2)."""
    if quantity <= 0 or quantity > sellable:
        return False
    if rule.odd_lot is OddLotRule.ROUND_LOT_OR_REMAINDER:
        return quantity % rule.min_buy == 0 or (sellable - quantity) % rule.min_buy == 0
    return quantity >= rule.min_buy or quantity == sellable


def round_buy_quantity(rule: LotRule, quantity: int) -> int:
    """The largest valid buy quantity not above ``quantity`` (0 when none is)."""
    if quantity < rule.min_buy:
        return 0
    return rule.min_buy + (quantity - rule.min_buy) // rule.buy_step * rule.buy_step


class OrderClass(StrEnum):
    """Whether a price type is a limit order or an exchange market order, for caps and the cage."""

    LIMIT = "limit"
    MARKET = "market"


@dataclass(frozen=True, slots=True)
class QuantityCap:
    """Largest quantity of one order of a class on a board, from a date."""

    board: Board
    order_class: OrderClass
    limit: int
    since: date = BEGINNING
    until: date = FOREVER


QUANTITY_CAPS: tuple[QuantityCap, ...] = (
    QuantityCap(Board.SSE_MAIN, OrderClass.LIMIT, 1_000_000),
    QuantityCap(Board.SSE_MAIN, OrderClass.MARKET, 1_000_000),
    QuantityCap(Board.SZSE_MAIN, OrderClass.LIMIT, 1_000_000),
    QuantityCap(Board.SZSE_MAIN, OrderClass.MARKET, 1_000_000),
    QuantityCap(Board.CHINEXT, OrderClass.LIMIT, 1_000_000, until=date(2020, 8, 23)),
    QuantityCap(Board.CHINEXT, OrderClass.MARKET, 1_000_000, until=date(2020, 8, 23)),
    QuantityCap(Board.CHINEXT, OrderClass.LIMIT, 300_000, since=CHINEXT_REFORM),
    QuantityCap(Board.CHINEXT, OrderClass.MARKET, 150_000, since=CHINEXT_REFORM),
    QuantityCap(Board.STAR, OrderClass.LIMIT, 100_000),
    QuantityCap(Board.STAR, OrderClass.MARKET, 50_000),
    QuantityCap(Board.BSE, OrderClass.LIMIT, 1_000_000),
    QuantityCap(Board.BSE, OrderClass.MARKET, 1_000_000),
    QuantityCap(Board.FUND, OrderClass.LIMIT, 1_000_000),
    QuantityCap(Board.FUND, OrderClass.MARKET, 1_000_000),
    # 10万手 of 10 bonds each.
    QuantityCap(Board.BOND, OrderClass.LIMIT, 1_000_000),
    QuantityCap(Board.BOND, OrderClass.MARKET, 1_000_000),
)


def quantity_cap(instrument: Instrument, order_class: OrderClass, day: date) -> int:
    """Largest quantity allowed in one order of ``order_class`` on ``day``."""
    for row in QUANTITY_CAPS:
        if row.board is instrument.board and row.order_class is order_class and _active(row.since, row.until, day):
            return row.limit
    return 1_000_000


#: §2.3: one investor's cumulative same-day buy of one risk-warning (ST) stock, all three exchanges
#: (SSE/SZSE 2.4.2, BSE 2.3.2). Brokers check it on entry, counting filled and working buys.
ST_DAILY_BUY_CAP = 500_000
_ST_CAPPED_KINDS = frozenset({Kind.STOCK, Kind.CDR})


def st_daily_buy_cap(instrument: Instrument) -> int | None:
    """The same-day buy cap of ``instrument`` (shares), or ``None`` when it has none."""
    return ST_DAILY_BUY_CAP if instrument.is_st and instrument.kind in _ST_CAPPED_KINDS else None


# --------------------------------------------------------------------------------------------------
# Ticks and daily limits (§3.1-3.3)

STOCK_TICK = Decimal("0.01")
FUND_TICK = Decimal("0.001")

TICKS: dict[Kind, Decimal] = {
    Kind.STOCK: STOCK_TICK,
    Kind.CDR: STOCK_TICK,
    Kind.ETF: FUND_TICK,
    Kind.LOF: FUND_TICK,
    Kind.REIT: FUND_TICK,
    Kind.CLOSED_FUND: FUND_TICK,
    Kind.CONVERTIBLE_BOND: FUND_TICK,
    Kind.EXCHANGEABLE_BOND: FUND_TICK,
    Kind.BOND: FUND_TICK,
    Kind.B_SHARE: FUND_TICK,
    Kind.INDEX: STOCK_TICK,
}


def price_tick(instrument: Instrument) -> Decimal:
    """Minimum price step of the instrument."""
    if instrument.kind is Kind.B_SHARE and instrument.exchange is Exchange.SZ:
        return STOCK_TICK
    return TICKS.get(instrument.kind, STOCK_TICK)


def on_tick(price: Decimal, tick: Decimal) -> bool:
    """Whether ``price`` is a whole number of ticks."""
    return price % tick == 0


def round_to_tick(price: Decimal, tick: Decimal) -> Decimal:
    """Round half-up to the tick (exchange rounding, never banker's rounding)."""
    return (price / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick


@dataclass(frozen=True, slots=True)
class LimitRow:
    """Daily price limit of a board, for ST or non-ST stocks, in a date range."""

    board: Board
    st: bool | None  # None: applies to both
    pct: Decimal
    since: date = BEGINNING
    until: date = FOREVER


DAILY_LIMITS: tuple[LimitRow, ...] = (
    LimitRow(Board.SSE_MAIN, False, Decimal("0.10")),
    LimitRow(Board.SZSE_MAIN, False, Decimal("0.10")),
    LimitRow(Board.SSE_MAIN, True, Decimal("0.05"), until=date(2026, 7, 5)),
    LimitRow(Board.SZSE_MAIN, True, Decimal("0.05"), until=date(2026, 7, 5)),
    LimitRow(Board.SSE_MAIN, True, Decimal("0.10"), since=REVISION_2026),
    LimitRow(Board.SZSE_MAIN, True, Decimal("0.10"), since=REVISION_2026),
    LimitRow(Board.CHINEXT, False, Decimal("0.10"), until=date(2020, 8, 23)),
    LimitRow(Board.CHINEXT, True, Decimal("0.05"), until=date(2020, 8, 23)),
    LimitRow(Board.CHINEXT, None, Decimal("0.20"), since=CHINEXT_REFORM),
    LimitRow(Board.STAR, None, Decimal("0.20"), since=STAR_OPENED),
    LimitRow(Board.BSE, None, Decimal("0.30"), since=BSE_OPENED),
    LimitRow(Board.FUND, None, Decimal("0.10")),
    LimitRow(Board.BOND, None, Decimal("0.20"), since=date(2022, 8, 1)),
    LimitRow(Board.B_SHARE, None, Decimal("0.10")),
)

#: Funds tracking ChiNext or STAR indices trade within ±20% (SZSE publishes the list; 588xxx are STAR ETFs).
TWENTY_PCT_FUND_PREFIXES: tuple[str, ...] = ("588",)
TWENTY_PCT_FUNDS: frozenset[str] = frozenset(
    {"159915.SZ", "159952.SZ", "159948.SZ", "159949.SZ", "159967.SZ", "159781.SZ", "159783.SZ"}
)


@dataclass(frozen=True, slots=True)
class NoLimitRow:
    """How many trading days from listing a board's new stocks trade with no daily limit."""

    board: Board
    days: int
    since: date  # listings on/after this date


IPO_NO_LIMIT_DAYS: tuple[NoLimitRow, ...] = (
    NoLimitRow(Board.SSE_MAIN, 5, REGISTRATION_REFORM),
    NoLimitRow(Board.SZSE_MAIN, 5, REGISTRATION_REFORM),
    NoLimitRow(Board.CHINEXT, 5, CHINEXT_REFORM),
    NoLimitRow(Board.STAR, 5, STAR_OPENED),
    NoLimitRow(Board.BSE, 1, BSE_OPENED),
)


def no_limit_days(instrument: Instrument) -> int:
    """Number of trading days from listing with no price limit (0 when the rule does not apply)."""
    if instrument.list_date is None or instrument.kind not in (Kind.STOCK, Kind.CDR):
        return 0
    for row in IPO_NO_LIMIT_DAYS:
        if row.board is instrument.board and instrument.list_date >= row.since:
            return row.days
    return 0


def limit_pct(instrument: Instrument, day: date, listing_day_number: int | None = None) -> Decimal | None:
    """The daily limit as a fraction, or ``None`` on a no-limit day.

    ``listing_day_number`` is 1 on the listing day, 2 on the next trading day, and so on; ``None``
    when the listing date is unknown or long past.
    """
    if listing_day_number is not None and 1 <= listing_day_number <= no_limit_days(instrument):
        return None
    if instrument.board is Board.FUND and (
        instrument.code in TWENTY_PCT_FUNDS or instrument.code.startswith(TWENTY_PCT_FUND_PREFIXES)
    ):
        return Decimal("0.20")
    for row in DAILY_LIMITS:
        if (
            row.board is instrument.board
            and (row.st is None or row.st == instrument.is_st)
            and _active(row.since, row.until, day)
        ):
            return row.pct
    return None


def limit_prices(prev_close: Decimal, pct: Decimal, tick: Decimal) -> tuple[Decimal, Decimal]:
    """Limit-up and limit-down prices (SSE 3.3.17 / SZSE 3.3.19).

    Half-up to the tick; when a limit is less than one tick from the reference price it is the
    reference price plus or minus one tick.
    """
    up = round_to_tick(prev_close * (1 + pct), tick)
    down = round_to_tick(prev_close * (1 - pct), tick)
    if up - prev_close < tick:
        up = prev_close + tick
    if prev_close - down < tick:
        down = prev_close - tick
    return up, max(down, tick)


# --------------------------------------------------------------------------------------------------
# Price cage (§3.5)


@dataclass(frozen=True, slots=True)
class CageRow:
    """Continuous-auction price cage of a board: ±pct of the base price, at least ``floor_ticks``."""

    board: Board
    pct: Decimal
    floor_ticks: int
    since: date
    until: date = FOREVER
    #: Out-of-cage orders were held in the exchange host (暂存) rather than rejected (ChiNext 2020-2023).
    held: bool = False


PRICE_CAGES: tuple[CageRow, ...] = (
    CageRow(Board.STAR, Decimal("0.02"), 0, STAR_OPENED),
    CageRow(Board.CHINEXT, Decimal("0.02"), 0, CHINEXT_REFORM, until=date(2023, 4, 9), held=True),
    CageRow(Board.CHINEXT, Decimal("0.02"), 10, REGISTRATION_REFORM),
    CageRow(Board.SSE_MAIN, Decimal("0.02"), 10, REGISTRATION_REFORM),
    CageRow(Board.SZSE_MAIN, Decimal("0.02"), 10, REGISTRATION_REFORM),
    CageRow(Board.BSE, Decimal("0.05"), 10, BSE_OPENED),
)


def cage_row(instrument: Instrument, day: date) -> CageRow | None:
    """The cage that applies to the instrument on ``day``; funds, bonds and B shares have none."""
    if instrument.kind not in (Kind.STOCK, Kind.CDR):
        return None
    for row in PRICE_CAGES:
        if row.board is instrument.board and _active(row.since, row.until, day):
            return row
    return None


@dataclass(frozen=True, slots=True)
class CageBook:
    """What the cage's base prices are taken from."""

    best_bid: Decimal | None
    best_ask: Decimal | None
    last_trade: Decimal | None  # None when nothing has traded today
    prev_close: Decimal

    def buy_base(self) -> Decimal:
        """Best ask, else best bid, else last trade, else previous close."""
        return self.best_ask or self.best_bid or self.last_trade or self.prev_close

    def sell_base(self) -> Decimal:
        """Best bid, else best ask, else last trade, else previous close."""
        return self.best_bid or self.best_ask or self.last_trade or self.prev_close


@lru_cache(maxsize=4096)  # the same book is checked for every order until the next snapshot
def cage_bounds(row: CageRow, book: CageBook, tick: Decimal) -> tuple[Decimal, Decimal]:
    """(highest valid buy price, lowest valid sell price) before the daily limit is applied."""
    buy_base, sell_base = book.buy_base(), book.sell_base()
    buy_cap = max(round_to_tick(buy_base * (1 + row.pct), tick), buy_base + row.floor_ticks * tick)
    sell_floor = min(round_to_tick(sell_base * (1 - row.pct), tick), sell_base - row.floor_ticks * tick)
    if buy_cap - buy_base < tick:
        buy_cap = buy_base + tick
    if sell_base - sell_floor < tick:
        sell_floor = sell_base - tick
    return buy_cap, max(sell_floor, tick)


# --------------------------------------------------------------------------------------------------
# Sessions and phases (§4)


class Phase(StrEnum):
    """Fine-grained trading phase of one instrument at one moment."""

    CLOSED = "closed"
    PRE_OPEN = "pre_open"
    OPENING_AUCTION = "opening_auction"
    OPENING_AUCTION_NO_CANCEL = "opening_auction_no_cancel"
    OPENING_BREAK = "opening_break"
    CONTINUOUS = "continuous"
    LUNCH_BREAK = "lunch_break"
    CLOSING_AUCTION = "closing_auction"
    AFTER_HOURS = "after_hours"


#: The coarse market phase of API.md for each fine phase.
API_PHASE: dict[Phase, str] = {
    Phase.CLOSED: "closed",
    Phase.PRE_OPEN: "pre_open",
    Phase.OPENING_AUCTION: "opening_auction",
    Phase.OPENING_AUCTION_NO_CANCEL: "opening_auction",
    Phase.OPENING_BREAK: "opening_auction",
    Phase.CONTINUOUS: "continuous",
    Phase.LUNCH_BREAK: "lunch_break",
    Phase.CLOSING_AUCTION: "closing_auction",
    Phase.AFTER_HOURS: "after_hours",
}


@dataclass(frozen=True, slots=True)
class PhaseRule:
    """What a phase allows.

    ``queued``: the broker accepts orders and cancels but holds them until the next phase that
    reaches the exchange (before 9:15, 9:25-9:30, the lunch break).
    """

    accepts_orders: bool
    accepts_cancels: bool
    queued: bool
    market_orders: bool
    matching: bool  # continuous matching runs in this phase


PHASE_RULES: dict[Phase, PhaseRule] = {
    Phase.CLOSED: PhaseRule(False, False, False, False, False),
    Phase.PRE_OPEN: PhaseRule(True, True, True, False, False),
    Phase.OPENING_AUCTION: PhaseRule(True, True, False, False, False),
    Phase.OPENING_AUCTION_NO_CANCEL: PhaseRule(True, False, False, False, False),
    Phase.OPENING_BREAK: PhaseRule(True, True, True, True, False),
    Phase.CONTINUOUS: PhaseRule(True, True, False, True, True),
    Phase.LUNCH_BREAK: PhaseRule(True, True, True, True, False),
    Phase.CLOSING_AUCTION: PhaseRule(True, False, False, False, False),
    Phase.AFTER_HOURS: PhaseRule(False, False, False, False, False),
}

Schedule = tuple[tuple[time, time, Phase], ...]

_OPENING: Schedule = (
    (time(9, 0), time(9, 15), Phase.PRE_OPEN),
    (time(9, 15), time(9, 20), Phase.OPENING_AUCTION),
    (time(9, 20), time(9, 25), Phase.OPENING_AUCTION_NO_CANCEL),
    (time(9, 25), time(9, 30), Phase.OPENING_BREAK),
    (time(9, 30), time(11, 30), Phase.CONTINUOUS),
    (time(11, 30), time(13, 0), Phase.LUNCH_BREAK),
)
WITH_CLOSING_AUCTION: Schedule = (
    *_OPENING,
    (time(13, 0), time(14, 57), Phase.CONTINUOUS),
    (time(14, 57), time(15, 0), Phase.CLOSING_AUCTION),
    (time(15, 0), time(15, 30), Phase.AFTER_HOURS),
)
CONTINUOUS_TO_CLOSE: Schedule = (
    *_OPENING,
    (time(13, 0), time(15, 0), Phase.CONTINUOUS),
    (time(15, 0), time(15, 30), Phase.AFTER_HOURS),
)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """Which schedule an exchange's instruments of some boards follow in a date range."""

    exchange: Exchange | None
    boards: frozenset[Board] | None
    schedule: Schedule
    since: date = BEGINNING
    until: date = FOREVER


SCHEDULES: tuple[ScheduleRow, ...] = (
    # SSE funds had no closing call auction until the 2026 revision.
    ScheduleRow(Exchange.SH, frozenset({Board.FUND}), CONTINUOUS_TO_CLOSE, until=date(2026, 7, 5)),
    # SSE stocks got the closing call auction on 2018-08-20.
    ScheduleRow(Exchange.SH, None, CONTINUOUS_TO_CLOSE, until=date(2018, 8, 19)),
    ScheduleRow(None, None, WITH_CLOSING_AUCTION),
)


def schedule_for(instrument: Instrument | None, day: date) -> Schedule:
    """The session schedule of an instrument (or of stocks in general when ``None``)."""
    if instrument is None:
        return _schedule(None, None, day)
    return _schedule(instrument.exchange, instrument.board, day)


@lru_cache(maxsize=1024)  # asked several times for every order
def _schedule(exchange: Exchange | None, board: Board | None, day: date) -> Schedule:
    for row in SCHEDULES:
        if not _active(row.since, row.until, day):
            continue
        if exchange is None:
            if row.exchange is None:
                return row.schedule
            continue
        if (row.exchange is None or row.exchange is exchange) and (row.boards is None or board in row.boards):
            return row.schedule
    return WITH_CLOSING_AUCTION


def phase_at(moment: time, schedule: Schedule) -> Phase:
    """The phase of a trading day's schedule at wall-clock time ``moment`` (Asia/Shanghai)."""
    for start, end, phase in schedule:
        if start <= moment < end:
            return phase
    return Phase.CLOSED


def next_phase_change(moment: time, schedule: Schedule) -> time | None:
    """The next boundary after ``moment`` on the same day, or ``None`` after the last one."""
    for start, end, _phase in schedule:
        if moment < start:
            return start
        if moment < end:
            return end
    return None


# --------------------------------------------------------------------------------------------------
# Price types (§6)


class PriceType(StrEnum):
    """Order price types of API.md."""

    LIMIT = "limit"
    LATEST = "latest"
    MARKET = "market"
    BEST5_CANCEL = "best5_cancel"
    BEST5_LIMIT = "best5_limit"
    COUNTERPARTY_BEST = "counterparty_best"
    OWN_BEST = "own_best"
    IOC = "ioc"
    FOK = "fok"


LIMIT_STYLE = frozenset({PriceType.LIMIT, PriceType.LATEST})

#: Exchange market-order types each exchange offers for shares and funds.
MARKET_TYPES_BY_EXCHANGE: dict[Exchange, frozenset[PriceType]] = {
    Exchange.SH: frozenset(
        {
            PriceType.MARKET,
            PriceType.BEST5_CANCEL,
            PriceType.BEST5_LIMIT,
            PriceType.COUNTERPARTY_BEST,
            PriceType.OWN_BEST,
        }
    ),
    Exchange.SZ: frozenset(
        {
            PriceType.MARKET,
            PriceType.BEST5_CANCEL,
            PriceType.COUNTERPARTY_BEST,
            PriceType.OWN_BEST,
            PriceType.IOC,
            PriceType.FOK,
        }
    ),
    Exchange.BJ: frozenset(
        {
            PriceType.MARKET,
            PriceType.BEST5_CANCEL,
            PriceType.BEST5_LIMIT,
            PriceType.COUNTERPARTY_BEST,
            PriceType.OWN_BEST,
        }
    ),
}

#: Exchanges whose market orders carry a protective price (保护限价) in ``price``.
PROTECTIVE_PRICE_EXCHANGES = frozenset({Exchange.SH, Exchange.BJ})

#: What ``market`` means on each exchange: best-five, remainder cancelled.
MARKET_ALIAS: dict[Exchange, PriceType] = {
    Exchange.SH: PriceType.BEST5_CANCEL,
    Exchange.SZ: PriceType.BEST5_CANCEL,
    Exchange.BJ: PriceType.BEST5_CANCEL,
}


def order_class(price_type: PriceType) -> OrderClass:
    """Limit-style (limit, latest) or exchange market order."""
    return OrderClass.LIMIT if price_type in LIMIT_STYLE else OrderClass.MARKET


def supported_price_types(instrument: Instrument, has_daily_limit: bool) -> frozenset[PriceType]:
    """Price types the exchange accepts for this instrument today.

    Bonds take no market orders; SZSE takes market orders only for securities with a daily limit.
    """
    if instrument.kind in BOND_KINDS:
        return LIMIT_STYLE
    if instrument.exchange is Exchange.SZ and not has_daily_limit:
        return LIMIT_STYLE
    return LIMIT_STYLE | MARKET_TYPES_BY_EXCHANGE[instrument.exchange]


# --------------------------------------------------------------------------------------------------
# T+0 products (§5)

#: Funds with same-day turnaround (当日回转): bond, money-market, gold, commodity and cross-border
#: funds. An explicit list, because "all ETFs are T+0" is wrong: equity ETFs are T+1.
T0_FUNDS: frozenset[str] = frozenset(
    {
        # bond ETFs
        "511010.SH",  # 国债ETF
        "511020.SH",  # 活跃国债ETF
        "511060.SH",  # 5年地方债ETF
        "511090.SH",  # 30年国债ETF
        "511260.SH",  # 十年国债ETF
        "511360.SH",  # 短融ETF
        "159972.SZ",  # 5年地债ETF
        # money-market ETFs
        "511660.SH",  # 建信添益
        "511690.SH",  # 交易货币ETF
        "511800.SH",  # 易方达保证金
        "511810.SH",  # 理财金H
        "511850.SH",  # 财富宝E
        "511860.SH",  # 保证金
        "511880.SH",  # 银华日利
        "511990.SH",  # 华宝添益
        "159001.SZ",  # 货币ETF
        "159003.SZ",  # 招商快线
        "159005.SZ",  # 汇添富快钱
        # gold ETFs
        "518800.SH",  # 黄金基金ETF
        "518850.SH",  # 黄金ETF华夏
        "518860.SH",  # 黄金ETF建信
        "518880.SH",  # 黄金ETF
        "159812.SZ",  # 黄金基金ETF
        "159934.SZ",  # 黄金ETF
        "159937.SZ",  # 黄金ETF基金
        # commodity-futures ETFs
        "159980.SZ",  # 有色ETF
        "159981.SZ",  # 能源化工ETF
        "159985.SZ",  # 豆粕ETF
        # cross-border ETFs
        "513030.SH",  # 德国ETF
        "513050.SH",  # 中概互联网ETF
        "513080.SH",  # 法国CAC40ETF
        "513100.SH",  # 纳指ETF
        "513130.SH",  # 恒生科技ETF
        "513180.SH",  # 恒生科技指数ETF
        "513300.SH",  # 纳斯达克ETF
        "513500.SH",  # 标普500ETF
        "513520.SH",  # 日经ETF
        "513880.SH",  # 日经225ETF
        "159632.SZ",  # 纳斯达克ETF
        "159866.SZ",  # 日经ETF
        "159920.SZ",  # 恒生ETF
        "159941.SZ",  # 纳指ETF
    }
)


#: SSE code ranges given wholly to T+0 funds (§1 code table): 511 bond ETFs (511600-511999 the
#: money-market ones) and 518 gold and commodity ETFs. SZSE's 159 range mixes equity and T+0 funds,
#: and cross-border ranges hold some T+1 funds, so those stay listed code by code above.
T0_FUND_PREFIXES: tuple[tuple[Exchange, str], ...] = ((Exchange.SH, "511"), (Exchange.SH, "518"))


def is_t0(instrument: Instrument) -> bool:
    """Whether shares bought today may be sold today."""
    if instrument.kind in BOND_KINDS or instrument.code in T0_FUNDS:
        return True
    return instrument.board is Board.FUND and any(
        instrument.exchange is exchange and instrument.code.startswith(prefix) for exchange, prefix in T0_FUND_PREFIXES
    )


def is_fund(instrument: Instrument) -> bool:
    """Funds (ETF, LOF, REIT, closed-end) follow fund ticks and fees."""
    return instrument.kind in FUND_KINDS
