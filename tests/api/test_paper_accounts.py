"""Several paper accounts on one desk: added and removed by admins, each with its own books, all on
one market and one clock, each account's changes streamed only to its subscribers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from tests.api.conftest import API, DeskClient, make_settings
from tests.api.test_websocket import WS, authenticate, bearer, receive, subscribe


def _add(dc: DeskClient, headers: dict[str, str], account_id: str = "P2", **body: Any) -> Any:
    payload = {"account_id": account_id, "broker": "paper", "cash": "500000", **body}
    return dc.http.post(f"{API}/admin/accounts", json=payload, headers=headers)


def _get(dc: DeskClient, path: str, headers: dict[str, str], account_id: str | None = None) -> Any:
    params = {"account_id": account_id} if account_id else None
    r = dc.http.get(f"{API}{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_an_admin_adds_a_paper_account_that_trades_apart_from_the_default(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = _add(desk_client, headers)
    assert r.status_code == 201, r.text
    added = r.json()["data"]
    assert added["account_id"] == "P2" and added["broker"] == "paper" and added["name"] == "模拟账户 P2"
    assert added["connected"] is True and added["default"] is False
    assert [a["account_id"] for a in _get(desk_client, "/accounts", headers)] == ["PAPER", "P2"]

    order = desk_client.order(headers, price="11.60", account_id="P2").json()["data"]["order"]
    assert order["account_id"] == "P2" and order["status"] == "filled"
    assert _get(desk_client, "/trading/account", headers, "P2")["cash"] == "498843.99"
    assert _get(desk_client, "/trading/account", headers)["cash"] == "1000000.00"
    assert [p["stock_code"] for p in _get(desk_client, "/trading/positions", headers, "P2")] == ["600000.SH"]
    assert _get(desk_client, "/trading/positions", headers) == []
    assert _get(desk_client, "/trading/orders", headers)["total"] == 0
    assert _get(desk_client, "/trading/orders", headers, "P2")["total"] == 1

    again = _add(desk_client, headers)
    assert again.status_code == 409 and again.json()["error"] == "ACCOUNT_EXISTS"
    audit = _get(desk_client, "/audit?action=account.", headers)["items"]
    assert [(a["action"], a["target"]) for a in audit] == [("account.create", "P2")]


def test_paper_accounts_share_one_market_and_one_clock(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    assert _add(desk_client, headers).status_code == 201
    for account in ("PAPER", "P2"):
        assert (
            desk_client.order(headers, price="11.60", account_id=account).json()["data"]["order"]["status"] == "filled"
        )
    desk_client.advance(headers, days=1, at="09:31")
    # Both accounts rolled to the next day: yesterday's shares are sellable in each.
    for account in ("PAPER", "P2"):
        [position] = _get(desk_client, "/trading/positions", headers, account)
        assert position["can_use_volume"] == 100, (account, position)
        assert position["last_price"] == _get(desk_client, "/market/quote/600000.SH", headers)["last_price"]
    # A price moved by hand is every account's: a resting buy in P2 fills at it.
    resting = desk_client.order(headers, price="11.20", account_id="P2").json()["data"]["order"]
    assert resting["status"] == "accepted"
    r = desk_client.http.post(f"{API}/paper/price", json={"stock_code": "600000.SH", "price": "11.15"}, headers=headers)
    assert r.status_code == 200, r.text
    detail = _get(desk_client, f"/trading/orders/{resting['order_id']}", headers, "P2")
    assert detail["status"] == "filled"


def test_each_account_streams_only_its_own_changes(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    assert _add(desk_client, headers).status_code == 201
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        ws.send_json({"action": "subscribe", "streams": ["orders", "trades"], "account_id": "P2"})
        ack = receive(ws)
        assert ack["type"] == "subscribed" and ack["account_id"] == "P2"
        # The default account's order is not this subscription's; the P2 order after it is.
        assert desk_client.order(headers, price="11.60").status_code == 201
        mine = desk_client.order(headers, price="11.60", account_id="P2").json()["data"]["order"]
        first = receive(ws)
        assert first["stream"] in ("orders", "trades") and first["data"]["account_id"] == "P2", first
        assert first["data"]["order_id"] == mine["order_id"]
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        replay, ack = subscribe(ws, ["orders"], since_seq=0)
        # A replay is of the default account too: the P2 order is not in it.
        assert replay and {m["data"]["account_id"] for m in replay} == {"PAPER"}


def test_removing_an_account_needs_no_open_orders_and_never_takes_the_default(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    assert _add(desk_client, headers).status_code == 201
    resting = desk_client.order(headers, price="11.20", account_id="P2").json()["data"]["order"]
    busy = desk_client.http.delete(f"{API}/admin/accounts/P2", headers=headers)
    assert busy.status_code == 409 and busy.json()["error"] == "ACCOUNT_HAS_OPEN_ORDERS"
    assert busy.json()["data"]["open_orders"] == 1
    cancel = desk_client.http.post(
        f"{API}/trading/orders/{resting['order_id']}/cancel", params={"account_id": "P2"}, headers=headers
    )
    assert cancel.status_code == 200, cancel.text
    r = desk_client.http.delete(f"{API}/admin/accounts/P2", headers=headers)
    assert r.status_code == 200 and r.json()["data"] == {"account_id": "P2", "removed": True}
    assert [a["account_id"] for a in _get(desk_client, "/accounts", headers)] == ["PAPER"]
    gone = desk_client.http.get(f"{API}/trading/account", params={"account_id": "P2"}, headers=headers)
    assert gone.status_code == 404 and gone.json()["error"] == "ACCOUNT_NOT_FOUND"
    default = desk_client.http.delete(f"{API}/admin/accounts/PAPER", headers=headers)
    assert default.status_code == 409 and default.json()["error"] == "ACCOUNT_IS_DEFAULT"


def test_only_admins_add_accounts_and_a_gateway_needs_nats(desk_client: DeskClient) -> None:
    admin = desk_client.login()
    r = desk_client.http.post(
        f"{API}/users", json={"username": "trader1", "password": "trader-pass-1", "role": "trader"}, headers=admin
    )
    assert r.status_code == 201, r.text
    trader = desk_client.login("trader1", "trader-pass-1")
    assert _add(desk_client, trader).status_code == 403
    gateway = _add(desk_client, admin, broker="gateway")
    assert gateway.status_code == 409 and gateway.json()["error"] == "NATS_NOT_CONFIGURED"
    unknown = _add(desk_client, admin, broker="ctp")
    assert unknown.status_code == 422 and unknown.json()["data"]["fields"][0]["field"] == "broker"
    bad_id = _add(desk_client, admin, account_id="no spaces")
    assert bad_id.status_code == 422 and bad_id.json()["data"]["fields"][0]["field"] == "account_id"


def test_an_added_paper_account_and_its_books_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    first = Desk.build(settings)
    with TestClient(create_app(first)) as http:
        dc = DeskClient(http, first)
        headers = dc.trade_headers()
        assert _add(dc, headers, name="练习二号").status_code == 201
        assert dc.order(headers, price="11.60", account_id="P2").json()["data"]["order"]["status"] == "filled"
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        dc = DeskClient(http, desk)
        headers = dc.login()
        accounts = _get(dc, "/accounts", headers)
        assert [(a["account_id"], a["name"]) for a in accounts] == [("PAPER", "模拟账户"), ("P2", "练习二号")]
        assert _get(dc, "/trading/account", headers, "P2")["cash"] == "498843.99"
        assert [p["volume"] for p in _get(dc, "/trading/positions", headers, "P2")] == [100]


def test_the_global_kill_switch_halts_every_account_and_each_has_its_own(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    assert _add(desk_client, headers).status_code == 201
    resting = desk_client.order(headers, price="11.20", account_id="P2").json()["data"]["order"]
    r = desk_client.http.post(
        f"{API}/risk/halt-all", json={"reason": "断网", "cancel_open_orders": True}, headers=headers
    )
    assert r.status_code == 200, r.text
    halted = r.json()["data"]["accounts"]
    assert [(a["account_id"], a["state"]) for a in halted] == [("PAPER", "halted"), ("P2", "halted")]
    assert _get(desk_client, f"/trading/orders/{resting['order_id']}", headers, "P2")["status"] == "canceled"
    for account in ("PAPER", "P2"):
        refused = desk_client.order(headers, price="11.60", account_id=account)
        assert refused.status_code == 422 and refused.json()["error"] == "RISK_HALTED", account
    assert {a["account_id"]: a["halted"] for a in _get(desk_client, "/accounts", headers)} == {
        "PAPER": True,
        "P2": True,
    }

    resumed = desk_client.http.post(f"{API}/risk/resume-all", headers=headers).json()["data"]["accounts"]
    assert {a["state"] for a in resumed} == {"active"}
    # One account's own switch leaves the other trading.
    r = desk_client.http.post(
        f"{API}/risk/halt", params={"account_id": "P2"}, json={"reason": "P2 only"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert desk_client.order(headers, price="11.60", account_id="P2").json()["error"] == "RISK_HALTED"
    assert desk_client.order(headers, price="11.60").status_code == 201


def test_the_overview_shows_every_account_with_money_exposure_and_link(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    assert _add(desk_client, headers).status_code == 201
    assert desk_client.order(headers, price="11.60", account_id="P2").json()["data"]["order"]["status"] == "filled"
    assert desk_client.order(headers, price="11.20", account_id="P2").json()["data"]["order"]["status"] == "accepted"
    data = _get(desk_client, "/accounts/overview", headers)
    rows = {r["account_id"]: r for r in data["items"]}
    assert list(rows) == ["PAPER", "P2"]
    p2 = rows["P2"]
    assert p2["available"] is True and p2["connected"] is True and p2["state"] == "connected"
    assert p2["holdings"] == 1 and p2["open_orders"] == 1
    assert p2["market_value"] == "1150.00" and p2["total_profit"] == "-6.01"
    assert p2["exposure"] == str((Decimal("1150") / Decimal(p2["total_asset"])).quantize(Decimal("0.0001")))
    assert isinstance(p2["rtt_ms"], float) and p2["rtt_ms"] >= 0
    assert rows["PAPER"]["holdings"] == 0 and rows["PAPER"]["exposure"] == "0.0000"
    assert data["totals"]["total_asset"] == str(Decimal(p2["total_asset"]) + Decimal(rows["PAPER"]["total_asset"]))
    assert data["totals"]["total_profit"] == "-6.01"


def test_a_disabled_account_takes_no_new_orders_but_cancels_and_stays_disabled_after_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    first = Desk.build(settings)
    with TestClient(create_app(first)) as http:
        dc = DeskClient(http, first)
        headers = dc.trade_headers()
        assert _add(dc, headers).status_code == 201
        resting = dc.order(headers, price="11.20", account_id="P2").json()["data"]["order"]
        r = http.patch(f"{API}/admin/accounts/P2", json={"enabled": False}, headers=headers)
        assert r.status_code == 200 and r.json()["data"]["enabled"] is False, r.text
        refused = dc.order(headers, price="11.60", account_id="P2")
        assert refused.status_code == 409 and refused.json()["error"] == "ACCOUNT_DISABLED", refused.text
        assert _get(dc, "/trading/orders", headers, "P2")["total"] == 1  # nothing stored for the refusal
        cancel = http.post(
            f"{API}/trading/orders/{resting['order_id']}/cancel", params={"account_id": "P2"}, headers=headers
        )
        assert cancel.status_code == 200, cancel.text
        assert dc.order(headers, price="11.60").status_code == 201  # the other account trades on
        audit = _get(dc, "/audit?action=account.", headers)["items"]
        assert ("account.disable", "P2") in [(a["action"], a["target"]) for a in audit]
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        dc = DeskClient(http, desk)
        headers = dc.trade_headers()
        assert {a["account_id"]: a["enabled"] for a in _get(dc, "/accounts", headers)} == {"PAPER": True, "P2": False}
        assert dc.order(headers, price="11.60", account_id="P2").json()["error"] == "ACCOUNT_DISABLED"
        assert http.patch(f"{API}/admin/accounts/P2", json={"enabled": True}, headers=headers).status_code == 200
        assert dc.order(headers, price="11.60", account_id="P2").status_code == 201
