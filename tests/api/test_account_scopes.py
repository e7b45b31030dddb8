"""Users and API tokens limited to some accounts: the others are as if they did not exist."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import API, DeskClient
from tests.api.test_websocket import WS, authenticate, receive

TRADER_PASSWORD = "p2-trader-pass"
TRADER_TRADING_PASSWORD = "975310"


def _setup(dc: DeskClient) -> tuple[dict[str, str], dict[str, Any]]:
    """A second paper account P2, an order resting in the default one, and a trader limited to P2."""
    admin = dc.trade_headers()
    r = dc.http.post(
        f"{API}/admin/accounts", json={"account_id": "P2", "broker": "paper", "cash": "500000"}, headers=admin
    )
    assert r.status_code == 201, r.text
    resting = dc.order(admin, price="11.20").json()["data"]["order"]
    assert resting["account_id"] == "PAPER" and resting["status"] == "accepted"
    body = {
        "username": "p2trader",
        "password": TRADER_PASSWORD,
        "role": "trader",
        "trading_password": TRADER_TRADING_PASSWORD,
        "account_ids": ["P2"],
    }
    r = dc.http.post(f"{API}/users", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["data"]["account_ids"] == ["P2"], r.text
    return admin, resting


def _not_found(r: Any) -> None:
    assert r.status_code == 404 and r.json()["error"] in ("ACCOUNT_NOT_FOUND", "ORDER_NOT_FOUND"), r.text


def test_a_user_limited_to_one_account_sees_and_trades_only_that_one(desk_client: DeskClient) -> None:
    http = desk_client.http
    _, resting = _setup(desk_client)
    trader = desk_client.trade_headers(desk_client.login("p2trader", TRADER_PASSWORD), TRADER_TRADING_PASSWORD)

    assert [a["account_id"] for a in http.get(f"{API}/accounts", headers=trader).json()["data"]] == ["P2"]
    # Without an account_id, the first account the user reaches: P2, not the desk's default.
    assert http.get(f"{API}/trading/account", headers=trader).json()["data"]["cash"] == "500000.00"
    placed = desk_client.order(trader, price="11.60").json()["data"]["order"]
    assert placed["account_id"] == "P2" and placed["status"] == "filled"

    _not_found(http.get(f"{API}/trading/account", params={"account_id": "PAPER"}, headers=trader))
    _not_found(desk_client.order(trader, price="11.60", account_id="PAPER"))
    _not_found(http.get(f"{API}/risk/rules", params={"account_id": "PAPER"}, headers=trader))
    _not_found(http.get(f"{API}/trading/orders/{resting['order_id']}", headers=trader))
    _not_found(http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=trader))
    admin = desk_client.login()
    still = http.get(f"{API}/trading/orders/{resting['order_id']}", headers=admin).json()["data"]
    assert still["status"] == "accepted"  # nothing the limited user did reached the default account
    assert http.get(f"{API}/trading/orders", headers=admin).json()["data"]["total"] == 1

    with http.websocket_connect(WS) as ws:
        authenticate(ws, trader["Authorization"].split()[1])
        ws.send_json({"action": "subscribe", "streams": ["orders"], "account_id": "PAPER"})
        assert receive(ws)["error"] == "ACCOUNT_NOT_FOUND"
        ws.send_json({"action": "subscribe", "streams": ["orders"]})
        ack = receive(ws)
        assert ack["type"] == "subscribed" and ack["account_id"] == "P2"


def test_an_api_token_reaches_only_its_accounts_within_its_users(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin, _ = _setup(desk_client)
    r = http.post(f"{API}/auth/api-tokens", json={"name": "p2 script", "account_ids": ["P2"]}, headers=admin)
    assert r.status_code == 201 and r.json()["data"]["account_ids"] == ["P2"], r.text
    token = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    assert [a["account_id"] for a in http.get(f"{API}/accounts", headers=token).json()["data"]] == ["P2"]
    _not_found(http.get(f"{API}/trading/positions", params={"account_id": "PAPER"}, headers=token))
    assert http.get(f"{API}/trading/positions", params={"account_id": "P2"}, headers=token).status_code == 200

    trader = desk_client.login("p2trader", TRADER_PASSWORD)
    beyond = http.post(f"{API}/auth/api-tokens", json={"name": "x", "account_ids": ["PAPER"]}, headers=trader)
    assert beyond.status_code == 422 and beyond.json()["data"]["fields"][0]["field"] == "account_ids"
    unknown = http.post(f"{API}/auth/api-tokens", json={"name": "x", "account_ids": ["NOPE"]}, headers=admin)
    assert unknown.status_code == 404 and unknown.json()["error"] == "ACCOUNT_NOT_FOUND"


def test_an_admin_widens_and_narrows_a_users_accounts_and_it_applies_at_once(desk_client: DeskClient) -> None:
    http = desk_client.http
    admin, _ = _setup(desk_client)
    trader = desk_client.login("p2trader", TRADER_PASSWORD)
    [user] = [u for u in http.get(f"{API}/users", headers=admin).json()["data"] if u["username"] == "p2trader"]
    r = http.patch(f"{API}/users/{user['id']}", json={"account_ids": None}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["account_ids"] is None
    assert len(http.get(f"{API}/accounts", headers=trader).json()["data"]) == 2
    r = http.patch(f"{API}/users/{user['id']}", json={"role": "trader"}, headers=admin)  # not named: kept
    assert r.json()["data"]["account_ids"] is None
    r = http.patch(f"{API}/users/{user['id']}", json={"account_ids": ["PAPER"]}, headers=admin)
    assert r.json()["data"]["account_ids"] == ["PAPER"]
    assert [a["account_id"] for a in http.get(f"{API}/accounts", headers=trader).json()["data"]] == ["PAPER"]
    audit = http.get(f"{API}/audit", params={"action": "user.update"}, headers=admin).json()["data"]["items"]
    assert audit[0]["detail"]["account_ids"] == {"from": None, "to": "PAPER"}
