"""Quotes from MiniQMT's xtdata when xtdata cannot answer: 503 BROKER_UNAVAILABLE, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

import qmtdesk.market.xtdata
from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from tests.api.conftest import API, DeskClient, make_settings


def _no_sdk() -> ModuleType:
    raise ImportError("cannot import name 'xtpythonclient' from 'xtquant'")


@pytest.fixture
def desk_without_xtdata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeskClient]:
    """A desk on MiniQMT (quotes from xtdata) on a machine where the SDK cannot load."""
    monkeypatch.setattr(qmtdesk.market.xtdata, "load_xtdata", _no_sdk)
    settings = make_settings(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'desk.db'}",
        broker="xtquant",
        miniqmt_enabled=True,
        miniqmt_userdata_path=str(tmp_path / "no_miniqmt_here"),
        miniqmt_account_id="8880000001",
    )
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        yield DeskClient(http, desk)


def test_a_quote_while_xtdata_cannot_load_is_BROKER_UNAVAILABLE_not_a_500(desk_without_xtdata: DeskClient) -> None:
    headers = desk_without_xtdata.login()
    for path in ("/market/quote/600000.SH", "/market/quotes?codes=600000.SH,000001.SZ"):
        r = desk_without_xtdata.http.get(f"{API}{path}", headers=headers)
        assert r.status_code == 503, (path, r.text)
        body = r.json()
        assert body["error"] == "BROKER_UNAVAILABLE" and "xtdata" in body["message"], body
    # the connection is still good for the next request
    assert desk_without_xtdata.http.get(f"{API}/auth/me", headers=headers).status_code == 200
