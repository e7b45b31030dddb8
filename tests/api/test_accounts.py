"""The accounts a desk serves: ``GET /accounts``, and ``account_id`` on the routes of one account."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.accounts import AccountRow
from qmtdesk.store.tables.orders import OrderRow
from tests.api.conftest import API, DeskClient, make_settings


def test_accounts_lists_the_paper_account_as_the_connected_default(desk_client: DeskClient) -> None:
    r = desk_client.http.get(f"{API}/accounts", headers=desk_client.login())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == 0
    [account] = body["data"]
    assert account["account_id"] == "PAPER"
    assert account["broker"] == "paper"
    assert account["name"] == "模拟账户"
    assert account["default"] is True
    assert account["enabled"] is True
    assert account["connected"] is True
    assert account["state"] == "connected"
    assert account["halted"] is False


def test_accounts_needs_a_signed_in_caller(desk_client: DeskClient) -> None:
    r = desk_client.http.get(f"{API}/accounts")
    assert r.status_code == 401
    assert r.json()["error"] == "AUTH_REQUIRED"


def test_unknown_account_id_is_refused_with_ACCOUNT_NOT_FOUND_on_every_kind_of_route(
    desk_client: DeskClient,
) -> None:
    auth = desk_client.login()
    paths = ("/trading/orders", "/trading/positions", "/trading/status", "/risk/rules", "/monitor/stocks", "/signals")
    for path in paths:
        r = desk_client.http.get(f"{API}{path}", params={"account_id": "NOPE"}, headers=auth)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"] == "ACCOUNT_NOT_FOUND", path
        assert "NOPE" in r.json()["message"]


def test_an_order_for_an_unknown_account_is_refused_and_nothing_is_stored(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    by_body = desk_client.order(headers, account_id="NOPE")
    assert by_body.status_code == 404, by_body.text
    assert by_body.json()["error"] == "ACCOUNT_NOT_FOUND"
    by_query = desk_client.http.post(
        f"{API}/trading/order",
        params={"account_id": "NOPE"},
        json={"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": "11.51"},
        headers=headers,
    )
    assert by_query.status_code == 404
    with desk_client.desk.session_factory() as session:
        assert session.scalars(select(OrderRow)).all() == []


def test_naming_the_default_account_works_as_naming_none(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, account_id="PAPER")
    assert r.status_code == 201, r.text
    assert r.json()["data"]["order"]["account_id"] == "PAPER"
    listed = desk_client.http.get(f"{API}/trading/orders", params={"account_id": "PAPER"}, headers=headers)
    assert listed.status_code == 200
    assert [o["order_id"] for o in listed.json()["data"]["items"]] == [r.json()["data"]["order"]["order_id"]]


def test_an_accounts_stored_name_survives_a_restart(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    first = Desk.build(settings)
    first.db.dispose()
    with unit_of_work(first.session_factory) as session:
        session.execute(update(AccountRow).where(AccountRow.account_id == "PAPER").values(name="练习账户"))
    first.db.dispose()
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        r = http.get(f"{API}/accounts", headers=client.login())
        assert [a["name"] for a in r.json()["data"]] == ["练习账户"]
    with desk.session_factory() as session:
        assert session.scalars(select(AccountRow.account_id)).all() == ["PAPER"]


def test_an_admin_renames_an_account_and_the_change_is_audited(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    r = desk_client.http.patch(f"{API}/admin/accounts/PAPER", json={"name": "  练习账户 "}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == "练习账户"
    assert [a["name"] for a in desk_client.http.get(f"{API}/accounts", headers=auth).json()["data"]] == ["练习账户"]
    with desk_client.desk.session_factory() as session:
        assert session.get(AccountRow, "PAPER").name == "练习账户"  # type: ignore[union-attr]
    audit = desk_client.http.get(f"{API}/audit", params={"action": "account.rename"}, headers=auth).json()["data"]
    [row] = audit["items"]
    assert row["target"] == "PAPER"
    assert row["detail"] == {"from": "模拟账户", "to": "练习账户"}


def test_renaming_refuses_a_blank_name_and_an_unknown_account(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    blank = desk_client.http.patch(f"{API}/admin/accounts/PAPER", json={"name": "   "}, headers=auth)
    assert blank.status_code == 422
    assert blank.json()["error"] == "VALIDATION_ERROR"
    unknown = desk_client.http.patch(f"{API}/admin/accounts/NOPE", json={"name": "x"}, headers=auth)
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "ACCOUNT_NOT_FOUND"
    names = [a["name"] for a in desk_client.http.get(f"{API}/accounts", headers=auth).json()["data"]]
    assert names == ["模拟账户"]
