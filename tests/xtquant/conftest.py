"""The desk on the MiniQMT adapter: the real ``xtquant`` package over the simulated MiniQMT of tests/xtfake."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from tests.api.conftest import API, DeskClient, make_settings
from tests.xtfake import MiniQMT, install

install()

ACCOUNT = "8881234567"
INSTRUMENTS = [
    ("600000.SH", "浦发银行", "11.50"),
    ("000001.SZ", "平安银行", "11.60"),
    ("688981.SH", "中芯国际", "120.00"),
]


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02) -> Any:
    """Poll ``check`` until it returns something truthy (pushes arrive on other threads)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


@pytest.fixture
def mini(tmp_path: Path) -> Iterator[MiniQMT]:
    """A simulated MiniQMT with one stock account and a few instruments at their reference prices."""
    MiniQMT.reset_all()
    server = MiniQMT.at(str(tmp_path / "userdata_mini"))
    server.add_account(ACCOUNT, cash=1_000_000)
    for code, name, pre_close in INSTRUMENTS:
        server.add_instrument(code, name, Decimal(pre_close))
    yield server
    MiniQMT.reset_all()


class LiveDesk(DeskClient):
    """A DeskClient on the xtquant broker, with the ledger helpers the scenarios need."""

    mini: MiniQMT

    def orders(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        return list(self.http.get(f"{API}/trading/orders?page_size=200", headers=headers).json()["data"]["items"])

    def order_by_id(self, headers: dict[str, str], order_id: int) -> dict[str, Any]:
        return dict(self.http.get(f"{API}/trading/orders/{order_id}", headers=headers).json()["data"])

    def trades(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        return list(self.http.get(f"{API}/trading/trades?page_size=200", headers=headers).json()["data"]["items"])

    def broker_id(self, headers: dict[str, str], order_id: int) -> int:
        return int(eventually(lambda: self.order_by_id(headers, order_id)["broker_order_id"]))

    def status_of(self, headers: dict[str, str], order_id: int, wanted: str) -> dict[str, Any]:
        return dict(eventually(lambda: (o := self.order_by_id(headers, order_id))["status"] == wanted and o))


@pytest.fixture
def live(tmp_path: Path, mini: MiniQMT) -> Iterator[LiveDesk]:
    """The app with QMTDESK_BROKER=xtquant over the simulated MiniQMT, at 10:00 on a trading day."""
    settings = make_settings(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'desk.db'}",
        broker="xtquant",
        miniqmt_enabled=True,
        miniqmt_userdata_path=str(tmp_path / "userdata_mini"),
        miniqmt_account_id=ACCOUNT,
    )
    clock = SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    desk = Desk.build(settings, clock=clock)
    with TestClient(create_app(desk)) as http:
        client = LiveDesk(http, desk)
        client.mini = mini
        yield client
