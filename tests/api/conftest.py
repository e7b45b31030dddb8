"""The real app in process (FastAPI TestClient) on a migrated database: SQLite always, PostgreSQL
when ``QMTDESK_TEST_DATABASE_URL`` points at a server (each test gets a database of its own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qmtdesk.api.app import create_app
from qmtdesk.api.schemas.common import Envelope
from qmtdesk.config import load_settings
from qmtdesk.desk import Desk
from qmtdesk.store.db import normalize_url

ADMIN_PASSWORD = "admin-pass-1"
TRADING_PASSWORD = "246810"
API = "/api/v1"
#: Wednesday 2026-11-25, continuous trading; the simulated clock then runs at real speed.
CLOCK_START = "2026-11-25T10:00:00+08:00"

PG_URL = os.environ.get("QMTDESK_TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="PostgreSQL tests skipped: set QMTDESK_TEST_DATABASE_URL to run them"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.db'}"
        return
    assert PG_URL
    server = make_url(normalize_url(PG_URL))
    name = f"qmtdesk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class DeskClient:
    """A TestClient plus the desk behind it and helpers for the common steps."""

    http: TestClient
    desk: Desk

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
        r = self.http.post(f"{API}/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['data']['access_token']}"}

    def trade_headers(
        self, auth: dict[str, str] | None = None, trading_password: str = TRADING_PASSWORD
    ) -> dict[str, str]:
        auth = auth or self.login()
        r = self.http.post(f"{API}/auth/trade-unlock", json={"trading_password": trading_password}, headers=auth)
        assert r.status_code == 200, r.text
        return {**auth, "X-Trade-Token": r.json()["data"]["trade_token"]}

    def order(self, headers: dict[str, str], **body: Any) -> Any:
        payload = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": "11.51"}
        payload.update(body)
        return self.http.post(f"{API}/trading/order", json=payload, headers=headers)

    def advance(self, headers: dict[str, str], **body: Any) -> Any:
        r = self.http.post(f"{API}/paper/clock/advance", json=body, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "admin_password": ADMIN_PASSWORD,
        "admin_trading_password": TRADING_PASSWORD,
        "paper_clock": CLOCK_START,
        "paper_volatility": "0",
        "paper_seed": 1,
        "paper_tick_seconds": 3600,  # tests move the clock themselves
        "secret_key": "x" * 48,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def desk_client(tmp_path: Path, database_url: str) -> Iterator[DeskClient]:
    """The app with a paper desk on a simulated clock at 10:00 on a trading day."""
    desk = Desk.build(make_settings(tmp_path / "data", database_url))
    with TestClient(create_app(desk)) as http:
        yield DeskClient(http, desk)


def check(model: Any, response: Any, status: int = 200) -> Any:
    """Assert the status and that the body is ``Envelope[model]`` (unknown fields forbidden); return its data."""
    assert response.status_code == status, response.text
    Envelope[model].model_validate(response.json())
    return response.json()["data"]
