"""The built-in strategies: ``ma_cross``, ``grid`` and ``stop_loss_take_profit``.

Each is a pure state machine over quote snapshots (see :mod:`qmtdesk.strategies.base`). Params
are validated on construction; :meth:`state` returns ``{type, version, params, ...}`` and
:meth:`restore` ignores state saved under other params (a changed strategy starts afresh).

Intents carry ``price=None`` (the runtime's default pricing). Intents are optimistic: a strategy
records what it asked for when it emits it (the grid marks a level filled, the stop marks the
episode closed); it does not learn whether the resulting order was executed.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.rules import lot_rule
from qmtdesk.market.quotes import Quote
from qmtdesk.strategies.bars import BarBuilder
from qmtdesk.strategies.base import (
    ParamSpec,
    PositionView,
    SignalIntent,
    StrategyError,
    fmt_pct,
    fmt_price,
    parse_params,
    register_strategy,
    to_json,
)

STATE_VERSION = 1


class BuiltinStrategy:
    """Shared plumbing: param validation on construction, versioned state keyed by params."""

    type: ClassVar[str]
    name_zh: ClassVar[str]
    description: ClassVar[str]
    params: ClassVar[tuple[ParamSpec, ...]]

    def __init__(self, **values: Any) -> None:
        self.values: dict[str, Any] = parse_params(self.type, self.params, values)

    def on_quote(self, quote: Quote, position: PositionView | None, now: datetime) -> list[SignalIntent]:
        """React to a snapshot (see each strategy)."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """``{type, version, params, ...memory}``, JSON-serialisable."""
        return {"type": self.type, "version": STATE_VERSION, "params": to_json(self.values), **self._state()}

    def restore(self, state: dict[str, Any]) -> None:
        """Load memory from :meth:`state`; ignored when type, version or params differ."""
        if not isinstance(state, dict) or state.get("type") != self.type or state.get("version") != STATE_VERSION:
            return
        try:
            saved = parse_params(self.type, self.params, state.get("params"))
        except StrategyError:
            return
        if saved != self.values:
            return
        self._restore(state)

    def _state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _restore(self, state: dict[str, Any]) -> None:
        raise NotImplementedError


def _holding(position: PositionView | None) -> bool:
    return position is not None and position.volume > 0


# --------------------------------------------------------------------------------------------------
# ma_cross


def _fmt_pair(a: Decimal, b: Decimal) -> tuple[str, str]:
    """Two averages at two decimals, or four when two would make them look equal."""
    for places in ("0.01", "0.0001"):
        qa, qb = a.quantize(Decimal(places)), b.quantize(Decimal(places))
        if qa != qb:
            return f"{qa}", f"{qb}"
    return f"{a}", f"{b}"


@register_strategy
class MaCross(BuiltinStrategy):
    """Moving-average crossover on bars built from quotes.

    Params (defaults): ``fast`` = 5 bars, ``slow`` = 20 bars (``1 ≤ fast < slow ≤ 1000``),
    ``period_seconds`` = 60 (bar length, 1..86400, aligned to midnight), ``sizing`` = ``null``
    (buy sizing ``{method, value}`` of the signal; ``null`` uses the watchlist entry's sizing).

    Behaviour: quotes are aggregated by :class:`~qmtdesk.strategies.bars.BarBuilder`; only when a
    bar CLOSES (the first quote of a later period arrives) are the simple moving averages of the
    last ``fast`` and ``slow`` closes computed. The first time ``slow`` closes exist only fixes
    which side the fast line is on — no signal. Afterwards:

    - golden cross (fast was below slow, is now above) → one ``buy`` intent with ``sizing``;
    - death cross (fast was above, is now below) → one ``close`` intent, only when a position is
      held (volume > 0); without a position the cross is noted and nothing is sent.

    Equal averages do not change the side, so a touch is not a cross and one cross gives one
    signal. Reasons read ``MA5上穿MA20（11.52 > 11.48），金叉买入`` / ``MA5下穿MA20（…），死叉平仓``.
    """

    type: ClassVar[str] = "ma_cross"
    name_zh: ClassVar[str] = "均线交叉"
    description: ClassVar[str] = "K线收盘后计算快慢简单均线：金叉买入，死叉平仓"
    params: ClassVar[tuple[ParamSpec, ...]] = (
        ParamSpec("fast", "int", 5, "快线周期（K线根数），须小于 slow", ge=Decimal(1)),
        ParamSpec("slow", "int", 20, "慢线周期（K线根数），不超过 1000", ge=Decimal(2), le=Decimal(1000)),
        ParamSpec("period_seconds", "int", 60, "K线周期（秒），按零点对齐", ge=Decimal(1), le=Decimal(86400)),
        ParamSpec("sizing", "sizing", None, "买入规模 {method, value}；为空时使用监控项的 sizing", nullable=True),
    )

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.fast: int = self.values["fast"]
        self.slow: int = self.values["slow"]
        self.sizing: dict[str, Any] | None = self.values["sizing"]
        if self.fast >= self.slow:
            raise StrategyError.invalid_param(
                self.type,
                "fast",
                f"快线周期须小于慢线周期（fast={self.fast}，slow={self.slow}）",
                f"must be less than slow (fast={self.fast}, slow={self.slow})",
            )
        self.bars = BarBuilder(self.values["period_seconds"], history=self.slow)
        #: +1 fast above slow, -1 below, None before ``slow`` bars exist.
        self.side: int | None = None

    def on_quote(self, quote: Quote, position: PositionView | None, now: datetime) -> list[SignalIntent]:
        """Feed the bar builder; on a closed bar, look for a cross."""
        if self.bars.update(quote) is None:
            return []
        closes = self.bars.closes
        if len(closes) < self.slow:
            return []
        fast_ma = sum(closes[-self.fast :], Decimal(0)) / self.fast
        slow_ma = sum(closes[-self.slow :], Decimal(0)) / self.slow
        side = 1 if fast_ma > slow_ma else -1 if fast_ma < slow_ma else 0
        previous = self.side
        if side == 0:
            return []
        self.side = side
        if previous is None or previous == side:
            return []
        f, s = _fmt_pair(fast_ma, slow_ma)
        if side == 1:
            reason = f"MA{self.fast}上穿MA{self.slow}（{f} > {s}），金叉买入"
            return [SignalIntent("buy", reason, sizing=dict(self.sizing) if self.sizing else None)]
        if not _holding(position):
            return []
        return [SignalIntent("close", f"MA{self.fast}下穿MA{self.slow}（{f} < {s}），死叉平仓")]

    def _state(self) -> dict[str, Any]:
        return {"side": self.side, "bars": self.bars.state()}

    def _restore(self, state: dict[str, Any]) -> None:
        side = state.get("side")
        self.side = side if side in (1, -1) else None
        self.bars.restore(state.get("bars") or {})


# --------------------------------------------------------------------------------------------------
# grid


def _lot_size(quote: Quote) -> int:
    """Shares per lot for the quote's code: 100, 200 on STAR (688/689), from the dated rule table."""
    try:
        instrument = Instrument.create(quote.stock_code, quote.stock_name, quote.prev_close)
    except DeskError:
        return 100
    return lot_rule(instrument).min_buy


@register_strategy
class Grid(BuiltinStrategy):
    """A price grid below a base price: buy on the way down, sell each lot one step higher.

    Params (defaults): ``base_price`` (required, > 0), ``step_pct`` = 0.02 (0 < step < 1),
    ``lots_per_step`` = 1 (≥ 1), ``max_lots`` = 5 (≥ ``lots_per_step``).

    Levels form one ladder ``level(i) = base × (1 + i × step)``: buy levels are ``i = -1, -2, …``
    (``base × (1 − k × step)``), the levels above them (up to ``base × (1 + k × step)``) are where
    they sell. A lot is ``lot_rule(instrument).min_buy`` shares (100; 200 on STAR 688/689).

    - **Buy**: when the last price moves DOWN from the previous quote's price to or through a
      level ``i`` (``prev > level(i) ≥ last``) that the grid does not hold, buy ``lots_per_step``
      lots there — for each level crossed, highest first — while the grid holds at most
      ``max_lots`` lots. Sizing ``{method: "quantity", value: lots × lot_size}``. The first quote
      only records the price: nothing is bought because the price merely *is* below a level.
    - **Sell**: a chunk bought at level ``i`` is sold when the last price is at or above
      ``level(i + 1)`` — lowest (most recently bought) chunks first, never more chunks than fit in
      the sellable position (T+1: a chunk waits until it can be sold).
    - **Hysteresis**: a held level is never bought again; it must first be sold one step higher,
      and buying again needs a fresh crossing from above. Hovering around a level sends nothing.

    The grid marks a level filled when it emits the buy, and only sells what the grid bought.
    State: ``filled`` (level indices held, one per chunk) and the previous price.
    """

    type: ClassVar[str] = "grid"
    name_zh: ClassVar[str] = "网格交易"
    description: ClassVar[str] = "基准价下方每跌一档买入，回升一档卖出该档买入的股份"
    params: ClassVar[tuple[ParamSpec, ...]] = (
        ParamSpec("base_price", "decimal", None, "网格基准价（元）", required=True, gt=Decimal(0)),
        ParamSpec(
            "step_pct",
            "decimal",
            Decimal("0.02"),
            "档位间距，占基准价的比例（0.02 即 2%）",
            gt=Decimal(0),
            lt=Decimal(1),
        ),
        ParamSpec("lots_per_step", "int", 1, "每档买入/卖出的手数", ge=Decimal(1)),
        ParamSpec("max_lots", "int", 5, "网格最多同时持有的手数", ge=Decimal(1)),
    )

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.base: Decimal = self.values["base_price"]
        self.step: Decimal = self.values["step_pct"]
        self.lots_per_step: int = self.values["lots_per_step"]
        self.max_lots: int = self.values["max_lots"]
        if self.max_lots < self.lots_per_step:
            raise StrategyError.invalid_param(
                self.type,
                "max_lots",
                f"不能小于每档手数 lots_per_step（{self.lots_per_step}）",
                f"must be at least lots_per_step ({self.lots_per_step})",
            )
        #: Level indices (≤ -1) the grid holds a chunk of ``lots_per_step`` lots at.
        self.filled: list[int] = []
        self.prev_price: Decimal | None = None
        self._lots: dict[str, int] = {}

    def level(self, index: int) -> Decimal:
        """Price of level ``index`` (0 is the base, negative below)."""
        return self.base * (1 + index * self.step)

    @property
    def grid_lots(self) -> int:
        """Lots the grid holds."""
        return len(self.filled) * self.lots_per_step

    def _lot(self, quote: Quote) -> int:
        if quote.stock_code not in self._lots:
            self._lots[quote.stock_code] = _lot_size(quote)
        return self._lots[quote.stock_code]

    def on_quote(self, quote: Quote, position: PositionView | None, now: datetime) -> list[SignalIntent]:
        """Sell chunks one level above where they were bought; buy levels crossed on the way down."""
        last = quote.last_price
        if last <= 0:
            return []
        lot = self._lot(quote)
        chunk_shares = self.lots_per_step * lot
        intents: list[SignalIntent] = []

        due = sorted(i for i in self.filled if last >= self.level(i + 1))
        if due:
            sellable_chunks = position.can_use_volume // chunk_shares if position is not None else 0
            selling = due[: max(sellable_chunks, 0)]
            if selling:
                for index in selling:
                    self.filled.remove(index)
                lots = len(selling) * self.lots_per_step
                bought = "、".join(f"第{-i}档{fmt_price(self.level(i))}" for i in selling)
                targets = "、".join(fmt_price(self.level(i + 1)) for i in selling)
                reason = (
                    f"网格卖出：最新价{fmt_price(last)}回升至{targets}（{bought}买入的上一档），"
                    f"卖出{lots}手（{lots * lot}股），网格持仓{self.grid_lots}/{self.max_lots}手"
                )
                intents.append(SignalIntent("sell", reason, sizing={"method": "quantity", "value": lots * lot}))

        previous, self.prev_price = self.prev_price, last
        if previous is not None and last < previous:
            room = (self.max_lots - self.grid_lots) // self.lots_per_step
            buying = self._crossed(previous, last)[: max(room, 0)]
            if buying:
                self.filled.extend(buying)
                lots = len(buying) * self.lots_per_step
                levels = "、".join(f"第{-i}档{fmt_price(self.level(i))}" for i in buying)
                reason = (
                    f"网格买入：最新价{fmt_price(last)}跌破{levels}（基准{fmt_price(self.base)}，"
                    f"间距{fmt_pct(self.step)}），买入{lots}手（{lots * lot}股），"
                    f"网格持仓{self.grid_lots}/{self.max_lots}手"
                )
                intents.append(SignalIntent("buy", reason, sizing={"method": "quantity", "value": lots * lot}))
        return intents

    def _crossed(self, previous: Decimal, last: Decimal) -> list[int]:
        """Unheld buy levels with ``previous > level ≥ last``, highest first."""
        # Start just above the previous price's position on the ladder instead of walking from the base.
        start = min(-1, math.floor((previous / self.base - 1) / self.step) + 1)
        crossed: list[int] = []
        index = start
        while True:
            price = self.level(index)
            if price <= 0 or price < last:
                return crossed
            if price < previous and index not in self.filled:
                crossed.append(index)
            index -= 1

    def _state(self) -> dict[str, Any]:
        return {
            "filled": list(self.filled),
            "prev_price": str(self.prev_price) if self.prev_price is not None else None,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.filled = [int(i) for i in state.get("filled", []) if int(i) <= -1]
        prev = state.get("prev_price")
        self.prev_price = Decimal(prev) if prev is not None else None


# --------------------------------------------------------------------------------------------------
# stop_loss_take_profit


@register_strategy
class StopLossTakeProfit(BuiltinStrategy):
    """Close a held position on a stop loss, a take profit or a trailing stop.

    Params (defaults): ``stop_pct`` = 0.05, ``take_profit_pct`` = 0.10, ``trailing_pct`` = ``null``.
    Each is a fraction (0.05 = 5%) or ``null`` to switch it off; at least one must be on.
    ``stop_pct`` and ``trailing_pct`` are in (0, 1), ``take_profit_pct`` in (0, 10].

    While a position is held (volume > 0), on each quote, in this order:

    - ``last ≤ avg × (1 − stop_pct)`` → ``close``, reason ``止损：…``;
    - ``last ≥ avg × (1 + take_profit_pct)`` → ``close``, reason ``止盈：…``;
    - with ``trailing_pct``: ``last ≤ highest × (1 − trailing_pct)``, where ``highest`` is the
      highest last price seen since the position was first seen held → ``close``, reason
      ``移动止盈：…`` (last above cost) or ``移动止损：…`` (at or below cost).

    One close per position episode: after a close is sent nothing more is sent until the
    position has gone to 0 (which resets the episode and ``highest``). A triggered condition waits
    while nothing is sellable (``can_use_volume`` = 0, e.g. bought today) so T+1 does not use up the
    episode. A non-positive cost price disables the stop and take-profit checks (trailing still works).
    """

    type: ClassVar[str] = "stop_loss_take_profit"
    name_zh: ClassVar[str] = "止损止盈"
    description: ClassVar[str] = "持仓跌破止损线、涨过止盈线或自最高价回撤达到比例时平仓"
    params: ClassVar[tuple[ParamSpec, ...]] = (
        ParamSpec(
            "stop_pct",
            "decimal",
            Decimal("0.05"),
            "止损比例：最新价 ≤ 成本价×(1−stop_pct) 时平仓；为空不止损",
            nullable=True,
            gt=Decimal(0),
            lt=Decimal(1),
        ),
        ParamSpec(
            "take_profit_pct",
            "decimal",
            Decimal("0.10"),
            "止盈比例：最新价 ≥ 成本价×(1+take_profit_pct) 时平仓；为空不止盈",
            nullable=True,
            gt=Decimal(0),
            le=Decimal(10),
        ),
        ParamSpec(
            "trailing_pct",
            "decimal",
            None,
            "移动止损比例：最新价自持仓以来最高价回落该比例时平仓；为空不启用",
            nullable=True,
            gt=Decimal(0),
            lt=Decimal(1),
        ),
    )

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.stop: Decimal | None = self.values["stop_pct"]
        self.take: Decimal | None = self.values["take_profit_pct"]
        self.trailing: Decimal | None = self.values["trailing_pct"]
        if self.stop is None and self.take is None and self.trailing is None:
            raise StrategyError.invalid_param(
                self.type,
                "stop_pct",
                "stop_pct、take_profit_pct、trailing_pct 至少启用一个",
                "at least one of stop_pct, take_profit_pct, trailing_pct must be set",
            )
        self.holding = False
        self.highest: Decimal | None = None
        self.fired = False

    def on_quote(self, quote: Quote, position: PositionView | None, now: datetime) -> list[SignalIntent]:
        """Track the episode and its highest price; send one close when a line is crossed."""
        if position is None or position.volume <= 0:
            self.holding, self.highest, self.fired = False, None, False
            return []
        last = quote.last_price
        if last <= 0:
            return []
        if not self.holding or self.highest is None:
            self.holding, self.highest, self.fired = True, last, False
        else:
            self.highest = max(self.highest, last)
        if self.fired or position.can_use_volume <= 0:
            return []
        reason = self._trigger(last, position.avg_price, self.highest)
        if reason is None:
            return []
        self.fired = True
        return [SignalIntent("close", reason)]

    def _trigger(self, last: Decimal, avg: Decimal, highest: Decimal) -> str | None:
        p = fmt_price
        if avg > 0 and self.stop is not None:
            line = avg * (1 - self.stop)
            if last <= line:
                return f"止损：最新价{p(last)} ≤ 成本价{p(avg)}×(1−{fmt_pct(self.stop)})={p(line)}"
        if avg > 0 and self.take is not None:
            line = avg * (1 + self.take)
            if last >= line:
                return f"止盈：最新价{p(last)} ≥ 成本价{p(avg)}×(1+{fmt_pct(self.take)})={p(line)}"
        if self.trailing is not None:
            line = highest * (1 - self.trailing)
            if last <= line:
                label = "移动止盈" if last > avg else "移动止损"
                return (
                    f"{label}：最新价{p(last)}自持仓以来最高价{p(highest)}回落{fmt_pct(self.trailing)}"
                    f"（≤ {p(line)}），成本价{p(avg)}"
                )
        return None

    def _state(self) -> dict[str, Any]:
        return {
            "holding": self.holding,
            "highest": str(self.highest) if self.highest is not None else None,
            "fired": self.fired,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.holding = bool(state.get("holding"))
        highest = state.get("highest")
        self.highest = Decimal(highest) if highest is not None else None
        self.fired = bool(state.get("fired"))
