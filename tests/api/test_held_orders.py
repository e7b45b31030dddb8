"""Held orders (条件单) over the real server: each trigger at its boundary, brackets, expiry, exactly once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.held import HeldOrderRow
from tests.api.conftest import API, DeskClient, make_settings

HELD = f"{API}/trading/conditional-orders"


def quote_at(client: DeskClient, headers: dict[str, str], last: str, code: str = "600000.SH") -> dict[str, Any]:
    r = client.http.post(f"{API}/paper/quotes/{code}", json={"last_price": last}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def hold(client: DeskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": "11.80"}
    payload.update(body)
    r = client.http.post(HELD, json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def held(client: DeskClient, headers: dict[str, str], held_id: int) -> dict[str, Any]:
    r = client.http.get(f"{HELD}/{held_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def wait_state(client: DeskClient, headers: dict[str, str], held_id: int, state: str, seconds: float = 15) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        view = held(client, headers, held_id)
        if view["state"] == state or time.monotonic() > deadline:
            return view
        time.sleep(0.05)


def orders_of(client: DeskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.http.get(f"{API}/trading/orders?page_size=200", headers=headers)
    return [o for o in r.json()["data"]["items"] if o["source"] == "conditional"]


def test_a_price_trigger_fires_once_at_its_level_and_places_a_conditional_order(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    h = hold(desk_client, auth, trigger={"type": "price", "direction": "above", "price": "11.70"})
    assert h["state"] == "armed" and h["trigger"] == {"type": "price", "direction": "above", "price": "11.70"}
    assert h["distance_pct"] is not None

    quote_at(desk_client, auth, "11.69")
    assert held(desk_client, auth, h["id"])["state"] == "armed"
    quote_at(desk_client, auth, "11.70")
    fired = wait_state(desk_client, auth, h["id"], "fired")
    assert fired["state"] == "fired" and fired["order_id"] and "11.70" in fired["message"], fired
    quote_at(desk_client, auth, "11.80")  # a later quote fires nothing more

    (order,) = orders_of(desk_client, auth)
    assert order["order_id"] == fired["order_id"]
    assert order["client_order_id"] == f"held-{h['id']}"
    assert (order["side"], order["quantity"], order["price"]) == ("buy", 100, "11.80")


def test_a_stop_below_fires_at_or_under_its_price(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    h = hold(
        desk_client,
        auth,
        price_type="latest",
        price=None,
        trigger={"type": "price", "direction": "below", "price": "11.50"},
    )
    quote_at(desk_client, auth, "11.51")
    assert held(desk_client, auth, h["id"])["state"] == "armed"
    quote_at(desk_client, auth, "11.49")
    assert wait_state(desk_client, auth, h["id"], "fired")["state"] == "fired"


def test_a_trailing_stop_follows_the_high_and_fires_on_the_retreat(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    assert desk_client.order(auth, quantity=1000, price="11.60", client_order_id="entry").status_code == 201
    desk_client.advance(auth, days=1, at="10:00")
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.50")
    h = hold(
        desk_client,
        auth,
        side="sell",
        quantity=1000,
        price_type="latest",
        price=None,
        trigger={"type": "trailing", "percent": "0.05"},
    )
    quote_at(desk_client, auth, "12.00")
    view = held(desk_client, auth, h["id"])
    assert view["mark"] == "12.00" and view["stop_price"] == "11.40"
    quote_at(desk_client, auth, "11.80")  # the mark stays at the high
    quote_at(desk_client, auth, "11.41")
    assert held(desk_client, auth, h["id"])["state"] == "armed"
    quote_at(desk_client, auth, "11.40")
    fired = wait_state(desk_client, auth, h["id"], "fired")
    assert fired["state"] == "fired" and fired["mark"] == "12.00"
    (order,) = orders_of(desk_client, auth)
    assert (order["side"], order["quantity"]) == ("sell", 1000)


def test_a_limit_open_trigger_fires_when_a_sealed_board_opens(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    q = quote_at(desk_client, auth, "11.60")
    h = hold(desk_client, auth, price=q["limit_up"], trigger={"type": "limit_open", "which": "up"})
    quote_at(desk_client, auth, "11.90")
    assert held(desk_client, auth, h["id"])["state"] == "armed"  # never sealed yet: nothing opened
    sealed = quote_at(desk_client, auth, q["limit_up"])
    assert sealed["ask"][0]["price"] is None
    assert held(desk_client, auth, h["id"])["state"] == "armed"
    quote_at(desk_client, auth, "12.60")  # one tick under the limit: the board opened
    assert wait_state(desk_client, auth, h["id"], "fired")["state"] == "fired"


def test_a_time_trigger_fires_when_the_desks_clock_reaches_it(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    h = hold(desk_client, auth, price="11.55", trigger={"type": "time", "at": "2026-11-25T10:30:00+08:00"})
    time.sleep(1.5)
    assert held(desk_client, auth, h["id"])["state"] == "armed"
    desk_client.advance(auth, to="2026-11-25T10:30:00+08:00")
    assert wait_state(desk_client, auth, h["id"], "fired")["state"] == "fired"


def test_a_held_order_expires_at_the_close_unless_good_till_a_later_day(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    today = hold(desk_client, auth, trigger={"type": "price", "direction": "above", "price": "13.00"})
    gtd = hold(
        desk_client, auth, trigger={"type": "price", "direction": "above", "price": "13.00"}, expires="2026-11-27"
    )
    desk_client.advance(auth, to="2026-11-25T15:05:00+08:00")
    assert wait_state(desk_client, auth, today["id"], "expired")["state"] == "expired"
    assert held(desk_client, auth, gtd["id"])["state"] == "armed"
    desk_client.advance(auth, to="2026-11-27T15:05:00+08:00")
    assert wait_state(desk_client, auth, gtd["id"], "expired")["state"] == "expired"


def test_cancel_stops_a_held_order_and_a_final_one_cannot_be_cancelled(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    h = hold(desk_client, auth, trigger={"type": "price", "direction": "above", "price": "13.00"})
    r = desk_client.http.post(f"{HELD}/{h['id']}/cancel", headers=auth)
    assert r.status_code == 200 and r.json()["data"]["state"] == "canceled"
    quote_at(desk_client, auth, "13.00")
    assert orders_of(desk_client, auth) == []
    again = desk_client.http.post(f"{HELD}/{h['id']}/cancel", headers=auth)
    assert again.status_code == 409 and again.json()["error"] == "HELD_ORDER_NOT_CANCELABLE"
    assert "不能撤销" in again.json()["message"]
    listing = desk_client.http.get(f"{HELD}?state=final", headers=auth).json()["data"]
    assert [i["id"] for i in listing["items"]] == [h["id"]]


def test_bad_triggers_are_refused_in_chinese(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    for trigger in (
        {"type": "price", "price": "11.00"},  # no direction
        {"type": "trailing"},  # neither percent nor amount
        {"type": "trailing", "percent": "1.5"},
        {"type": "time", "at": "2026-11-25T10:30:00"},  # no offset
        {"type": "limit_open"},
        {"type": "moon"},
    ):
        payload = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price": "11.00", "trigger": trigger}
        r = desk_client.http.post(HELD, json=payload, headers=auth)
        assert r.status_code == 422, (trigger, r.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["message"]), r.text
    # Held orders are trading: a read-only login may not place them.
    r = desk_client.http.post(HELD, json={}, headers=desk_client.login())
    assert r.status_code in (401, 403)


def test_a_bracket_waits_for_its_entry_sizes_to_the_fill_and_one_leg_cancels_the_other(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    entry = desk_client.order(auth, quantity=500, price="11.61", client_order_id="bracket-entry").json()["data"][
        "order"
    ]
    r = desk_client.http.post(
        f"{HELD}/bracket",
        json={
            "parent_order_id": entry["order_id"],
            "take_profit": {"trigger_price": "12.20"},
            "stop_loss": {"trigger_price": "11.20", "price_type": "latest"},
            "expires": "2026-11-27",
        },
        headers=auth,
    )
    assert r.status_code == 201, r.text
    tp, sl = r.json()["data"]["legs"]
    tp, sl = wait_state(desk_client, auth, tp["id"], "armed"), wait_state(desk_client, auth, sl["id"], "armed")
    assert (tp["quantity"], sl["quantity"]) == (500, 500)  # what the entry filled
    assert tp["side"] == "sell" and tp["active_from"] == "2026-11-26"  # T+1: sellable tomorrow

    quote_at(desk_client, auth, "12.30")  # today the shares cannot be sold: the leg waits
    assert held(desk_client, auth, tp["id"])["state"] == "armed"

    desk_client.advance(auth, days=1, at="10:00")
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "12.20")
    assert wait_state(desk_client, auth, tp["id"], "fired")["state"] == "fired"
    assert wait_state(desk_client, auth, sl["id"], "canceled")["state"] == "canceled"
    quote_at(desk_client, auth, "11.00")
    (order,) = orders_of(desk_client, auth)
    assert (order["side"], order["quantity"], order["price"]) == ("sell", 500, "12.20")


def test_a_bracket_on_an_entry_that_never_filled_is_dropped(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    entry = desk_client.order(auth, quantity=500, price="11.00", client_order_id="resting").json()["data"]["order"]
    legs = desk_client.http.post(
        f"{HELD}/bracket",
        json={"parent_order_id": entry["order_id"], "stop_loss": {"trigger_price": "10.50"}},
        headers=auth,
    ).json()["data"]["legs"]
    assert legs[0]["state"] == "waiting"
    desk_client.http.post(f"{API}/trading/orders/{entry['order_id']}/cancel", headers=auth)
    assert wait_state(desk_client, auth, legs[0]["id"], "canceled")["state"] == "canceled"


def test_a_held_order_claimed_before_a_crash_is_placed_exactly_once_after_restarts(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        auth = client.trade_headers()
        h = hold(client, auth, price="11.55", trigger={"type": "price", "direction": "above", "price": "13.00"})
    # As if the desk died between claiming the trigger and placing its order.
    with unit_of_work(desk.session_factory) as session:
        session.execute(update(HeldOrderRow).where(HeldOrderRow.id == h["id"]).values(state="triggered"))

    for _ in range(2):
        again = Desk.build(settings)
        with TestClient(create_app(again)) as http:
            client = DeskClient(http, again)
            auth = client.trade_headers()
            view = wait_state(client, auth, h["id"], "fired")
            assert view["state"] == "fired"
            assert [o["client_order_id"] for o in orders_of(client, auth)] == [f"held-{h['id']}"]
        # and if it died after placing but before recording the fire, the replay answers the same order
        with unit_of_work(again.session_factory) as session:
            session.execute(update(HeldOrderRow).where(HeldOrderRow.id == h["id"]).values(state="triggered"))


def test_two_crossing_quotes_in_a_row_fire_one_order(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    h = hold(desk_client, auth, trigger={"type": "price", "direction": "above", "price": "11.70"})
    for last in ("11.70", "11.75", "11.80"):
        quote_at(desk_client, auth, last)
    assert wait_state(desk_client, auth, h["id"], "fired")["state"] == "fired"
    assert len(orders_of(desk_client, auth)) == 1


def test_a_bracket_on_a_partly_filled_entry_is_sized_to_what_filled(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    book = quote_at(desk_client, auth, "11.60")
    best_ask = book["ask"][0]
    wanted = (best_ask["volume"] // 100 + 5) * 100  # more than the best ask holds: the rest waits in the book
    entry = desk_client.order(auth, quantity=wanted, price=best_ask["price"]).json()["data"]["order"]
    assert 0 < entry["filled_quantity"] < wanted, entry
    r = desk_client.http.post(
        f"{HELD}/bracket",
        json={"parent_order_id": entry["order_id"], "stop_loss": {"trigger_price": "11.00", "price_type": "latest"}},
        headers=auth,
    )
    (leg,) = r.json()["data"]["legs"]
    assert leg["state"] == "waiting"
    desk_client.http.post(f"{API}/trading/orders/{entry['order_id']}/cancel", headers=auth)
    armed = wait_state(desk_client, auth, leg["id"], "armed")
    assert armed["quantity"] == entry["filled_quantity"], armed
