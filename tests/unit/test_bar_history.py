"""Chart bars: which minute a quote belongs to, the one-minute recorder, the invented daily history,
and MiniQMT's history read through xtdata."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from qmtdesk.market.history import MinuteRecorder, simulated_days, trading_minute
from qmtdesk.market.quotes import Quote
from qmtdesk.market.universe import Universe, bundled_universe
from qmtdesk.market.xtdata import XtDataMarket


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def quote(time: str, price: str, volume: int, amount: str = "0") -> Quote:
    return Quote(
        stock_code="600000.SH",
        stock_name="浦发银行",
        prev_close=Decimal("10.00"),
        last_price=Decimal(price),
        open=Decimal("10.00"),
        high=None,
        low=None,
        volume=volume,
        amount=Decimal(amount),
        bids=(),
        asks=(),
        limit_up=None,
        limit_down=None,
        time=at(time),
        source="test",
    )


@pytest.mark.parametrize(
    ("moment", "minute"),
    [
        ("2026-11-25T09:15:00", None),  # the call auction's indicative prices are no trades
        ("2026-11-25T09:25:00", "09:30"),  # the opening print joins the first bar
        ("2026-11-25T09:30:59", "09:30"),
        ("2026-11-25T11:29:30", "11:29"),
        ("2026-11-25T11:30:00", "11:29"),  # the morning's last print
        ("2026-11-25T12:10:00", None),
        ("2026-11-25T13:00:00", "13:00"),
        ("2026-11-25T14:59:59", "14:59"),
        ("2026-11-25T15:00:00", "14:59"),  # the closing auction's print
        ("2026-11-25T15:00:01", "14:59"),
        ("2026-11-25T15:01:00", None),
    ],
)
def test_a_quote_belongs_to_the_minute_bar_of_its_session(moment: str, minute: str | None) -> None:
    found = trading_minute(at(moment))
    assert (found.strftime("%H:%M") if found else None) == minute


def test_the_recorder_builds_ohlc_and_volume_per_minute_from_cumulative_figures() -> None:
    rec = MinuteRecorder()
    for q in (
        quote("2026-11-25T09:25:00", "10.02", 1000, "10020"),
        quote("2026-11-25T09:30:20", "10.05", 1500, "15045"),
        quote("2026-11-25T09:30:50", "9.99", 1800, "18042"),
        quote("2026-11-25T09:31:10", "10.01", 2000, "20044"),
        quote("2026-11-25T09:30:55", "11.00", 2100, "21000"),  # late: a closed minute is history
    ):
        rec(q)
    bars = rec.bars("600000.SH", date(2026, 11, 25))
    assert [(b.time.strftime("%H:%M"), b.open, b.high, b.low, b.close, b.volume) for b in bars] == [  # type: ignore[union-attr]
        ("09:30", Decimal("10.02"), Decimal("10.05"), Decimal("9.99"), Decimal("9.99"), 1800),
        ("09:31", Decimal("10.01"), Decimal("10.01"), Decimal("10.01"), Decimal("10.01"), 300),
    ]
    assert bars[0].amount == Decimal("18042")
    assert rec.bars("600000.SH", date(2026, 11, 26)) == []


def test_a_recorder_started_mid_day_does_not_put_the_mornings_volume_in_its_first_bar() -> None:
    rec = MinuteRecorder()
    rec(quote("2026-11-25T10:00:10", "10.00", 500_000, "5000000"))
    rec(quote("2026-11-25T10:00:40", "10.01", 500_300, "5003003"))
    (bar,) = rec.bars("600000.SH", date(2026, 11, 25))
    assert bar.volume == 300


def test_a_new_day_starts_the_bars_over() -> None:
    rec = MinuteRecorder()
    rec(quote("2026-11-25T14:59:00", "10.00", 9000))
    rec(quote("2026-11-26T09:25:00", "10.10", 100))
    assert [b.volume for b in rec.bars("600000.SH", date(2026, 11, 26))] == [100]


def test_the_invented_history_ends_at_the_close_given_repeats_and_keeps_inside_the_limit() -> None:
    days = [date(2026, 11, d) for d in (16, 17, 18, 19, 20, 23, 24)]
    bars = simulated_days("600000.SH", days, Decimal("11.50"), Decimal("0.01"), Decimal("0.10"))
    assert [b.time for b in bars] == days
    assert bars[-1].close == Decimal("11.50")
    assert bars == simulated_days("600000.SH", days, Decimal("11.50"), Decimal("0.01"), Decimal("0.10"))
    assert bars != simulated_days("000001.SZ", days, Decimal("11.50"), Decimal("0.01"), Decimal("0.10"))
    for prev, bar in itertools.pairwise(bars):
        assert bar.low <= min(bar.open, bar.close) and max(bar.open, bar.close) <= bar.high
        assert abs(bar.close / prev.close - 1) <= Decimal("0.101")
        assert bar.volume > 0 and bar.volume % 100 == 0


class _Frame:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def to_dict(self, orient: str) -> list[dict[str, Any]]:
        assert orient == "records"
        return self.rows


def test_live_bars_come_from_xtdata_in_shares_with_suspended_days_left_out() -> None:
    asked: list[tuple[Any, ...]] = []

    def download_history_data(code: str, period: str, incrementally: bool) -> None:
        asked.append(("download", code, period))

    def get_market_data_ex(fields: list[str], codes: list[str], period: str, count: int) -> dict[str, _Frame]:
        asked.append(("bars", tuple(codes), period, count))
        ms = int(at("2026-11-24T00:00:00").timestamp() * 1000)
        return {
            "600000.SH": _Frame(
                [
                    {"time": ms - 86_400_000, "open": 0.0, "high": 0.0, "low": 0.0, "close": 0.0, "volume": 0},
                    {
                        "time": ms,
                        "open": 11.5,
                        "high": 11.8,
                        "low": 11.4,
                        "close": 11.7,
                        "volume": 1234,
                        "amount": 1.4e6,
                    },
                ]
            )
        }

    fake = SimpleNamespace(download_history_data=download_history_data, get_market_data_ex=get_market_data_ex)
    market = XtDataMarket(SimulatedClock(at("2026-11-25T10:00:00")), Universe(bundled_universe()), xtdata=fake)  # type: ignore[arg-type]
    try:
        (bar,) = market.history("600000.SH", "1d", 2)
    finally:
        market.close()
    assert asked == [("download", "600000.SH", "1d"), ("bars", ("600000.SH",), "1d", 2)]
    assert bar.time == date(2026, 11, 24)
    assert (bar.open, bar.high, bar.low, bar.close) == (
        Decimal("11.5"),
        Decimal("11.8"),
        Decimal("11.4"),
        Decimal("11.7"),
    )
    assert bar.volume == 123_400 and bar.amount == Decimal("1400000.0")
