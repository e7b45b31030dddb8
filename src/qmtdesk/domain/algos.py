"""Execution algorithms, the pure part: TWAP schedule, child sizes in valid lots, child prices.

A TWAP schedule runs on continuous-trading time only (auctions and the lunch break do not count),
so a window that spans lunch does not pile up a catch-up child at 13:00. Child sizes follow the
board's lot rule (§2 of the rules reference) and never leave a remainder that could not be sent on
its own; child prices stay inside the price cage and the daily limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Side
from qmtdesk.domain.rules import LotRule, Phase, Schedule, round_buy_quantity


class AlgoKind(StrEnum):
    """How the parent is sliced."""

    TWAP = "twap"
    ICEBERG = "iceberg"


def continuous_seconds(start: datetime, end: datetime, schedule: Schedule) -> float:
    """Seconds of continuous trading in ``[start, end)`` on the schedule (both on one Shanghai date)."""
    if end <= start:
        return 0.0
    day = start.astimezone(SHANGHAI).date()
    total = 0.0
    for begin, finish, phase in schedule:
        if phase is not Phase.CONTINUOUS:
            continue
        a = max(start, datetime.combine(day, begin, SHANGHAI))
        b = min(end, datetime.combine(day, finish, SHANGHAI))
        if b > a:
            total += (b - a).total_seconds()
    return total


@dataclass(frozen=True, slots=True)
class TwapPlan:
    """A TWAP's window and slice interval."""

    start: datetime
    end: datetime
    interval: timedelta
    schedule: Schedule

    def slice_index(self, now: datetime) -> int:
        """Which slice ``now`` falls in (-1 before the start)."""
        if now < self.start:
            return -1
        return int((now - self.start) / self.interval)

    def target(self, quantity: int, now: datetime) -> int:
        """Shares the schedule wants done by ``now``: in proportion to the continuous time elapsed."""
        whole = continuous_seconds(self.start, self.end, self.schedule)
        if whole <= 0 or now >= self.end:
            return quantity
        done = continuous_seconds(self.start, min(now, self.end), self.schedule)
        return int(Decimal(quantity) * Decimal(done) / Decimal(whole))


def child_quantity(rule: LotRule, want: int, remaining: int, cap: int | None = None) -> int:
    """The child to send toward ``want`` out of ``remaining`` unsent shares, in valid lots.

    Rounds down to the board's step above its minimum; when what would be left could not be sent
    on its own (less than a minimum lot, e.g. an odd lot closing a position), the child takes it
    all. Never above ``cap`` (the per-order maximum): a child that would pass it is cut to the
    largest valid size that leaves a tail big enough to send later. ``0`` when nothing valid fits yet.
    """
    if remaining <= 0 or want <= 0:
        return 0
    if want >= remaining:
        child = remaining
    elif want < rule.min_buy:
        return 0
    else:
        child = round_buy_quantity(rule, want)
        if remaining - child < rule.min_buy:
            child = remaining
    if cap is None or child <= cap:
        return child
    child = round_buy_quantity(rule, cap)
    short = rule.min_buy - (remaining - child)
    if short > 0:  # the tail would be under a lot: move whole steps back into it
        child -= -(-short // rule.buy_step) * rule.buy_step
    return child


@dataclass(frozen=True, slots=True)
class PriceBounds:
    """What a child may be priced at: the daily limits and the cage (``None`` where none applies)."""

    buy_max: Decimal | None
    sell_min: Decimal | None


def child_price(
    side: Side,
    limit: Decimal | None,
    best_bid: Decimal | None,
    best_ask: Decimal | None,
    last: Decimal,
    bounds: PriceBounds,
) -> Decimal:
    """A marketable limit price for a child: the opposite best (or the last price when that side is
    empty), never beyond the parent's ``limit``, and inside the cage and the daily limits."""
    if side is Side.BUY:
        price = best_ask if best_ask is not None and best_ask > 0 else last
        if limit is not None:
            price = min(price, limit)
        if bounds.buy_max is not None:
            price = min(price, bounds.buy_max)
        return price
    price = best_bid if best_bid is not None and best_bid > 0 else last
    if limit is not None:
        price = max(price, limit)
    if bounds.sell_min is not None:
        price = max(price, bounds.sell_min)
    return price


def iceberg_price(side: Side, limit: Decimal, bounds: PriceBounds) -> Decimal:
    """An iceberg shows its limit price, pulled inside the cage and the daily limits when outside."""
    if side is Side.BUY and bounds.buy_max is not None:
        return min(limit, bounds.buy_max)
    if side is Side.SELL and bounds.sell_min is not None:
        return max(limit, bounds.sell_min)
    return limit


def slippage_bps(side: Side, arrival: Decimal, average: Decimal) -> Decimal:
    """How much worse (positive) than the arrival price the fills came in, in basis points."""
    signed = (average - arrival) if side is Side.BUY else (arrival - average)
    return (signed / arrival * 10_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
