"""Position sizing: how many shares a signal's sizing rule means under the A-share rules.

:func:`size_order` is pure. It turns a sizing rule (``quantity``, ``amount``, ``equity_pct``,
``target_pct``, ``position_pct``) and an action (``buy``, ``sell``, ``close``) into an order quantity:

- Buys round **down** to a valid lot (reference/a-share-rules.md §2: multiples of 100 on main boards,
  ChiNext and funds; STAR 200 then +1; BSE 100 then +1; bonds 10), stay within the per-order limit
  cap, and must fit the available cash together with the estimated fees (commission with its
  minimum, transfer fee; no stamp duty on buys) — stepping down until they fit. The check is the one
  pre-trade validation makes when it freezes cash, so a sized buy is never refused for funds.
- Sells never exceed the sellable (T+1) volume and obey the odd-lot rule (§2.2): the largest valid
  quantity not above the wish. ``close`` sells everything sellable.
- A zero quantity comes with a reason in zh-CN and English and a short ``code``.

Amounts are notional trade values (price × quantity, fees excluded); percentages are fractions
(``0.1`` = 10%).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Protocol

from qmtdesk.domain.errors import InvalidValue
from qmtdesk.domain.fees import ZERO, FeeSchedule, Side, to_fen
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import (
    LotRule,
    OddLotRule,
    OrderClass,
    lot_rule,
    quantity_cap,
    round_buy_quantity,
    sell_quantity_ok,
)


class SignalAction(StrEnum):
    """What a signal asks for."""

    BUY = "buy"
    SELL = "sell"
    #: Sell everything sellable (any sizing is ignored).
    CLOSE = "close"


class SizingMethod(StrEnum):
    """How a signal says how much to trade."""

    #: Shares.
    QUANTITY = "quantity"
    #: CNY of trade value (price × quantity, fees excluded) to buy or to sell.
    AMOUNT = "amount"
    #: A fraction of total asset to buy or to sell.
    EQUITY_PCT = "equity_pct"
    #: A target weight of the holding in total asset: buy up to it, or sell down to it.
    TARGET_PCT = "target_pct"
    #: A fraction of the sellable holding (sells only).
    POSITION_PCT = "position_pct"


class SkipCode(StrEnum):
    """Why a sizing came out at zero shares."""

    INSUFFICIENT_CASH = "INSUFFICIENT_CASH"
    BELOW_MIN_LOT = "BELOW_MIN_LOT"
    NO_POSITION = "NO_POSITION"
    NOT_SELLABLE = "NOT_SELLABLE"
    ODD_LOT = "ODD_LOT"
    AT_TARGET = "AT_TARGET"


class Holding(Protocol):
    """What sizing needs of a position: shares held and shares sellable now."""

    @property
    def volume(self) -> int:
        """Shares held."""
        ...

    @property
    def can_use_volume(self) -> int:
        """Shares sellable now (T+1, minus those frozen by open sells)."""
        ...


@dataclass(frozen=True, slots=True)
class SizingResult:
    """The sized order: ``quantity`` shares on ``side``; when ``quantity`` is 0, ``code`` says why.

    ``reason``/``reason_en`` explain the outcome either way (zh-CN / English).
    """

    quantity: int
    side: Side
    reason: str
    reason_en: str
    code: str = ""

    def message(self, lang: str = "zh") -> str:
        """The reason in the requested language (``en`` or zh-CN)."""
        return self.reason_en if lang.startswith("en") else self.reason


METHODS_NEEDING_TOTAL_ASSET = frozenset({SizingMethod.EQUITY_PCT, SizingMethod.TARGET_PCT})
_ONE = Decimal(1)


def check_sizing(action: SignalAction, method: SizingMethod | None, value: Decimal | None) -> None:
    """Raise :class:`InvalidValue` (a ``ValueError`` in zh-CN and English) when the sizing does not fit the action.

    ``close`` takes any (ignored) sizing; a ``sell`` without sizing sells everything sellable; a
    ``buy`` needs one. ``quantity`` is a positive whole number, ``amount`` positive, ``equity_pct``
    and ``position_pct`` in (0, 1], ``target_pct`` in [0, 1]; ``position_pct`` is for sells only.
    """
    if action is SignalAction.CLOSE:
        return
    if method is None:
        if action is SignalAction.BUY:
            raise InvalidValue(
                "买入信号须给出 sizing（method 与 value），或先在实时监测中为该股票设置 sizing",
                "a buy signal needs a sizing {method, value}, or a sizing on the stock's watchlist entry",
            )
        return
    if value is None or not value.is_finite():
        raise InvalidValue("sizing.value 须为有限的数字", "sizing.value must be a finite number")
    if method is SizingMethod.QUANTITY:
        if value <= 0 or value != value.to_integral_value():
            raise InvalidValue(
                "quantity 方式的 sizing.value 须为正整数股数",
                "sizing.value of quantity must be a positive whole number of shares",
            )
    elif method is SizingMethod.AMOUNT:
        if value <= 0:
            raise InvalidValue("amount 方式的 sizing.value 须大于 0", "sizing.value of amount must be positive")
    elif method is SizingMethod.TARGET_PCT:
        if not ZERO <= value <= _ONE:
            raise InvalidValue(
                "target_pct 方式的 sizing.value 须为 0 到 1 之间的小数",
                "sizing.value of target_pct must be a fraction in [0, 1]",
            )
    elif not ZERO < value <= _ONE:
        raise InvalidValue(
            f"{method.value} 方式的 sizing.value 须大于 0 且不超过 1（如 0.1 表示 10%）",
            f"sizing.value of {method.value} must be a fraction in (0, 1]",
        )
    if method is SizingMethod.POSITION_PCT and action is SignalAction.BUY:
        raise InvalidValue("position_pct 只能用于卖出", "position_pct sizes sells only")


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def describe(method: SizingMethod, value: Decimal) -> tuple[str, str]:
    """The sizing rule in words (zh-CN, English)."""
    if method is SizingMethod.QUANTITY:
        return f"按数量 {int(value)} 股", f"by quantity {int(value)}"
    if method is SizingMethod.AMOUNT:
        return f"按金额 {to_fen(value)} 元", f"by amount {to_fen(value)} CNY"
    if method is SizingMethod.EQUITY_PCT:
        return f"按总资产 {_pct(value)}", f"by {_pct(value)} of total asset"
    if method is SizingMethod.TARGET_PCT:
        return f"目标仓位 {_pct(value)}", f"to a target weight of {_pct(value)}"
    return f"按可卖持仓 {_pct(value)}", f"by {_pct(value)} of the sellable position"


def _shares_for(amount: Decimal, price: Decimal) -> int:
    """Whole shares ``amount`` CNY buys at ``price`` (rounded down)."""
    if amount <= 0:
        return 0
    return int((amount / price).to_integral_value(rounding=ROUND_FLOOR))


def valid_sell_quantity(rule: LotRule, wanted: int, sellable: int) -> int:
    """The largest quantity not above ``wanted`` that the odd-lot rule accepts out of ``sellable`` (0 if none)."""
    wanted = min(wanted, sellable)
    if wanted <= 0:
        return 0
    if rule.odd_lot is OddLotRule.MINIMUM_OR_ALL:
        return wanted if wanted >= rule.min_buy or wanted == sellable else 0
    lot = rule.min_buy
    best = wanted // lot * lot
    odd = sellable % lot
    if odd and wanted >= odd:
        # Sizes that clear the odd lot: k lots plus the odd remainder.
        best = max(best, (wanted - odd) // lot * lot + odd)
    return best


def buy_cost(fees: FeeSchedule, instrument: Instrument, price: Decimal, quantity: int, day: date) -> Decimal:
    """Cash a buy freezes: price × quantity plus the estimated fees of the whole order."""
    value = price * quantity
    return value + fees.order_fees(Side.BUY, instrument.kind, instrument.board, value, day).total


def fit_cash(
    rule: LotRule,
    quantity: int,
    price: Decimal,
    cash: Decimal,
    fees: FeeSchedule,
    instrument: Instrument,
    day: date,
) -> int:
    """The largest valid buy quantity not above ``quantity`` whose cost with fees fits ``cash`` (0 if none)."""
    qty = round_buy_quantity(rule, quantity)
    while qty >= rule.min_buy:
        over = buy_cost(fees, instrument, price, qty, day) - cash
        if over <= 0:
            return qty
        # Step down by at least one increment, and by enough increments to cover the excess.
        shares = _shares_for(over, price) + 1
        steps = max(1, -(-shares // rule.buy_step))
        qty = round_buy_quantity(rule, qty - steps * rule.buy_step)
    return 0


def size_order(
    method: SizingMethod | None,
    value: Decimal | None,
    action: SignalAction,
    instrument: Instrument,
    price: Decimal,
    cash_available: Decimal,
    position: Holding | None,
    total_asset: Decimal,
    fees: FeeSchedule,
    day: date,
    *,
    open_buy: int = 0,
    open_sell: int = 0,
) -> SizingResult:
    """Size a signal's order at ``price`` (the limit price it will be sent at).

    ``cash_available`` is the cash free for new buys; ``position`` the holding in the instrument
    (``None`` when flat); ``total_asset`` the account's total asset (used by ``equity_pct`` and
    ``target_pct``); ``day`` picks the dated fee and cap rows. ``open_buy``/``open_sell`` are the
    unfilled shares of open orders in the instrument: ``target_pct`` counts them as already bought or
    sold, so repeated target signals do not stack orders while earlier ones rest. Raises
    ``ValueError`` for a sizing :func:`check_sizing` refuses or a price that is not positive.
    """
    if not price.is_finite() or price <= 0:
        raise InvalidValue("价格须大于 0", "price must be positive")
    check_sizing(action, method, value)
    sizer = _Sizer(instrument, price, cash_available, position, fees, day, open_buy - open_sell)
    if action is SignalAction.CLOSE:
        return sizer.sell(sizer.sellable, "清仓", "close the position")
    if method is None or value is None:
        # A sell without sizing sells everything sellable.
        return sizer.sell(sizer.sellable, "卖出全部可卖持仓", "sell the whole sellable position")
    zh, en = describe(method, value)
    if method is SizingMethod.TARGET_PCT:
        return sizer.target(action, value, total_asset, zh, en)
    if action is SignalAction.BUY:
        if method is SizingMethod.QUANTITY:
            return sizer.buy(int(value), zh, en)
        budget = value if method is SizingMethod.AMOUNT else total_asset * value
        return sizer.buy(_shares_for(budget, price), zh, en)
    if method is SizingMethod.QUANTITY:
        wanted = int(value)
    elif method is SizingMethod.AMOUNT:
        wanted = _shares_for(value, price)
    elif method is SizingMethod.EQUITY_PCT:
        wanted = _shares_for(total_asset * value, price)
    else:
        wanted = sizer.sellable if value == _ONE else int((sizer.sellable * value).to_integral_value(ROUND_FLOOR))
    return sizer.sell(wanted, zh, en)


@dataclass(frozen=True, slots=True)
class _Sizer:
    instrument: Instrument
    price: Decimal
    cash: Decimal
    position: Holding | None
    fees: FeeSchedule
    day: date
    #: Shares of open buy orders minus shares of open sell orders (target weights count them).
    pending: int = 0

    @property
    def rule(self) -> LotRule:
        return lot_rule(self.instrument)

    @property
    def cap(self) -> int:
        return quantity_cap(self.instrument, OrderClass.LIMIT, self.day)

    @property
    def held(self) -> int:
        return self.position.volume if self.position is not None else 0

    @property
    def sellable(self) -> int:
        return max(0, self.position.can_use_volume) if self.position is not None else 0

    # ---------------------------------------------------------------------------------- buys
    def buy(self, wanted: int, how_zh: str, how_en: str) -> SizingResult:
        rule, price = self.rule, self.price
        if wanted < rule.min_buy:
            lot_cost = to_fen(price * rule.min_buy)
            return SizingResult(
                0,
                Side.BUY,
                f"{how_zh}不足一手（最少 {rule.min_buy} 股，约 {lot_cost} 元）",
                f"Sizing {how_en} is less than one lot ({rule.min_buy} shares, about {lot_cost} CNY)",
                SkipCode.BELOW_MIN_LOT,
            )
        notes_zh: list[str] = []
        notes_en: list[str] = []
        qty = round_buy_quantity(rule, wanted)
        if qty > self.cap:
            qty = round_buy_quantity(rule, self.cap)
            notes_zh.append(f"按单笔上限 {self.cap} 股截断")
            notes_en.append(f"capped at the per-order maximum of {self.cap}")
        fitted = fit_cash(rule, qty, price, self.cash, self.fees, self.instrument, self.day)
        if fitted == 0:
            need = to_fen(buy_cost(self.fees, self.instrument, price, rule.min_buy, self.day))
            return SizingResult(
                0,
                Side.BUY,
                f"资金不足一手：可用 {to_fen(self.cash)} 元，{rule.min_buy} 股约需 {need} 元（含费用）",
                f"Not enough cash for one lot: {to_fen(self.cash)} CNY available, "
                f"{rule.min_buy} shares need about {need} CNY with fees",
                SkipCode.INSUFFICIENT_CASH,
            )
        if fitted < qty:
            notes_zh.append(f"受可用资金 {to_fen(self.cash)} 元（含费用）限制由 {qty} 股减至 {fitted} 股")
            notes_en.append(f"reduced from {qty} to {fitted} to fit {to_fen(self.cash)} CNY of cash with fees")
        cost = to_fen(buy_cost(self.fees, self.instrument, price, fitted, self.day))
        return SizingResult(
            fitted,
            Side.BUY,
            "；".join([f"{how_zh}：买入 {fitted} 股 @ {price}，预估占用 {cost} 元（含费用）", *notes_zh]),
            "; ".join([f"Sized {how_en}: buy {fitted} @ {price}, about {cost} CNY with fees", *notes_en]),
        )

    # ---------------------------------------------------------------------------------- sells
    def sell(self, wanted: int, how_zh: str, how_en: str) -> SizingResult:
        rule, sellable = self.rule, self.sellable
        if sellable <= 0:
            if self.held > 0:
                return SizingResult(
                    0,
                    Side.SELL,
                    f"无可卖持仓：持有 {self.held} 股，可卖 0 股（今日买入的股份 T+1 才能卖出，或已被卖单冻结）",
                    f"No sellable shares: {self.held} held, 0 sellable (shares bought today are sellable "
                    "from the next trading day (T+1), or open sell orders froze them)",
                    SkipCode.NOT_SELLABLE,
                )
            return SizingResult(
                0,
                Side.SELL,
                f"无可卖持仓：未持有 {self.instrument.code}",
                f"No sellable position: {self.instrument.code} is not held",
                SkipCode.NO_POSITION,
            )
        asked = min(max(wanted, 0), sellable)
        if asked <= 0:
            return SizingResult(
                0,
                Side.SELL,
                f"{how_zh}卖出数量为 0 股（可卖 {sellable} 股）",
                f"Sizing {how_en} gives 0 shares to sell ({sellable} sellable)",
                SkipCode.BELOW_MIN_LOT,
            )
        notes_zh: list[str] = []
        notes_en: list[str] = []
        if wanted > sellable:
            notes_zh.append(f"以可卖 {sellable} 股为限")
            notes_en.append(f"limited to the {sellable} sellable shares")
        qty = valid_sell_quantity(rule, asked, sellable)
        capped = qty > self.cap
        if capped:
            qty = valid_sell_quantity(rule, self.cap, sellable)
            notes_zh.append(f"按单笔上限 {self.cap} 股截断")
            notes_en.append(f"capped at the per-order maximum of {self.cap}")
        if qty <= 0:
            return SizingResult(
                0,
                Side.SELL,
                f"{how_zh}卖出 {asked} 股不符合零股规则"
                f"（可卖 {sellable} 股；不足 {rule.min_buy} 股的零股须一次性卖出）",
                f"Sizing {how_en} gives {asked} shares, which breaks the odd-lot rule "
                f"({sellable} sellable; a remainder under {rule.min_buy} must be sold at once)",
                SkipCode.ODD_LOT,
            )
        if qty < asked and not capped:
            notes_zh.append(f"按零股规则由 {asked} 股调整为 {qty} 股")
            notes_en.append(f"adjusted from {asked} to {qty} for the odd-lot rule")
        assert sell_quantity_ok(rule, qty, sellable)
        return SizingResult(
            qty,
            Side.SELL,
            "；".join([f"{how_zh}：卖出 {qty} 股 @ {self.price}（可卖 {sellable} 股）", *notes_zh]),
            "; ".join([f"Sized {how_en}: sell {qty} @ {self.price} ({sellable} sellable)", *notes_en]),
        )

    # ---------------------------------------------------------------------------------- target weight
    def target(
        self, action: SignalAction, weight: Decimal, total_asset: Decimal, how_zh: str, how_en: str
    ) -> SizingResult:
        """Buy up to, or sell down to, ``weight`` × total asset; never against the signal's direction."""
        target_value = total_asset * weight
        current = self.price * max(0, self.held + self.pending)
        gap = target_value - current
        side = Side.BUY if action is SignalAction.BUY else Side.SELL
        at_target = SizingResult(
            0,
            side,
            f"{how_zh}：当前持仓市值（含未成交委托）{to_fen(current)} 元，目标 {to_fen(target_value)} 元，无需"
            + ("买入" if side is Side.BUY else "卖出"),
            f"Sizing {how_en}: holding (with open orders) worth {to_fen(current)} CNY against a target of "
            f"{to_fen(target_value)} CNY; "
            f"nothing to {side.value}",
            SkipCode.AT_TARGET,
        )
        if side is Side.BUY:
            if gap <= 0:
                return at_target
            return self.buy(_shares_for(gap, self.price), how_zh, how_en)
        if weight == 0:
            return self.sell(self.sellable, how_zh, how_en)
        if gap >= 0:
            return at_target
        return self.sell(_shares_for(-gap, self.price), how_zh, how_en)
