"""The broker link, cancel-all, equity, bars, instrument search, MiniQMT settings, the paper exchange's
controls, the audit trail and health answer what their declared models describe.

Real answers of the real server are validated against the response models with unknown fields
forbidden (see ``test_openapi.py``); the IPO models are checked on real runs in tests/xtquant/test_ipo.py.
"""

from __future__ import annotations

from qmtdesk.api.schemas import admin, common, ipo, market, orders
from tests.api.conftest import API, DeskClient, check


def test_link_cancel_all_and_equity_answers_match_their_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    down = check(orders.LinkAnswer, http.post(f"{API}/trading/disconnect", headers=auth))
    assert down == {"state": "disconnected"}
    up = check(orders.LinkAnswer, http.post(f"{API}/trading/connect", headers=auth))
    assert up["state"] == "connected" and up["reconciliation"] is not None

    for price in ("11.00", "11.01"):
        desk_client.order(auth, quantity=100, price=price)
    canceled = check(orders.CanceledAll, http.post(f"{API}/trading/orders/cancel-all", json={}, headers=auth))
    assert canceled["requested"] == 2 and canceled["refused"] == []
    assert {o["status"] for o in canceled["orders"]} <= {"canceled", "pending_cancel"}

    desk_client.advance(auth, days=1, at="15:30:00")  # a close writes an equity point
    curve = check(list[orders.EquitySample], http.get(f"{API}/trading/equity", headers=auth))
    assert curve, "the close writes an equity point"


def test_cancel_all_reports_an_order_it_may_not_cancel(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    desk_client.advance(auth, days=1, at="09:16:00")  # the opening call: orders rest until 9:25
    desk_client.order(auth, quantity=100, price="11.00")
    desk_client.advance(auth, to="2026-11-26T09:21:00+08:00")  # 9:20-9:25 takes no cancels
    canceled = check(orders.CanceledAll, http.post(f"{API}/trading/orders/cancel-all", json={}, headers=auth))
    [refusal] = canceled["refused"]
    assert refusal["error"] and refusal["message"]


def test_market_answers_match_their_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.login()
    # A price set now trades: today's first minute bar.
    http.post(f"{API}/paper/price", json={"stock_code": "600000.SH", "price": "11.70"}, headers=auth)
    for period in ("1m", "1d"):
        bars = check(list[market.Bar], http.get(f"{API}/market/bars/600000.SH?period={period}", headers=auth))
        assert bars, period
    found = check(list[market.InstrumentInfo], http.get(f"{API}/market/instruments?q=600", headers=auth))
    assert found and all(i["stock_code"].startswith("600") for i in found)
    star = check(list[market.InstrumentInfo], http.get(f"{API}/market/instruments?q=688", headers=auth))
    assert {i["board"] for i in star} == {"star"}


def test_admin_paper_audit_and_health_answers_match_their_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    check(admin.MiniQmtSettings, http.get(f"{API}/config/miniqmt", headers=auth))
    stored = check(
        admin.MiniQmtSettings,
        http.put(f"{API}/config/miniqmt", json={"MINIQMT_ENABLED": False, "MINIQMT_ACCOUNT_ID": "8800"}, headers=auth),
    )
    assert stored["MINIQMT_ACCOUNT_ID"] == {"value": "8800", "source": "db"}

    clock = check(admin.PaperClock, http.get(f"{API}/paper/clock", headers=auth))
    assert clock["simulated"] is True and clock["market_phase"] == "continuous"
    moved = check(
        market.Quote, http.post(f"{API}/paper/price", json={"stock_code": "600000.SH", "price": "11.70"}, headers=auth)
    )
    assert moved["last_price"] == "11.70"
    check(market.Quote, http.post(f"{API}/paper/quotes/600000.SH", json={"last_price": "11.60"}, headers=auth))
    later = check(admin.PaperClock, http.post(f"{API}/paper/clock/advance", json={"at": "13:30:00"}, headers=auth))
    assert later["now"].startswith("2026-11-25T13:30")
    fresh = check(admin.PaperReset, http.post(f"{API}/paper/reset", json={"cash": "500000"}, headers=auth))
    assert fresh["cash"] == "500000.00"

    trail = check(common.PageOf[admin.AuditEntry], http.get(f"{API}/audit", headers=auth))
    assert {"paper.reset", "config.miniqmt"} <= {e["action"] for e in trail["items"]}
    health = check(admin.Health, http.get(f"{API}/health"))
    assert health["broker_connected"] is True


def test_ipo_answers_on_paper_match_their_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    today = check(ipo.IpoReport, http.get(f"{API}/ipo/today", headers=auth))
    assert today["supported"] is False and today["repo"]["reason"] == "NOT_SUPPORTED"
    check(ipo.IpoReport, http.post(f"{API}/ipo/run", json={"dry_run": False, "include_repo": True}, headers=auth))
    assert check(ipo.Subscriptions, http.get(f"{API}/ipo/subscriptions", headers=auth)) == {"items": []}
