"""BarBuilder: OHLC aggregation of quote snapshots, closing on period boundaries, gaps, history, state."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.market.quotes import Quote
from qmtdesk.strategies.bars import Bar, BarBuilder


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def quote(time: str, price: str, volume: int = 1000, code: str = "600000.SH") -> Quote:
    return Quote(
        stock_code=code,
        stock_name="浦发银行",
        prev_close=Decimal("10.00"),
        last_price=Decimal(price),
        open=Decimal("10.00"),
        high=None,
        low=None,
        volume=volume,
        amount=Decimal(0),
        bids=(),
        asks=(),
        limit_up=None,
        limit_down=None,
        time=at(time),
        source="test",
    )


def test_aggregates_ohlc_and_closes_on_the_next_period() -> None:
    b = BarBuilder(60)
    assert b.update(quote("2026-11-25 10:00:05", "10.00", 1000)) is None
    assert b.update(quote("2026-11-25 10:00:20", "10.30", 1500)) is None
    assert b.update(quote("2026-11-25 10:00:40", "9.90", 1600)) is None
    assert b.update(quote("2026-11-25 10:00:59", "10.10", 2000)) is None
    assert b.current is not None and b.current.close == Decimal("10.10")
    closed = b.update(quote("2026-11-25 10:01:00", "10.20", 2100))
    assert closed == Bar(
        at("2026-11-25 10:00"),
        at("2026-11-25 10:01"),
        Decimal("10.00"),
        Decimal("10.30"),
        Decimal("9.90"),
        Decimal("10.10"),
        1000,  # volume traded after the first quote seen (cumulative 1000 -> 2000)
        4,
    )
    assert b.closes == [Decimal("10.10")]
    assert b.current is not None and b.current.open == Decimal("10.20") and b.current.volume == 100


def test_periods_align_to_midnight() -> None:
    b = BarBuilder(300)
    assert b.bucket(at("2026-11-25 10:04:59")) == at("2026-11-25 10:00")
    assert b.bucket(at("2026-11-25 10:05:00")) == at("2026-11-25 10:05")
    # A UTC time is read in Asia/Shanghai; a naive one is taken as Asia/Shanghai.
    assert b.bucket(datetime.fromisoformat("2026-11-25T02:07:00+00:00")) == at("2026-11-25 10:05")
    assert b.bucket(datetime(2026, 11, 25, 13, 3)) == at("2026-11-25 13:00")
    b.update(quote("2026-11-25 10:01:00", "10"))
    b.update(quote("2026-11-25 10:04:59", "11"))
    closed = b.update(quote("2026-11-25 10:05:00", "12"))
    assert closed is not None and (closed.open, closed.close, closed.end) == (
        Decimal(10),
        Decimal(11),
        at("2026-11-25 10:05"),
    )


def test_lunch_break_and_overnight_make_no_filler_bars() -> None:
    b = BarBuilder(60)
    b.update(quote("2026-11-25 11:29:30", "10.00", 5000))
    lunch = b.update(quote("2026-11-25 13:00:03", "10.05", 5100))
    assert lunch is not None and lunch.start == at("2026-11-25 11:29")
    assert len(b.bars) == 1
    b.update(quote("2026-11-25 14:59:50", "10.10", 9000))
    overnight = b.update(quote("2026-11-26 09:30:02", "10.20", 300))
    assert overnight is not None and overnight.start == at("2026-11-25 14:59") and overnight.volume == 3900
    assert [bar.start for bar in b.bars] == [at("2026-11-25 11:29"), at("2026-11-25 13:00"), at("2026-11-25 14:59")]
    # The new day's cumulative volume restarted: its first delta is the whole count so far.
    assert b.current is not None and b.current.volume == 300


def test_keeps_only_the_last_n_closes() -> None:
    b = BarBuilder(60, history=3)
    start = at("2026-11-25 10:00:10")
    for minute in range(6):
        t = start + timedelta(minutes=minute)
        b.update(quote(t.strftime("%Y-%m-%d %H:%M:%S"), f"10.{minute:02d}"))
    assert b.closes == [Decimal("10.02"), Decimal("10.03"), Decimal("10.04")]
    assert len(b.bars) == 3


def test_ignores_untraded_stale_and_out_of_order_quotes() -> None:
    b = BarBuilder(60)
    assert b.update(quote("2026-11-25 09:20:00", "10.00", volume=0)) is None  # call auction, nothing traded
    assert b.current is None
    b.update(quote("2026-11-25 10:00:30", "10.00"))
    assert b.update(quote("2026-11-25 10:00:10", "99.00")) is None  # older than the last seen
    assert b.current is not None and b.current.high == Decimal("10.00") and b.current.ticks == 1
    b.update(quote("2026-11-25 10:00:30", "0"))  # no price
    assert b.current.ticks == 1


def test_close_due_closes_without_a_quote_and_late_quotes_do_not_reopen_it() -> None:
    b = BarBuilder(60)
    b.update(quote("2026-11-25 10:00:30", "10.00"))
    assert b.close_due(at("2026-11-25 10:00:59")) is None
    closed = b.close_due(at("2026-11-25 10:01:00"))
    assert closed is not None and closed.close == Decimal("10.00")
    assert b.current is None and b.close_due(at("2026-11-25 10:05")) is None
    b._last_time = None  # a delayed snapshot from the closed minute arriving out of band
    assert b.update(quote("2026-11-25 10:00:59", "10.50")) is None
    assert b.current is None
    b.update(quote("2026-11-25 10:01:10", "10.60"))
    assert b.current is not None and b.current.start == at("2026-11-25 10:01")


def test_state_round_trips_through_json() -> None:
    b = BarBuilder(60, history=5)
    for text, price in [("10:00:01", "10.00"), ("10:01:01", "10.10"), ("10:02:01", "10.20"), ("10:02:30", "10.25")]:
        b.update(quote(f"2026-11-25 {text}", price))
    state = json.loads(json.dumps(b.state()))
    restored = BarBuilder(60, history=5)
    restored.restore(state)
    assert restored.bars == b.bars and restored.current == b.current
    closed = restored.update(quote("2026-11-25 10:03:00", "10.30"))
    assert closed is not None and closed.close == Decimal("10.25")
    other = BarBuilder(300)
    other.restore(state)  # another period: ignored
    assert other.bars == [] and other.current is None


@pytest.mark.parametrize("period", [0, -60, 86_401, True])
def test_rejects_bad_periods(period: int) -> None:
    with pytest.raises(ValueError):
        BarBuilder(period)
