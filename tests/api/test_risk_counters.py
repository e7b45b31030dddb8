"""The risk engine's in-memory counters always equal what the ledger says.

Orders of every outcome (filled, resting, cancelled, denied, from two strategies) go through the real
app; then every counter is asked both ways — from :class:`OrderCounters` and by counting the committed
ledger in the database — for several windows and scopes, also after a restart on the same database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from qmtdesk.domain.orders import ACTIVE, NOT_SENT
from qmtdesk.risk.counters import HORIZON, buy_commitment
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow
from tests.api.conftest import API, DeskClient, make_settings

WINDOWS = (1, 5, 60, 3600)
SCOPES = (None, "alpha", "beta", "nobody")
SAME = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": Decimal("11.51")}


def _from_counters(desk: Desk, now: datetime) -> dict[str, Any]:
    counters = desk.risk.counters
    day = desk.calendar.trading_day_of(now.date())
    out: dict[str, Any] = {}
    for scope in SCOPES:
        out[f"active {scope}"] = counters.active_orders(scope)
        out[f"turnover {scope}"] = counters.buy_turnover(day, scope)
        for window in WINDOWS:
            since = now - timedelta(seconds=window)
            out[f"orders {scope} {window}"] = counters.orders_since(since, scope)
            out[f"cancels {scope} {window}"] = counters.cancels_since(since, scope)
            out[f"same {scope} {window}"] = counters.same_orders_since(since, strategy=scope, **SAME)
    return out


def _from_ledger(desk: Desk, now: datetime) -> dict[str, Any]:
    """The same questions answered by counting committed rows (the truth the counters must equal)."""
    account = desk.broker.account_id
    day = desk.calendar.trading_day_of(now.date())
    with desk.session_factory() as session:
        orders = list(session.scalars(select(OrderRow).where(OrderRow.account_id == account)))
        cancels = list(
            session.execute(
                select(OrderEventRow.time, OrderRow.strategy_name)
                .join(OrderRow, OrderRow.id == OrderEventRow.order_id)
                .where(OrderEventRow.account_id == account, OrderEventRow.event == "cancel_requested")
            )
        )
    sent = [o for o in orders if o.status not in {s.value for s in NOT_SENT}]
    active = {s.value for s in ACTIVE}

    def scoped(rows: list[Any], scope: str | None) -> list[Any]:
        return rows if scope is None else [r for r in rows if r.strategy_name == scope]

    out: dict[str, Any] = {}
    for scope in SCOPES:
        mine = scoped(sent, scope)
        out[f"active {scope}"] = sum(1 for o in mine if o.status in active)
        out[f"turnover {scope}"] = sum(
            (
                buy_commitment(
                    o.status in active,
                    o.price,
                    o.quantity,
                    o.quantity - o.filled_quantity,
                    o.filled_amount,
                    o.frozen_amount,
                )
                for o in mine
                if o.side == "buy" and o.trading_day == day
            ),
            Decimal(0),
        )
        for window in WINDOWS:
            since = now - timedelta(seconds=window)
            recent = [o for o in mine if o.created_at >= since]
            out[f"orders {scope} {window}"] = len(recent)
            out[f"cancels {scope} {window}"] = sum(1 for t, name in cancels if t >= since and scope in (None, name))
            out[f"same {scope} {window}"] = sum(
                1 for o in recent if (o.stock_code, o.side, o.quantity, o.price_type, o.price) == tuple(SAME.values())
            )
    return out


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
    desk = desk_client.desk
    now = desk.clock.now()
    from_memory = _from_counters(desk, now)
    assert from_memory == _from_ledger(desk, now)
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
        before = _from_ledger(desk, desk.clock.now())
    again = Desk.build(settings)
    with TestClient(create_app(again)):
        now = again.clock.now()
        assert _from_counters(again, now) == _from_ledger(again, now)
        assert _from_counters(again, now)["orders None 3600"] == before["orders None 3600"] == 7


def test_a_rule_with_a_window_longer_than_the_counters_hold_counts_the_older_orders_too(
    tmp_path: Any, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        _trade(client)  # 7 orders sent on 2026-11-25
        client.advance(client.login(), days=5, at="10:00")
    again = Desk.build(settings)  # a restart five trading days later: the counters hold two days
    with TestClient(create_app(again)) as http:
        client = DeskClient(http, again)
        now = again.clock.now()
        week = timedelta(days=10)
        assert not again.risk.counters.covers(now - week) and week > HORIZON
        assert again.risk.counters.orders_since(now - week, None) == 0
        r = http.put(
            f"{API}/risk/rules/order_rate",
            json={"enabled": True, "params": {"max_orders": 7, "window_seconds": int(week.total_seconds())}},
            headers=client.login(),
        )
        assert r.status_code == 200, r.text
        assert again.risk.counters.covers(again.clock.now() - week)
        assert again.risk.counters.orders_since(now - week, None) == 7
        # ... and the rule now holds: 7 orders in the window already, the 8th is refused.
        refused = client.order(client.trade_headers(), price="11.51")
        assert refused.status_code == 422 and refused.json()["error"] == "RISK_ORDER_RATE", refused.text


def test_an_open_market_buy_weighs_in_the_turnover_at_the_cash_frozen_for_its_rest() -> None:
    half_filled = dict(quantity=200, remaining=100, filled=Decimal("1150"), frozen=Decimal("2400"))
    assert buy_commitment(True, None, **half_filled) == Decimal("1150") + Decimal("1200")
    assert buy_commitment(True, Decimal("11.60"), **half_filled) == Decimal("1150") + Decimal("1160")
    assert buy_commitment(False, None, **half_filled) == Decimal("1150")  # finished: only what filled
