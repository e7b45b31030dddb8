"""The risk-warning (ST) stock cap (a-share-rules §2.3): one account buys at most 500,000 shares of one
ST stock a day, counting filled and working buys; cancelled shares no longer count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk

from .conftest import API, DeskClient, make_settings

ST_CODE = "600179.SH"  # ST安通 in the built-in paper universe, previous close 3.20
OTHER_ST_CODE = "000615.SZ"  # *ST美谷, previous close 2.10


@pytest.fixture
def rich_desk(tmp_path: Path, database_url: str) -> Iterator[DeskClient]:
    """A paper desk with enough cash that only the exchange's cap can say no."""
    desk = Desk.build(make_settings(tmp_path / "data", database_url, paper_cash="20000000"))
    with TestClient(create_app(desk)) as http:
        yield DeskClient(http, desk)


def test_buying_a_st_stock_past_500000_shares_a_day_is_denied_with_QUANTITY_TOO_LARGE(rich_desk: DeskClient) -> None:
    headers = rich_desk.trade_headers()

    def buy(quantity: int, code: str = ST_CODE, price: str = "3.10") -> Any:
        return rich_desk.order(headers, stock_code=code, quantity=quantity, price=price)

    first = buy(300_000)
    assert first.status_code == 201, first.text
    second = buy(200_000)  # 500,000 working: exactly the cap
    assert second.status_code == 201, second.text

    over = buy(100)
    assert over.status_code == 422, over.text
    body = over.json()
    assert body["error"] == "QUANTITY_TOO_LARGE"
    assert "风险警示" in body["message"] and "500000" in body["message"]
    assert body["data"]["order"]["status"] == "denied"

    # the cap is per stock: another ST stock is untouched
    assert buy(100, OTHER_ST_CODE, "2.05").status_code == 201

    # shares cancelled before they filled no longer count
    second_id = second.json()["data"]["order"]["order_id"]
    cancel = rich_desk.http.post(f"{API}/trading/orders/{second_id}/cancel", headers=headers)
    assert cancel.status_code == 200, cancel.text
    again = buy(200_000)
    assert again.status_code == 201, again.text
    assert buy(100).json()["error"] == "QUANTITY_TOO_LARGE"


def test_a_non_st_stock_has_no_daily_buy_cap(rich_desk: DeskClient) -> None:
    headers = rich_desk.trade_headers()
    # the desk's own daily buy-turnover limit (5,000,000 by default) is not what this is about
    off = rich_desk.http.put(f"{API}/risk/rules/daily_buy_turnover", json={"enabled": False}, headers=headers)
    assert off.status_code == 200, off.text
    for _ in range(3):  # 600,000 shares in all
        r = rich_desk.order(headers, stock_code="000001.SZ", quantity=200_000, price="10.50")
        assert r.status_code == 201, r.text


def test_a_st_buy_algo_past_the_daily_cap_is_refused_whole_at_creation(rich_desk: DeskClient) -> None:
    headers = rich_desk.trade_headers()
    assert rich_desk.order(headers, stock_code=ST_CODE, quantity=300_000, price="3.10").status_code == 201
    twap = {
        "stock_code": ST_CODE,
        "side": "buy",
        "quantity": 300_000,
        "price": "3.30",
        "algo": "twap",
        "end_at": "2026-11-25T10:30:00+08:00",
    }
    r = rich_desk.http.post(f"{API}/trading/algo-orders", json=twap, headers=headers)
    assert r.status_code == 422 and r.json()["error"] == "QUANTITY_TOO_LARGE", r.text
    assert "风险警示" in r.json()["message"]
    fits = rich_desk.http.post(f"{API}/trading/algo-orders", json={**twap, "quantity": 200_000}, headers=headers)
    assert fits.status_code == 201, fits.text
