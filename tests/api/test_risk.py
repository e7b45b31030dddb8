"""The risk engine over HTTP: every rule's boundary, scopes, day rolls, concurrency and the kill switch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.conftest import API, DeskClient


def set_rule(dc: DeskClient, headers: dict[str, str], rule: str, **body: Any) -> dict[str, Any]:
    r = dc.http.put(f"{API}/risk/rules/{rule}", json={"enabled": True, **body}, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


def denied(r: Any, code: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == code, body
    assert body["data"]["order"]["status"] == "denied" and body["data"]["order"]["error"] == code
    return dict(body)


def placed(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return dict(r.json()["data"]["order"])


# Each case: rule, params, an order just under the limit, an order just over it.
BOUNDARIES = [
    ("max_order_value", {"limit": "11510"}, {"quantity": 1000, "price": "11.51"}, {"quantity": 1100, "price": "11.51"}),
    ("max_order_quantity", {"limit": 500}, {"quantity": 500}, {"quantity": 600}),
    ("price_deviation", {"max_pct": "0.02"}, {"price": "11.73"}, {"price": "11.74"}),
    (
        "symbol_blocklist",
        {"codes": ["000001"], "block_st": False},
        {"stock_code": "600000.SH"},
        {"stock_code": "000001.SZ", "price": "11.61"},
    ),
]


#: Denial codes API.md names differently from ``RISK_`` + the rule id.
DENIAL_CODES = {"symbol_blocklist": "RISK_SYMBOL_BLOCKED"}


@pytest.mark.parametrize(("rule", "params", "under", "over"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_rule_allows_just_under_and_denies_just_over(
    desk_client: DeskClient, rule: str, params: dict[str, Any], under: dict[str, Any], over: dict[str, Any]
) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, rule, params=params)
    placed(desk_client.order(headers, **under))
    denied(desk_client.order(headers, **over), DENIAL_CODES.get(rule, "RISK_" + rule.upper()))


def test_block_st_refuses_st_buys(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "symbol_blocklist", params={"codes": [], "block_st": True})
    denied(desk_client.order(headers, stock_code="600179.SH", price="3.21"), "RISK_SYMBOL_BLOCKED")
    placed(desk_client.order(headers))


def test_max_position_pct_counts_the_position_after_the_buy(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "max_position_pct", params={"limit": "0.02"})  # 20,000 of 1,000,000
    placed(desk_client.order(headers, quantity=1700, price="11.51"))  # 19,567
    denied(desk_client.order(headers, quantity=100, price="11.51"), "RISK_MAX_POSITION_PCT")  # 20,717 > 2%


def test_max_holdings_refuses_a_new_stock_but_not_more_of_one_held(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "max_holdings", params={"limit": 1})
    placed(desk_client.order(headers))
    placed(desk_client.order(headers))  # the same stock again
    denied(desk_client.order(headers, stock_code="000001.SZ", price="11.61"), "RISK_MAX_HOLDINGS")


def test_max_active_orders_and_concurrent_orders_cannot_jointly_exceed_it(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "max_active_orders", params={"limit": 3})

    def submit(i: int) -> int:
        return int(desk_client.order(headers, price=f"11.{30 + i}").status_code)

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(submit, range(10)))
    assert codes.count(201) == 3 and codes.count(422) == 7


def test_order_rate_window(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "order_rate", params={"max_orders": 2, "window_seconds": 60})
    placed(desk_client.order(headers, price="11.40"))
    placed(desk_client.order(headers, price="11.41"))
    denied(desk_client.order(headers, price="11.42"), "RISK_ORDER_RATE")


def test_cancel_rate_stops_new_orders(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "cancel_rate", params={"max_cancels": 1, "window_seconds": 60})
    order = placed(desk_client.order(headers, price="11.40"))
    assert desk_client.http.post(f"{API}/trading/orders/{order['order_id']}/cancel", headers=headers).status_code == 200
    denied(desk_client.order(headers, price="11.41"), "RISK_CANCEL_RATE")


def test_duplicate_order_within_the_window(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "duplicate_order", params={"window_seconds": 60})
    placed(desk_client.order(headers, price="11.40"))
    denied(desk_client.order(headers, price="11.40"), "RISK_DUPLICATE_ORDER")
    placed(desk_client.order(headers, price="11.41"))  # a different price is a different order


def test_daily_buy_turnover_resets_at_the_day_roll_not_on_restart(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "daily_buy_turnover", params={"limit": "2400"})
    placed(desk_client.order(headers, quantity=100, price="11.51"))  # 1,151
    placed(desk_client.order(headers, quantity=100, price="11.51"))  # 2,302
    denied(desk_client.order(headers, quantity=100, price="11.51"), "RISK_DAILY_BUY_TURNOVER")
    desk_client.advance(headers, days=1, at="09:31")
    placed(desk_client.order(headers, quantity=100, price="11.51"))


def test_daily_loss_halts_buys_but_not_sells(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    placed(desk_client.order(headers, quantity=10_000, price="11.55"))  # costs fees: a small loss today
    set_rule(desk_client, headers, "daily_loss", params={"limit_amount": "10", "limit_pct": None})
    denied(desk_client.order(headers), "RISK_DAILY_LOSS")


def test_sells_that_reduce_a_position_pass_buy_side_limits(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    placed(desk_client.order(headers, quantity=1000, price="11.51"))
    desk_client.advance(headers, days=1, at="09:31")
    set_rule(desk_client, headers, "max_order_value", params={"limit": "100"})
    set_rule(desk_client, headers, "max_order_quantity", params={"limit": 10})
    placed(desk_client.order(headers, side="sell", quantity=1000, price="11.49"))


def test_a_strategy_scoped_rule_only_binds_that_strategy(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "max_order_quantity", params={"limit": 100}, scope="strategy:grid-1")
    denied(desk_client.order(headers, quantity=200, strategy_name="grid-1"), "RISK_MAX_ORDER_QUANTITY")
    placed(desk_client.order(headers, quantity=200, strategy_name="other"))
    placed(desk_client.order(headers, quantity=200))
    rules = desk_client.http.get(f"{API}/risk/rules", headers=headers).json()["data"]
    assert any(r["rule"] == "max_order_quantity" and r["scope"] == "strategy:grid-1" for r in rules)


def test_halt_blocks_every_order_cancels_open_ones_and_resume_restores(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    resting = placed(desk_client.order(headers, price="11.40"))
    r = desk_client.http.post(f"{API}/risk/halt", json={"reason": "test", "cancel_open_orders": True}, headers=headers)
    assert r.status_code == 200 and r.json()["data"]["halted"] is True
    assert (
        desk_client.http.get(f"{API}/trading/orders/{resting['order_id']}", headers=headers).json()["data"]["status"]
        == "canceled"
    )
    denied(desk_client.order(headers), "RISK_HALTED")
    denied(desk_client.order(headers, side="sell"), "RISK_HALTED")
    status = desk_client.http.get(f"{API}/trading/status", headers=headers).json()["data"]
    assert status["halted"] is True
    assert desk_client.http.post(f"{API}/risk/resume", json={}, headers=headers).json()["data"]["halted"] is False
    placed(desk_client.order(headers))


def test_a_bare_halt_post_without_a_body_halts_with_the_default_reason(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.http.post(f"{API}/risk/halt", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["halted"] is True and r.json()["data"]["reason"] == "手动熔断"
    denied(desk_client.order(headers), "RISK_HALTED")
    assert desk_client.http.post(f"{API}/risk/resume", headers=headers).json()["data"]["halted"] is False
    every = desk_client.http.post(f"{API}/risk/halt-all", headers=headers)
    assert every.status_code == 200, every.text
    assert all(a["state"] == "halted" for a in every.json()["data"]["accounts"]), every.text


def test_reduce_only_allows_sells_of_held_shares_only(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    placed(desk_client.order(headers, quantity=200, price="11.51"))
    desk_client.advance(headers, days=1, at="09:31")
    desk_client.http.post(f"{API}/risk/reduce-only", json={"reason": "wind down"}, headers=headers)
    denied(desk_client.order(headers), "RISK_REDUCE_ONLY")
    placed(desk_client.order(headers, side="sell", quantity=200, price="11.49"))


def test_a_denial_is_an_event_an_audit_row_and_a_stream_message(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    set_rule(desk_client, headers, "max_order_quantity", params={"limit": 100})
    with desk_client.http.websocket_connect(f"{API}/ws") as ws:
        ws.send_json({"action": "auth", "token": headers["Authorization"].split()[1]})
        assert ws.receive_json()["type"] == "auth_ok"
        ws.send_json({"action": "subscribe", "streams": ["risk"]})
        assert ws.receive_json()["type"] == "subscribed"
        order = denied(desk_client.order(headers, quantity=200), "RISK_MAX_ORDER_QUANTITY")["data"]["order"]
        message = ws.receive_json()
        assert message["stream"] == "risk" and message["data"]["code"] == "RISK_MAX_ORDER_QUANTITY"
    events = desk_client.http.get(f"{API}/risk/events", headers=headers).json()["data"]["items"]
    assert events[0]["kind"] == "denial" and events[0]["order_id"] == order["order_id"]
    audit = desk_client.http.get(f"{API}/audit", headers=headers).json()["data"]["items"]
    assert any(a["action"] == "risk.denied" and a["target"] == str(order["order_id"]) for a in audit)


def test_bad_parameters_and_unknown_rules_are_refused(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    bad = desk_client.http.put(f"{API}/risk/rules/max_position_pct", json={"params": {"limit": "20"}}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "VALIDATION_ERROR"
    unknown = desk_client.http.put(f"{API}/risk/rules/nope", json={"enabled": True}, headers=headers)
    assert unknown.status_code == 404
    scope = desk_client.http.put(f"{API}/risk/rules/order_rate", json={"scope": "user:x"}, headers=headers)
    assert scope.status_code == 422


def test_metrics_describe_the_account(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    placed(desk_client.order(headers, quantity=1000, price="11.51"))
    m = desk_client.http.get(f"{API}/risk/metrics", headers=headers).json()["data"]
    assert m["holdings_count"] == 1 and m["largest_position_code"] == "600000.SH"
    assert m["orders_today"] == 1 and m["active_orders"] == 0 and m["trading_state"] == "active"
    assert m["market_value"] == "11500.00" and m["exposure"] == "0.0115"
    assert m["turnover_today"] == "11510.00"
    for key in ("cash_ratio", "today_pnl", "today_pnl_pct", "current_drawdown", "max_drawdown", "cancels_today"):
        assert key in m


def test_resume_and_rule_changes_are_pushed_on_the_risk_stream(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    with desk_client.http.websocket_connect(f"{API}/ws") as ws:
        ws.send_json({"action": "auth", "token": headers["Authorization"].split()[1]})
        ws.receive_json()
        ws.send_json({"action": "subscribe", "streams": ["risk"]})
        ws.receive_json()
        set_rule(desk_client, headers, "max_order_quantity", params={"limit": 100})
        assert ws.receive_json()["data"]["kind"] == "rule_change"
        desk_client.http.post(f"{API}/risk/halt", json={"reason": "drill"}, headers=headers)
        assert ws.receive_json()["data"]["kind"] == "halt"
        desk_client.http.post(f"{API}/risk/resume", json={}, headers=headers)
        message = ws.receive_json()
        assert message["data"]["kind"] == "resume" and message["data"]["halted"] is False


def test_money_parameters_read_back_as_plain_decimals(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    rule = set_rule(desk_client, headers, "max_order_value", params={"limit": "1e6"})
    assert rule["params"]["limit"] == "1000000"
    body = {"params": {"limit": "1e20"}}
    huge = desk_client.http.put(f"{API}/risk/rules/max_order_value", json=body, headers=headers)
    assert huge.status_code == 422 and huge.json()["error"] == "VALIDATION_ERROR"
