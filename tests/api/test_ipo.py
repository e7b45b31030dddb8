"""The IPO / reverse-repo routes on a paper desk: nothing to subscribe, nothing to lend, and the
request validation. The MiniQMT side is in tests/xtquant/test_ipo.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import API, DeskClient


def data(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


def test_today_on_paper_has_nothing_to_subscribe(desk_client: DeskClient) -> None:
    today = data(desk_client.http.get(f"{API}/ipo/today", headers=desk_client.login()))
    assert today["supported"] is False
    assert (today["account_id"], today["trading_day"]) == ("PAPER", "2026-11-25")
    assert today["issues"] == [] and today["quota"] == {}
    assert (today["repo"]["decision"], today["repo"]["reason"]) == ("skip", "NOT_SUPPORTED")
    assert today["settings"] == {
        "auto": False,
        "time": "09:35",
        "dry_run": True,
        "include_bse": False,
        "include_bonds": True,
        "repo_auto": False,
        "repo_time": "14:50",
        "repo_code": "204001.SH",
        "repo_keep_cash": "0.00",
        "repo_rate_floor": "1.0",
    }


def test_runs_on_paper_send_nothing_and_are_audited(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    dry = data(desk_client.http.post(f"{API}/ipo/run", json={}, headers=headers))
    assert dry["dry_run"] is True and dry["trigger"] == "manual" and dry["issues"] == [] and dry["repo"] is None
    real = data(desk_client.http.post(f"{API}/ipo/run", json={"dry_run": False, "include_repo": True}, headers=headers))
    assert real["dry_run"] is False and real["issues"] == []
    assert (real["repo"]["reason"], real["repo"]["result"]) == ("NOT_SUPPORTED", None)
    assert data(desk_client.http.get(f"{API}/ipo/subscriptions", headers=headers)) == {"items": []}
    assert data(desk_client.http.get(f"{API}/trading/orders", headers=headers))["total"] == 0
    audit = data(desk_client.http.get(f"{API}/audit?action=ipo.run", headers=headers))["items"]
    assert [(a["actor"], a["detail"]["dry_run"]) for a in audit] == [("admin", False), ("admin", True)]


def test_subscriptions_of_another_day_and_another_account(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    r = desk_client.http.get(f"{API}/ipo/subscriptions?trading_day=2026-11-24", headers=headers)
    assert data(r) == {"items": []}
    r = desk_client.http.get(f"{API}/ipo/today?account_id=NOPE", headers=headers)
    assert r.status_code == 404 and r.json()["error"] == "ACCOUNT_NOT_FOUND"
    r = desk_client.http.post(f"{API}/ipo/run", json={"account_id": "NOPE"}, headers=desk_client.trade_headers())
    assert r.status_code == 404 and r.json()["error"] == "ACCOUNT_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dry_run": "yes"}, "dry_run"),
        ({"dry_run": 0}, "dry_run"),
        ({"include_repo": "true"}, "include_repo"),
        ({"account_id": "x" * 33}, "account_id"),
    ],
)
def test_run_validation(desk_client: DeskClient, body: dict[str, Any], field: str) -> None:
    r = desk_client.http.post(f"{API}/ipo/run", json=body, headers=desk_client.trade_headers())
    assert r.status_code == 422, r.text
    error = r.json()
    assert error["error"] == "VALIDATION_ERROR"
    assert [f["field"] for f in error["data"]["fields"]] == [field]


def test_run_needs_a_trade_token_and_a_bad_day_is_refused(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    r = desk_client.http.post(f"{API}/ipo/run", json={}, headers=auth)
    assert r.status_code == 403 and r.json()["error"] == "TRADE_LOCKED"
    r = desk_client.http.get(f"{API}/ipo/subscriptions?trading_day=2026-13-01", headers=auth)
    assert r.status_code == 422 and r.json()["error"] == "VALIDATION_ERROR"
