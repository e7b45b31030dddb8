"""Paper trading on live MiniQMT quotes (QMTDESK_BROKER=paper, QMTDESK_QUOTES=xtdata), over the simulated MiniQMT.

The paper exchange keeps its rules (validation, T+1, fees, auctions, persistence) and matches against the book and
prices xtdata serves; the simulated MiniQMT's prices are moved with ``set_price``. No trading account is used.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.desk import Desk
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.validation import DailyLimits
from qmtdesk.market.paper_market import PaperMarket
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, bundled_universe
from qmtdesk.market.xtdata import XtDataMarket
from qmtdesk.market.xtdata_paper import XtDataPaperMarket
from tests.api.conftest import API, make_settings
from tests.xtfake import MiniQMT
from tests.xtquant.conftest import LiveDesk

CODE = "600000.SH"


@contextlib.contextmanager
def paper_desk(tmp_path: Path, mini: MiniQMT) -> Iterator[LiveDesk]:
    """The app on the paper broker with xtdata quotes, on a paper clock from 2026-11-25 10:00 (same db each time)."""
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'desk.db'}", broker="paper", quotes="xtdata")
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = LiveDesk(http, desk)
        client.mini = mini
        yield client


@pytest.fixture
def market(mini: MiniQMT) -> MiniQMT:
    """600000.SH trades at 11.60 on the simulated MiniQMT (previous close 11.50); 000001.SZ has a 5 % band."""
    mini.set_price(CODE, "11.60", volume=2_000_000, amount="23200000")
    mini.add_instrument("000001.SZ", "平安银行", Decimal("11.60"), limit_ratio="0.05")
    return mini


@pytest.fixture
def paper_live(tmp_path: Path, market: MiniQMT) -> Iterator[LiveDesk]:
    with paper_desk(tmp_path, market) as client:
        yield client


def get(client: LiveDesk, path: str, headers: dict[str, str]) -> Any:
    r = client.http.get(f"{API}{path}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_quotes_are_xtdata_snapshots_with_the_real_book(paper_live: LiveDesk) -> None:
    headers = paper_live.login()
    quote = get(paper_live, f"/market/quote/{CODE}", headers)
    assert quote["source"] == "xtdata" and quote["stock_name"] == "浦发银行"
    assert quote["last_price"] == "11.60" and quote["prev_close"] == "11.50" and quote["open"] == "11.60"
    assert quote["volume"] == 2_000_000  # the market's volume, not the paper account's
    assert [lv["price"] for lv in quote["ask"]] == ["11.61", "11.62", "11.63", "11.64", "11.65"]
    assert [lv["price"] for lv in quote["bid"]] == ["11.60", "11.59", "11.58", "11.57", "11.56"]
    assert {lv["volume"] for lv in quote["ask"] + quote["bid"]} == {10_000}  # 100 lots a level
    assert quote["limit_up"] == "12.65" and quote["limit_down"] == "10.35"  # MiniQMT's UpStopPrice/DownStopPrice
    # Limits are MiniQMT's, not computed: the simulated MiniQMT gives 000001.SZ a 5 % band (10 % by the rules).
    narrow = get(paper_live, "/market/quote/000001.SZ", headers)
    assert narrow["limit_up"] == "12.18" and narrow["limit_down"] == "11.02"
    status = get(paper_live, "/trading/status", headers)
    assert status["broker"] == "paper" and status["quotes"] == "xtdata"

    # A new price reaches the desk at the next paper tick.
    paper_live.mini.set_price(CODE, "11.70")
    paper_live.advance(headers, to=(paper_live.desk.clock.now() + timedelta(seconds=5)).isoformat())
    moved = get(paper_live, f"/market/quote/{CODE}", headers)
    assert moved["last_price"] == "11.70" and moved["ask"][0]["price"] == "11.71" and moved["high"] == "11.70"
    # An instrument MiniQMT does not quote has no quote, so orders in it are refused.
    assert paper_live.http.get(f"{API}/market/quote/600519.SH", headers=headers).status_code != 200


def test_limit_buy_at_the_ask_fills_at_the_ask_with_paper_fees(paper_live: LiveDesk) -> None:
    headers = paper_live.trade_headers()
    r = paper_live.order(headers, price="11.61", quantity=300)
    assert r.status_code == 201, r.text
    order = paper_live.status_of(headers, r.json()["data"]["order"]["order_id"], "filled")
    assert order["filled_quantity"] == 300 and order["avg_fill_price"] == "11.6100"
    [trade] = paper_live.trades(headers)
    assert trade["price"] == "11.61" and trade["quantity"] == 300
    inst = paper_live.desk.universe.get(CODE)
    day = paper_live.desk.clock.now().date()
    expected = FeeSchedule().order_fees(Side.BUY, inst.kind, inst.board, Decimal("3483"), day).total
    assert Decimal(order["fees"]) == expected.quantize(Decimal("0.01")) and expected > 5  # min commission + transfer
    account = get(paper_live, "/trading/account", headers)
    assert Decimal(account["cash"]) == Decimal(1_000_000) - Decimal("3483") - Decimal(order["fees"])
    # The real book is untouched: paper fills do not show in the market's volume.
    assert get(paper_live, f"/market/quote/{CODE}", headers)["volume"] == 2_000_000
    assert paper_live.desk.paper is not None
    assert paper_live.desk.paper.exchange.market.states()[CODE].volume == 300
    # The displayed volume paper orders took stays taken while the book does not change...
    swept = paper_live.order(headers, price="11.61", quantity=9_700)
    paper_live.status_of(headers, swept.json()["data"]["order"]["order_id"], "filled")
    paper_live.advance(headers, to=(paper_live.desk.clock.now() + timedelta(seconds=5)).isoformat())
    waiting = paper_live.order(headers, price="11.61", quantity=100).json()["data"]["order"]["order_id"]
    paper_live.status_of(headers, waiting, "accepted")
    # ... and a new book shows fresh volume.
    paper_live.mini.set_price(CODE, "11.59")
    paper_live.advance(headers, to=(paper_live.desk.clock.now() + timedelta(seconds=5)).isoformat())
    assert paper_live.status_of(headers, waiting, "filled")["avg_fill_price"] == "11.6000"
    # Prices cannot be set by hand on live quotes.
    with pytest.raises(DeskError) as refused:
        paper_live.desk.paper.exchange.set_price(CODE, Decimal("11.00"))
    assert refused.value.code == "PAPER_LIVE_QUOTES" and refused.value.http_status == 409


def test_resting_buy_fills_when_the_market_trades_through_it_then_t1_auction_and_restart(
    tmp_path: Path, market: MiniQMT
) -> None:
    with paper_desk(tmp_path, market) as paper_live:
        orders_before = _trade_two_days(paper_live)
    # A restart keeps the paper account, its day and its quotes source.
    with paper_desk(tmp_path, market) as again:
        headers = again.trade_headers()
        assert again.desk.clock.now() >= datetime(2026, 11, 26, 9, 26, tzinfo=SHANGHAI)
        assert {o["order_id"]: o["status"] for o in again.orders(headers)} == orders_before
        [position] = get(again, "/trading/positions", headers)
        assert position["volume"] == 300 and position["can_use_volume"] == 100
        assert again.desk.paper is not None
        assert again.desk.paper.exchange.market.states()[CODE].volume == 200  # today's paper fills
        quote = get(again, f"/market/quote/{CODE}", headers)
        assert quote["source"] == "xtdata" and quote["last_price"] == "11.52"
        # And it keeps trading on the live book: the shares bought yesterday sell at the best bid.
        again.advance(headers, to="2026-11-26T09:31:00+08:00")
        sold = again.order(headers, side="sell", price="11.50", quantity=100)
        assert sold.status_code == 201, sold.text
        done = again.status_of(headers, sold.json()["data"]["order"]["order_id"], "filled")
        assert done["avg_fill_price"] == "11.5200"


def _trade_two_days(paper_live: LiveDesk) -> dict[int, str]:
    """A resting buy filled by a market move, T+1, a pre-open order filled at the real open; the orders."""
    headers = paper_live.trade_headers()
    r = paper_live.order(headers, price="11.50", quantity=100)
    assert r.status_code == 201, r.text
    resting = r.json()["data"]["order"]["order_id"]
    paper_live.status_of(headers, resting, "accepted")

    paper_live.mini.set_price(CODE, "11.45")  # asks now 11.46..11.50
    assert paper_live.order_by_id(headers, resting)["status"] == "accepted"  # seen at the next paper tick
    paper_live.advance(headers, to=(paper_live.desk.clock.now() + timedelta(minutes=1)).isoformat())
    filled = paper_live.status_of(headers, resting, "filled")
    assert filled["avg_fill_price"] == "11.4600"  # the best ask, better than the limit

    # T+1: bought today, sellable tomorrow.
    [position] = get(paper_live, "/trading/positions", headers)
    assert position["volume"] == 100 and position["can_use_volume"] == 0
    refused = paper_live.order(headers, side="sell", price="11.45")
    assert refused.status_code == 422 and refused.json()["error"] == "INSUFFICIENT_POSITION"

    # Next morning: MiniQMT rolls its day (reference price 11.45); an order queued before 9:15 uncrosses
    # at the real open.
    paper_live.mini.roll_day()
    clock = paper_live.advance(headers, days=1, at="09:05")
    assert clock["trading_day"] == "2026-11-26"
    [position] = get(paper_live, "/trading/positions", headers)
    assert position["volume"] == 100 and position["can_use_volume"] == 100
    quote = get(paper_live, f"/market/quote/{CODE}", headers)
    assert quote["prev_close"] == "11.45" and quote["limit_up"] == "12.60" and quote["limit_down"] == "10.31"
    queued = paper_live.order(headers, price="11.70", quantity=200)
    assert queued.status_code == 201, queued.text
    queued_id = queued.json()["data"]["order"]["order_id"]
    paper_live.mini.set_price(CODE, "11.52")  # the opening auction's price
    paper_live.advance(headers, to="2026-11-26T09:26:00+08:00")
    opened = paper_live.status_of(headers, queued_id, "filled")
    assert opened["avg_fill_price"] == "11.5200"
    [position] = get(paper_live, "/trading/positions", headers)
    assert position["volume"] == 300 and position["can_use_volume"] == 100

    return {o["order_id"]: o["status"] for o in paper_live.orders(headers)}


def _members(protocol: type) -> set[str]:
    names: set[str] = set()
    for cls in protocol.__mro__:
        if getattr(cls, "_is_protocol", False) and cls.__module__.startswith("qmtdesk"):
            names.update(n for n in vars(cls) if not n.startswith("_"))
            names.update(getattr(cls, "__annotations__", {}))
    return names


def test_both_paper_markets_implement_the_paper_market_protocol(calendar: TradingCalendar) -> None:
    clock = SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), running=False)
    universe = Universe(bundled_universe())
    live = XtDataMarket(clock, universe)
    # Structural typing: these assignments are what mypy checks; PaperExchange takes either.
    markets: list[PaperMarket] = [SimulatedMarket(universe, calendar), XtDataPaperMarket(live, calendar)]
    members = _members(PaperMarket)
    assert {"universe", "source", "quote", "add_listener", "limits", "start_day", "restore", "states"} <= members
    assert {"open_auction", "step", "close_prices", "record_trade", "set_price"} <= members
    for market in markets:
        for name in members:
            assert hasattr(market, name), (type(market).__name__, name)
            wanted = getattr(PaperMarket, name, None)
            if callable(wanted):
                have = inspect.signature(getattr(market, name)).parameters
                assert list(have) == list(inspect.signature(wanted).parameters)[1:], (type(market).__name__, name)
        exchange = PaperExchange(market=market, calendar=calendar, clock=clock, fees=FeeSchedule())
        assert exchange.universe is universe
    live.close()


def test_limits_read_before_miniqmt_rolls_its_day_are_read_again_once_it_has(market: MiniQMT) -> None:
    """After midnight MiniQMT still serves the previous day's detail (reference and limit prices) until
    its own day roll; the desk must not keep those limits for the whole day."""
    clock = SimulatedClock(datetime(2026, 11, 26, 0, 30, tzinfo=SHANGHAI), running=False)
    seconds = [1000.0]
    live = XtDataMarket(clock, Universe(bundled_universe()), monotonic=lambda: seconds[0])
    try:
        assert live.limits(CODE) == (Decimal("12.65"), Decimal("10.35"))  # 2026-11-25's, from 11.50
        market.roll_day()  # MiniQMT's new day: reference price 11.60
        seconds[0] += 30
        assert live.limits(CODE) == (Decimal("12.65"), Decimal("10.35"))  # not asked again yet
        seconds[0] += 31
        assert live.limits(CODE) == (Decimal("12.76"), Decimal("10.44"))  # today's, from 11.60
        assert live.instrument(CODE).prev_close == Decimal("11.60")
    finally:
        live.close()


def test_a_paper_day_begun_before_miniqmt_rolled_takes_todays_limits_once_it_has(
    market: MiniQMT, calendar: TradingCalendar
) -> None:
    seconds = [1000.0]
    clock = SimulatedClock(datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI), running=False)
    live = XtDataMarket(clock, Universe(bundled_universe()), monotonic=lambda: seconds[0])
    paper = XtDataPaperMarket(live, calendar)
    try:
        paper.start_day(date(2026, 11, 26), clock.now())  # the paper roll at midnight: MiniQMT still on the 25th
        assert paper.limits(CODE) == DailyLimits(Decimal("12.65"), Decimal("10.35"))
        market.roll_day()  # MiniQMT's own roll, later in the night: reference price 11.60
        seconds[0] += 120
        paper.open_auction(datetime(2026, 11, 26, 9, 25, tzinfo=SHANGHAI))
        assert paper.limits(CODE) == DailyLimits(Decimal("12.76"), Decimal("10.44"))
        assert paper.quote(CODE) is not None and paper.quote(CODE).limit_up == Decimal("12.76")
    finally:
        live.close()
