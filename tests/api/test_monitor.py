"""The watchlist and automatic trading: strategies fed by quotes trade through the one signal path."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from qmtdesk.market.quotes import Quote
from qmtdesk.store.tables.monitor import MonitoredStockRow
from qmtdesk.strategies.base import STRATEGIES, PositionView, SignalIntent, register_strategy
from tests.api.conftest import API, DeskClient


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not reached: {value!r}"
        time.sleep(0.03)


def watch(dc: DeskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = dc.http.post(f"{API}/monitor/stocks", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


def price(dc: DeskClient, headers: dict[str, str], value: str, code: str = "600000.SH") -> None:
    r = dc.http.post(f"{API}/paper/price", json={"stock_code": code, "price": value}, headers=headers)
    assert r.status_code == 200, r.text


def signals(dc: DeskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    return list(dc.http.get(f"{API}/signals", headers=headers).json()["data"]["items"])


GRID = {"type": "grid", "params": {"base_price": "11.50", "step_pct": "0.01", "lots_per_step": 1, "max_lots": 3}}


def test_strategies_are_described_for_the_ui(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    types = {s["type"] for s in desk_client.http.get(f"{API}/monitor/strategies", headers=headers).json()["data"]}
    assert {"ma_cross", "grid", "stop_loss_take_profit"} <= types


def test_watchlist_crud_and_validation(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    entry = watch(desk_client, headers, stock_code="600000", strategy=GRID)
    assert (
        entry["stock_code"] == "600000.SH" and entry["auto_trade"] is False and entry["quote"]["last_price"] == "11.50"
    )
    again = desk_client.http.post(f"{API}/monitor/stocks", json={"stock_code": "600000.SH"}, headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "MONITOR_EXISTS"
    bad = desk_client.http.post(
        f"{API}/monitor/stocks",
        json={"stock_code": "000001.SZ", "strategy": {"type": "grid", "params": {"step_pct": "-1"}}},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["error"] == "INVALID_STRATEGY_PARAMS"
    changed = desk_client.http.put(f"{API}/monitor/stocks/600000.SH", json={"auto_trade": True}, headers=headers)
    assert changed.json()["data"]["auto_trade"] is True
    assert desk_client.http.delete(f"{API}/monitor/stocks/600000.SH", headers=headers).status_code == 200
    assert desk_client.http.get(f"{API}/monitor/stocks", headers=headers).json()["data"] == []


def test_strategy_params_and_sizing_read_back_as_decimal_strings(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    grid = {"type": "grid", "params": {"base_price": 11.5, "step_pct": 0.01, "lots_per_step": 1, "max_lots": 3}}
    sizing = {"method": "amount", "value": 1e4}
    entry = watch(desk_client, headers, stock_code="600000.SH", strategy=grid, sizing=sizing)
    assert entry["strategy"]["params"] == {"base_price": "11.5", "step_pct": "0.01", "lots_per_step": 1, "max_lots": 3}
    assert entry["sizing"] == {"method": "amount", "value": "10000.0"}


def test_an_entry_saved_with_raw_numbers_keeps_its_strategy_memory_when_the_same_params_come_again(
    desk_client: DeskClient,
) -> None:
    headers = desk_client.trade_headers()
    grid = {"type": "grid", "params": {"base_price": 11.5, "step_pct": 0.01}}
    watch(desk_client, headers, stock_code="600000.SH", strategy=grid)
    # as an entry stored before params were normalised on the way in: raw JSON numbers, and a memory
    with desk_client.desk.session_factory() as session, session.begin():
        row = session.scalars(select(MonitoredStockRow)).one()
        row.strategy_params, row.state = json.dumps(grid["params"]), json.dumps({"held_levels": [1]})
    shown = desk_client.http.get(f"{API}/monitor/stocks", headers=headers).json()["data"][0]
    assert shown["strategy"]["params"] == {"base_price": "11.5", "step_pct": "0.01"}
    r = desk_client.http.put(f"{API}/monitor/stocks/600000.SH", json={"strategy": grid}, headers=headers)
    assert r.status_code == 200, r.text
    with desk_client.desk.session_factory() as session:
        assert json.loads(session.scalars(select(MonitoredStockRow)).one().state) == {"held_levels": [1]}
    other = {"type": "grid", "params": {"base_price": 11.6, "step_pct": 0.01}}
    r = desk_client.http.put(f"{API}/monitor/stocks/600000.SH", json={"strategy": other}, headers=headers)
    assert r.status_code == 200, r.text
    with desk_client.desk.session_factory() as session:
        assert json.loads(session.scalars(select(MonitoredStockRow)).one().state) == {}  # a new strategy starts fresh


def test_a_grid_on_a_watched_stock_buys_as_the_price_falls_through_a_level(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    watch(desk_client, headers, stock_code="600000.SH", auto_trade=True, strategy=GRID)
    price(desk_client, headers, "11.50")
    price(desk_client, headers, "11.38")  # through 11.385, the first level below the base
    executed = eventually(lambda: [s for s in signals(desk_client, headers) if s["decision"] == "executed"])
    assert executed[0]["action"] == "buy" and executed[0]["source"] == "strategy"
    orders = desk_client.http.get(f"{API}/trading/orders?source=strategy", headers=headers).json()["data"]["items"]
    assert orders and orders[0]["strategy_name"] == executed[0]["strategy_name"] and orders[0]["quantity"] == 100
    status = desk_client.http.get(f"{API}/monitor/stocks", headers=headers).json()["data"][0]["status"]
    assert status["state"] == "running" and status["last_signal_at"]


def test_without_auto_trade_intents_are_only_advisory(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    watch(desk_client, headers, stock_code="600000.SH", auto_trade=False, strategy=GRID)
    with desk_client.http.websocket_connect(f"{API}/ws") as ws:
        ws.send_json({"action": "auth", "token": headers["Authorization"].split()[1]})
        ws.receive_json()
        ws.send_json({"action": "subscribe", "streams": ["signals"]})
        ws.receive_json()
        price(desk_client, headers, "11.50")
        price(desk_client, headers, "11.38")
        message = ws.receive_json()
        assert message["stream"] == "signals" and message["data"]["advisory"] is True
    assert desk_client.http.get(f"{API}/trading/orders", headers=headers).json()["data"]["total"] == 0


def test_halt_stops_strategies_too(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    watch(desk_client, headers, stock_code="600000.SH", auto_trade=True, strategy=GRID)
    desk_client.http.post(f"{API}/risk/halt", json={"reason": "drill"}, headers=headers)
    price(desk_client, headers, "11.50")
    price(desk_client, headers, "11.38")
    denied = eventually(lambda: [s for s in signals(desk_client, headers) if s["decision"] == "denied"])
    assert denied[0]["error"] == "RISK_HALTED"


class Broken:
    """A strategy that fails on every quote (to prove the desk survives it)."""

    type: ClassVar[str] = "test_broken"
    name_zh: ClassVar[str] = "测试：总是出错"
    description: ClassVar[str] = "raises on every quote"
    params: ClassVar[tuple[Any, ...]] = ()

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        pass

    def on_quote(self, quote: Quote, position: PositionView | None, now: datetime) -> list[SignalIntent]:
        raise ZeroDivisionError("boom")

    def state(self) -> dict[str, Any]:
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        pass


@pytest.fixture
def broken_strategy() -> Iterator[None]:
    register_strategy(Broken)
    yield
    STRATEGIES.pop(Broken.type, None)


def test_a_failing_strategy_is_disabled_and_reported_and_the_desk_keeps_trading(
    desk_client: DeskClient, broken_strategy: None
) -> None:
    headers = desk_client.trade_headers()
    watch(desk_client, headers, stock_code="600000.SH", auto_trade=True, strategy={"type": "test_broken", "params": {}})
    price(desk_client, headers, "11.49")
    entry = eventually(
        lambda: (
            (e := desk_client.http.get(f"{API}/monitor/stocks", headers=headers).json()["data"][0])["status"]["state"]
            == "error"
            and e
        )
    )
    assert entry["enabled"] is False and "boom" in entry["status"]["error"]
    assert desk_client.order(headers, price="11.60").status_code == 201


def test_signals_replay_is_duplicate(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    body = {
        "signal_id": "s-1",
        "stock_code": "600000.SH",
        "action": "buy",
        "strategy_name": "ext",
        "sizing": {"method": "quantity", "value": 100},
    }
    first = desk_client.http.post(f"{API}/trading/execute", json=body, headers=headers).json()["data"]
    again = desk_client.http.post(f"{API}/signals", json=body, headers=headers).json()["data"]
    assert first["decision"] == "executed" and again["decision"] == "duplicate"
    assert again["order"]["order_id"] == first["order"]["order_id"]
    assert Decimal(first["order"]["price"]) > 0
