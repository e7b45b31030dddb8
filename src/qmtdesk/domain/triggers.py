"""When a held order fires: its trigger, what the trigger remembers, and the test for each kind.

A held order (条件单) waits on the desk, not on the exchange, until its trigger holds on a quote
(or, for a time trigger, on the clock). Each trigger kind is one function in :data:`CHECKS`; what a
trigger must remember between quotes (a trailing stop's high-water mark, whether the board was seen
sealed at its limit) lives in :class:`TriggerMemory` so the desk can persist it and resume after a
restart with the same mark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from qmtdesk.domain.fees import Side


class TriggerKind(StrEnum):
    """What a held order waits for."""

    PRICE = "price"  # the last price crosses a level (stop, stop-limit, take-profit, breakout)
    TRAILING = "trailing"  # the last price retreats from its best by an amount or percent
    TIME = "time"  # a moment arrives
    LIMIT_OPEN = "limit_open"  # a board sealed at its limit opens (涨停打开 / 跌停打开)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger as the client set it; only the fields of its kind are used."""

    kind: TriggerKind
    direction: str | None = None  # price: "above" | "below"
    price: Decimal | None = None  # price: the level
    percent: Decimal | None = None  # trailing: retreat as a fraction (0.05 = 5%)
    amount: Decimal | None = None  # trailing: retreat in CNY per share
    at: datetime | None = None  # time: when
    which: str | None = None  # limit_open: "up" | "down"


@dataclass(frozen=True, slots=True)
class TriggerMemory:
    """What a trigger remembers between quotes (persisted with the held order)."""

    #: Trailing: the best price seen since arming (highest for a sell, lowest for a buy).
    mark: Decimal | None = None
    #: Limit-open: whether the board has been seen sealed at the limit since arming.
    sealed: bool = False


@dataclass(frozen=True, slots=True)
class Tick:
    """What a trigger reads of a quote."""

    last: Decimal
    limit_up: Decimal | None
    limit_down: Decimal | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    time: datetime


Check = Callable[[Trigger, Side, TriggerMemory, Tick], tuple[bool, TriggerMemory]]


def _price(trigger: Trigger, side: Side, memory: TriggerMemory, tick: Tick) -> tuple[bool, TriggerMemory]:
    assert trigger.price is not None
    crossed = tick.last >= trigger.price if trigger.direction == "above" else tick.last <= trigger.price
    return crossed, memory


def trailing_stop(trigger: Trigger, side: Side, mark: Decimal) -> Decimal:
    """The stop level of a trailing trigger from its mark: below the high for a sell, above the low for a buy."""
    sign = -1 if side is Side.SELL else 1
    if trigger.percent is not None:
        return mark * (1 + sign * trigger.percent)
    assert trigger.amount is not None
    return mark + sign * trigger.amount


def _trailing(trigger: Trigger, side: Side, memory: TriggerMemory, tick: Tick) -> tuple[bool, TriggerMemory]:
    best = max if side is Side.SELL else min
    mark = tick.last if memory.mark is None else best(memory.mark, tick.last)
    if mark != memory.mark:
        memory = replace(memory, mark=mark)
    stop = trailing_stop(trigger, side, mark)
    fired = tick.last <= stop if side is Side.SELL else tick.last >= stop
    return fired, memory


def _time(trigger: Trigger, side: Side, memory: TriggerMemory, tick: Tick) -> tuple[bool, TriggerMemory]:
    assert trigger.at is not None
    return tick.time >= trigger.at, memory


def _limit_open(trigger: Trigger, side: Side, memory: TriggerMemory, tick: Tick) -> tuple[bool, TriggerMemory]:
    # Sealed at limit-up: last at the limit and no one selling; at limit-down: no one buying.
    if trigger.which == "up":
        limit, sealed = tick.limit_up, tick.limit_up is not None and tick.last >= tick.limit_up and not tick.best_ask
    else:
        limit, sealed = (
            tick.limit_down,
            tick.limit_down is not None and tick.last <= tick.limit_down and not tick.best_bid,
        )
    if limit is None:
        return False, memory
    if sealed:
        return False, memory if memory.sealed else replace(memory, sealed=True)
    return memory.sealed, memory


#: The test of each trigger kind: (fires now, memory to keep).
CHECKS: dict[TriggerKind, Check] = {
    TriggerKind.PRICE: _price,
    TriggerKind.TRAILING: _trailing,
    TriggerKind.TIME: _time,
    TriggerKind.LIMIT_OPEN: _limit_open,
}


def check(trigger: Trigger, side: Side, memory: TriggerMemory, tick: Tick) -> tuple[bool, TriggerMemory]:
    """Whether ``trigger`` fires on ``tick``, and what it remembers afterwards."""
    return CHECKS[trigger.kind](trigger, side, memory, tick)


def distance(trigger: Trigger, side: Side, memory: TriggerMemory, last: Decimal) -> Decimal | None:
    """How far the last price is from firing, as a fraction of it (None for time triggers and limit opens)."""
    if last <= 0:
        return None
    if trigger.kind is TriggerKind.PRICE and trigger.price is not None:
        return abs(trigger.price - last) / last
    if trigger.kind is TriggerKind.TRAILING:
        stop = trailing_stop(trigger, side, memory.mark if memory.mark is not None else last)
        return abs(last - stop) / last
    return None
