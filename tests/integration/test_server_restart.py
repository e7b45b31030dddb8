"""A real ``qmtdesk serve`` process: stop it, start it again, and nothing is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ADMIN = {"username": "admin", "password": "admin-pass-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """Starts and stops ``qmtdesk serve`` on a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.env = {
            **os.environ,
            "QMTDESK_DATA_DIR": str(data_dir),
            "QMTDESK_PORT": str(self.port),
            "QMTDESK_ADMIN_PASSWORD": ADMIN["password"],
            "QMTDESK_ADMIN_TRADING_PASSWORD": "246810",
            "QMTDESK_PAPER_CLOCK": "2026-11-25T10:00:00",
            "QMTDESK_PAPER_VOLATILITY": "0",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmtdesk.cli", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    yield srv
    if srv.proc is not None:
        srv.proc.kill()
        srv.proc.wait()


def _client(server: Server) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=server.base, timeout=10)
    token = client.post("/auth/login", json=ADMIN).json()["data"]["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    trade = client.post("/auth/trade-unlock", json={"trading_password": "246810"}, headers=auth).json()
    return client, {**auth, "X-Trade-Token": trade["data"]["trade_token"]}


def _state(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    orders = client.get("/trading/orders", headers=headers).json()["data"]["items"]
    trades = client.get("/trading/trades", headers=headers).json()["data"]["items"]
    positions = client.get("/trading/positions", headers=headers).json()["data"]
    account = client.get("/trading/account", headers=headers).json()["data"]
    return {
        "orders": [(o["order_id"], o["status"], o["filled_quantity"], o["fees"]) for o in orders],
        "trades": [(t["broker_trade_id"], t["price"], t["quantity"]) for t in trades],
        "positions": [(p["stock_code"], p["volume"], p["can_use_volume"], p["avg_price"]) for p in positions],
        "cash": (account["cash"], account["frozen_cash"], account["withdrawable"]),
    }


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_restart_keeps_everything_and_open_orders_stay_cancellable(server: Server, sig: int) -> None:
    server.start()
    client, headers = _client(server)
    order = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit"}
    filled = client.post("/trading/order", json={**order, "price": "11.60"}, headers=headers).json()["data"]["order"]
    resting = client.post("/trading/order", json={**order, "price": "11.40"}, headers=headers).json()["data"]["order"]
    assert filled["status"] == "filled" and resting["status"] == "accepted"
    before = _state(client, headers)
    client.close()
    server.stop(sig)

    server.start()
    client, headers = _client(server)
    assert _state(client, headers) == before
    cancelled = client.post(f"/trading/orders/{resting['order_id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["data"]["order"]["status"] == "canceled"
    account = client.get("/trading/account", headers=headers).json()["data"]
    assert account["frozen_cash"] == "0.00"
    # The simulated clock resumed where it stopped, so T+1 still holds and lifts the next day.
    sell = {**order, "side": "sell", "price": "11.49"}
    assert client.post("/trading/order", json=sell, headers=headers).json()["error"] == "INSUFFICIENT_POSITION"
    client.post("/paper/clock/advance", json={"days": 1, "at": "09:31"}, headers=headers)
    assert client.post("/trading/order", json=sell, headers=headers).json()["data"]["order"]["status"] == "filled"
    client.close()
    server.stop()
