"""Built-in strategies on scripted quote paths: exactly the expected intents, params and state."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.market.quotes import Quote
from qmtdesk.strategies.base import (
    STRATEGIES,
    PositionView,
    SignalIntent,
    Strategy,
    StrategyError,
    describe_strategies,
    make_strategy,
)
from qmtdesk.strategies.builtin import Grid, MaCross, StopLossTakeProfit

DAY = datetime(2026, 11, 25, tzinfo=SHANGHAI)


def at(clock: str) -> datetime:
    h, m, s = (int(part) for part in clock.split(":"))
    return DAY.replace(hour=h, minute=m, second=s)


def quote(price: str, time: datetime | str = "10:00:00", code: str = "600000.SH") -> Quote:
    moment = at(time) if isinstance(time, str) else time
    return Quote(
        stock_code=code,
        stock_name="测试股票",
        prev_close=Decimal("10.00"),
        last_price=Decimal(price),
        open=Decimal("10.00"),
        high=None,
        low=None,
        volume=100_000,
        amount=Decimal(0),
        bids=(),
        asks=(),
        limit_up=None,
        limit_down=None,
        time=moment,
        source="test",
    )


def held(volume: int, avg: str = "10.00", can_use: int | None = None) -> PositionView:
    return PositionView(volume, volume if can_use is None else can_use, Decimal(avg))


class Book:
    """Fills every intent at once (no T+1), so a path can be scripted end to end."""

    def __init__(self) -> None:
        self.volume = 0

    def view(self) -> PositionView | None:
        return held(self.volume) if self.volume else None

    def apply(self, intents: list[SignalIntent]) -> None:
        for intent in intents:
            if intent.action == "close":
                self.volume = 0
            else:
                qty = intent.sizing["value"] if intent.sizing else 100
                self.volume += qty if intent.action == "buy" else -qty


def run(strategy: Strategy, prices: list[str], book: Book | None = None, code: str = "600000.SH") -> list[list[Any]]:
    """Feed one quote per price, a second apart; return the intents of each step."""
    book = book or Book()
    out: list[list[Any]] = []
    t = at("10:00:00")
    for price in prices:
        intents = strategy.on_quote(quote(price, t, code), book.view(), t)
        book.apply(intents)
        out.append(intents)
        t += timedelta(seconds=1)
    return out


# --------------------------------------------------------------------------------------------------
# ma_cross

#: (time, price): two snapshots per minute; the closes of minutes 0..6 are
#: 10.3, 10.2, 10.1, 10.0, 10.6, 10.7, 10.0 — a golden cross on the 10:04 bar, a death cross on 10:06.
MA_PATH = [
    ("10:00:10", "10.50"),
    ("10:00:40", "10.30"),
    ("10:01:10", "10.40"),
    ("10:01:40", "10.20"),
    ("10:02:10", "10.00"),
    ("10:02:40", "10.10"),
    ("10:03:10", "10.90"),  # an intra-bar spike: only closes count
    ("10:03:40", "10.00"),
    ("10:04:10", "10.00"),
    ("10:04:40", "10.60"),
    ("10:05:10", "10.65"),  # closes the 10:04 bar -> golden cross
    ("10:05:40", "10.70"),
    ("10:06:10", "10.50"),  # closes the 10:05 bar
    ("10:06:40", "10.00"),
    ("10:07:10", "10.00"),  # closes the 10:06 bar -> death cross
    ("10:07:40", "9.90"),
    ("10:08:10", "10.00"),
]


def run_ma(strategy: MaCross, path: list[tuple[str, str]], position: PositionView | None) -> dict[str, list[Any]]:
    fired: dict[str, list[Any]] = {}
    for time, price in path:
        intents = strategy.on_quote(quote(price, time), position, at(time))
        if intents:
            fired[time] = intents
    return fired


def test_ma_cross_golden_then_death_cross_on_closed_bars() -> None:
    sizing = {"method": "amount", "value": "10000"}
    strategy = make_strategy("ma_cross", {"fast": 2, "slow": 3, "sizing": sizing})
    fired = run_ma(strategy, MA_PATH, held(1000))  # type: ignore[arg-type]
    assert fired == {
        "10:05:10": [SignalIntent("buy", "MA2上穿MA3（10.30 > 10.23），金叉买入", sizing=sizing)],
        "10:07:10": [SignalIntent("close", "MA2下穿MA3（10.35 < 10.43），死叉平仓")],
    }


def test_ma_cross_death_cross_without_a_position_sends_nothing() -> None:
    strategy = MaCross(fast=2, slow=3)
    fired = run_ma(strategy, MA_PATH, None)
    assert list(fired) == ["10:05:10"]
    assert fired["10:05:10"][0].action == "buy" and fired["10:05:10"][0].sizing is None


def test_ma_cross_waits_for_slow_bars_and_a_touch_is_not_a_cross() -> None:
    strategy = MaCross(fast=2, slow=3)
    # Rising from the start: no signal on the first evaluation (nothing to cross from).
    path = [(f"10:0{m}:10", p) for m, p in enumerate(["10.0", "10.1", "10.2", "10.3", "10.4"])]
    assert run_ma(strategy, path, None) == {}
    # Equal averages are a touch, not a cross: with closes 10.0 x3 (equal: no side yet), 10.3 (above:
    # the first side, no signal), 9.7 (equal), 11.0 (above again: no signal), 8.4 (equal), 8.4 (below):
    # only the final move through is a (death) cross.
    strategy = MaCross(fast=2, slow=3)
    closes = ["10.0", "10.0", "10.0", "10.3", "9.7", "11.0", "8.4", "8.4", "8.4"]
    path = [(f"10:{m:02d}:10", p) for m, p in enumerate(closes)]
    assert run_ma(strategy, path, held(100)) == {
        "10:08:10": [SignalIntent("close", "MA2下穿MA3（8.40 < 9.27），死叉平仓")]
    }


def test_ma_cross_state_round_trip_mid_path() -> None:
    first = MaCross(fast=2, slow=3)
    split = 9  # after the 10:04:10 quote: four bars closed, the side is known
    run_ma(first, MA_PATH[:split], held(1000))
    state = json.loads(json.dumps(first.state()))
    second = MaCross(fast=2, slow=3)
    second.restore(state)
    fired = run_ma(second, MA_PATH[split:], held(1000))
    assert [(t, [i.action for i in v]) for t, v in fired.items()] == [("10:05:10", ["buy"]), ("10:07:10", ["close"])]
    # State saved under other params is ignored.
    third = MaCross(fast=2, slow=4)
    third.restore(state)
    assert third.side is None and third.bars.bars == []


# --------------------------------------------------------------------------------------------------
# grid


def actions(steps: list[list[SignalIntent]]) -> list[tuple[str, int] | None]:
    out: list[tuple[str, int] | None] = []
    for intents in steps:
        assert len(intents) <= 1
        out.append((intents[0].action, intents[0].sizing["value"]) if intents else None)  # type: ignore[index]
    return out


def test_grid_buys_two_levels_down_then_sells_on_the_way_up() -> None:
    grid = make_strategy("grid", {"base_price": "10.00", "step_pct": "0.02", "max_lots": 5})
    prices = ["10.05", "9.85", "9.80", "9.79", "9.81", "9.80", "9.78", "9.59", "9.61", "9.58", "9.70", "9.80", "9.79"]
    prices += ["9.81", "9.99", "10.00", "10.01", "9.99"]
    steps = run(grid, prices)
    assert actions(steps) == [
        None,  # first quote: only recorded
        None,
        ("buy", 100),  # reaches level 1 (9.80)
        None,  # hovering around 9.80: no repeat
        None,
        None,
        None,
        ("buy", 100),  # through level 2 (9.60)
        None,
        None,
        None,
        ("sell", 100),  # the level-2 lot sells one step up, at 9.80
        None,  # hovering around 9.80 again: nothing
        None,
        None,
        ("sell", 100),  # the level-1 lot sells at the base, 10.00
        None,
        None,
    ]
    assert steps[2][0].reason == (
        "网格买入：最新价9.80跌破第1档9.80（基准10.00，间距2%），买入1手（100股），网格持仓1/5手"
    )
    assert steps[7][0].reason.startswith("网格买入：最新价9.59跌破第2档9.60")
    assert steps[11][0].reason == (
        "网格卖出：最新价9.80回升至9.80（第2档9.60买入的上一档），卖出1手（100股），网格持仓1/5手"
    )
    assert steps[15][0].reason.endswith("网格持仓0/5手")
    assert grid.filled == []  # type: ignore[attr-defined]


def test_grid_respects_max_lots_and_rebuys_after_a_round_trip() -> None:
    grid = Grid(base_price=Decimal("10"), step_pct=Decimal("0.02"), lots_per_step=1, max_lots=2)
    prices = ["10.00", "9.80", "9.60", "9.40", "9.20", "9.39", "9.61", "9.80", "9.59", "9.39"]
    steps = run(grid, prices)
    assert actions(steps) == [
        None,
        ("buy", 100),
        ("buy", 100),
        None,  # level 3: already at max_lots
        None,  # level 4: still full
        None,  # 9.39 -> 9.61 is not yet level 1 (9.80) where the level-2 lot sells
        None,
        ("sell", 100),
        ("buy", 100),  # 9.80 -> 9.59 crosses level 2 again
        None,  # full again: level 3 is skipped
    ]
    assert grid.filled == [-1, -2]


def test_grid_gap_through_two_levels_buys_both_in_one_intent_and_star_lots_are_200() -> None:
    grid = Grid(base_price=Decimal("50"), step_pct=Decimal("0.02"), lots_per_step=1, max_lots=5)
    steps = run(grid, ["50.50", "48.90", "47.90"], code="688001.SH")
    assert actions(steps) == [None, ("buy", 200), ("buy", 200)]
    grid = Grid(base_price=Decimal("50"), step_pct=Decimal("0.02"), lots_per_step=2, max_lots=6)
    steps = run(grid, ["50.50", "47.90"], code="688001.SH")
    assert actions(steps) == [None, ("buy", 800)]
    assert "第1档49.00、第2档48.00" in steps[1][0].reason and "买入4手（800股）" in steps[1][0].reason


def test_grid_never_sells_more_than_the_sellable_position() -> None:
    grid = Grid(base_price=Decimal("10"), step_pct=Decimal("0.02"))
    t = at("10:00:00")
    assert grid.on_quote(quote("10.00", t), None, t) == []
    assert actions([grid.on_quote(quote("9.55", t), None, t)]) == [("buy", 200)]  # levels 1 and 2
    # Bought today: nothing sellable (T+1), so nothing is sold though both lots are due.
    assert grid.on_quote(quote("10.00", t), held(200, "9.70", can_use=0), t) == []
    # Only 100 sellable: the lowest (level-2) lot goes first.
    steps = [grid.on_quote(quote("10.00", t), held(200, "9.70", can_use=100), t)]
    assert actions(steps) == [("sell", 100)] and grid.filled == [-1]
    steps = [grid.on_quote(quote("10.00", t), held(100, "9.70", can_use=100), t)]
    assert actions(steps) == [("sell", 100)] and grid.filled == []


def test_grid_state_round_trip() -> None:
    params = {"base_price": "10", "step_pct": "0.02"}
    first = make_strategy("grid", params)
    run(first, ["10.00", "9.79", "9.59"])
    state = json.loads(json.dumps(first.state()))
    assert state["filled"] == [-1, -2] and state["prev_price"] == "9.59"
    second = make_strategy("grid", {"base_price": 10.0, "step_pct": 0.02})  # same params, other spelling
    second.restore(state)
    t = at("10:01:00")
    assert actions([second.on_quote(quote("9.80", t), held(200), t)]) == [("sell", 100)]
    other = make_strategy("grid", {"base_price": "11"})
    other.restore(state)
    assert other.filled == [] and other.prev_price is None  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------
# stop_loss_take_profit


def sltp_run(strategy: Strategy, steps: list[tuple[str, PositionView | None]]) -> list[str | None]:
    out: list[str | None] = []
    t = at("10:00:00")
    for price, position in steps:
        intents = strategy.on_quote(quote(price, t), position, t)
        assert len(intents) <= 1 and all(i.action == "close" and i.sizing is None for i in intents)
        out.append(intents[0].reason if intents else None)
        t += timedelta(seconds=3)
    return out


def test_stop_loss_fires_once_per_position_episode() -> None:
    s = make_strategy("stop_loss_take_profit", {})
    p = held(1000, "10.00")
    reasons = sltp_run(
        s,
        [("9.80", p), ("9.51", p), ("9.50", p), ("9.40", p), ("9.30", p), ("9.30", None), ("9.40", held(500, "10.00"))],
    )
    assert reasons == [
        None,
        None,
        "止损：最新价9.50 ≤ 成本价10.00×(1−5%)=9.50",
        None,  # already closed this episode
        None,
        None,  # flat: the episode resets
        "止损：最新价9.40 ≤ 成本价10.00×(1−5%)=9.50",  # a new position, a new episode
    ]


def test_take_profit() -> None:
    s = StopLossTakeProfit(stop_pct=Decimal("0.05"), take_profit_pct=Decimal("0.10"))
    p = held(1000, "10.00")
    assert sltp_run(s, [("10.50", p), ("10.99", p), ("11.00", p), ("11.50", p)]) == [
        None,
        None,
        "止盈：最新价11.00 ≥ 成本价10.00×(1+10%)=11.00",
        None,
    ]


def test_trailing_stop_from_the_highest_price_since_held() -> None:
    s = make_strategy("stop_loss_take_profit", {"stop_pct": None, "take_profit_pct": None, "trailing_pct": "0.03"})
    p = held(1000, "10.00")
    # 10.80 is the high; the line is 10.80 x 0.97 = 10.476.
    reasons = sltp_run(s, [("10.00", p), ("10.50", p), ("10.80", p), ("10.50", p), ("10.48", p), ("10.47", p)])
    assert reasons == [
        None,
        None,
        None,
        None,
        None,
        "移动止盈：最新价10.47自持仓以来最高价10.80回落3%（≤ 10.476），成本价10.00",
    ]
    # Below cost it is a trailing stop loss; the high counts only since the position was held.
    s = StopLossTakeProfit(stop_pct=None, take_profit_pct=None, trailing_pct=Decimal("0.03"))
    reasons = sltp_run(s, [("12.00", None), ("10.00", p), ("9.75", p), ("9.70", p)])
    assert reasons == [None, None, None, "移动止损：最新价9.70自持仓以来最高价10.00回落3%（≤ 9.70），成本价10.00"]


def test_sltp_waits_while_nothing_is_sellable() -> None:
    s = make_strategy("stop_loss_take_profit", {"stop_pct": "0.05"})
    bought_today = held(1000, "10.00", can_use=0)
    reasons = sltp_run(s, [("9.40", bought_today), ("9.30", bought_today), ("9.45", held(1000, "10.00"))])
    assert reasons == [None, None, "止损：最新价9.45 ≤ 成本价10.00×(1−5%)=9.50"]


def test_sltp_state_round_trip() -> None:
    s = make_strategy("stop_loss_take_profit", {"trailing_pct": "0.05"})
    p = held(1000, "10.00")
    sltp_run(s, [("10.00", p), ("10.60", p)])
    state = json.loads(json.dumps(s.state()))
    assert state["highest"] == "10.60" and state["fired"] is False
    again = make_strategy("stop_loss_take_profit", {"trailing_pct": "0.05"})
    again.restore(state)
    # 10.60 x 0.95 = 10.07: the restored high triggers at 10.07, a fresh one would not.
    assert sltp_run(again, [("10.07", p)]) == [
        "移动止盈：最新价10.07自持仓以来最高价10.60回落5%（≤ 10.07），成本价10.00"
    ]
    fired = json.loads(json.dumps(again.state()))
    third = make_strategy("stop_loss_take_profit", {"trailing_pct": "0.05"})
    third.restore(fired)
    assert sltp_run(third, [("9.00", p)]) == [None]  # the episode's close was already sent


# --------------------------------------------------------------------------------------------------
# params and the registry


@pytest.mark.parametrize(
    ("type_", "params", "param"),
    [
        ("ma_cross", {"fast": 20, "slow": 5}, "fast"),
        ("ma_cross", {"fast": "x"}, "fast"),
        ("ma_cross", {"fast": True}, "fast"),
        ("ma_cross", {"fast": 2.5}, "fast"),
        ("ma_cross", {"slow": 1}, "slow"),
        ("ma_cross", {"period_seconds": 0}, "period_seconds"),
        ("ma_cross", {"sizing": {"method": "lots", "value": 1}}, "sizing"),
        ("ma_cross", {"sizing": {"method": "quantity", "value": -100}}, "sizing"),
        ("ma_cross", {"sizing": {"method": "position_pct", "value": "0.5"}}, "sizing"),  # sells only
        ("ma_cross", {"sizing": {"method": "equity_pct", "value": "1.5"}}, "sizing"),
        ("ma_cross", {"fast": None}, "fast"),
        ("ma_cross", {"colour": "red"}, "colour"),
        ("grid", {}, "base_price"),
        ("grid", {"base_price": "-1"}, "base_price"),
        ("grid", {"base_price": "NaN"}, "base_price"),
        ("grid", {"base_price": 10, "step_pct": 1}, "step_pct"),
        ("grid", {"base_price": 10, "lots_per_step": 3, "max_lots": 2}, "max_lots"),
        ("stop_loss_take_profit", {"stop_pct": None, "take_profit_pct": None}, "stop_pct"),
        ("stop_loss_take_profit", {"trailing_pct": "1.5"}, "trailing_pct"),
    ],
)
def test_bad_params_are_invalid_strategy_params(type_: str, params: dict[str, Any], param: str) -> None:
    with pytest.raises(StrategyError) as caught:
        make_strategy(type_, params)
    err = caught.value
    assert err.code == "INVALID_STRATEGY_PARAMS" and err.http_status == 422
    assert err.data == {"strategy": type_, "param": param}
    assert param in err.message_zh and param in err.message_en


def test_unknown_type_and_non_object_params() -> None:
    with pytest.raises(StrategyError) as caught:
        make_strategy("rsi", {})
    assert caught.value.code == "UNKNOWN_STRATEGY" and caught.value.http_status == 422
    with pytest.raises(StrategyError) as caught:
        make_strategy("grid", ["base_price", 10])  # type: ignore[arg-type]
    assert caught.value.code == "INVALID_STRATEGY_PARAMS"


def test_registry_and_descriptions() -> None:
    assert set(STRATEGIES) == {"ma_cross", "grid", "stop_loss_take_profit"}
    described = {d["type"]: d for d in json.loads(json.dumps(describe_strategies()))}
    assert described["ma_cross"]["name_zh"] == "均线交叉"
    assert [(p["name"], p["type"], p["default"]) for p in described["ma_cross"]["params"]] == [
        ("fast", "int", 5),
        ("slow", "int", 20),
        ("period_seconds", "int", 60),
        ("sizing", "sizing", None),
    ]
    grid = {p["name"]: p for p in described["grid"]["params"]}
    assert grid["base_price"]["required"] is True and grid["step_pct"]["default"] == "0.02"
    assert grid["lots_per_step"]["default"] == 1 and grid["max_lots"]["default"] == 5
    sl = {p["name"]: p["default"] for p in described["stop_loss_take_profit"]["params"]}
    assert sl == {"stop_pct": "0.05", "take_profit_pct": "0.10", "trailing_pct": None}
    assert all(p["description"] for d in described.values() for p in d["params"])
    for type_ in STRATEGIES:
        params = {"base_price": "10"} if type_ == "grid" else {}
        assert isinstance(make_strategy(type_, params), Strategy)
