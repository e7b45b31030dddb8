"""The auth, users and accounts routes answer what their declared models describe.

Real answers of the real server, in each of their shapes, are validated against the response models
of ``qmtdesk.api.schemas.access`` with unknown fields forbidden (see ``test_openapi.py``).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.api.schemas import access
from qmtdesk.desk import Desk
from tests.api.conftest import ADMIN_PASSWORD, API, TRADING_PASSWORD, DeskClient, check, make_settings

TRADER_PASSWORD = "trader-pass-1"
NEW_PASSWORD = "trader-pass-2"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _rows(data: Any) -> list[dict[str, Any]]:
    """The data of a list answer (``check`` types it as one object)."""
    assert isinstance(data, list)
    return data


def test_auth_and_user_answers_match_their_declared_models(desk_client: DeskClient) -> None:
    http = desk_client.http
    signed_in = check(
        access.LoginAnswer, http.post(f"{API}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    )
    admin = _bearer(signed_in["access_token"])
    me = check(access.CurrentUser, http.get(f"{API}/auth/me", headers=admin))
    assert me["via"] == "jwt" and me["account_ids"] is None

    # Users: one limited to an account with a trading password, one with neither.
    body = {"username": "trader1", "password": TRADER_PASSWORD, "role": "trader", "account_ids": ["PAPER"]}
    trader = check(
        access.UserView, http.post(f"{API}/users", json=body | {"trading_password": "135790"}, headers=admin), 201
    )
    assert trader["account_ids"] == ["PAPER"] and trader["trading_password_set"] is True
    viewer_body = {"username": "viewer1", "password": "viewer-pass-1", "role": "viewer"}
    viewer = check(access.UserView, http.post(f"{API}/users", json=viewer_body, headers=admin), 201)
    assert viewer["account_ids"] is None and viewer["trading_password_set"] is False
    listed = _rows(check(list[access.UserView], http.get(f"{API}/users", headers=admin)))
    assert {u["username"] for u in listed} == {"admin", "trader1", "viewer1"}
    patch = {"role": "viewer", "active": True, "must_change_password": False, "account_ids": None}
    check(access.UserView, http.patch(f"{API}/users/{trader['id']}", json=patch, headers=admin))
    patch = {"role": "trader", "account_ids": ["PAPER"], "trading_password": TRADING_PASSWORD}
    patched = check(access.UserView, http.patch(f"{API}/users/{trader['id']}", json=patch, headers=admin))
    assert patched["account_ids"] == ["PAPER"] and patched["role"] == "trader"

    # The trader's own passwords, trade unlock and lock.
    login = {"username": "trader1", "password": TRADER_PASSWORD}
    trader_auth = _bearer(check(access.LoginAnswer, http.post(f"{API}/auth/login", json=login))["access_token"])
    check(access.CurrentUser, http.get(f"{API}/auth/me", headers=trader_auth))
    change = {"old_password": TRADER_PASSWORD, "new_password": NEW_PASSWORD}
    changed = check(access.LoginAnswer, http.post(f"{API}/auth/password", json=change, headers=trader_auth))
    trader_auth = _bearer(changed["access_token"])
    new_trading = {"password": NEW_PASSWORD, "new_trading_password": "864200"}
    check(access.UserView, http.post(f"{API}/auth/trading-password", json=new_trading, headers=trader_auth))
    unlock = {"trading_password": "864200"}
    check(access.TradeUnlocked, http.post(f"{API}/auth/trade-unlock", json=unlock, headers=trader_auth))
    check(access.TradeLocked, http.post(f"{API}/auth/trade-lock", headers=trader_auth))

    # API tokens: a read token with no expiry and every account; a trade token with both.
    read = check(access.NewApiToken, http.post(f"{API}/auth/api-tokens", json={"name": "read"}, headers=admin), 201)
    assert read["expires_at"] is None and read["account_ids"] is None and read["token"] == read["secret"]
    trade_body: dict[str, Any] = {
        "name": "trade",
        "scopes": ["read", "trade"],
        "expires_at": "2027-01-01T00:00:00+08:00",
        "trading_password": TRADING_PASSWORD,
        "account_ids": ["PAPER"],
    }
    trade = check(access.NewApiToken, http.post(f"{API}/auth/api-tokens", json=trade_body, headers=admin), 201)
    assert trade["expires_at"] is not None and trade["account_ids"] == ["PAPER"]
    by_token = check(access.CurrentUser, http.get(f"{API}/auth/me", headers=_bearer(read["secret"])))
    assert by_token["via"] == "api_token" and by_token["scopes"] == ["read"]
    tokens = _rows(check(list[access.ApiTokenView], http.get(f"{API}/auth/api-tokens", headers=admin)))
    assert {t["name"]: t["last_used_at"] is not None for t in tokens} == {"read": True, "trade": False}
    check(access.ApiTokenRevoked, http.delete(f"{API}/auth/api-tokens/{trade['id']}", headers=admin))
    check(list[access.ApiTokenView], http.get(f"{API}/auth/api-tokens", headers=admin))


def test_account_answers_match_their_declared_models(desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    http, admin = desk_client.http, desk_client.trade_headers()
    [default] = _rows(check(list[access.DeskAccount], http.get(f"{API}/accounts", headers=admin)))
    assert default["default"] is True and default["broker"] == "paper"

    added = check(
        access.DeskAccount,
        http.post(f"{API}/admin/accounts", json={"account_id": "P2", "broker": "paper"}, headers=admin),
        201,
    )
    assert added["default"] is False and added["name"] == "模拟账户 P2"
    body = {"account_id": "P3", "broker": "paper", "name": "第三", "cash": "500000"}
    check(access.DeskAccount, http.post(f"{API}/admin/accounts", json=body, headers=admin), 201)
    assert desk_client.order(admin, price="11.60", account_id="P2").json()["data"]["order"]["status"] == "filled"
    listed = _rows(check(list[access.DeskAccount], http.get(f"{API}/accounts", headers=admin)))
    assert [a["account_id"] for a in listed] == ["PAPER", "P2", "P3"]

    renamed = check(access.DeskAccount, http.patch(f"{API}/admin/accounts/P2", json={"name": "二号"}, headers=admin))
    assert renamed["name"] == "二号"
    disabled = check(access.DeskAccount, http.patch(f"{API}/admin/accounts/P2", json={"enabled": False}, headers=admin))
    assert disabled["enabled"] is False

    overview = check(access.AccountsOverview, http.get(f"{API}/accounts/overview", headers=admin))
    assert [r["available"] for r in overview["items"]] == [True, True, True]

    async def unavailable() -> Any:
        raise RuntimeError("the broker does not answer")

    monkeypatch.setattr(desk_client.desk.accounts.get("P3").broker, "query_account", unavailable)
    overview = check(access.AccountsOverview, http.get(f"{API}/accounts/overview", headers=admin))
    row = overview["items"][2]
    assert row["available"] is False and row["error"] and row["cash"] is None

    removed = check(access.AccountRemoved, http.delete(f"{API}/admin/accounts/P3", headers=admin))
    assert removed == {"account_id": "P3", "removed": True}


def test_a_gateway_account_that_is_not_linked_matches_its_declared_models(tmp_path: Path, database_url: str) -> None:
    with socket.socket() as s:  # a port nothing answers on: the gateway's link never comes up
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    desk = Desk.build(make_settings(tmp_path / "data", database_url, nats_url=f"nats://127.0.0.1:{port}"))
    with TestClient(create_app(desk)) as http:
        dc = DeskClient(http, desk)
        admin = dc.login()
        body = {"account_id": "GW1", "broker": "gateway"}
        added = check(access.DeskAccount, http.post(f"{API}/admin/accounts", json=body, headers=admin), 201)
        assert added["broker"] == "gateway" and added["connected"] is False
        check(list[access.DeskAccount], http.get(f"{API}/accounts", headers=admin))
        overview = check(access.AccountsOverview, http.get(f"{API}/accounts/overview", headers=admin))
        assert [r["available"] for r in overview["items"]] == [True, False]
        check(access.AccountRemoved, http.delete(f"{API}/admin/accounts/GW1", headers=admin))
