"""Success and error paths of every endpoint of API.md the app serves, with the response envelopes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from tests.api.conftest import ADMIN_PASSWORD, API, TRADING_PASSWORD, DeskClient, make_settings

ORDER_FIELDS = {
    "order_id", "client_order_id", "broker_order_id", "broker_sysid", "account_id", "stock_code", "stock_name",
    "side", "price_type", "price", "quantity", "filled_quantity", "avg_fill_price", "status", "status_code",
    "status_msg", "error", "strategy_name", "remark", "source", "fees", "frozen_amount", "created_at", "updated_at",
    "finished_at",
}  # fmt: skip
TRADE_FIELDS = {
    "trade_id", "broker_trade_id", "order_id", "stock_code", "stock_name", "side", "price", "quantity", "amount",
    "commission", "stamp_duty", "transfer_fee", "fees", "traded_at", "strategy_name",
}  # fmt: skip
POSITION_FIELDS = {
    "stock_code", "stock_name", "volume", "can_use_volume", "frozen_volume", "yesterday_volume", "avg_price",
    "last_price", "market_value", "profit", "profit_rate", "holding_days", "opened_at",
}  # fmt: skip
ACCOUNT_FIELDS = {
    "account_id", "account_type", "cash", "frozen_cash", "market_value", "total_asset", "withdrawable",
    "total_profit", "today_profit", "updated_at",
}  # fmt: skip
STATUS_FIELDS = {
    "broker", "connected", "state", "account_id", "account_type", "trading_day", "market_phase", "server_time",
    "halted",
}  # fmt: skip
QUOTE_FIELDS = {
    "stock_code", "stock_name", "last_price", "prev_close", "open", "high", "low", "volume", "amount", "bid", "ask",
    "limit_up", "limit_down", "time", "source",
}  # fmt: skip
INSTRUMENT_FIELDS = {"stock_code", "stock_name", "board", "kind", "lot_size", "price_tick", "is_st", "limit_pct"}
MINIQMT_KEYS = {"MINIQMT_ENABLED", "MINIQMT_ACCOUNT_ID", "MINIQMT_ACCOUNT_TYPE", "MINIQMT_USERDATA_PATH"}
MARKET_PHASES = {"closed", "pre_open", "opening_auction", "continuous", "lunch_break", "closing_auction", "after_hours"}


# ------------------------------------------------------------------------------------------ helpers


def ok(response: Any, status: int = 200) -> Any:
    """The success envelope with this HTTP status; returns ``data``."""
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    body = response.json()
    assert body["code"] == 0 and body["message"] == "ok" and "data" in body, body
    return body["data"]


def err(response: Any, status: int, code: str) -> dict[str, Any]:
    """The error envelope ``{code, error, message, data}`` with ``code`` == the HTTP status; returns the body."""
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    body = response.json()
    assert set(body) == {"code", "error", "message", "data"}, body
    assert body["code"] == status and body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return dict(body)


def is_money(value: Any) -> bool:
    """A decimal string such as ``"1000000.00"``."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return value.replace(".", "", 1).lstrip("-").isdigit()


def shanghai_time(value: Any) -> datetime:
    """An ISO 8601 time with the +08:00 offset."""
    assert isinstance(value, str) and value.endswith("+08:00"), value
    return datetime.fromisoformat(value)


def create_user(desk_client: DeskClient, admin: dict[str, str], username: str, role: str, **extra: Any) -> Any:
    body = {"username": username, "password": f"{username}-pass-1", "role": role, **extra}
    return ok(desk_client.http.post(f"{API}/users", json=body, headers=admin), 201)


@pytest.fixture
def env_desk_client(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeskClient]:
    """A desk started with ``MINIQMT_ACCOUNT_ID`` set in the environment."""
    monkeypatch.setenv("MINIQMT_ACCOUNT_ID", "8800001234")
    desk = Desk.build(make_settings(tmp_path / "env-data", database_url))
    with TestClient(create_app(desk)) as http:
        yield DeskClient(http, desk)


# ------------------------------------------------------------------------------------------ auth


def test_login_me_and_wrong_credentials(desk_client: DeskClient) -> None:
    http = desk_client.http
    data = ok(http.post(f"{API}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}))
    assert data["token_type"] == "bearer" and isinstance(data["access_token"], str) and data["access_token"]
    assert isinstance(data["expires_in"], int) and data["expires_in"] > 0
    assert data["user"]["username"] == "admin" and data["user"]["role"] == "admin"
    assert "password_hash" not in str(data) and ADMIN_PASSWORD not in str(data)
    headers = {"Authorization": f"Bearer {data['access_token']}"}

    me = ok(http.get(f"{API}/auth/me", headers=headers))
    assert {"id", "username", "role", "trading_password_set"} <= set(me)
    assert me["username"] == "admin" and me["role"] == "admin" and me["trading_password_set"] is True
    assert isinstance(me["id"], int)

    wrong = http.post(f"{API}/auth/login", json={"username": "admin", "password": "wrong-pass-1"})
    assert err(wrong, 401, "AUTH_INVALID_CREDENTIALS")["message"] == "用户名或密码错误"
    unknown = http.post(f"{API}/auth/login", json={"username": "nobody", "password": "wrong-pass-1"})
    err(unknown, 401, "AUTH_INVALID_CREDENTIALS")
    english = http.post(
        f"{API}/auth/login", json={"username": "admin", "password": "wrong-pass-1"}, headers={"Accept-Language": "en"}
    )
    assert err(english, 401, "AUTH_INVALID_CREDENTIALS")["message"] == "Wrong username or password"
    err(http.post(f"{API}/auth/login", json={"username": "admin"}), 422, "VALIDATION_ERROR")

    err(http.get(f"{API}/auth/me"), 401, "AUTH_REQUIRED")
    err(http.get(f"{API}/auth/me", headers={"Authorization": "Bearer abc.def.ghi"}), 401, "AUTH_INVALID_TOKEN")


def test_five_wrong_logins_lock_the_username(desk_client: DeskClient) -> None:
    http = desk_client.http
    session = desk_client.login()
    attempts = [
        http.post(f"{API}/auth/login", json={"username": "admin", "password": f"wrong-{i}-pass"}) for i in range(5)
    ]
    for r in attempts:  # five failures, each answered as one; the lock refuses what comes after
        err(r, 401, "AUTH_INVALID_CREDENTIALS")
    # Locked now: even the right password is refused, in English when asked.
    locked = http.post(
        f"{API}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, headers={"Accept-Language": "en"}
    )
    body = err(locked, 429, "AUTH_LOCKED")
    assert body["message"].startswith("Too many") and body["data"]["retry_after"] > 0
    # Case does not dodge the lock; a session that already exists keeps working.
    err(http.post(f"{API}/auth/login", json={"username": "ADMIN", "password": ADMIN_PASSWORD}), 429, "AUTH_LOCKED")
    ok(http.get(f"{API}/auth/me", headers=session))


def test_password_change(desk_client: DeskClient) -> None:
    http = desk_client.http
    old_session = desk_client.login()
    wrong = http.post(
        f"{API}/auth/password", json={"old_password": "not-it-123", "new_password": "new-pass-123"}, headers=old_session
    )
    err(wrong, 403, "PASSWORD_INVALID")
    weak = http.post(
        f"{API}/auth/password", json={"old_password": ADMIN_PASSWORD, "new_password": "x"}, headers=old_session
    )
    err(weak, 422, "VALIDATION_ERROR")
    changed = ok(
        http.post(
            f"{API}/auth/password",
            json={"old_password": ADMIN_PASSWORD, "new_password": "new-pass-123"},
            headers=old_session,
        )
    )
    new_session = {"Authorization": f"Bearer {changed['access_token']}"}
    assert ok(http.get(f"{API}/auth/me", headers=new_session))["username"] == "admin"
    err(http.get(f"{API}/auth/me", headers=old_session), 401, "AUTH_INVALID_TOKEN")
    err(
        http.post(f"{API}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}),
        401,
        "AUTH_INVALID_CREDENTIALS",
    )
    desk_client.login(password="new-pass-123")


def test_trading_password_unlock_lockout_and_trade_lock(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.login()
    create_user(desk_client, admin, "trader2", "trader")
    trader = desk_client.login("trader2", "trader2-pass-1")
    assert ok(http.get(f"{API}/auth/me", headers=trader))["trading_password_set"] is False

    no_password = http.post(f"{API}/auth/trade-unlock", json={"trading_password": "135790"}, headers=trader)
    err(no_password, 409, "TRADING_PASSWORD_NOT_SET")

    body = {"password": "not-my-password", "new_trading_password": "135790"}
    err(http.post(f"{API}/auth/trading-password", json=body, headers=trader), 403, "PASSWORD_INVALID")
    body = {"password": "trader2-pass-1", "new_trading_password": "135790"}
    user = ok(http.post(f"{API}/auth/trading-password", json=body, headers=trader))
    assert user["trading_password_set"] is True and "135790" not in str(user)
    assert ok(http.get(f"{API}/auth/me", headers=trader))["trading_password_set"] is True

    unlocked = ok(http.post(f"{API}/auth/trade-unlock", json={"trading_password": "135790"}, headers=trader))
    assert isinstance(unlocked["trade_token"], str) and unlocked["expires_in"] == 900
    trade_headers = {**trader, "X-Trade-Token": unlocked["trade_token"]}
    ok(desk_client.order(trade_headers, price="11.40"), 201)

    ok(http.post(f"{API}/auth/trade-lock", headers=trader))
    err(desk_client.order(trade_headers, price="11.41"), 403, "TRADE_LOCKED")

    wrong = [
        http.post(f"{API}/auth/trade-unlock", json={"trading_password": f"00000{i}"}, headers=trader) for i in range(5)
    ]
    for r in wrong:
        err(r, 403, "TRADING_PASSWORD_INVALID")
    locked = http.post(f"{API}/auth/trade-unlock", json={"trading_password": "135790"}, headers=trader)
    assert err(locked, 429, "AUTH_LOCKED")["data"]["kind"] == "trade"
    # The trade lock is per user: the admin still unlocks.
    desk_client.trade_headers(admin)


def test_api_tokens_secret_shown_once_list_and_revoke(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.login()
    created = ok(http.post(f"{API}/auth/api-tokens", json={"name": "script", "scopes": ["read"]}, headers=admin), 201)
    secret = created["token"]
    assert (
        isinstance(secret, str) and len(secret) > 20 and created["scopes"] == ["read"] and created["name"] == "script"
    )
    script = {"Authorization": f"Bearer {secret}"}
    me = ok(http.get(f"{API}/auth/me", headers=script))
    assert me["username"] == "admin"

    listed = http.get(f"{API}/auth/api-tokens", headers=admin)
    tokens = ok(listed)
    assert [t["id"] for t in tokens] == [created["id"]] and tokens[0]["name"] == "script"
    assert secret not in listed.text and "token" not in tokens[0] and "secret" not in tokens[0]
    # API tokens cannot list or make tokens (self-service needs a session).
    err(http.get(f"{API}/auth/api-tokens", headers=script), 403, "FORBIDDEN")

    no_pw = http.post(f"{API}/auth/api-tokens", json={"name": "bot", "scopes": ["trade"]}, headers=admin)
    err(no_pw, 403, "TRADING_PASSWORD_INVALID")
    bad_pw = {"name": "bot", "scopes": ["trade"], "trading_password": "999999"}
    err(http.post(f"{API}/auth/api-tokens", json=bad_pw, headers=admin), 403, "TRADING_PASSWORD_INVALID")
    good = {"name": "bot", "scopes": ["trade"], "trading_password": TRADING_PASSWORD}
    trade_token = ok(http.post(f"{API}/auth/api-tokens", json=good, headers=admin), 201)
    assert "trade" in trade_token["scopes"]
    err(
        http.post(f"{API}/auth/api-tokens", json={"name": "x", "scopes": ["admin"]}, headers=admin),
        422,
        "VALIDATION_ERROR",
    )
    past = {"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00+08:00"}
    err(http.post(f"{API}/auth/api-tokens", json=past, headers=admin), 422, "VALIDATION_ERROR")

    assert ok(http.delete(f"{API}/auth/api-tokens/{created['id']}", headers=admin))
    err(http.get(f"{API}/auth/me", headers=script), 401, "AUTH_INVALID_TOKEN")
    err(http.get(f"{API}/trading/status", headers=script), 401, "AUTH_INVALID_TOKEN")
    assert [t["id"] for t in ok(http.get(f"{API}/auth/api-tokens", headers=admin))] == [trade_token["id"]]
    err(http.delete(f"{API}/auth/api-tokens/999999", headers=admin), 404, "NOT_FOUND")

    # A viewer makes read tokens only.
    create_user(desk_client, admin, "viewer2", "viewer")
    viewer = desk_client.login("viewer2", "viewer2-pass-1")
    ok(http.post(f"{API}/auth/api-tokens", json={"name": "v", "scopes": ["read"]}, headers=viewer), 201)
    viewer_trade = {"name": "v2", "scopes": ["trade"], "trading_password": TRADING_PASSWORD}
    err(http.post(f"{API}/auth/api-tokens", json=viewer_trade, headers=viewer), 403, "FORBIDDEN")
    # ... and cannot revoke someone else's token.
    err(http.delete(f"{API}/auth/api-tokens/{trade_token['id']}", headers=viewer), 404, "NOT_FOUND")


def test_users_create_list_patch_admin_only(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.login()
    viewer = create_user(desk_client, admin, "Viewer3", "viewer")
    assert viewer["username"] == "viewer3" and viewer["role"] == "viewer" and viewer["active"] is True
    assert viewer["trading_password_set"] is False and "password" not in viewer
    again = http.post(f"{API}/users", json={"username": "viewer3", "password": "another-pass-1"}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == 409
    bad_role = http.post(
        f"{API}/users", json={"username": "x1", "password": "x1-pass-12", "role": "root"}, headers=admin
    )
    err(bad_role, 422, "VALIDATION_ERROR")
    err(http.post(f"{API}/users", json={"username": "x2", "password": "short"}, headers=admin), 422, "VALIDATION_ERROR")

    listed = ok(http.get(f"{API}/users", headers=admin))
    assert [u["username"] for u in listed] == ["admin", "viewer3"]
    assert "password_hash" not in str(listed)

    session = desk_client.login("viewer3", "Viewer3-pass-1")
    err(http.get(f"{API}/users", headers=session), 403, "FORBIDDEN")
    err(http.post(f"{API}/users", json={"username": "y", "password": "yyyy-pass-1"}, headers=session), 403, "FORBIDDEN")
    err(http.patch(f"{API}/users/{viewer['id']}", json={"role": "admin"}, headers=session), 403, "FORBIDDEN")

    promoted = ok(http.patch(f"{API}/users/{viewer['id']}", json={"role": "trader"}, headers=admin))
    assert promoted["role"] == "trader"
    assert ok(http.get(f"{API}/auth/me", headers=session))["role"] == "trader"
    err(http.patch(f"{API}/users/999999", json={"role": "viewer"}, headers=admin), 404, "NOT_FOUND")
    err(http.patch(f"{API}/users/{viewer['id']}", json={"role": "root"}, headers=admin), 422, "VALIDATION_ERROR")

    disabled = ok(http.patch(f"{API}/users/{viewer['id']}", json={"active": False}, headers=admin))
    assert disabled["active"] is False
    err(http.get(f"{API}/auth/me", headers=session), 401, "AUTH_INVALID_TOKEN")


# ------------------------------------------------------------------------------------------ trading


def test_status_account_health_and_broker_link(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.login()
    status = ok(http.get(f"{API}/trading/status", headers=admin))
    assert set(status) >= STATUS_FIELDS
    assert status["broker"] == "paper" and status["connected"] is True and status["state"] == "connected"
    assert status["market_phase"] == "continuous" and status["market_phase"] in MARKET_PHASES
    assert status["trading_day"] == "2026-11-25" and status["halted"] is False
    assert status["account_type"] == "STOCK" and isinstance(status["account_id"], str)
    assert shanghai_time(status["server_time"]).date().isoformat() == "2026-11-25"

    account = ok(http.get(f"{API}/trading/account", headers=admin))
    assert set(account) >= ACCOUNT_FIELDS
    assert account["cash"] == "1000000.00" and account["total_asset"] == "1000000.00"
    assert account["frozen_cash"] == "0.00" and account["market_value"] == "0.00"
    assert all(is_money(account[k]) for k in ("withdrawable", "total_profit", "today_profit"))
    shanghai_time(account["updated_at"])

    health = http.get(f"{API}/health")
    data = ok(health)
    assert data["status"] == "ok" and isinstance(data["version"], str) and data["broker_connected"] is True

    assert ok(http.post(f"{API}/trading/disconnect", headers=admin))["state"] == "disconnected"
    status = ok(http.get(f"{API}/trading/status", headers=admin))
    assert status["connected"] is False and status["state"] == "disconnected"
    assert ok(http.get(f"{API}/health"))["broker_connected"] is False
    assert ok(http.post(f"{API}/trading/connect", headers=admin))["state"] == "connected"
    assert ok(http.get(f"{API}/health"))["broker_connected"] is True


def test_positions_orders_and_trades_with_filters(desk_client: DeskClient) -> None:
    http = desk_client.http
    headers = desk_client.trade_headers()
    assert ok(http.get(f"{API}/trading/positions", headers=headers)) == []
    missing = http.get(f"{API}/trading/positions/600000", headers=headers)
    assert err(missing, 404, "POSITION_NOT_FOUND")["message"]
    english = http.get(f"{API}/trading/positions/600000", headers={**headers, "Accept-Language": "en-GB"})
    assert err(english, 404, "POSITION_NOT_FOUND")["message"] == "No position in 600000.SH"

    filled = ok(desk_client.order(headers, strategy_name="alpha"), 201)["order"]
    resting = ok(desk_client.order(headers, stock_code="sz000001", price="11.50"), 201)["order"]
    assert set(filled) >= ORDER_FIELDS
    assert filled["status"] == "filled" and resting["status"] == "accepted"
    assert resting["stock_code"] == "000001.SZ" and filled["source"] == "api"
    for key in ("price", "fees", "frozen_amount"):
        assert is_money(filled[key]), (key, filled[key])
    shanghai_time(filled["created_at"])

    [position] = ok(http.get(f"{API}/trading/positions", headers=headers))
    assert set(position) >= POSITION_FIELDS
    assert position["stock_code"] == "600000.SH" and position["volume"] == 100 and position["can_use_volume"] == 0
    for code in ("600000", "600000.SH", "SH600000", "sh600000"):
        one = ok(http.get(f"{API}/trading/positions/{code}", headers=headers))
        assert one == position
    err(http.get(f"{API}/trading/positions/000001.SZ", headers=headers), 404, "POSITION_NOT_FOUND")

    def order_ids(query: str) -> list[int]:
        page = ok(http.get(f"{API}/trading/orders?{query}", headers=headers))
        assert page["total"] == len(page["items"])
        return [o["order_id"] for o in page["items"]]

    both = [resting["order_id"], filled["order_id"]]  # newest first
    assert order_ids("") == both
    assert order_ids("status=open") == [resting["order_id"]]
    assert order_ids("status=finished") == [filled["order_id"]]
    assert order_ids("status=accepted,filled") == both
    assert order_ids("status=canceled") == []
    assert order_ids("stock_code=600000") == [filled["order_id"]]
    assert order_ids("side=buy") == both and order_ids("side=sell") == []
    assert order_ids("trading_day=2026-11-25") == both and order_ids("trading_day=2026-11-24") == []
    assert order_ids("strategy_name=alpha") == [filled["order_id"]]
    err(http.get(f"{API}/trading/orders?side=short", headers=headers), 422, "VALIDATION_ERROR")
    err(http.get(f"{API}/trading/orders?trading_day=yesterday", headers=headers), 422, "VALIDATION_ERROR")

    detail = ok(http.get(f"{API}/trading/orders/{filled['order_id']}", headers=headers))
    assert detail["order_id"] == filled["order_id"] and detail["status"] == "filled"
    err(http.get(f"{API}/trading/orders/999999", headers=headers), 404, "ORDER_NOT_FOUND")
    err(http.get(f"{API}/trading/orders/by-client-id/none-such", headers=headers), 404, "ORDER_NOT_FOUND")
    err(http.post(f"{API}/trading/orders/999999/cancel", headers=headers), 404, "ORDER_NOT_FOUND")

    def trade_orders(path: str, query: str) -> list[int]:
        page = ok(http.get(f"{API}/trading/{path}?{query}", headers=headers))
        assert page["total"] == len(page["items"]) and page["page"] == 1 and page["page_size"] == 20
        return [t["order_id"] for t in page["items"]]

    trades = ok(http.get(f"{API}/trading/trades", headers=headers))["items"]
    assert len(trades) == 1 and set(trades[0]) >= TRADE_FIELDS
    trade = trades[0]
    assert trade["stock_code"] == "600000.SH" and trade["side"] == "buy" and trade["quantity"] == 100
    assert trade["price"] == "11.51" and trade["amount"] == "1151.00" and trade["strategy_name"] == "alpha"
    assert trade["fees"] == "5.01" and all(is_money(trade[k]) for k in ("commission", "stamp_duty", "transfer_fee"))
    shanghai_time(trade["traded_at"])
    for path in ("trades", "records"):
        assert trade_orders(path, f"order_id={filled['order_id']}") == [filled["order_id"]]
        assert trade_orders(path, f"order_id={resting['order_id']}") == []
        assert trade_orders(path, "stock_code=SH600000") == [filled["order_id"]]
        assert trade_orders(path, "stock_code=000001") == []
        assert trade_orders(path, "trading_day=2026-11-25") == [filled["order_id"]]
        assert trade_orders(path, "trading_day=2026-11-26") == []
    err(http.get(f"{API}/trading/trades?order_id=abc", headers=headers), 422, "VALIDATION_ERROR")

    cancelled = ok(http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=headers))["order"]
    assert cancelled["status"] in ("pending_cancel", "canceled")
    final = http.post(f"{API}/trading/orders/{filled['order_id']}/cancel", headers=headers)
    err(final, 409, "ORDER_NOT_CANCELABLE")


def test_pagination_bounds(desk_client: DeskClient) -> None:
    http = desk_client.http
    headers = desk_client.trade_headers()
    for price in ("11.40", "11.41", "11.42"):
        ok(desk_client.order(headers, price=price), 201)
    page = ok(http.get(f"{API}/trading/orders?page=2&page_size=2", headers=headers))
    assert page["total"] == 3 and page["page"] == 2 and page["page_size"] == 2 and len(page["items"]) == 1
    assert page["items"][0]["price"] == "11.40"
    beyond = ok(http.get(f"{API}/trading/orders?page=5&page_size=2", headers=headers))
    assert beyond["items"] == [] and beyond["total"] == 3
    for path in ("trading/orders", "trading/trades", "trading/records", "audit"):
        assert ok(http.get(f"{API}/{path}?page_size=200", headers=headers))["page_size"] == 200
        body = err(http.get(f"{API}/{path}?page_size=201", headers=headers), 422, "VALIDATION_ERROR")
        assert body["data"]["fields"][0]["field"] == "page_size"
        err(http.get(f"{API}/{path}?page=0", headers=headers), 422, "VALIDATION_ERROR")
    english = http.get(f"{API}/trading/orders?page_size=500", headers={**headers, "Accept-Language": "en"})
    assert err(english, 422, "VALIDATION_ERROR")["message"].startswith("Invalid request")


CLOSES = ["2026-11-25T15:00:00+08:00", "2026-11-26T15:00:00+08:00", "2026-11-27T15:00:00+08:00"]


def close_points(curve: list[dict[str, Any]]) -> list[str]:
    return [p["time"] for p in curve if p["time"].endswith("T15:00:00+08:00")]


def test_equity_curve(desk_client: DeskClient) -> None:
    http = desk_client.http
    headers = desk_client.trade_headers()
    assert isinstance(ok(http.get(f"{API}/trading/equity", headers=headers)), list)
    ok(desk_client.order(headers), 201)
    desk_client.advance(headers, days=2, at="15:30")  # three closes: 2026-11-25, -26 and -27
    curve = ok(http.get(f"{API}/trading/equity", headers=headers))
    assert close_points(curve) == CLOSES
    times = [shanghai_time(p["time"]) for p in curve]
    assert times == sorted(times)
    for point in curve:
        assert set(point) == {"time", "total_asset", "cash", "market_value"}
        assert all(is_money(point[k]) for k in ("total_asset", "cash", "market_value"))
    last = curve[-1]
    assert last["cash"] == "998843.99" and last["market_value"] == "1150.00" and last["total_asset"] == "999993.99"
    later = ok(http.get(f"{API}/trading/equity", params={"from": "2026-11-26T00:00:00+08:00"}, headers=headers))
    assert close_points(later) == CLOSES[1:]
    assert all(shanghai_time(p["time"]).date().isoformat() >= "2026-11-26" for p in later)
    earlier = ok(http.get(f"{API}/trading/equity", params={"to": "2026-11-25T23:59:59+08:00"}, headers=headers))
    assert close_points(earlier) == CLOSES[:1]
    assert all(shanghai_time(p["time"]).date().isoformat() == "2026-11-25" for p in earlier)
    assert len(earlier) + len(later) == len(curve)
    err(http.get(f"{API}/trading/equity?from=soon", headers=headers), 422, "VALIDATION_ERROR")


def test_equity_snapshots_are_written_when_advance_returns(desk_client: DeskClient) -> None:
    http = desk_client.http
    headers = desk_client.login()
    desk_client.advance(headers, days=40, at="15:30")
    at_once = len(close_points(ok(http.get(f"{API}/trading/equity", headers=headers))))
    settled, deadline = -1, time.monotonic() + 5
    while time.monotonic() < deadline:
        count = len(close_points(ok(http.get(f"{API}/trading/equity", headers=headers))))
        if count == settled:
            break
        settled = count
        time.sleep(0.3)
    assert settled == 41  # 2026-11-25 and the 40 trading days after it
    assert at_once == settled


# ------------------------------------------------------------------------------------------ market


def test_quote_quotes_and_instruments(desk_client: DeskClient) -> None:
    http = desk_client.http
    headers = desk_client.login()
    quote = ok(http.get(f"{API}/market/quote/sh600000", headers=headers))
    assert set(quote) >= QUOTE_FIELDS
    assert quote["stock_code"] == "600000.SH" and quote["stock_name"] == "浦发银行" and quote["source"] == "paper"
    assert quote["last_price"] == "11.50" and quote["prev_close"] == "11.50"
    assert quote["limit_up"] == "12.65" and quote["limit_down"] == "10.35"
    assert [lv["price"] for lv in quote["bid"]] == ["11.49", "11.48", "11.47", "11.46", "11.45"]
    assert [lv["price"] for lv in quote["ask"]] == ["11.51", "11.52", "11.53", "11.54", "11.55"]
    assert all(isinstance(lv["volume"], int) and lv["volume"] >= 10000 for lv in quote["bid"] + quote["ask"])
    assert isinstance(quote["volume"], int) and is_money(quote["amount"])
    shanghai_time(quote["time"])

    listed = ok(http.get(f"{API}/market/quotes?codes=600000.SH,000001", headers=headers))
    assert [q["stock_code"] for q in listed] == ["600000.SH", "000001.SZ"]
    assert all(len(q["bid"]) == 5 and len(q["ask"]) == 5 for q in listed)
    err(http.get(f"{API}/market/quotes", headers=headers), 422, "VALIDATION_ERROR")

    unknown = http.get(f"{API}/market/quote/600001", headers=headers)
    assert unknown.status_code in (404, 422) and unknown.json()["error"] == "UNKNOWN_INSTRUMENT"
    err(unknown, unknown.status_code, "UNKNOWN_INSTRUMENT")
    invalid = http.get(f"{API}/market/quote/ABC", headers=headers)
    assert invalid.status_code in (404, 422)
    err(invalid, invalid.status_code, "INVALID_STOCK_CODE")
    bad_list = http.get(f"{API}/market/quotes?codes=600000.SH,600001.SH", headers=headers)
    assert bad_list.status_code in (404, 422) and bad_list.json()["error"] == "UNKNOWN_INSTRUMENT"

    banks = ok(http.get(f"{API}/market/instruments", params={"q": "银行"}, headers=headers))
    assert len(banks) >= 2 and all("银行" in i["stock_name"] for i in banks)
    assert {"600000.SH", "000001.SZ"} <= {i["stock_code"] for i in banks}
    for instrument in banks:
        assert set(instrument) >= INSTRUMENT_FIELDS
    spdb = next(i for i in banks if i["stock_code"] == "600000.SH")
    assert spdb["lot_size"] == 100 and spdb["price_tick"] == "0.01" and spdb["limit_pct"] == "0.1000"
    assert spdb["is_st"] is False and spdb["kind"] == "stock"
    by_code = ok(http.get(f"{API}/market/instruments?q=6000", headers=headers))
    assert by_code and all(i["stock_code"].startswith("6000") for i in by_code)
    assert "600000.SH" in {i["stock_code"] for i in by_code}
    one = ok(http.get(f"{API}/market/instruments?q=6000&limit=1", headers=headers))
    assert len(one) == 1
    assert ok(http.get(f"{API}/market/instruments?q=zzzzqqq", headers=headers)) == []
    err(http.get(f"{API}/market/instruments?limit=0", headers=headers), 422, "VALIDATION_ERROR")


# ------------------------------------------------------------------------------------------ config


def test_config_miniqmt_get_and_put(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.login()
    config = ok(http.get(f"{API}/config/miniqmt", headers=admin))
    assert set(config) == MINIQMT_KEYS
    assert all(set(item) == {"value", "source"} and item["source"] == "default" for item in config.values())
    assert config["MINIQMT_ACCOUNT_TYPE"]["value"] == "STOCK" and config["MINIQMT_ENABLED"]["value"] is False

    stored = ok(http.put(f"{API}/config/miniqmt", json={"MINIQMT_ACCOUNT_ID": "8800009999"}, headers=admin))
    assert stored["MINIQMT_ACCOUNT_ID"] == {"value": "8800009999", "source": "db"}
    again = ok(http.get(f"{API}/config/miniqmt", headers=admin))
    assert again["MINIQMT_ACCOUNT_ID"] == {"value": "8800009999", "source": "db"}
    assert again["MINIQMT_USERDATA_PATH"]["source"] == "default"
    cleared = ok(http.put(f"{API}/config/miniqmt", json={"MINIQMT_ACCOUNT_ID": None}, headers=admin))
    assert cleared["MINIQMT_ACCOUNT_ID"]["source"] == "default"
    bad = http.put(f"{API}/config/miniqmt", json={"MINIQMT_ENABLED": "perhaps"}, headers=admin)
    err(bad, 422, "VALIDATION_ERROR")


def test_config_set_by_the_environment_is_locked(env_desk_client: DeskClient) -> None:
    http = env_desk_client.http
    admin = env_desk_client.login()
    config = ok(http.get(f"{API}/config/miniqmt", headers=admin))
    assert config["MINIQMT_ACCOUNT_ID"] == {"value": "8800001234", "source": "env"}
    locked = http.put(f"{API}/config/miniqmt", json={"MINIQMT_ACCOUNT_ID": "1"}, headers=admin)
    err(locked, 409, "CONFIG_LOCKED_BY_ENV")
    mixed = {"MINIQMT_ACCOUNT_ID": "1", "MINIQMT_USERDATA_PATH": "C:/qmt/userdata_mini"}
    err(http.put(f"{API}/config/miniqmt", json=mixed, headers=admin), 409, "CONFIG_LOCKED_BY_ENV")
    # The refused request stored nothing; other keys stay editable.
    assert ok(http.get(f"{API}/config/miniqmt", headers=admin))["MINIQMT_USERDATA_PATH"]["source"] == "default"
    path = {"MINIQMT_USERDATA_PATH": "C:/qmt/userdata_mini"}
    stored = ok(http.put(f"{API}/config/miniqmt", json=path, headers=admin))
    assert stored["MINIQMT_USERDATA_PATH"] == {"value": "C:/qmt/userdata_mini", "source": "db"}
    assert stored["MINIQMT_ACCOUNT_ID"]["source"] == "env"


# ------------------------------------------------------------------------------------------ paper


def test_paper_clock_and_advance(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.trade_headers()
    clock = ok(http.get(f"{API}/paper/clock", headers=admin))
    assert {"now", "trading_day", "market_phase", "simulated"} <= set(clock)
    assert clock["simulated"] is True and clock["trading_day"] == "2026-11-25" and clock["market_phase"] == "continuous"
    assert shanghai_time(clock["now"]) >= datetime.fromisoformat("2026-11-25T10:00:00+08:00")

    resting = ok(desk_client.order(admin, price="11.40"), 201)["order"]
    lunch = desk_client.advance(admin, to="2026-11-25T12:00:00+08:00")
    assert lunch["market_phase"] == "lunch_break" and shanghai_time(lunch["now"]).hour == 12
    backwards = http.post(f"{API}/paper/clock/advance", json={"to": "2026-11-25T10:30:00+08:00"}, headers=admin)
    err(backwards, 422, "VALIDATION_ERROR")
    assert ok(http.get(f"{API}/paper/clock", headers=admin))["market_phase"] == "lunch_break"
    err(http.post(f"{API}/paper/clock/advance", json={}, headers=admin), 422, "VALIDATION_ERROR")
    err(http.post(f"{API}/paper/clock/advance", json={"days": -1}, headers=admin), 422, "VALIDATION_ERROR")

    # Friday 2026-11-27 + 1 trading day = Monday 2026-11-30; the day order expired at the first close.
    friday = desk_client.advance(admin, days=2, at="09:31")
    assert friday["trading_day"] == "2026-11-27" and friday["market_phase"] == "continuous"
    assert ok(http.get(f"{API}/trading/orders/{resting['order_id']}", headers=admin))["status"] == "expired"
    monday = desk_client.advance(admin, days=1, at="14:00")
    assert monday["trading_day"] == "2026-11-30" and shanghai_time(monday["now"]).hour == 14
    no_naive_offset = desk_client.advance(admin, to="2026-11-30T15:10:00")  # read as Shanghai time
    assert no_naive_offset["market_phase"] in ("closed", "after_hours")
    assert shanghai_time(no_naive_offset["now"]).hour == 15


def test_paper_reset_gives_a_fresh_account(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.trade_headers()
    ok(desk_client.order(admin), 201)
    ok(desk_client.order(admin, price="11.40"), 201)
    reset = ok(http.post(f"{API}/paper/reset", json={"cash": "50000"}, headers=admin))
    assert reset["cash"].startswith("50000")
    account = ok(http.get(f"{API}/trading/account", headers=admin))
    assert account["cash"] == "50000.00" and account["total_asset"] == "50000.00"
    assert account["frozen_cash"] == "0.00" and account["market_value"] == "0.00" and account["total_profit"] == "0.00"
    assert ok(http.get(f"{API}/trading/positions", headers=admin)) == []
    assert ok(http.get(f"{API}/trading/orders?status=open", headers=admin))["total"] == 0
    err(http.post(f"{API}/paper/reset", json={"cash": "-1"}, headers=admin), 422, "VALIDATION_ERROR")
    err(http.post(f"{API}/paper/reset", json={"cash": "lots"}, headers=admin), 422, "VALIDATION_ERROR")
    # The fresh account trades.
    ok(desk_client.order(admin), 201)
    assert ok(http.get(f"{API}/trading/account", headers=admin))["cash"] == "48843.99"


def test_paper_reset_restarts_profit_and_the_equity_curve(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.trade_headers()
    ok(desk_client.order(admin), 201)
    ok(http.post(f"{API}/paper/reset", json={"cash": "50000"}, headers=admin))
    account = ok(http.get(f"{API}/trading/account", headers=admin))
    assert account["today_profit"] == "0.00" and account["total_profit"] == "0.00", account
    curve = ok(http.get(f"{API}/trading/equity", headers=admin))
    assert curve and {p["total_asset"] for p in curve} == {"50000.00"}, curve


# ------------------------------------------------------------------------------------------ audit, health, misc


def test_audit_newest_first_and_paginated(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin = desk_client.trade_headers()
    order = ok(desk_client.order(admin, price="11.40"), 201)["order"]
    ok(http.post(f"{API}/trading/orders/{order['order_id']}/cancel", headers=admin))
    page = ok(http.get(f"{API}/audit?page_size=200", headers=admin))
    items = page["items"]
    assert page["total"] == len(items) and page["page"] == 1
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)
    actions = [i["action"] for i in items]
    assert actions[0] == "order.cancel" and items[0]["target"] == str(order["order_id"])
    assert actions.index("order.cancel") < actions.index("order.submit") < actions.index("auth.login")
    login = items[actions.index("auth.login")]
    assert login["actor"] == "admin" and {"id", "time", "actor", "action", "target", "detail", "ip"} <= set(login)
    shanghai_time(login["time"])

    first = ok(http.get(f"{API}/audit?page=1&page_size=2", headers=admin))
    second = ok(http.get(f"{API}/audit?page=2&page_size=2", headers=admin))
    assert [i["id"] for i in first["items"] + second["items"]] == ids[:4]
    assert first["total"] == second["total"] == page["total"]


def test_every_audit_row_and_user_row_carries_the_desks_clock_and_the_trail_is_ordered_by_it(
    desk_client: DeskClient,
) -> None:
    # The paper desk runs on a simulated clock at 2026-11-25 10:00, far from the wall clock: a row
    # stamped with wall time would sort apart from the others.
    http = desk_client.http
    admin = desk_client.trade_headers()
    order = ok(desk_client.order(admin, price="11.40"), 201)["order"]
    ok(http.post(f"{API}/trading/orders/{order['order_id']}/cancel", headers=admin))
    ok(http.post(f"{API}/risk/halt", json={"reason": "lunch"}, headers=admin))
    ok(http.post(f"{API}/risk/resume", headers=admin))
    ok(http.patch(f"{API}/admin/accounts/PAPER", json={"name": "练习账户"}, headers=admin))
    user = ok(http.post(f"{API}/users", json={"username": "trader1", "password": "trader-pass-1"}, headers=admin), 201)
    ok(http.post(f"{API}/monitor/stocks", json={"stock_code": "600000.SH"}, headers=admin), 201)
    items = ok(http.get(f"{API}/audit?page_size=200", headers=admin))["items"]
    actions = {i["action"] for i in items}
    assert {"auth.login", "auth.trade_unlock", "order.submit", "order.cancel", "risk.halt", "risk.resume"} <= actions
    assert {"account.rename", "user.create", "monitor.add"} <= actions
    days = {i["time"][:10] for i in items}
    assert days == {"2026-11-25"}, [(i["action"], i["time"]) for i in items]
    times = [shanghai_time(i["time"]) for i in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["action"] == "monitor.add"
    assert user["created_at"].startswith("2026-11-25"), user


def test_health_needs_no_auth_and_unknown_paths_are_404(desk_client: DeskClient) -> None:
    http = desk_client.http
    data = ok(http.get(f"{API}/health"))
    assert {"status", "version", "broker_connected"} <= set(data) and data["status"] == "ok"
    err(http.get(f"{API}/no-such-endpoint"), 404, "NOT_FOUND")
    headers = desk_client.login()
    err(http.get(f"{API}/no-such-endpoint", headers=headers), 404, "NOT_FOUND")
    # any method: a path nothing serves is 404, a path served with other methods 405
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        err(http.request(method, f"{API}/no-such-endpoint", json={}, headers=headers), 404, "NOT_FOUND")
    err(http.delete(f"{API}/trading/account", headers=headers), 405, "METHOD_NOT_ALLOWED")
    err(http.post(f"{API}/trading/orders/1", json={}, headers=headers), 405, "METHOD_NOT_ALLOWED")
    err(http.get(f"{API}/auth/login"), 405, "METHOD_NOT_ALLOWED")  # POST only
    err(http.options(f"{API}/no-such-endpoint"), 404, "NOT_FOUND")
    assert http.head(f"{API}/no-such-endpoint").status_code == 404


def test_out_of_range_ids_are_validation_errors_not_500(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    # A second client on the same running app that reports a 500 instead of re-raising the server's exception.
    http = TestClient(desk_client.http.app, raise_server_exceptions=False)
    huge = "99999999999999999999999"
    responses = [
        http.get(f"{API}/trading/orders/{huge}", headers=headers),
        http.get(f"{API}/trading/trades?order_id={huge}", headers=headers),
        http.get(f"{API}/trading/records?order_id={huge}", headers=headers),
        http.delete(f"{API}/auth/api-tokens/{huge}", headers=headers),
        http.patch(f"{API}/users/{huge}", json={"role": "viewer"}, headers=headers),
        desk_client.http.post(f"{API}/trading/orders/{huge}/cancel", headers=headers),
    ]
    for r in responses:
        err(r, 422, "VALIDATION_ERROR")
