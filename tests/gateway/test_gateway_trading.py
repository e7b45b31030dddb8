"""Trading a MiniQMT account through a remote gateway: the desk on one side of a real NATS server,
the gateway with the real xtquant package over a simulated MiniQMT on the other."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.brokers.base import OrderRequest
from qmtdesk.brokers.gateway import wire
from qmtdesk.desk import Desk
from qmtdesk.domain.fees import Side
from qmtdesk.domain.rules import PriceType
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
from tests.xtfake import MiniQMT


@dataclass
class Remote:
    """One remote account: its simulated MiniQMT, where it keeps its data, and its id."""

    account_id: str
    path: Path
    mini: MiniQMT


@pytest.fixture
def remote(tmp_path: Path, nats_url: str, fresh_miniqmt: None) -> Iterator[Remote]:
    account_id = new_account_id()
    path = tmp_path / f"userdata_{account_id}"
    yield Remote(account_id, path, fake_miniqmt(path, account_id))
    forget_account(nats_url, account_id)


def _desk(tmp_path: Path, nats_url: str) -> Desk:
    return Desk.build(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'desk.db'}", nats_url=nats_url))


def _status(dc: DeskClient, headers: dict[str, str], account_id: str) -> dict[str, Any]:
    return dict(dc.http.get(f"{API}/trading/status", params={"account_id": account_id}, headers=headers).json()["data"])


def _order(dc: DeskClient, headers: dict[str, str], account_id: str, order_id: int) -> dict[str, Any]:
    r = dc.http.get(f"{API}/trading/orders/{order_id}", params={"account_id": account_id}, headers=headers)
    return dict(r.json()["data"])


def _add_gateway_account(dc: DeskClient, headers: dict[str, str], account_id: str) -> dict[str, Any]:
    """Add a gateway account as an admin and wait until the desk hears its gateway."""
    body = {"account_id": account_id, "broker": "gateway"}
    r = dc.http.post(f"{API}/admin/accounts", json=body, headers=headers)
    assert r.status_code == 201, r.text
    eventually(lambda: _status(dc, headers, account_id)["connected"])
    return dict(r.json()["data"])


def test_an_order_through_a_gateway_fills_and_the_ledger_matches_the_broker(
    tmp_path: Path, nats_url: str, remote: Remote, gateways: list[GatewayThread]
) -> None:
    gateways.append(GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start())
    with TestClient(create_app(_desk(tmp_path, nats_url))) as http:
        dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
        headers = dc.trade_headers()
        assert _add_gateway_account(dc, headers, remote.account_id)["broker"] == "gateway"

        placed = dc.order(headers, price="11.50", quantity=300, account_id=remote.account_id)
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["data"]["order"]["order_id"]
        broker_id = int(eventually(lambda: _order(dc, headers, remote.account_id, order_id)["broker_order_id"]))
        remote.mini.fill(broker_id, 100)
        remote.mini.fill(broker_id)
        done = eventually(lambda: (o := _order(dc, headers, remote.account_id, order_id))["status"] == "filled" and o)
        assert done["filled_quantity"] == 300 and done["account_id"] == remote.account_id
        trades = http.get(f"{API}/trading/trades", params={"account_id": remote.account_id}, headers=headers).json()[
            "data"
        ]["items"]
        assert sorted(t["quantity"] for t in trades) == [100, 200]
        assert len(remote.mini.orders(remote.account_id)) == 1  # placed once
        positions = eventually(
            lambda: http.get(
                f"{API}/trading/positions", params={"account_id": remote.account_id}, headers=headers
            ).json()["data"]
        )
        assert [(p["stock_code"], p["volume"]) for p in positions] == [("600000.SH", 300)]
        # The desk's default paper account saw none of it.
        assert http.get(f"{API}/trading/orders", headers=headers).json()["data"]["total"] == 0
        # An admin's disconnect and connect take the link down and up again, its reports consumer too.
        link = {"params": {"account_id": remote.account_id}, "headers": headers}
        assert http.post(f"{API}/trading/disconnect", **link).status_code == 200  # type: ignore[arg-type]
        assert _status(dc, headers, remote.account_id)["state"] == "disconnected"
        assert http.post(f"{API}/trading/connect", **link).status_code == 200  # type: ignore[arg-type]
        eventually(lambda: _status(dc, headers, remote.account_id)["connected"])
        again = dc.order(headers, price="11.50", quantity=100, account_id=remote.account_id)
        assert again.status_code == 201, again.text
        eventually(lambda: len(remote.mini.orders(remote.account_id)) == 2)


def test_orders_are_refused_while_the_gateway_is_gone_and_trading_resumes_when_it_returns(
    tmp_path: Path, nats_url: str, remote: Remote, gateways: list[GatewayThread]
) -> None:
    first = GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start()
    gateways.append(first)
    with TestClient(create_app(_desk(tmp_path, nats_url))) as http:
        dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
        headers = dc.trade_headers()
        _add_gateway_account(dc, headers, remote.account_id)
        resting = dc.order(headers, price="11.40", account_id=remote.account_id).json()["data"]["order"]
        resting_id = resting["order_id"]
        broker_id = int(eventually(lambda: _order(dc, headers, remote.account_id, resting_id)["broker_order_id"]))

        first.crash()
        eventually(lambda: not _status(dc, headers, remote.account_id)["connected"])
        refused = dc.order(headers, price="11.50", account_id=remote.account_id)
        assert refused.status_code == 503 and refused.json()["error"] == "BROKER_UNAVAILABLE"
        remote.mini.fill(broker_id)  # while no gateway runs: no push reaches anyone

        gateways.append(GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start())
        eventually(lambda: _status(dc, headers, remote.account_id)["connected"])
        # The reconnect reconciles: the fill that happened in the gap is in the ledger, once.
        eventually(lambda: _order(dc, headers, remote.account_id, resting["order_id"])["status"] == "filled")
        again = dc.order(headers, price="11.50", account_id=remote.account_id)
        assert again.status_code == 201, again.text
        trades = http.get(f"{API}/trading/trades", params={"account_id": remote.account_id}, headers=headers).json()[
            "data"
        ]["items"]
        assert [t["quantity"] for t in trades if t["order_id"] == resting["order_id"]] == [100]


def test_reports_stored_while_the_desk_was_down_reach_it_after_its_restart(
    tmp_path: Path, nats_url: str, remote: Remote, gateways: list[GatewayThread]
) -> None:
    gateways.append(GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start())
    with TestClient(create_app(_desk(tmp_path, nats_url))) as http:
        dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
        headers = dc.trade_headers()
        _add_gateway_account(dc, headers, remote.account_id)
        order_id = dc.order(headers, price="11.40", quantity=500, account_id=remote.account_id).json()["data"]["order"][
            "order_id"
        ]
        broker_id = int(eventually(lambda: _order(dc, headers, remote.account_id, order_id)["broker_order_id"]))
    # The desk is down; the gateway keeps publishing what MiniQMT pushes.
    remote.mini.fill(broker_id, 200)
    remote.mini.fill(broker_id, 300)
    assert eventually(lambda: _stored_reports(nats_url, remote.account_id) >= 2)
    with TestClient(create_app(_desk(tmp_path, nats_url))) as http:
        dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
        headers = dc.login()
        done = eventually(lambda: (o := _order(dc, headers, remote.account_id, order_id))["status"] == "filled" and o)
        assert done["filled_quantity"] == 500
        trades = http.get(f"{API}/trading/trades", params={"account_id": remote.account_id}, headers=headers).json()[
            "data"
        ]["items"]
        assert sorted(t["quantity"] for t in trades) == [200, 300]


def _stored_reports(url: str, account_id: str) -> int:
    async def count() -> int:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info(wire.report_stream(account_id), wire.consumer_name(account_id))
            return int(info.num_pending)
        finally:
            await nc.close()

    return asyncio.run(count())


def _request(url: str, account_id: str, command: dict[str, Any]) -> dict[str, Any]:
    async def ask() -> dict[str, Any]:
        nc = await nats.connect(url)
        try:
            msg = await nc.request(wire.command_subject(account_id), wire.dumps(command), timeout=10)
            return dict(wire.loads(msg.data))
        finally:
            await nc.close()

    return asyncio.run(ask())


def _place(ref: str, deadline: float, *, retry: bool = False) -> dict[str, Any]:
    request = OrderRequest(ref, "600000.SH", Side.BUY, 100, PriceType.LIMIT, price=Decimal("11.40"))
    return {"op": "submit", "request": wire.encode_request(request), "deadline": deadline, "retry": retry}


def test_a_command_past_its_deadline_is_refused_and_nothing_is_placed(
    nats_url: str, remote: Remote, gateways: list[GatewayThread]
) -> None:
    gw = GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start()
    gateways.append(gw)
    reply = _request(nats_url, remote.account_id, _place("late-1", time.time() - 1))
    assert reply == {"ok": False, "error": "DEADLINE_EXCEEDED", "message": "命令已过期限，网关未执行"}
    assert remote.mini.orders(remote.account_id) == []
    assert gw.server.refused_late == 1 and gw.server.placed_count == 0


def test_a_repeated_place_command_places_one_order_even_across_a_gateway_restart(
    nats_url: str, remote: Remote, gateways: list[GatewayThread]
) -> None:
    first = GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start()
    gateways.append(first)
    a = _request(nats_url, remote.account_id, _place("same-1", time.time() + 10))
    b = _request(nats_url, remote.account_id, _place("same-1", time.time() + 10))
    assert a["ok"] and b["ok"] and b["result"]["duplicate"] is True
    # MiniQMT answers a submission asynchronously: the id comes later as a report, the same for both.
    assert a["result"]["broker_order_id"] == b["result"]["broker_order_id"]
    first.crash()
    second = GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start()
    gateways.append(second)
    c = _request(nats_url, remote.account_id, _place("same-1", time.time() + 10, retry=True))
    # The new gateway has never seen the reference: MiniQMT's own orders tell it the order exists.
    [placed] = remote.mini.orders(remote.account_id)
    assert c["ok"] and c["result"]["duplicate"] is True
    assert c["result"]["broker_order_id"] == str(placed.order_id)


def test_desk_and_gateway_authenticate_to_nats_and_a_wrong_token_is_kept_out(
    tmp_path: Path, fresh_miniqmt: None, gateways: list[GatewayThread]
) -> None:
    proc, url = start_nats_server(tmp_path / "nats", "--auth", "s3cret-token")
    try:
        account_id = new_account_id()
        path = tmp_path / "userdata"
        mini = fake_miniqmt(path, account_id)
        intruder = GatewayThread(xtquant_broker(path, account_id), url, connect_options={"token": "wrong"})
        with pytest.raises(PermissionError, match="refused the credentials"):
            intruder.call(intruder.server.start())
        intruder.crash()
        gateways.append(
            GatewayThread(xtquant_broker(path, account_id), url, connect_options={"token": "s3cret-token"}).start()
        )
        settings = make_settings(
            tmp_path / "data", f"sqlite:///{tmp_path / 'desk.db'}", nats_url=url, nats_token="s3cret-token"
        )
        with TestClient(create_app(Desk.build(settings))) as http:
            dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
            headers = dc.trade_headers()
            _add_gateway_account(dc, headers, account_id)
            assert dc.order(headers, price="11.50", account_id=account_id).status_code == 201
            eventually(lambda: len(mini.orders(account_id)) == 1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_order_whose_answer_was_lost_and_never_placed_is_settled_as_unsent_after_its_deadline(
    tmp_path: Path, nats_url: str, remote: Remote, gateways: list[GatewayThread], monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = GatewayThread(xtquant_broker(remote.path, remote.account_id), nats_url).start()
    gateways.append(gw)
    with TestClient(create_app(_desk(tmp_path, nats_url))) as http:
        dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
        headers = dc.trade_headers()
        _add_gateway_account(dc, headers, remote.account_id)
        account = dc.desk.accounts.get(remote.account_id)
        monkeypatch.setattr(account.broker, "command_timeout", 1.0)

        async def swallowed(server: Any, command: dict[str, Any]) -> Any:
            await asyncio.sleep(3)  # the answer is lost (the desk waits 1 s), and nothing is placed

        monkeypatch.setitem(type(gw.server)._HANDLERS, "submit", swallowed)
        placed = dc.order(headers, price="11.50", account_id=remote.account_id)
        assert placed.status_code == 201, placed.text
        order = placed.json()["data"]["order"]
        assert order["status"] == "submitted" and order["broker_order_id"] is None  # outcome unknown for now
        # Still within the deadline and its grace: a reconciliation leaves it alone.
        assert (
            http.post(f"{API}/trading/connect", params={"account_id": remote.account_id}, headers=headers).status_code
            == 200
        )
        assert _order(dc, headers, remote.account_id, order["order_id"])["status"] == "submitted"
        now = http.get(f"{API}/paper/clock", headers=headers).json()["data"]["now"]
        dc.advance(headers, to=(datetime.fromisoformat(now) + timedelta(minutes=2)).isoformat())
        assert (
            http.post(f"{API}/trading/connect", params={"account_id": remote.account_id}, headers=headers).status_code
            == 200
        )
        settled = _order(dc, headers, remote.account_id, order["order_id"])
        assert settled["status"] == "canceled" and "网关在期限内未下达" in settled["status_msg"], settled
        assert remote.mini.orders(remote.account_id) == []


def test_one_desk_trades_two_gateway_accounts_and_a_paper_account_on_one_api(
    tmp_path: Path, nats_url: str, database_url: str, fresh_miniqmt: None, gateways: list[GatewayThread]
) -> None:
    """The central deployment: the desk on SQLite or PostgreSQL, NATS, two remote MiniQMTs."""
    remotes = [new_account_id(), new_account_id()]
    minis = {a: fake_miniqmt(tmp_path / a, a) for a in remotes}
    gateways.extend(GatewayThread(xtquant_broker(tmp_path / a, a), nats_url).start() for a in remotes)
    settings = make_settings(tmp_path / "data", database_url, nats_url=nats_url)
    try:
        with TestClient(create_app(Desk.build(settings))) as http:
            dc = DeskClient(http, http.app.state.desk)  # type: ignore[attr-defined]
            headers = dc.trade_headers()
            for account_id in remotes:
                _add_gateway_account(dc, headers, account_id)
            overview = http.get(f"{API}/accounts/overview", headers=headers).json()["data"]["items"]
            assert [(r["account_id"], r["broker"], r["connected"]) for r in overview] == [
                ("PAPER", "paper", True),
                *((a, "gateway", True) for a in sorted(remotes)),
            ]
            placed = {}
            for account_id in ("PAPER", *remotes):
                # The paper book's best ask is 11.51; the simulated MiniQMTs fill when told to.
                r = dc.order(headers, price="11.60", quantity=200, account_id=account_id)
                assert r.status_code == 201, r.text
                placed[account_id] = r.json()["data"]["order"]["order_id"]
            for account_id in remotes:
                oid = placed[account_id]
                broker_id = int(eventually(lambda a=account_id, o=oid: _order(dc, headers, a, o)["broker_order_id"]))
                minis[account_id].fill(broker_id)
            for account_id in ("PAPER", *remotes):
                oid = placed[account_id]
                eventually(lambda a=account_id, o=oid: _order(dc, headers, a, o)["status"] == "filled")
                assert (
                    len(
                        http.get(f"{API}/trading/orders", params={"account_id": account_id}, headers=headers).json()[
                            "data"
                        ]["items"]
                    )
                    == 1
                )
            for account_id in remotes:
                assert [o.traded_volume for o in minis[account_id].orders(account_id)] == [200]
    finally:
        for account_id in remotes:
            forget_account(nats_url, account_id)
