"""The risk engine's in-memory counters always equal what the ledger says.

Orders of every outcome (filled, resting, cancelled, denied, from two strategies) go through the real
app; then every counter is asked both ways — from :class:`OrderCounters` and by counting in the
database — for several windows and scopes, also after a restart on the same database.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.risk.base import OrderCheck
from qmtdesk.risk.counters import HORIZON
from qmtdesk.risk.facts import LedgerFacts
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.orders import OrderRow
from tests.api.conftest import API, DeskClient, make_settings

WINDOWS = (1, 5, 60, 3600)
SCOPES = (None, "alpha", "beta", "nobody")


def _facts(desk: Desk, *, counters: bool) -> LedgerFacts:
    now = desk.clock.now()
    return LedgerFacts(
        session_factory=desk.session_factory,
        account_id=desk.broker.account_id,
        order_id=-1,
        trading_day=desk.calendar.trading_day_of(now.date()),
        broker=desk.broker,
        market=desk.market,
        day_start_asset=lambda day: None,
        counters=desk.risk.counters if counters else None,
    )


def _answers(desk: Desk, *, counters: bool) -> dict[str, Any]:
    facts = _facts(desk, counters=counters)
    now = desk.clock.now()
    same = OrderCheck(
        order_id=-1,
        stock_code="600000.SH",
        side=Side.BUY,
        quantity=100,
        price=Decimal("11.51"),
        strategy_name="",
        is_st=False,
        last_price=None,
        position_volume=0,
        price_type="limit",
        order_price=Decimal("11.51"),
    )

    async def ask() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for scope in SCOPES:
            out[f"active {scope}"] = await facts.active_orders(scope)
            out[f"turnover {scope}"] = await facts.buy_turnover_today(scope)
            for window in WINDOWS:
                since = now - timedelta(seconds=window)
                out[f"orders {scope} {window}"] = await facts.orders_since(since, scope)
                out[f"cancels {scope} {window}"] = await facts.cancels_since(since, scope)
                out[f"same {scope} {window}"] = await facts.same_orders_since(since, same, scope)
        return out

    return asyncio.run(ask())


def _trade(client: DeskClient) -> None:
    headers = client.trade_headers()
    for strategy, price, quantity in [
        ("", "11.51", 100),  # fills at once
        ("", "11.51", 100),
        ("alpha", "11.51", 100),
        ("alpha", "11.00", 200),  # rests
        ("beta", "10.90", 300),  # rests, then cancelled
        ("beta", "10.80", 100),  # rests
        ("", "99.00", 100),  # above the limit: denied, never counted
        ("alpha", "10.70", 100),  # rests, then cancelled
    ]:
        r = client.order(headers, price=price, quantity=quantity, strategy_name=strategy)
        assert r.status_code in (201, 422), r.text
        order = r.json()["data"]["order"]
        if price in ("10.90", "10.70"):
            cancel = client.http.post(f"{API}/trading/orders/{order['order_id']}/cancel", headers=headers)
            assert cancel.status_code == 200, cancel.text


def test_counters_equal_the_ledger_after_fills_rests_cancels_and_denials(desk_client: DeskClient) -> None:
    _trade(desk_client)
    from_memory = _answers(desk_client.desk, counters=True)
    assert from_memory == _answers(desk_client.desk, counters=False)
    # Not vacuous: the mix above shows up in the counters.
    assert from_memory["active None"] == 2
    assert from_memory["active alpha"] == 1
    assert from_memory["cancels beta 60"] == 1
    assert from_memory["orders None 60"] == 7
    assert from_memory["same None 60"] == 3  # two without a strategy, one of alpha
    assert from_memory["same alpha 60"] == 1


def test_counters_are_seeded_from_the_ledger_after_a_restart(tmp_path: Any, database_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        _trade(DeskClient(http, desk))
        before = _answers(desk, counters=False)
    again = Desk.build(settings)
    with TestClient(create_app(again)):
        assert _answers(again, counters=True) == _answers(again, counters=False)
        assert _answers(again, counters=True)["orders None 3600"] == before["orders None 3600"] == 7


def test_a_rolled_back_change_is_not_counted(desk_client: DeskClient) -> None:
    _trade(desk_client)
    desk = desk_client.desk
    before = _answers(desk, counters=True)
    with pytest.raises(RuntimeError), unit_of_work(desk.session_factory) as session:
        row = session.query(OrderRow).filter(OrderRow.status == OrderStatus.ACCEPTED.value).first()
        assert row is not None
        row.status = OrderStatus.CANCELED.value
        session.flush()
        raise RuntimeError("rolled back")
    assert _answers(desk, counters=True) == before


def test_a_window_longer_than_the_counters_hold_is_counted_in_the_ledger(desk_client: DeskClient) -> None:
    _trade(desk_client)
    desk = desk_client.desk
    counters = desk.risk.counters
    long_ago = desk.clock.now() - HORIZON - timedelta(days=1)
    assert not counters.covers(long_ago)
    facts = _facts(desk, counters=True)
    assert asyncio.run(facts.orders_since(long_ago, None)) == 7


def test_a_savepoint_rolled_back_over_order_changes_hands_the_counting_to_the_ledger(
    desk_client: DeskClient,
) -> None:
    _trade(desk_client)
    desk = desk_client.desk
    assert not desk.risk.counters.degraded
    with desk.session_factory() as session, session.begin():
        savepoint = session.begin_nested()
        row = session.query(OrderRow).filter(OrderRow.status == OrderStatus.ACCEPTED.value).first()
        assert row is not None
        row.status = OrderStatus.CANCELED.value
        session.flush()
        savepoint.rollback()
    assert desk.risk.counters.degraded
    assert _answers(desk, counters=True) == _answers(desk, counters=False)


def test_counters_that_fail_to_follow_a_commit_leave_the_commit_and_hand_over_to_the_ledger(
    desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = desk_client.desk

    def broken(rows: Any) -> None:
        raise RuntimeError("counters broke")

    monkeypatch.setattr(desk.risk.counters, "observe", broken)
    _trade(desk_client)  # every order still goes through, and is in the ledger
    assert desk.risk.counters.degraded
    answers = _answers(desk, counters=True)
    assert answers == _answers(desk, counters=False)
    assert answers["orders None 60"] == 7 and answers["active None"] == 2


def test_an_open_market_buy_weighs_in_the_turnover_at_the_cash_frozen_for_its_rest() -> None:
    from qmtdesk.risk.counters import buy_commitment

    half_filled = dict(quantity=200, remaining=100, filled=Decimal("1150"), frozen=Decimal("2400"))
    assert buy_commitment(True, None, **half_filled) == Decimal("1150") + Decimal("1200")
    assert buy_commitment(True, Decimal("11.60"), **half_filled) == Decimal("1150") + Decimal("1160")
    assert buy_commitment(False, None, **half_filled) == Decimal("1150")  # finished: only what filled
