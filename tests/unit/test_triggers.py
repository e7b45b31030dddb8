"""Trigger checks of held orders at their boundaries, and what they remember."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Side
from qmtdesk.domain.triggers import Tick, Trigger, TriggerKind, TriggerMemory, check, distance

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
D = Decimal


def tick(last: str, *, bid: str | None = "auto", ask: str | None = "auto", at: datetime = NOW) -> Tick:
    px = D(last)
    best_bid = px - D("0.01") if bid == "auto" else (D(bid) if bid else None)
    best_ask = px + D("0.01") if ask == "auto" else (D(ask) if ask else None)
    return Tick(px, D("12.65"), D("10.35"), best_bid, best_ask, at)


@pytest.mark.parametrize(
    ("direction", "last", "fires"),
    [("above", "11.69", False), ("above", "11.70", True), ("below", "11.71", False), ("below", "11.70", True)],
)
def test_a_price_trigger_fires_on_reaching_its_level(direction: str, last: str, fires: bool) -> None:
    trigger = Trigger(TriggerKind.PRICE, direction, D("11.70"))
    assert check(trigger, Side.BUY, TriggerMemory(), tick(last))[0] is fires


def test_a_sell_trailing_stop_keeps_the_high_and_fires_at_the_retreat() -> None:
    trigger = Trigger(TriggerKind.TRAILING, percent=D("0.05"))
    memory = TriggerMemory()
    for last, fires, mark in (
        ("11.50", False, "11.50"),
        ("12.00", False, "12.00"),
        ("11.41", False, "12.00"),
        ("11.40", True, "12.00"),
    ):
        fired, memory = check(trigger, Side.SELL, memory, tick(last))
        assert (fired, memory.mark) == (fires, D(mark))


def test_a_buy_trailing_trigger_by_amount_follows_the_low() -> None:
    trigger = Trigger(TriggerKind.TRAILING, amount=D("0.30"))
    memory = TriggerMemory()
    for last, fires in (("11.00", False), ("10.50", False), ("10.79", False), ("10.80", True)):
        fired, memory = check(trigger, Side.BUY, memory, tick(last))
        assert fired is fires
    assert memory.mark == D("10.50")
    assert distance(trigger, Side.BUY, memory, D("10.50")) == D("0.30") / D("10.50")


def test_a_time_trigger_fires_at_its_moment() -> None:
    trigger = Trigger(TriggerKind.TIME, at=NOW)
    assert (
        check(trigger, Side.BUY, TriggerMemory(), tick("11.5", at=NOW.replace(second=0, minute=0, hour=9)))[0] is False
    )
    assert check(trigger, Side.BUY, TriggerMemory(), tick("11.5"))[0] is True


def test_limit_up_opening_needs_a_sealed_board_first() -> None:
    trigger = Trigger(TriggerKind.LIMIT_OPEN, which="up")
    memory = TriggerMemory()
    fired, memory = check(trigger, Side.BUY, memory, tick("12.64"))
    assert not fired and not memory.sealed
    # At the limit but sellers still there: not sealed.
    fired, memory = check(trigger, Side.BUY, memory, tick("12.65", ask="12.65"))
    assert not fired and not memory.sealed
    fired, memory = check(trigger, Side.BUY, memory, tick("12.65", ask=None))
    assert not fired and memory.sealed
    fired, memory = check(trigger, Side.BUY, memory, tick("12.65", ask="12.65"))
    assert fired  # sellers came back: the board opened


def test_limit_down_opening_fires_when_buyers_return() -> None:
    trigger = Trigger(TriggerKind.LIMIT_OPEN, which="down")
    fired, memory = check(trigger, Side.BUY, TriggerMemory(), tick("10.35", bid=None))
    assert not fired and memory.sealed
    assert check(trigger, Side.BUY, memory, tick("10.36"))[0]
