"""Chaos on the real parts: gateways die, NATS goes away, the desk is killed, mid-burst — and
afterwards every account's ledger equals its broker's truth, no order was placed twice and none
after its deadline."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.brokers.gateway import wire
from qmtdesk.desk import Desk
from tests.api.conftest import API, DeskClient, make_settings
from tests.gateway.conftest import (
    GatewayThread,
    eventually,
    fake_miniqmt,
    forget_account,
    new_account_id,
    start_nats_server,
    xtquant_broker,
)
from tests.reliability.test_crash_safety import Server, _sign_in
from tests.xtfake import MiniQMT

FINAL_UNPLACED = {"canceled", "rejected", "denied"}


def _order_body(i: int, account_id: str) -> dict[str, Any]:
    # Prices and sizes vary so that no risk rule sees two orders alike.
    return {
        "stock_code": "600000.SH",
        "side": "buy",
        "quantity": 100 * (1 + i % 5),
        "price_type": "limit",
        "price": f"{11.45 - 0.01 * (i % 9):.2f}",
        "client_order_id": f"burst-{i}",
        "account_id": account_id,
    }


def _two_minutes_on(now: str) -> str:
    """Past every order's deadline and the grace after it: the reconciliation then settles orphans."""
    return (datetime.fromisoformat(now) + timedelta(minutes=2)).isoformat()


def _fill_everything(mini: MiniQMT, account_id: str) -> None:
    for order in mini.orders(account_id):
        if order.status in (50, 55):  # 已报 / 部成: the exchange fills the rest
            mini.fill(order.order_id)


def _assert_ledger_is_the_brokers_truth(
    get: Callable[[str, dict[str, Any]], Any], mini: MiniQMT, account_id: str
) -> None:
    ours = get("/trading/orders", {"account_id": account_id, "page_size": 200})["items"]
    theirs = mini.orders(account_id)
    # Never placed twice: one broker order per reference (the desk's order_remark).
    assert [r for r, n in Counter(o.remark for o in theirs).items() if n > 1] == []
    by_broker_id = {o["broker_order_id"]: o for o in ours if o["broker_order_id"]}
    for placed in theirs:
        mine = by_broker_id.get(str(placed.order_id))
        assert mine is not None, f"broker order {placed.order_id} ({placed.remark}) missing from the ledger"
        assert mine["filled_quantity"] == placed.traded_volume, (mine, placed)
        assert mine["status"] == "filled", mine
    for mine in ours:
        if not mine["broker_order_id"] or mine["broker_order_id"] not in {str(o.order_id) for o in theirs}:
            assert mine["status"] in FINAL_UNPLACED and mine["filled_quantity"] == 0, mine
    trades = get("/trading/trades", {"account_id": account_id, "page_size": 200})["items"]
    assert sum(t["quantity"] for t in trades) == sum(o.traded_volume for o in theirs)
    assert len({t["trade_id"] for t in trades}) == len(trades)


def test_gateway_crash_and_nats_outage_mid_burst_leave_every_ledger_equal_to_its_broker(
    tmp_path: Path, fresh_miniqmt: None, gateways: list[GatewayThread]
) -> None:
    store = tmp_path / "nats"
    nats_proc, url = start_nats_server(store)
    port = int(url.rsplit(":", 1)[1])
    accounts = [new_account_id(), new_account_id()]
    minis = {a: fake_miniqmt(tmp_path / a, a) for a in accounts}
    running = {a: GatewayThread(xtquant_broker(tmp_path / a, a), url).start() for a in accounts}
    gateways.extend(running.values())
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'desk.db'}", nats_url=url)
    try:
        with TestClient(create_app(Desk.build(settings))) as http:
            dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
            headers = dc.trade_headers()

            def get(path: str, params: dict[str, Any]) -> Any:
                r = http.get(f"{API}{path}", params=params, headers=headers)
                assert r.status_code == 200, r.text
                return r.json()["data"]

            def connected(account_id: str) -> bool:
                return bool(get("/trading/status", {"account_id": account_id})["connected"])

            for account_id in accounts:
                body = {"account_id": account_id, "broker": "gateway"}
                assert http.post(f"{API}/admin/accounts", json=body, headers=headers).status_code == 201
                eventually(lambda a=account_id: connected(a))

            answers: Counter[int] = Counter()
            for i in range(48):
                if i == 12:
                    running[accounts[0]].crash()  # the first gateway dies mid-burst
                if i == 20:
                    nats_proc.kill()  # the NATS server goes away for a while
                    nats_proc.wait()
                if i == 28:
                    nats_proc, _ = start_nats_server(store, port=port)
                    eventually(lambda: connected(accounts[1]))  # the live gateway and the desk find it again
                if i == 34:
                    running[accounts[0]] = GatewayThread(xtquant_broker(tmp_path / accounts[0], accounts[0]), url)
                    gateways.append(running[accounts[0]].start())
                    eventually(lambda: connected(accounts[0]))
                r = http.post(f"{API}/trading/order", json=_order_body(i, accounts[i % 2]), headers=headers)
                answers[r.status_code] += 1
                assert r.status_code in (201, 503), r.text
            assert answers[201] > 0 and answers[503] > 0, answers  # both outcomes were exercised

            for account_id in accounts:
                eventually(lambda a=account_id: connected(a))
                _fill_everything(minis[account_id], account_id)
            # Long past every deadline, reconcile each account once more (the desk does so every minute).
            dc.advance(headers, to=_two_minutes_on(get("/paper/clock", {})["now"]))
            for account_id in accounts:
                r = http.post(f"{API}/trading/connect", params={"account_id": account_id}, headers=headers)
                assert r.status_code == 200, r.text

            def settled(account_id: str) -> bool:
                try:
                    _assert_ledger_is_the_brokers_truth(get, minis[account_id], account_id)
                    return True
                except AssertionError:
                    return False

            for account_id in accounts:
                eventually(lambda a=account_id: settled(a), timeout=30)
                _assert_ledger_is_the_brokers_truth(get, minis[account_id], account_id)
    finally:
        nats_proc.terminate()
        nats_proc.wait(timeout=10)


GATEWAY_UNIVERSE = (
    "stock_code,stock_name,prev_close,is_st,list_date,suspended\n600000.SH,浦发银行,11.50,0,1999-11-10,0\n"
)


def test_a_desk_killed_mid_burst_comes_back_with_every_ledger_equal_to_its_broker(
    tmp_path: Path, fresh_miniqmt: None, gateways: list[GatewayThread]
) -> None:
    nats_proc, url = start_nats_server(tmp_path / "nats")
    account_id = new_account_id()
    mini = fake_miniqmt(tmp_path / account_id, account_id)
    gateways.append(GatewayThread(xtquant_broker(tmp_path / account_id, account_id), url).start())
    universe = tmp_path / "universe.csv"
    universe.write_text(GATEWAY_UNIVERSE, "utf-8")
    server = Server(tmp_path / "data", tmp_path / "server.log", universe)
    server.env["QMTDESK_NATS_URL"] = url
    try:
        server.start()
        headers = _sign_in(server.base)
        with httpx.Client(base_url=server.base, timeout=10, headers=headers) as http:

            def get(path: str, params: dict[str, Any]) -> Any:
                r = http.get(path, params=params)
                assert r.status_code == 200, r.text
                return r.json()["data"]

            def connected() -> bool:
                return bool(get("/trading/status", {"account_id": account_id})["connected"])

            assert http.post("/admin/accounts", json={"account_id": account_id, "broker": "gateway"}).status_code == 201
            eventually(connected)
            answered: dict[str, int] = {}
            in_doubt: list[int] = []
            for i in range(30):
                if i == 15:
                    server.kill()  # mid-burst, while the gateway keeps running and MiniQMT keeps filling
                    for placed in mini.orders(account_id)[:5]:
                        if placed.status == 50:
                            mini.fill(placed.order_id)
                if server.proc is None:
                    in_doubt.append(i)
                    continue
                try:
                    r = http.post("/trading/order", json=_order_body(i, account_id))
                    answered[f"burst-{i}"] = r.status_code
                except httpx.TransportError:
                    in_doubt.append(i)
            server.start()
        headers = _sign_in(server.base)
        with httpx.Client(base_url=server.base, timeout=10, headers=headers) as http:
            eventually(connected)
            for i in in_doubt:  # the same requests again: an order that exists is answered, not placed again
                r = http.post("/trading/order", json=_order_body(i, account_id))
                assert r.status_code in (200, 201, 503), r.text
            _fill_everything(mini, account_id)
            later = _two_minutes_on(get("/paper/clock", {})["now"])
            assert http.post("/paper/clock/advance", json={"to": later}).status_code == 200
            assert http.post("/trading/connect", params={"account_id": account_id}).status_code == 200

            def settled() -> bool:
                try:
                    _assert_ledger_is_the_brokers_truth(get, mini, account_id)
                    return True
                except AssertionError:
                    return False

            eventually(settled, timeout=30)
            _assert_ledger_is_the_brokers_truth(get, mini, account_id)
            assert len(mini.orders(account_id)) >= 15
        server.stop()
    finally:
        if server.proc is not None:
            server.proc.kill()
            server.proc.wait()
        nats_proc.terminate()
        nats_proc.wait(timeout=10)


def test_reports_delivered_twice_and_out_of_order_are_applied_once(
    tmp_path: Path, nats_url: str, fresh_miniqmt: None, gateways: list[GatewayThread]
) -> None:
    account_id = new_account_id()
    mini = fake_miniqmt(tmp_path / account_id, account_id)
    gateways.append(GatewayThread(xtquant_broker(tmp_path / account_id, account_id), nats_url).start())
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'desk.db'}", nats_url=nats_url)
    try:
        with TestClient(create_app(Desk.build(settings))) as http:
            dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
            headers = dc.trade_headers()

            def get(path: str, params: dict[str, Any]) -> Any:
                return http.get(f"{API}{path}", params=params, headers=headers).json()["data"]

            body = {"account_id": account_id, "broker": "gateway"}
            assert http.post(f"{API}/admin/accounts", json=body, headers=headers).status_code == 201
            eventually(lambda: get("/trading/status", {"account_id": account_id})["connected"])
            for i in range(3):
                assert (
                    http.post(f"{API}/trading/order", json=_order_body(i, account_id), headers=headers).status_code
                    == 201
                )
            eventually(
                lambda: (
                    len(mini.orders(account_id)) == 3
                    and all(o["broker_order_id"] for o in get("/trading/orders", {"account_id": account_id})["items"])
                )
            )
            for placed in mini.orders(account_id):
                if placed.volume > 100:
                    mini.fill(placed.order_id, 100)  # two fills for the bigger orders
                mini.fill(placed.order_id)
            eventually(
                lambda: all(
                    o["status"] == "filled" for o in get("/trading/orders", {"account_id": account_id})["items"]
                )
            )
            before = (
                get("/trading/orders", {"account_id": account_id}),
                get("/trading/trades", {"account_id": account_id}),
            )

            replayed = asyncio.run(_replay_reversed_without_dedupe(nats_url, account_id))
            assert replayed >= 9  # acks, statuses and five fills, every one of them again, newest first
            eventually(lambda: _consumer_caught_up(nats_url, account_id))
            after = (
                get("/trading/orders", {"account_id": account_id}),
                get("/trading/trades", {"account_id": account_id}),
            )
            assert after[1]["total"] == before[1]["total"] == len(mini.trades(account_id)) == 5
            assert [(o["order_id"], o["status"], o["filled_quantity"]) for o in after[0]["items"]] == [
                (o["order_id"], o["status"], o["filled_quantity"]) for o in before[0]["items"]
            ]
            _assert_ledger_is_the_brokers_truth(get, mini, account_id)
    finally:
        forget_account(nats_url, account_id)


async def _replay_reversed_without_dedupe(url: str, account_id: str) -> int:
    """Publish every stored report of the account again, newest first, under fresh ids."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    sub = await js.subscribe(
        wire.report_subject(account_id), stream=wire.report_stream(account_id), ordered_consumer=True
    )
    stored = []
    while True:
        try:
            msg = await sub.next_msg(timeout=1)
        except Exception:
            break
        stored.append(msg.data)
    await sub.unsubscribe()
    for data in reversed(stored):
        await js.publish(wire.report_subject(account_id), data)
    await nc.close()
    return len(stored)


def _consumer_caught_up(url: str, account_id: str) -> bool:
    async def check() -> bool:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info(wire.report_stream(account_id), wire.consumer_name(account_id))
            return info.num_pending == 0 and info.num_ack_pending == 0
        finally:
            await nc.close()

    return asyncio.run(check())
