"""TWAP and iceberg orders over the real server: slicing in lots, pauses, refills, cancel, restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk
from tests.api.conftest import API, DeskClient, make_settings

ALGOS = f"{API}/trading/algo-orders"
DAY = "2026-11-25"  # the conftest clock's trading day (a Wednesday)


def at(hhmmss: str) -> str:
    return f"{DAY}T{hhmmss}+08:00"


def quote_at(client: DeskClient, headers: dict[str, str], last: str, code: str = "600000.SH") -> None:
    r = client.http.post(f"{API}/paper/quotes/{code}", json={"last_price": last}, headers=headers)
    assert r.status_code == 200, r.text


def start_algo(client: DeskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"stock_code": "600000.SH", "side": "buy", "quantity": 1000}
    payload.update(body)
    r = client.http.post(ALGOS, json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def algo(client: DeskClient, headers: dict[str, str], algo_id: int) -> dict[str, Any]:
    r = client.http.get(f"{ALGOS}/{algo_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def step_until(
    client: DeskClient, headers: dict[str, str], algo_id: int, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Step the algos (as the 1 s timer does) until ``done`` holds of the algo's view, or 20 s pass."""
    algos = client.desk.accounts.default.algos
    deadline = time.monotonic() + 20
    while True:
        client.http.portal.call(algos.on_clock)  # type: ignore[union-attr]
        view = algo(client, headers, algo_id)
        if done(view) or time.monotonic() > deadline:
            return view
        time.sleep(0.05)


def move_to(client: DeskClient, headers: dict[str, str], moment: str, last: str = "11.60") -> None:
    """Set the desk's clock, then a fresh quote at ``last`` (a quote older than 30 s is not priced on)."""
    client.advance(headers, to=at(moment))
    quote_at(client, headers, last)


def test_a_twap_slices_evenly_in_round_lots_at_the_ask_and_completes(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    a = start_algo(desk_client, auth, algo="twap", end_at=at("10:10:00"), interval_seconds=60)
    assert a["state"] == "running" and a["arrival_price"] == "11.60"
    assert a["child_count"] == 1 and a["filled_quantity"] == 100  # the first slice goes at once, at the ask

    for minute in range(1, 10):
        move_to(desk_client, auth, f"10:{minute:02d}:05")
        view = step_until(desk_client, auth, a["id"], lambda v, m=minute: v["filled_quantity"] == 100 * (m + 1))
        assert view["filled_quantity"] == 100 * (minute + 1), view
    move_to(desk_client, auth, "10:10:05")
    done = step_until(desk_client, auth, a["id"], lambda v: v["state"] != "running")
    assert (done["state"], done["progress"], done["child_count"]) == ("completed", "1.0000", 10)
    assert done["avg_price"] == "11.610" and done["slippage_bps"] == "8.62"  # paid the ask, a tick over the last
    children = done["children"]
    assert [c["quantity"] for c in children] == [100] * 10
    assert {c["source"] for c in children} == {"algo"}
    assert [c["client_order_id"] for c in children] == [f"algo-{a['id']}-{n}" for n in range(1, 11)]


def test_a_twap_over_lunch_pauses_and_does_not_catch_up_in_a_burst(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    move_to(desk_client, auth, "11:20:00")
    # 10 minutes of continuous trading before lunch and 10 after: half the shares each side.
    a = start_algo(desk_client, auth, algo="twap", quantity=2000, end_at=at("13:10:00"), interval_seconds=300)
    move_to(desk_client, auth, "11:25:00")
    step_until(desk_client, auth, a["id"], lambda v: v["child_count"] >= 2)  # the 11:25 slice
    client_ids_before = algo(desk_client, auth, a["id"])["child_count"]

    desk_client.advance(auth, to=at("12:00:00"))
    paused = step_until(desk_client, auth, a["id"], lambda v: v["paused_reason"] is not None)
    assert "午休" in paused["paused_reason"] and paused["child_count"] == client_ids_before

    move_to(desk_client, auth, "13:00:30")
    view = step_until(desk_client, auth, a["id"], lambda v: v["child_count"] > client_ids_before)
    assert view["paused_reason"] is None
    # 30 s into the afternoon's 10 minutes: the schedule wants the slice up to 13:05, not the lunch hours.
    assert view["filled_quantity"] == 1500, view
    move_to(desk_client, auth, "13:05:05")
    step_until(desk_client, auth, a["id"], lambda v: v["filled_quantity"] == 2000)
    move_to(desk_client, auth, "13:10:05")
    done = step_until(desk_client, auth, a["id"], lambda v: v["state"] != "running")
    assert (done["state"], done["filled_quantity"]) == ("completed", 2000)


def test_twap_children_on_star_are_at_least_200_shares(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "20.00", code="688599.SH")
    a = start_algo(
        desk_client, auth, stock_code="688599.SH", quantity=700, algo="twap", end_at=at("10:05:00"), interval_seconds=60
    )
    for minute in range(1, 6):
        desk_client.advance(auth, to=at(f"10:{minute:02d}:05"))
        quote_at(desk_client, auth, "20.00", code="688599.SH")
        step_until(desk_client, auth, a["id"], lambda v: v["working_quantity"] == 0)
    done = step_until(desk_client, auth, a["id"], lambda v: v["state"] != "running")
    sizes = [c["quantity"] for c in done["children"]]
    assert done["state"] == "completed" and sum(sizes) == 700, done
    assert all(size >= 200 for size in sizes), sizes
    assert len(sizes) > 1  # sliced, not sent at once


def test_an_iceberg_shows_one_lot_at_a_time_and_refills_as_it_fills(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    a = start_algo(desk_client, auth, algo="iceberg", quantity=1000, display_quantity=300, price="11.50")
    assert (a["child_count"], a["working_quantity"], a["filled_quantity"]) == (1, 300, 0)

    filled = 0
    for _ in range(4):
        quote_at(desk_client, auth, "11.48")  # the book comes down through the limit: the shown child fills
        quote_at(desk_client, auth, "11.60")  # and back up, so the refill rests again
        filled = min(filled + 300, 1000)
        view = step_until(
            desk_client,
            auth,
            a["id"],
            # a refill can meet the low book before it goes back up: then more than one child fills
            lambda v, f=filled: (
                v["state"] == "completed" or (v["filled_quantity"] >= f and v["working_quantity"] > 0 and f < 1000)
            ),
        )
        assert view["working_quantity"] <= 300, view
    done = algo(desk_client, auth, a["id"])
    assert done["state"] == "completed" and [c["quantity"] for c in done["children"]] == [300, 300, 300, 100]
    assert {c["price"] for c in done["children"]} == {"11.50"}


def test_cancel_stops_the_algo_and_cancels_its_working_child(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    a = start_algo(desk_client, auth, algo="iceberg", quantity=1000, display_quantity=200, price="11.50")
    r = desk_client.http.post(f"{ALGOS}/{a['id']}/cancel", headers=auth)
    assert r.status_code == 200 and r.json()["data"]["state"] == "canceled", r.text
    view = step_until(desk_client, auth, a["id"], lambda v: v["children"][0]["status"] == "canceled")
    assert [c["status"] for c in view["children"]] == ["canceled"]

    again = desk_client.http.post(f"{ALGOS}/{a['id']}/cancel", headers=auth)
    assert again.status_code == 409 and again.json()["error"] == "ALGO_ORDER_NOT_CANCELABLE"
    assert "已撤销" in again.json()["message"]
    missing = desk_client.http.post(f"{ALGOS}/999999/cancel", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "ALGO_ORDER_NOT_FOUND"


def test_a_refused_child_fails_the_algo_with_the_reason(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    a = start_algo(desk_client, auth, side="sell", algo="twap", end_at=at("10:05:00"))  # nothing to sell
    assert a["state"] == "failed" and a["error"] == "INSUFFICIENT_POSITION", a
    assert a["message"].startswith("子单被拒")


def test_an_algo_pauses_in_the_call_auction_and_expires_at_the_close(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    move_to(desk_client, auth, "14:50:00")
    a = start_algo(desk_client, auth, algo="iceberg", quantity=1000, display_quantity=300, price="11.50")
    assert a["working_quantity"] == 300
    move_to(desk_client, auth, "14:58:00")
    view = step_until(desk_client, auth, a["id"], lambda v: v["paused_reason"] is not None)
    assert "集合竞价" in view["paused_reason"] and view["working_quantity"] == 300
    desk_client.advance(auth, to=at("15:00:05"))
    done = step_until(desk_client, auth, a["id"], lambda v: v["state"] != "running")
    assert (done["state"], done["filled_quantity"], done["paused_reason"]) == ("expired", 0, None), done
    assert "收盘" in done["message"] and done["child_count"] == 1


def test_bad_algo_requests_are_refused_in_chinese(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"algo": "iceberg", "display_quantity": 300}, "VALIDATION_ERROR"),  # no price
        ({"algo": "iceberg", "price": "11.50", "display_quantity": 150}, "VALIDATION_ERROR"),  # not a lot
        ({"algo": "iceberg", "price": "11.505", "display_quantity": 100}, "PRICE_TICK"),
        # each child shows the display size: past the 1,000,000 per-order maximum none could be sent
        (
            {"algo": "iceberg", "price": "11.50", "quantity": 1_500_000, "display_quantity": 1_100_000},
            "QUANTITY_TOO_LARGE",
        ),
        ({"algo": "twap", "quantity": 150, "end_at": at("10:30:00")}, "LOT_SIZE"),
        ({"algo": "twap"}, "VALIDATION_ERROR"),  # no end
        ({"algo": "twap", "end_at": at("09:59:00")}, "VALIDATION_ERROR"),  # before the start
        ({"algo": "twap", "start_at": at("11:35:00"), "end_at": at("12:55:00")}, "VALIDATION_ERROR"),  # lunch only
    ]
    for body, code in cases:
        r = desk_client.http.post(
            ALGOS, json={"stock_code": "600000.SH", "side": "buy", "quantity": 1000} | body, headers=auth
        )
        assert r.status_code == 422 and r.json()["error"] == code, (body, r.text)
    listed = desk_client.http.get(f"{ALGOS}?state=live", headers=auth).json()["data"]
    assert listed["total"] == 0


def test_a_running_algo_carries_on_after_a_restart_without_reusing_a_child(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    desk = Desk.build(settings)
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        auth = client.trade_headers()
        quote_at(client, auth, "11.60")
        a = start_algo(client, auth, algo="iceberg", quantity=600, display_quantity=300, price="11.50")
        assert a["working_quantity"] == 300

    again = Desk.build(settings)
    with TestClient(create_app(again)) as http:
        client = DeskClient(http, again)
        auth = client.trade_headers()
        view = step_until(client, auth, a["id"], lambda v: v["working_quantity"] == 300)
        assert (view["state"], view["child_count"]) == ("running", 1)  # the working child was adopted
        quote_at(client, auth, "11.48")
        quote_at(client, auth, "11.60")
        view = step_until(client, auth, a["id"], lambda v: v["child_count"] == 2 and v["working_quantity"] == 300)
        quote_at(client, auth, "11.48")
        done = step_until(client, auth, a["id"], lambda v: v["state"] == "completed")
        assert done["filled_quantity"] == 600
        assert [c["client_order_id"] for c in done["children"]] == [f"algo-{a['id']}-1", f"algo-{a['id']}-2"]


def test_algo_orders_are_listed_newest_first_and_filtered(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    first = start_algo(desk_client, auth, algo="iceberg", quantity=1000, display_quantity=300, price="11.50")
    second = start_algo(desk_client, auth, algo="iceberg", quantity=500, display_quantity=100, price="11.40")
    desk_client.http.post(f"{ALGOS}/{first['id']}/cancel", headers=auth)
    live = desk_client.http.get(f"{ALGOS}?state=live", headers=auth).json()["data"]
    assert [i["id"] for i in live["items"]] == [second["id"]]
    final = desk_client.http.get(f"{ALGOS}?state=final&stock_code=600000", headers=auth).json()["data"]
    assert [i["id"] for i in final["items"]] == [first["id"]]


def test_a_twap_slice_under_one_lot_says_it_waits_for_the_next(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote_at(desk_client, auth, "11.60")
    a = start_algo(desk_client, auth, algo="twap", quantity=1000, end_at=at("11:00:00"), interval_seconds=60)
    assert (a["child_count"], a["filled_quantity"]) == (0, 0)  # 1000 over 60 slices: 16 shares a minute
    assert "不足一手" in a["paused_reason"], a
    move_to(desk_client, auth, "10:06:05")
    view = step_until(desk_client, auth, a["id"], lambda v: v["child_count"] == 1)
    assert (view["filled_quantity"], view["paused_reason"]) == (100, None), view
