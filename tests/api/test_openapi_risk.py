"""The risk, signal and watchlist answers match the models their routes declare.

Real answers of the real app, in every shape that changes what they hold: a rule in the account and in a
strategy scope, a denial by a rule and by the trading state, a halt with and without cancels, a signal
executed, replayed, skipped, denied (with and without an order) and expired, a watched stock with and
without a strategy, and one whose strategy has traded.
"""

from __future__ import annotations

import time
from typing import Any, get_args

from qmtdesk.api.schemas import common, monitor, risk, signals
from tests.api.conftest import API, DeskClient, check
from tests.api.test_signals import signal

GRID = {"type": "grid", "params": {"base_price": "11.50", "step_pct": "0.01", "lots_per_step": 1, "max_lots": 3}}


def _refused(response: Any, code: str) -> None:
    assert response.status_code == 422, response.text
    common.ErrorBody.model_validate(response.json())
    assert response.json()["error"] == code


def test_risk_answers_match_their_declared_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    rules = check(list[risk.RiskRule], http.get(f"{API}/risk/rules", headers=auth))
    assert {r["rule"] for r in rules} == set(get_args(risk.RuleId))

    def put(rule: str, **body: Any) -> Any:
        return check(risk.RiskRule, http.put(f"{API}/risk/rules/{rule}", json=body, headers=auth))

    # Every kind of parameter: codes and a boolean, a count in a strategy scope, money, a null fraction.
    assert put("symbol_blocklist", params={"codes": ["000001"], "block_st": True})["params"]["codes"] == ["000001.SZ"]
    scoped = put("max_order_quantity", enabled=True, params={"limit": 100}, scope="strategy:risk-test")
    assert scoped["scope"] == "strategy:risk-test" and scoped["customised"] is True
    assert put("daily_loss", params={"limit_pct": None, "limit_amount": "50000"})["params"]["limit_pct"] is None
    put("order_rate", params={"max_orders": 100, "window_seconds": 2})
    listed = check(list[risk.RiskRule], http.get(f"{API}/risk/rules", headers=auth))
    assert any(r["scope"] == "strategy:risk-test" for r in listed)

    _refused(desk_client.order(auth, quantity=200, strategy_name="risk-test"), "RISK_MAX_ORDER_QUANTITY")
    assert desk_client.order(auth, quantity=1000, price="11.51").status_code == 201  # filled: a holding
    resting = desk_client.order(auth, quantity=100, price="11.00").json()["data"]["order"]
    metrics = check(risk.RiskMetrics, http.get(f"{API}/risk/metrics", headers=auth))
    assert metrics["holdings_count"] == 1 and metrics["active_orders"] == 1

    halted = check(
        risk.HaltAnswer,
        http.post(f"{API}/risk/halt", json={"reason": "drill", "cancel_open_orders": True}, headers=auth),
    )
    assert halted["cancelled"]["requested"] == 1 and halted["cancelled"]["orders"][0]["order_id"] == resting["order_id"]
    _refused(desk_client.order(auth), "RISK_HALTED")
    assert check(risk.RiskState, http.post(f"{API}/risk/resume", json={}, headers=auth))["state"] == "active"
    reduce = http.post(f"{API}/risk/reduce-only", json={"reason": "wind down"}, headers=auth)
    assert check(risk.RiskState, reduce)["state"] == "reduce_only"
    _refused(desk_client.order(auth), "RISK_REDUCE_ONLY")
    bare = check(risk.HaltAnswer, http.post(f"{API}/risk/halt", json={}, headers=auth))
    assert bare["cancelled"] is None and bare["halted"] is True
    check(risk.RiskState, http.post(f"{API}/risk/resume", headers=auth))  # no body at all

    second = http.post(
        f"{API}/admin/accounts", json={"account_id": "P2", "broker": "paper", "cash": "500000"}, headers=auth
    )
    assert second.status_code == 201, second.text
    assert desk_client.order(auth, price="11.20", account_id="P2").status_code == 201
    every = {"reason": "断网", "cancel_open_orders": True}
    all_halted = check(risk.HaltAllAnswer, http.post(f"{API}/risk/halt-all", json=every, headers=auth))
    assert [a["account_id"] for a in all_halted["accounts"]] == ["PAPER", "P2"]
    assert [a["cancelled"]["requested"] for a in all_halted["accounts"]] == [0, 1]
    again = check(risk.HaltAllAnswer, http.post(f"{API}/risk/halt-all", json={}, headers=auth))
    assert {a["cancelled"] is None for a in again["accounts"]} == {True}
    resumed = check(risk.ResumeAllAnswer, http.post(f"{API}/risk/resume-all", json={}, headers=auth))
    assert {a["state"] for a in resumed["accounts"]} == {"active"}

    events = check(common.PageOf[risk.RiskEvent], http.get(f"{API}/risk/events?page_size=200", headers=auth))
    items = events["items"]
    assert {e["kind"] for e in items} == {"denial", "halt", "resume", "reduce_only", "rule_change"}
    assert {e["rule"] for e in items if e["kind"] == "denial"} == {"max_order_quantity", "trading_state"}
    assert {e["code"] for e in items if e["kind"] == "denial"} == {
        "RISK_MAX_ORDER_QUANTITY",
        "RISK_HALTED",
        "RISK_REDUCE_ONLY",
    }


def test_signal_answers_match_their_declared_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    result = signals.SignalResult

    executed = check(result, signal(desk_client, auth, confidence="0.8", price="11.51", reason="金叉"), 201)
    assert executed["decision"] == "executed" and executed["order"]["status"] == "filled"
    replay = check(result, signal(desk_client, auth, path="/signals", confidence="0.8", price="11.51", reason="金叉"))
    assert replay["decision"] == "duplicate" and replay["original_decision"] == "executed"

    skipped = check(
        result, signal(desk_client, auth, signal_id="sk", stock_code="000001.SZ", action="sell", sizing=None), 201
    )
    assert skipped["decision"] == "skipped" and skipped["order"] is None and skipped["quantity"] == 0
    english = {**auth, "Accept-Language": "en"}
    closed = check(
        result, signal(desk_client, english, path="/signals", signal_id="cl", action="close", sizing=None), 201
    )
    assert closed["decision"] == "skipped" and closed["reason"].isascii()
    expired = check(result, signal(desk_client, auth, signal_id="old", expires_at="2026-11-25T09:00:00+08:00"), 201)
    assert expired["decision"] == "expired" and expired["side"] is None and expired["quantity"] is None
    caged = check(result, signal(desk_client, auth, signal_id="cage", price="12.00"), 201)
    assert caged["decision"] == "denied" and caged["error"] == "PRICE_CAGE" and caged["order"]["status"] == "denied"
    unknown = check(result, signal(desk_client, auth, signal_id="bad", stock_code="999999.SZ"), 201)
    assert unknown["decision"] == "denied" and unknown["order"] is None
    quantity = {"method": "quantity", "value": 100}
    sized = check(
        result, signal(desk_client, auth, signal_id="q", sizing=quantity, expires_at="2026-11-25T15:00:00"), 201
    )
    assert sized["decision"] == "executed"

    page = check(common.PageOf[signals.SignalRecord], http.get(f"{API}/signals?page_size=200", headers=auth))
    assert page["total"] == 7 and {s["decision"] for s in page["items"]} == {"executed", "skipped", "expired", "denied"}
    for signal_id in ("s-1", "sk", "cl", "old", "cage", "bad", "q"):
        record = check(signals.SignalRecord, http.get(f"{API}/signals/{signal_id}", headers=auth))
        assert record["signal_id"] == signal_id
    assert page["items"][-1]["replays"] == 1 and page["items"][-1]["confidence"] == "0.8"


def test_watchlist_answers_match_their_declared_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    strategies = check(list[monitor.StrategyInfo], http.get(f"{API}/monitor/strategies", headers=auth))
    assert {"ma_cross", "grid", "stop_loss_take_profit"} <= {s["type"] for s in strategies}

    bare = check(
        monitor.WatchedStock, http.post(f"{API}/monitor/stocks", json={"stock_code": "000001"}, headers=auth), 201
    )
    assert bare["strategy"] is None and bare["sizing"] is None and bare["status"]["state"] == "idle"
    body = {
        "stock_code": "600000",
        "auto_trade": True,
        "strategy": GRID,
        "sizing": {"method": "quantity", "value": 100},
    }
    grid = check(monitor.WatchedStock, http.post(f"{API}/monitor/stocks", json=body, headers=auth), 201)
    assert grid["strategy"]["type"] == "grid" and grid["sizing"] == {"method": "quantity", "value": "100"}
    patch = {"sizing": {"method": "equity_pct", "value": "0.01"}, "strategy_name": "grid-main"}
    changed = check(monitor.WatchedStock, http.put(f"{API}/monitor/stocks/600000.SH", json=patch, headers=auth))
    assert changed["strategy_name"] == "grid-main" and changed["quote"] is not None

    # The grid trades: its entry is running with a last signal, and its signal comes from the strategy.
    for value in ("11.50", "11.38"):
        moved = http.post(f"{API}/paper/price", json={"stock_code": "600000.SH", "price": value}, headers=auth)
        assert moved.status_code == 200, moved.text
    deadline = time.monotonic() + 15
    while True:
        listed = check(list[monitor.WatchedStock], http.get(f"{API}/monitor/stocks", headers=auth))
        running = [e for e in listed if e["status"]["last_signal_at"]]
        if running or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert running and running[0]["status"]["state"] == "running"
    page = check(common.PageOf[signals.SignalRecord], http.get(f"{API}/signals", headers=auth))
    assert page["items"] and page["items"][0]["source"] == "strategy"

    deleted = check(monitor.WatchDeleted, http.delete(f"{API}/monitor/stocks/000001.SZ", headers=auth))
    assert deleted == {"deleted": "000001.SZ"}
