"""Pre-trade A-share validation in the check order of reference/a-share-rules.md §10.

:func:`validate` either returns an :class:`Approval` (the price to send and the cash to freeze) or
raises :class:`OrderDenied` with a stable code and a zh-CN message. It is pure: everything it needs
arrives in a :class:`ValidationContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from qmtdesk.domain.errors import OrderDenied
from qmtdesk.domain.fees import ZERO, FeeSchedule, Side
from qmtdesk.domain.instruments import TRADABLE_KINDS, Instrument
from qmtdesk.domain.portfolio import Position, insufficient_funds, insufficient_position
from qmtdesk.domain.rules import (
    LIMIT_STYLE,
    PHASE_RULES,
    PROTECTIVE_PRICE_EXCHANGES,
    CageBook,
    OrderClass,
    Phase,
    PriceType,
    buy_quantity_ok,
    cage_bounds,
    cage_row,
    limit_pct,
    limit_prices,
    lot_rule,
    on_tick,
    order_class,
    price_tick,
    quantity_cap,
    round_buy_quantity,
    sell_quantity_ok,
    st_daily_buy_cap,
    supported_price_types,
)


@dataclass(slots=True)  # made for every order: a frozen dataclass is ~8x slower to create
class OrderIntent:
    """What a trader asks for, after the code has been normalised."""

    stock_code: str
    side: Side
    quantity: int
    price_type: PriceType
    price: Decimal | None = None


@dataclass(frozen=True)
class BookView:
    """The market as validation sees it: top of book, last trade and reference price."""

    prev_close: Decimal
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    last_trade: Decimal | None = None  # None when nothing traded today

    @property
    def last_price(self) -> Decimal:
        """Last trade, else the reference price."""
        return self.last_trade or self.prev_close

    def cage_book(self) -> CageBook:
        """The cage's view of this book (built once per book: it is asked for on every order)."""
        return self._cage_book

    @cached_property
    def _cage_book(self) -> CageBook:
        return CageBook(self.best_bid, self.best_ask, self.last_trade, self.prev_close)


@dataclass(frozen=True, slots=True)
class DailyLimits:
    """Limit-up and limit-down of one instrument on one day (``None`` on a no-limit day)."""

    up: Decimal | None
    down: Decimal | None

    @property
    def has_limit(self) -> bool:
        """Whether the instrument has a daily price limit today."""
        return self.up is not None


def daily_limits(instrument: Instrument, day: date, listing_day_number: int | None) -> DailyLimits:
    """Today's limit prices of ``instrument`` from its reference price and the dated limit table."""
    pct = limit_pct(instrument, day, listing_day_number)
    if pct is None:
        return DailyLimits(None, None)
    up, down = limit_prices(instrument.prev_close, pct, price_tick(instrument))
    return DailyLimits(up, down)


@dataclass(slots=True)  # made for every order: a frozen dataclass is ~8x slower to create
class ValidationContext:
    """Everything validation needs besides the order itself."""

    instrument: Instrument
    day: date
    phase: Phase
    limits: DailyLimits
    book: BookView
    position: Position | None
    available_cash: Decimal
    fees: FeeSchedule
    #: Shares of this stock bought or being bought today by the account (filled plus working),
    #: besides the order checked: the risk-warning stock cap (§2.3) counts them.
    bought_today: int = 0


@dataclass(slots=True)  # made for every order: a frozen dataclass is ~8x slower to create
class Approval:
    """An order that passed validation.

    ``price``: the limit price to send (the protective price for SH/BJ market orders, ``None`` for
    SZ market orders); ``freeze_price`` and ``freeze_amount``: the cash a buy reserves (price ×
    quantity + estimated fees); ``order_class``: limit-style or market.
    """

    price: Decimal | None
    freeze_price: Decimal
    freeze_amount: Decimal
    order_class: OrderClass


def st_cap_denial(instrument: Instrument, cap: int, bought_today: int) -> OrderDenied:
    """The refusal of a buy that would take a risk-warning stock past its daily cap (§2.3)."""
    return _deny(
        "QUANTITY_TOO_LARGE",
        f"风险警示股票当日累计买入不得超过{cap}股（今日已买入及在途{bought_today}股）",
        f"A risk-warning stock may be bought up to {cap} shares a day ({bought_today} bought or working today)",
        max_quantity=round_buy_quantity(lot_rule(instrument), cap - bought_today),
        bought_today=bought_today,
    )


def _deny(code: str, zh: str, en: str, **data: object) -> OrderDenied:
    return OrderDenied(code, zh, en, data=data or None)


def validate(intent: OrderIntent, ctx: ValidationContext) -> Approval:
    """Check ``intent`` against the A-share rules in the order of §10; raise OrderDenied on the first failure."""
    inst, side, qty = ctx.instrument, intent.side, intent.quantity
    if inst.kind not in TRADABLE_KINDS:
        raise _deny(
            "UNKNOWN_INSTRUMENT",
            f"{inst.code} 不是可交易的证券",
            f"{inst.code} is not a tradable security",
        )
    # Session (§4) and price-type availability (§6).
    phase_rule = PHASE_RULES[ctx.phase]
    if not phase_rule.accepts_orders:
        raise _deny(
            "MARKET_CLOSED",
            "非交易时间，不接受委托",
            "The market is closed for orders",
            phase=ctx.phase.value,
        )
    supported = supported_price_types(inst, ctx.limits.has_limit)
    if intent.price_type not in supported:
        raise _deny(
            "PRICE_TYPE_NOT_SUPPORTED",
            f"{inst.code} 不支持委托类型 {intent.price_type.value}",
            f"{inst.code} does not accept price type {intent.price_type.value}",
            supported=sorted(p.value for p in supported),
        )
    klass = order_class(intent.price_type)
    if klass is OrderClass.MARKET and not phase_rule.market_orders:
        raise _deny(
            "PRICE_TYPE_NOT_SUPPORTED",
            "集合竞价阶段不接受市价申报",
            "Market orders are not accepted during call auctions",
            phase=ctx.phase.value,
        )
    # Security status (§4.3).
    if inst.suspended:
        raise _deny("INSTRUMENT_SUSPENDED", f"{inst.code} 停牌，不能交易", f"{inst.code} is suspended")
    # Quantity (§2).
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        raise _deny("INVALID_QUANTITY", "委托数量必须是正整数", "Quantity must be a positive integer")
    lots = lot_rule(inst)
    if side is Side.BUY:
        if not buy_quantity_ok(lots, qty):
            if lots.buy_step == lots.min_buy:
                zh = f"买入数量应为{lots.min_buy}的整数倍"
                en = f"Buy quantity must be a multiple of {lots.min_buy}"
            else:
                zh = f"买入数量不得低于{lots.min_buy}股，超出部分以{lots.buy_step}股为单位"
                en = f"Buy quantity must be at least {lots.min_buy}, in steps of {lots.buy_step}"
            raise _deny("LOT_SIZE", zh, en, min_buy=lots.min_buy, buy_step=lots.buy_step)
    else:
        sellable = ctx.position.can_use_volume if ctx.position else 0
        if qty > sellable:
            raise insufficient_position(ctx.position, qty)
        if not sell_quantity_ok(lots, qty, sellable):
            raise _deny(
                "LOT_SIZE",
                f"卖出数量不符合规则：不足{lots.min_buy}股的零股须一次性卖出",
                f"Sell quantity breaks the odd-lot rule: a remainder under {lots.min_buy} must be sold at once",
                sellable=sellable,
            )
    cap = quantity_cap(inst, klass, ctx.day)
    if qty > cap:
        raise _deny(
            "QUANTITY_TOO_LARGE",
            f"委托数量超过单笔最大申报数量 {cap}",
            f"Quantity exceeds the per-order maximum of {cap}",
            max_quantity=cap,
        )
    if side is Side.BUY:
        st_cap = st_daily_buy_cap(inst)
        if st_cap is not None and ctx.bought_today + qty > st_cap:
            raise st_cap_denial(inst, st_cap, ctx.bought_today)
    # Price (§3, §6.2).
    price, freeze_price = _check_price(intent, ctx, klass)
    # Cash (§7): buys freeze price × quantity plus the estimated fees of the whole order.
    freeze_amount = ZERO
    if side is Side.BUY:
        value = freeze_price * qty
        fees = ctx.fees.order_fees(side, inst.kind, inst.board, value, ctx.day)
        freeze_amount = value + fees.total
        if freeze_amount > ctx.available_cash:
            raise insufficient_funds(ctx.available_cash, freeze_amount)
    return Approval(price, freeze_price, freeze_amount, klass)


def _check_price(intent: OrderIntent, ctx: ValidationContext, klass: OrderClass) -> tuple[Decimal | None, Decimal]:
    """Return (price to send, price to freeze cash at) or raise a price refusal."""
    inst, limits, tick = ctx.instrument, ctx.limits, price_tick(ctx.instrument)
    if intent.price_type in LIMIT_STYLE:
        price = intent.price if intent.price_type is PriceType.LIMIT else ctx.book.last_price
        if price is None or price <= 0:
            raise _deny("INVALID_PRICE", "限价委托必须填写大于0的价格", "A limit order needs a price above 0")
        if not on_tick(price, tick):
            raise _deny(
                "PRICE_TICK",
                f"委托价格不符合最小变动价位 {tick}",
                f"Price must be a multiple of the tick {tick}",
                tick=str(tick),
            )
        if limits.up is not None and limits.down is not None and not limits.down <= price <= limits.up:
            raise _deny(
                "PRICE_OUT_OF_LIMIT",
                f"委托价格超出涨跌停范围 [{limits.down}, {limits.up}]",
                f"Price is outside the daily limits [{limits.down}, {limits.up}]",
                limit_up=str(limits.up),
                limit_down=str(limits.down),
            )
        if ctx.phase is Phase.CONTINUOUS:
            _check_cage(intent.side, price, ctx, tick)
        return price, price
    # Market orders: SH/BJ carry a protective price, SZ none (§6.2).
    if inst.exchange in PROTECTIVE_PRICE_EXCHANGES:
        protect = intent.price
        if protect is None or protect <= 0:
            raise _deny(
                "INVALID_PRICE",
                "上交所/北交所市价委托须填写保护限价（price）",
                "SSE and BSE market orders need a protective price in `price`",
            )
        if not on_tick(protect, tick):
            raise _deny(
                "PRICE_TICK",
                f"保护限价不符合最小变动价位 {tick}",
                f"Protective price must be on the tick {tick}",
            )
        if limits.up is not None and limits.down is not None:
            out = protect < limits.down if intent.side is Side.BUY else protect > limits.up
            if out:
                raise _deny(
                    "PRICE_OUT_OF_LIMIT",
                    "保护限价超出涨跌停范围",
                    "The protective price is beyond the daily limits",
                    limit_up=str(limits.up),
                    limit_down=str(limits.down),
                )
            protect = min(protect, limits.up) if intent.side is Side.BUY else max(protect, limits.down)
        return protect, protect
    # SZ market orders exist only for price-limited securities, so limit-up bounds a buy's cost.
    return None, limits.up if limits.up is not None else ctx.book.last_price


def _check_cage(side: Side, price: Decimal, ctx: ValidationContext, tick: Decimal) -> None:
    row = cage_row(ctx.instrument, ctx.day)
    if row is None or row.held:
        return
    buy_cap, sell_floor = cage_bounds(row, ctx.book.cage_book(), tick)
    if side is Side.BUY and price > buy_cap:
        raise _deny(
            "PRICE_CAGE",
            f"买入价格超出有效申报价格范围（不高于 {buy_cap}）",
            f"Buy price is above the price cage ({buy_cap})",
            cage_max=str(buy_cap),
        )
    if side is Side.SELL and price < sell_floor:
        raise _deny(
            "PRICE_CAGE",
            f"卖出价格超出有效申报价格范围（不低于 {sell_floor}）",
            f"Sell price is below the price cage ({sell_floor})",
            cage_min=str(sell_floor),
        )
