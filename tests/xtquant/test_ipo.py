"""New-issue subscription (新股/新债申购) and reverse repo (逆回购) on a MiniQMT account, end to end.

The real ``xtquant`` SDK over the simulated MiniQMT of tests/xtfake lists today's issues and the
account's quota; the desk plans, claims and places each subscription once, through its order ledger.
The desk's clock and the simulated MiniQMT's are pinned to Wednesday 2026-11-25.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from qmtdesk.api.app import create_app
from qmtdesk.api.schemas.ipo import IpoReport, Subscriptions
from qmtdesk.desk import Desk
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.audit import AuditLog
from qmtdesk.store.tables.ipo import SubscriptionRow
from tests.api.conftest import API, check, make_settings
from tests.api.conftest import database_url as database_url  # the SQLite / PostgreSQL fixture
from tests.xtfake import MiniQMT
from tests.xtquant.conftest import ACCOUNT, LiveDesk, eventually

#: What the simulated MiniQMT lists today, and what the desk should make of it with the quota below.
SUBSCRIBED = {
    # code: (quantity, price) — SH 5000 of a 12,000 maximum; STAR 2,300 of KCB rounded down to the unit of
    # 500; ChiNext draws on SZ (no CYB key); the bond is subscribed to its maximum (no quota needed).
    "732111.SH": (5000, "9.88"),
    "787333.SH": (2000, "30.00"),
    "301555.SZ": (3000, "25.50"),
    "754222.SH": (10000, "100.00"),
}
SKIPPED = {
    "920111.BJ": "BSE_EXCLUDED",
    "999001.SH": "UNKNOWN_CODE",
    "XYZ": "UNKNOWN_CODE",
    "002666.SZ": "NOT_TODAY",
}


def list_issues(mini: MiniQMT) -> None:
    mini.add_ipo("732111.SH", "沪市新股", "STOCK", min_purchase=1000, max_purchase=12000, issue_price="9.88")
    mini.add_ipo("787333.SH", "科创新股", "STOCK", min_purchase=500, max_purchase=5500, issue_price="30.00")
    mini.add_ipo("301555.SZ", "创业新股", "STOCK", min_purchase=500, max_purchase=8000, issue_price="25.50")
    mini.add_ipo("754222.SH", "沪市发债", "BOND", min_purchase=10, max_purchase=10000, issue_price=100)
    mini.add_ipo("920111.BJ", "北交新股", "STOCK", min_purchase=100, max_purchase=50000, issue_price="8.00")
    mini.add_ipo("999001.SH", "怪代码", "STOCK", min_purchase=1000, max_purchase=5000, issue_price="10.00")
    mini.add_ipo("XYZ", "坏数据", "STOCK", min_purchase=1000, max_purchase=5000, issue_price="10.00")
    mini.add_ipo(
        "002666.SZ",
        "明日新股",
        "STOCK",
        min_purchase=500,
        max_purchase=8000,
        issue_price="12.00",
        purchase_date="20261126",
    )
    mini.set_purchase_limit(ACCOUNT, {"SH": 5000, "SZ": 3000, "KCB": 2300})


@pytest.fixture
def listed(mini: MiniQMT) -> MiniQMT:
    list_issues(mini)
    return mini


@contextmanager
def live_desk(tmp_path: Path, mini: MiniQMT, database_url: str, **overrides: Any) -> Iterator[LiveDesk]:
    """The app on the xtquant broker over ``mini`` at 10:00 on 2026-11-25 (the same database every time)."""
    settings = make_settings(
        tmp_path / "data",
        database_url,
        broker="xtquant",
        miniqmt_enabled=True,
        miniqmt_userdata_path=str(tmp_path / "userdata_mini"),
        miniqmt_account_id=ACCOUNT,
        **overrides,
    )
    clock = SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    desk = Desk.build(settings, clock=clock)
    with TestClient(create_app(desk)) as http:
        client = LiveDesk(http, desk)
        client.mini = mini
        eventually(lambda: desk.broker.state.value == "connected")
        yield client


@pytest.fixture
def live(tmp_path: Path, mini: MiniQMT, database_url: str) -> Iterator[LiveDesk]:
    """The desk on MiniQMT, on SQLite and (with QMTDESK_TEST_DATABASE_URL) PostgreSQL."""
    with live_desk(tmp_path, mini, database_url) as client:
        yield client


def run(live: LiveDesk, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    return check(IpoReport, live.http.post(f"{API}/ipo/run", json=body, headers=headers))


def by_code(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["stock_code"]: i for i in report["issues"]}


def mini_subscriptions(mini: MiniQMT) -> dict[str, list[tuple[int, Decimal, int]]]:
    """The orders MiniQMT holds per code: (volume, price, status)."""
    out: dict[str, list[tuple[int, Decimal, int]]] = {}
    for order in mini.orders(ACCOUNT):
        out.setdefault(order.code, []).append((order.volume, Decimal(str(order.price)), order.status))
    return out


def records(live: LiveDesk, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    listed = check(Subscriptions, live.http.get(f"{API}/ipo/subscriptions", headers=headers))
    return {item["stock_code"]: item for item in listed["items"]}


def assert_subscribed_once(mini: MiniQMT) -> None:
    orders = mini_subscriptions(mini)
    assert set(orders) == set(SUBSCRIBED), orders
    for code, (quantity, price) in SUBSCRIBED.items():
        [(volume, sent_price, status)] = orders[code]
        assert (volume, sent_price, status) == (quantity, Decimal(price), 50), code


def test_today_lists_issues_quota_and_the_plan(live: LiveDesk, listed: MiniQMT) -> None:
    headers = live.login()
    today = check(IpoReport, live.http.get(f"{API}/ipo/today", headers=headers))
    assert today["supported"] is True and today["trading_day"] == "2026-11-25"
    assert today["quota"] == {"SH": 5000, "SZ": 3000, "KCB": 2300}
    issues = by_code(today)
    for code, (quantity, price) in SUBSCRIBED.items():
        assert issues[code]["decision"] == "subscribe", issues[code]
        assert (issues[code]["quantity"], issues[code]["issue_price"]) == (quantity, price)
    for code, reason in SKIPPED.items():
        assert (issues[code]["decision"], issues[code]["reason"]) == ("skip", reason), issues[code]
        assert issues[code]["message"]
    assert issues["787333.SH"]["quota_key"] == "KCB" and issues["301555.SZ"]["quota_key"] == "SZ"
    assert issues["754222.SH"]["type"] == "bond" and issues["754222.SH"]["amount"] == "1000000.00"
    assert today["settings"]["dry_run"] is True and today["settings"]["auto"] is False
    assert mini_subscriptions(listed) == {}


def test_dry_run_records_the_plan_and_sends_nothing(live: LiveDesk, listed: MiniQMT) -> None:
    headers = live.trade_headers()
    report = run(live, headers)  # dry by default (QMTDESK_IPO_DRY_RUN)
    assert report["dry_run"] is True
    issues = by_code(report)
    assert {c for c, i in issues.items() if i["result"] == "planned"} == set(SUBSCRIBED)
    assert mini_subscriptions(listed) == {}
    assert live.orders(headers) == []
    planned = records(live, headers)
    assert set(planned) == set(SUBSCRIBED)
    assert all(r["state"] == "planned" and r["dry_run"] and r["order_id"] is None for r in planned.values())
    audit = live.http.get(f"{API}/audit?action=ipo.run", headers=headers).json()["data"]["items"]
    assert len(audit) == 1 and audit[0]["detail"]["dry_run"] is True


def test_real_run_subscribes_each_eligible_issue_once(live: LiveDesk, listed: MiniQMT) -> None:
    headers = live.trade_headers()
    run(live, headers, dry_run=True)  # a dry run first: its plan does not stop the real one
    report = run(live, headers, dry_run=False)
    issues = by_code(report)
    for code in SUBSCRIBED:
        assert issues[code]["result"] == "sent" and issues[code]["order_id"], issues[code]
    for code, reason in SKIPPED.items():
        assert issues[code]["reason"] == reason and issues[code]["result"] is None
    assert_subscribed_once(listed)
    # The orders are the desk's: persisted, with source ipo, acknowledged by MiniQMT.
    orders = {o["stock_code"]: o for o in live.orders(headers)}
    assert set(orders) == set(SUBSCRIBED)
    assert all(o["source"] == "ipo" and o["side"] == "buy" and o["price_type"] == "limit" for o in orders.values())
    for code in SUBSCRIBED:
        live.status_of(headers, orders[code]["order_id"], "accepted")
    rows = records(live, headers)
    assert all(rows[c]["state"] == "sent" and rows[c]["order_id"] == orders[c]["order_id"] for c in SUBSCRIBED)
    assert rows["732111.SH"]["client_order_id"] == "ipo-20261125-732111.SH-1"
    # Audited: the run, and each subscription with its order.
    audit = live.http.get(f"{API}/audit?action=ipo.subscribe&page_size=50", headers=headers).json()["data"]["items"]
    assert sorted(a["target"] for a in audit) == sorted(SUBSCRIBED)
    assert all(a["detail"]["state"] == "sent" and a["detail"]["order_id"] for a in audit)

    again = by_code(run(live, headers, dry_run=False))
    assert all(again[c]["reason"] == "ALREADY_SUBSCRIBED" and again[c]["result"] is None for c in SUBSCRIBED)
    assert_subscribed_once(listed)


def test_a_restart_does_not_subscribe_again(tmp_path: Path, listed: MiniQMT, database_url: str) -> None:
    with live_desk(tmp_path, listed, database_url) as first:
        run(first, first.trade_headers(), dry_run=False)
    assert_subscribed_once(listed)
    with live_desk(tmp_path, listed, database_url) as second:
        headers = second.trade_headers()
        report = by_code(run(second, headers, dry_run=False))
        assert all(report[c]["reason"] == "ALREADY_SUBSCRIBED" for c in SUBSCRIBED)
        assert len(second.orders(headers)) == len(SUBSCRIBED)
    assert_subscribed_once(listed)


def test_claims_a_crash_left_are_placed_once_at_the_next_start(
    tmp_path: Path, listed: MiniQMT, database_url: str
) -> None:
    with live_desk(tmp_path, listed, database_url) as first:
        run(first, first.trade_headers(), dry_run=False)
        order_ids = {c: r["order_id"] for c, r in records(first, first.login()).items()}
        factory = first.desk.session_factory
    # Two crashes: one after 732111.SH's order was placed but before its claim recorded it, one after
    # 003888.SZ was claimed but before its order was placed.
    listed.add_ipo("003888.SZ", "深市新股", "STOCK", min_purchase=500, max_purchase=8000, issue_price="15.00")
    with unit_of_work(factory) as session:
        session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.stock_code == "732111.SH")
            .values(state="claimed", order_id=None)
        )
        now = datetime(2026, 11, 25, 9, 35, tzinfo=SHANGHAI)
        session.add(
            SubscriptionRow(
                account_id=ACCOUNT,
                trading_day=now.date(),
                kind="stock",
                stock_code="003888.SZ",
                stock_name="深市新股",
                quantity=3000,
                price=Decimal("15.00"),
                state="claimed",
                attempt=1,
                client_order_id="ipo-20261125-003888.SZ-1",
                message="",
                created_at=now,
                updated_at=now,
            )
        )
    with live_desk(tmp_path, listed, database_url) as second:
        headers = second.login()
        rows = records(second, headers)  # the start placed both before the app took requests
        assert rows["732111.SH"]["state"] == rows["003888.SZ"]["state"] == "sent"
        # 732111.SH: the engine answered with the order the first attempt made; nothing new was sent.
        assert rows["732111.SH"]["order_id"] == order_ids["732111.SH"]
        # 003888.SZ: its client id named no order, so it was placed now, once.
        order = second.order_by_id(headers, rows["003888.SZ"]["order_id"])
        assert (order["client_order_id"], order["quantity"], order["source"]) == (
            "ipo-20261125-003888.SZ-1",
            3000,
            "ipo",
        )
    orders = mini_subscriptions(listed)
    assert len(orders["732111.SH"]) == 1
    assert orders["003888.SZ"] == [(3000, Decimal("15.0"), 50)]


@pytest.mark.parametrize(("route", "code"), [("halt", "RISK_HALTED"), ("reduce-only", "RISK_REDUCE_ONLY")])
def test_a_halt_blocks_real_subscriptions_until_resumed(live: LiveDesk, listed: MiniQMT, route: str, code: str) -> None:
    headers = live.trade_headers()
    r = live.http.post(f"{API}/risk/{route}", json={"reason": "test"}, headers=headers)
    assert r.status_code == 200, r.text
    report = run(live, headers, dry_run=False, include_repo=True)
    assert report["blocked"]["error"] == code
    issues = by_code(report)
    assert all(issues[c]["reason"] == code and issues[c]["result"] is None for c in SUBSCRIBED)
    assert report["repo"]["reason"] == code
    assert mini_subscriptions(listed) == {} and live.orders(headers) == []
    assert records(live, headers) == {}
    # A dry run still shows the plan while halted.
    assert {c for c, i in by_code(run(live, headers, dry_run=True)).items() if i["result"] == "planned"} == set(
        SUBSCRIBED
    )
    live.http.post(f"{API}/risk/resume", json={}, headers=headers)
    run(live, headers, dry_run=False)
    assert_subscribed_once(listed)


def test_an_order_refused_by_the_desk_frees_the_claim_for_a_later_run(live: LiveDesk, listed: MiniQMT) -> None:
    headers = live.trade_headers()
    # Halted between the run's own check and the order: the engine's kill switch refuses it.
    live.desk.risk.set_state("halted", "test", "tester", None)
    subs = live.desk.accounts.default.ipo
    subs._blocked = lambda: None  # type: ignore[method-assign]  # the run's own check passes
    report = by_code(run(live, headers, dry_run=False))
    assert all(report[c]["result"] == "failed" and report[c]["error"] == "RISK_HALTED" for c in SUBSCRIBED)
    assert mini_subscriptions(listed) == {}
    rows = records(live, headers)
    assert all(rows[c]["state"] == "failed" and rows[c]["order_status"] == "denied" for c in SUBSCRIBED)
    live.desk.risk.set_state("active", "test", "tester", None)
    report = by_code(run(live, headers, dry_run=False))
    assert all(report[c]["result"] == "sent" for c in SUBSCRIBED)
    assert_subscribed_once(listed)
    assert records(live, headers)["732111.SH"]["client_order_id"] == "ipo-20261125-732111.SH-2"


def test_bse_is_subscribed_when_included_and_sized_by_cash(tmp_path: Path, listed: MiniQMT, database_url: str) -> None:
    listed.set_cash(ACCOUNT, 200_000)
    with live_desk(tmp_path, listed, database_url, ipo_include_bse=True, ipo_include_bonds=False) as live:
        headers = live.trade_headers()
        issues = by_code(run(live, headers, dry_run=False))
        # 200,000 / 8.00 = 25,000 shares, under the issue's 50,000 maximum; paid in full, so frozen.
        assert (issues["920111.BJ"]["result"], issues["920111.BJ"]["quantity"]) == ("sent", 25000)
        assert issues["754222.SH"]["reason"] == "BONDS_EXCLUDED"
        assert [(v, s) for v, _, s in mini_subscriptions(listed)["920111.BJ"]] == [(25000, 50)]
        assert listed.account(ACCOUNT).frozen_cash == Decimal(200_000)


def test_reverse_repo_lends_idle_cash_once(tmp_path: Path, mini: MiniQMT, database_url: str) -> None:
    mini.add_instrument("204001.SH", "GC001", "1.850", price_tick="0.005")
    mini.set_price("204001.SH", "1.870")
    with live_desk(tmp_path, mini, database_url, repo_keep_cash="100500") as live:
        headers = live.trade_headers()
        report = run(live, headers, dry_run=False, include_ipo=False, include_repo=True)
        repo = report["repo"]
        # 1,000,000 less 100,500 kept: 899 lots of 1,000 CNY (the commission stays in cash), at the best bid.
        assert (repo["decision"], repo["result"], repo["quantity"], repo["amount"]) == (
            "lend",
            "sent",
            8990,
            "899000.00",
        )
        assert (repo["price"], repo["rate_source"]) == ("1.870", "quote")
        [order] = mini.orders(ACCOUNT)
        assert (order.code, order.order_type, order.volume, order.price, order.status) == (
            "204001.SH",
            24,
            8990,
            pytest.approx(1.87),
            50,
        )
        [desk_order] = live.orders(headers)
        assert (desk_order["source"], desk_order["side"], desk_order["quantity"]) == ("repo", "sell", 8990)
        again = run(live, headers, dry_run=False, include_ipo=False, include_repo=True)["repo"]
        assert (again["reason"], again["result"]) == ("ALREADY_LENT", None)
        assert len(mini.orders(ACCOUNT)) == 1
        rows = records(live, headers)
        assert rows["204001.SH"]["kind"] == "repo" and rows["204001.SH"]["amount"] == "899000.00"
        audit = live.http.get(f"{API}/audit?action=repo.lend", headers=headers).json()["data"]["items"]
        assert len(audit) == 1 and audit[0]["detail"]["quantity"] == 8990


def test_reverse_repo_falls_back_to_the_floor_rate_without_a_quote(
    tmp_path: Path, mini: MiniQMT, database_url: str
) -> None:
    with live_desk(tmp_path, mini, database_url, repo_keep_cash="990000", repo_rate_floor="1.512") as live:
        repo = run(live, live.trade_headers(), dry_run=False, include_ipo=False, include_repo=True)["repo"]
        # 10,000 idle: 9 lots (the tenth lot's commission would not fit), at the floor rounded up to the tick.
        assert (repo["quantity"], repo["price"], repo["rate_source"]) == (90, "1.515", "floor")
        [order] = mini.orders(ACCOUNT)
        assert (order.volume, order.price) == (90, pytest.approx(1.515))


def test_scheduled_runs_subscribe_and_lend_at_their_times(tmp_path: Path, listed: MiniQMT, database_url: str) -> None:
    listed.add_instrument("204001.SH", "GC001", "1.850", price_tick="0.005")
    overrides = {"ipo_auto": True, "ipo_dry_run": False, "repo_auto": True, "repo_time": "14:50"}
    with live_desk(tmp_path, listed, database_url, **overrides) as live:
        # 10:00 is past 09:35: the subscriptions run at once; repo waits for 14:50.
        eventually(lambda: set(mini_subscriptions(listed)) == set(SUBSCRIBED))
        assert_subscribed_once(listed)
        assert "204001.SH" not in mini_subscriptions(listed)
        clock = live.desk.clock
        assert isinstance(clock, SimulatedClock)
        clock.set(datetime(2026, 11, 25, 14, 50, 1, tzinfo=SHANGHAI))
        eventually(lambda: "204001.SH" in mini_subscriptions(listed), timeout=20)
        with live.desk.session_factory() as session:
            actors = set(session.scalars(select(AuditLog.actor).where(AuditLog.action == "ipo.run")))
        assert actors == {"ipo-scheduler"}
    assert_subscribed_once_and_repo(listed)


def assert_subscribed_once_and_repo(mini: MiniQMT) -> None:
    orders = mini_subscriptions(mini)
    assert len(orders.pop("204001.SH")) == 1
    assert {c: len(v) for c, v in orders.items()} == dict.fromkeys(SUBSCRIBED, 1)
