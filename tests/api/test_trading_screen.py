"""What the trading screen reads: chart bars, the price cage beside the ticket, today's P&L per holding."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from tests.api.conftest import API, DeskClient, make_settings


def _moving_desk(tmp_path: Path, database_url: str) -> Desk:
    # Volatility and one-minute steps, so the simulated market makes bars worth charting.
    return Desk.build(make_settings(tmp_path / "data", database_url, paper_volatility="0.3", paper_tick_seconds=60))


def _get(client: TestClient, path: str, headers: dict[str, str]) -> object:
    r = client.get(f"{API}{path}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_intraday_bars_are_the_simulated_quotes_minute_by_minute(tmp_path: Path, database_url: str) -> None:
    desk = _moving_desk(tmp_path, database_url)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        auth = client.login()
        for minute in range(1, 31):  # as a running desk's clock does: a step each minute
            client.advance(auth, to=f"2026-11-25T10:{minute:02d}:00+08:00")
        bars = _get(http, "/market/bars/600000.SH?period=1m", auth)
        quote = _get(http, "/market/quote/600000.SH", auth)

    assert isinstance(bars, list) and isinstance(quote, dict)
    assert len(bars) >= 25  # a step a minute from 10:00 to 10:30
    times = [datetime.fromisoformat(b["time"]) for b in bars]
    assert times == sorted(set(times))
    assert all(t.second == 0 and "10:00" <= t.strftime("%H:%M") <= "10:30" for t in times)
    for b in bars:
        o, h, low, c = (Decimal(b[k]) for k in ("open", "high", "low", "close"))
        assert low <= min(o, c) and max(o, c) <= h
    assert bars[-1]["close"] == quote["last_price"]
    assert sum(b["volume"] for b in bars) > 0
    assert len({b["close"] for b in bars}) > 1  # the walk moved


def test_daily_kline_keeps_each_closed_day_and_fills_the_days_before_with_a_repeatable_history(
    tmp_path: Path, database_url: str
) -> None:
    desk = _moving_desk(tmp_path, database_url)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        auth = client.login()
        first_day = _get(http, "/market/bars/600000.SH?period=1d&count=40", auth)
        client.advance(auth, days=2, at="10:00")
        bars = _get(http, "/market/bars/600000.SH?period=1d&count=40", auth)
        quote = _get(http, "/market/quote/600000.SH", auth)
    assert isinstance(bars, list) and isinstance(quote, dict) and isinstance(first_day, list)

    days = [date.fromisoformat(b["time"]) for b in bars]
    assert len(bars) == 40 and days == sorted(set(days))
    assert all(d.weekday() < 5 for d in days)
    assert days[-1] == date(2026, 11, 27)  # today's forming bar, two trading days on
    assert days[-3:-1] == [date(2026, 11, 25), date(2026, 11, 26)]  # the days the desk lived through
    assert bars[-2]["close"] == quote["prev_close"]  # yesterday's bar closed where today starts
    assert bars[-1]["close"] == quote["last_price"]
    # The history before the desk's first day was invented once: the same bars after the days rolled.
    before = {b["time"]: b for b in first_day if b["time"] < "2026-11-25"}
    assert [b for b in bars if b["time"] in before] == [before[b["time"]] for b in bars if b["time"] in before]

    # Closed days are stored: a restarted desk draws the same K-line.
    again = Desk.build(make_settings(tmp_path / "data", database_url, paper_volatility="0.3", paper_tick_seconds=60))
    with TestClient(create_app(again)) as http:
        auth = DeskClient(http, again).login()
        restarted = _get(http, "/market/bars/600000.SH?period=1d&count=40", auth)
    assert isinstance(restarted, list)
    assert restarted[:-1] == bars[:-1]


def test_bars_refuse_an_unknown_period_or_code_with_chinese_messages(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    r = desk_client.http.get(f"{API}/market/bars/600000.SH?period=5s", headers=auth)
    assert r.status_code == 422 and "period" in r.json()["message"]
    r = desk_client.http.get(f"{API}/market/bars/603999.SH?period=1d", headers=auth)
    assert r.status_code == 422 and r.json()["error"] == "UNKNOWN_INSTRUMENT"


def test_the_quote_shows_the_price_cage_the_exchange_enforces(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote = desk_client.http.get(f"{API}/market/quote/600000.SH", headers=auth).json()["data"]
    cage = quote["cage"]
    assert cage is not None
    tick = Decimal("0.01")
    buy_max, sell_min = Decimal(cage["buy_max"]), Decimal(cage["sell_min"])
    assert Decimal(quote["limit_down"]) <= sell_min < Decimal(quote["last_price"]) < buy_max
    assert buy_max <= Decimal(quote["limit_up"])

    over = desk_client.order(auth, price=str(buy_max + tick), client_order_id="cage-over")
    assert over.status_code == 422 and over.json()["error"] == "PRICE_CAGE"
    at_edge = desk_client.order(auth, price=str(buy_max), client_order_id="cage-edge")
    assert at_edge.status_code == 201, at_edge.text


def test_a_fund_quote_has_no_cage(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    funds = desk_client.http.get(f"{API}/market/instruments?q=&limit=500", headers=auth).json()["data"]
    fund = next(i for i in funds if i["kind"] in ("etf", "fund", "lof"))
    quote = desk_client.http.get(f"{API}/market/quote/{fund['stock_code']}", headers=auth).json()["data"]
    assert quote["cage"] is None


def test_todays_profit_per_holding_adds_up_to_the_accounts_and_counts_todays_fills(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    assert desk_client.order(auth, quantity=2000, price="11.51", client_order_id="d1").status_code == 201
    desk_client.advance(auth, days=1, at="10:00")
    auth = desk_client.trade_headers()
    # Today: sell part of yesterday's holding, buy another stock, and the price moves.
    assert desk_client.order(auth, side="sell", quantity=500, price="11.49", client_order_id="d2").status_code == 201
    assert (
        desk_client.order(auth, stock_code="000001.SZ", quantity=300, price="11.80", client_order_id="d3").status_code
        == 201
    )
    r = desk_client.http.post(f"{API}/paper/price", json={"stock_code": "600000.SH", "price": "11.80"}, headers=auth)
    assert r.status_code == 200, r.text

    positions = desk_client.http.get(f"{API}/trading/positions", headers=auth).json()["data"]
    account = desk_client.http.get(f"{API}/trading/account", headers=auth).json()["data"]
    trades = desk_client.http.get(f"{API}/trading/trades?trading_day=2026-11-26", headers=auth).json()["data"]
    rows = trades["items"] if isinstance(trades, dict) else trades
    assert len(rows) == 2

    by_code = {p["stock_code"]: p for p in positions}
    pf = by_code["600000.SH"]
    sold = next(t for t in rows if t["side"] == "sell")
    expected = (
        Decimal(pf["market_value"])
        - pf["yesterday_volume"] * Decimal(pf["prev_close"])
        + Decimal(sold["amount"])
        - Decimal(sold["fees"])
    )
    assert Decimal(pf["today_profit"]) == expected.quantize(Decimal("0.01"))
    assert pf["change_pct"] == str((Decimal("11.80") / Decimal(pf["prev_close"]) - 1).quantize(Decimal("0.0001")))
    bought = by_code["000001.SZ"]
    buy = next(t for t in rows if t["side"] == "buy")
    assert Decimal(bought["today_profit"]) == Decimal(bought["market_value"]) - Decimal(buy["amount"]) - Decimal(
        buy["fees"]
    )
    assert sum(Decimal(p["today_profit"]) for p in positions) == Decimal(account["today_profit"])
