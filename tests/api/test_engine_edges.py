"""The order engine at the edges of its memory: days rolling, orders only the ledger still holds, client
ids reused, reports about orders of earlier days, a journal whose database goes away for a while.

The engine keeps open orders and those of the last two trading days in memory; everything older is only
in the ledger. These tests drive the real app (paper broker, simulated clock) across those edges.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from qmtdesk.api.app import create_app
from qmtdesk.brokers.base import OrderReport
from qmtdesk.desk import Desk
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.orders import OrderRow
from tests.api.conftest import API, DeskClient, make_settings


def _orders(client: DeskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.http.get(f"{API}/trading/orders?page_size=200", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["data"]["items"])


def test_a_retry_of_an_order_never_sent_is_placed_on_the_next_trading_day(desk_client: DeskClient) -> None:
    """503 means "not sent, try again" — also tomorrow: the refused order of yesterday hands its
    client_order_id over, the retry is placed, and the desk keeps taking orders."""
    headers = desk_client.trade_headers()
    admin = desk_client.login()
    assert desk_client.http.post(f"{API}/trading/disconnect", headers=admin).status_code == 200
    refused = desk_client.order(headers, price="11.40", client_order_id="retry-tomorrow")
    assert refused.status_code == 503 and refused.json()["error"] == "BROKER_UNAVAILABLE", refused.text
    assert desk_client.http.post(f"{API}/trading/connect", headers=admin).status_code == 200
    desk_client.advance(admin, days=1, at="10:00")
    headers = desk_client.trade_headers()
    retried = desk_client.order(headers, price="11.40", client_order_id="retry-tomorrow")
    assert retried.status_code == 201, retried.text
    assert retried.json()["data"]["order"]["status"] == "accepted"
    after = desk_client.order(headers, price="11.40", client_order_id="and-the-desk-goes-on")
    assert after.status_code == 201, after.text
    names = sorted(o["client_order_id"] for o in _orders(desk_client, headers))
    first = refused.json()["data"]["order"]["order_id"]
    assert names == sorted(["and-the-desk-goes-on", "retry-tomorrow", f"retry-tomorrow#{first}"])


def test_a_client_id_only_the_ledger_remembers_answers_with_its_order_even_to_concurrent_retries(
    tmp_path: Any, database_url: str
) -> None:
    """A client id used long ago (no longer in memory) is caught when the new order's row is refused by
    the ledger: two concurrent requests under it both hear about the old order (409 with it, their
    payload differs), and so does a later one; no second order is ever stored."""
    settings = make_settings(tmp_path / "data", database_url)
    first = Desk.build(settings)
    long_ago = first.clock.now() - timedelta(days=40)
    with unit_of_work(first.session_factory) as session:
        old = OrderRow(
            account_id=first.broker.account_id,
            client_order_id="from-last-month",
            ref="qdold",
            payload_hash="another request",
            stock_code="600000.SH",
            stock_name="浦发银行",
            side="buy",
            price_type="limit",
            price=Decimal("11.40"),
            quantity=100,
            filled_quantity=0,
            filled_amount=Decimal(0),
            status=OrderStatus.CANCELED.value,
            status_msg="",
            source="api",
            fees=Decimal(0),
            frozen_amount=Decimal(0),
            trading_day=long_ago.date(),
            created_at=long_ago,
            updated_at=long_ago,
        )
        session.add(old)
        session.flush()
        old_id = old.id
    first.db.dispose()
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        assert desk.engine.book.client_id_owner("from-last-month") is None  # too old to be remembered
        from qmtdesk.oms.commands import OrderPayload

        payload = OrderPayload("600000.SH", Side.BUY, 100, PriceType.LIMIT, Decimal("11.40"), "from-last-month")

        async def at_once() -> list[Any]:
            # Several at once: a retry may replay the refused new order before the call that placed it
            # has heard of the refusal.
            return await asyncio.gather(
                *(desk.orders.submit(payload, source="api", user_id=None) for _ in range(5)),
                return_exceptions=True,
            )

        for answer in http.portal.call(at_once):  # type: ignore[union-attr]
            assert getattr(answer, "code", None) == "DUPLICATE_CLIENT_ORDER_ID", answer
            assert answer.data["order"]["order_id"] == old_id
        headers = client.trade_headers()
        later = client.order(headers, price="11.40", client_order_id="from-last-month")
        assert later.status_code == 409 and later.json()["data"]["order"]["order_id"] == old_id, later.text
        assert [o["client_order_id"] for o in _orders(client, headers)] == ["from-last-month"]


def test_a_broker_still_listing_an_order_of_an_earlier_week_does_not_make_it_an_external_order(
    tmp_path: Any, database_url: str
) -> None:
    """After a restart days later, a report about an order memory no longer holds is looked up in the
    ledger before it could be taken for an order placed outside the desk."""
    settings = make_settings(tmp_path / "data", database_url)
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        headers = client.trade_headers()
        placed = client.order(headers, price="11.51", client_order_id="last-week").json()["data"]["order"]
        assert placed["status"] == "filled"
        client.advance(client.login(), days=5, at="10:00")
    again = Desk.build(settings)
    with TestClient(create_app(again)) as http:
        client = DeskClient(http, again)
        assert again.engine.book.get(placed["order_id"]) is None  # only the ledger has it now
        report = OrderReport(
            broker_order_id=placed["broker_order_id"],
            ref=None,
            stock_code="600000.SH",
            side=Side.BUY,
            price_type=PriceType.LIMIT,
            price=Decimal("11.51"),
            quantity=100,
            filled_quantity=100,
            avg_fill_price=Decimal("11.51"),
            status=OrderStatus.FILLED,
            status_code=56,
            status_msg="已成",
            time=again.clock.now(),
        )

        async def replay() -> None:
            again.engine.apply_reports([report])
            while again.engine._background:
                await asyncio.gather(*again.engine._background)
            await again.journal.flush()

        http.portal.call(replay)  # type: ignore[union-attr]
        orders = _orders(client, client.login())
        assert [(o["order_id"], o["source"], o["status"]) for o in orders] == [(placed["order_id"], "api", "filled")]


def test_the_journal_outlives_a_database_that_refuses_connections_for_a_while(desk_client: DeskClient) -> None:
    """The writer reconnects after the database went away (a PostgreSQL restart, say): the orders waiting
    for their commit are committed once it is back, nothing is lost and the desk keeps working."""
    desk = desk_client.desk
    journal = desk.journal
    headers = desk_client.trade_headers()
    assert desk_client.order(headers, price="11.51").status_code == 201
    real = journal.db.raw_connection
    refusals = [2]

    def flaky() -> Any:
        if refusals[0]:
            refusals[0] -= 1
            raise OperationalError("connect", {}, ConnectionRefusedError("the database restarts"))
        return real()

    journal._rollback(journal._connection(), invalidate=True)  # the link is gone
    journal.db.raw_connection = flaky  # type: ignore[method-assign]
    try:
        r = desk_client.order(headers, price="11.51", client_order_id="while-it-restarts")
    finally:
        journal.db.raw_connection = real  # type: ignore[method-assign]
    assert r.status_code == 201 and r.json()["data"]["order"]["status"] == "filled", r.text
    assert refusals == [0] and journal.failed is None
    with desk.session_factory() as session:
        stored = session.scalar(select(OrderRow.status).where(OrderRow.client_order_id == "while-it-restarts"))
    assert stored == "filled"
    assert desk_client.order(headers, price="11.51").status_code == 201
