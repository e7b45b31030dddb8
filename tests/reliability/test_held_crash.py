"""``kill -9`` a real ``qmtdesk serve`` while a held order fires or an algo places a child.

The process dies at a failpoint in the window between two durable steps (see ``qmtdesk.failpoints``);
it is restarted on the same data directory, and what the desk placed is checked through the API:
each held order placed exactly one order, each algo child exists once and no child number is reused.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.reliability.test_crash_safety import CODES, FILL_LEVEL, Server, _sign_in, server  # noqa: F401

CODE = CODES[0]


def _died(srv: Server) -> None:
    assert srv.proc is not None and srv.proc.wait(timeout=30) == -signal.SIGKILL, srv.log_tail()
    srv.proc = None


def _poll(fetch: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        view = fetch()
        if done(view) or time.monotonic() > deadline:
            return view
        time.sleep(0.1)


def _orders(http: httpx.Client, headers: dict[str, str], source: str) -> list[dict[str, Any]]:
    items = http.get("/trading/orders?page_size=200", headers=headers).json()["data"]["items"]
    return [o for o in items if o["source"] == source]


@pytest.mark.parametrize("failpoint", ["held_claimed", "held_placed"])
def test_a_sigkill_while_a_held_order_fires_places_its_order_exactly_once(server: Server, failpoint: str) -> None:  # noqa: F811
    server.env["QMTDESK_FAILPOINTS"] = failpoint
    server.start()
    headers = _sign_in(server.base)
    http = httpx.Client(base_url=server.base, timeout=20)
    quote = http.get(f"/market/quote/{CODE}", headers=headers).json()["data"]
    last = float(quote["last_price"])
    level = f"{last + 0.05:.2f}"
    held = http.post(
        "/trading/conditional-orders",
        json={
            "stock_code": CODE,
            "side": "buy",
            "quantity": 100,
            "price_type": "limit",
            "price": f"{last + 0.10:.2f}",
            "trigger": {"type": "price", "direction": "above", "price": level},
        },
        headers=headers,
    )
    assert held.status_code == 201, held.text
    held_id = held.json()["data"]["id"]
    # The trigger fires in the background: the process may die before or after this answer.
    with contextlib.suppress(httpx.TransportError):
        http.post(f"/paper/quotes/{CODE}", json={"last_price": level}, headers=headers)
    _died(server)

    del server.env["QMTDESK_FAILPOINTS"]
    server.start()
    headers = _sign_in(server.base)
    view = _poll(
        lambda: http.get(f"/trading/conditional-orders/{held_id}", headers=headers).json()["data"],
        lambda v: v["state"] == "fired",
    )
    assert view["state"] == "fired", view
    (order,) = _orders(http, headers, "conditional")
    assert (order["order_id"], order["client_order_id"]) == (view["order_id"], f"held-{held_id}")
    http.close()
    server.stop()


@pytest.mark.parametrize(("nth", "price_level"), [(1, "rest"), (2, "fill")])
def test_a_sigkill_after_an_algo_child_is_placed_neither_loses_nor_repeats_a_child(
    server: Server,  # noqa: F811
    nth: int,
    price_level: str,
) -> None:
    server.env["QMTDESK_FAILPOINTS"] = f"algo_child_placed@{nth}"
    server.start()
    headers = _sign_in(server.base)
    http = httpx.Client(base_url=server.base, timeout=20)
    quote = http.get(f"/market/quote/{CODE}", headers=headers).json()["data"]
    # Resting below the bid, or crossing the third ask so every child fills at once.
    price = quote["bid"][4]["price"] if price_level == "rest" else quote["ask"][FILL_LEVEL]["price"]
    body = {"stock_code": CODE, "side": "buy", "quantity": 600, "algo": "iceberg", "display_quantity": 300}
    with contextlib.suppress(httpx.TransportError):
        http.post("/trading/algo-orders", json={**body, "price": price}, headers=headers)
    _died(server)

    del server.env["QMTDESK_FAILPOINTS"]
    server.start()
    headers = _sign_in(server.base)
    (algo,) = http.get("/trading/algo-orders", headers=headers).json()["data"]["items"]
    if price_level == "rest":
        view = _poll(
            lambda: http.get(f"/trading/algo-orders/{algo['id']}", headers=headers).json()["data"],
            lambda v: v["working_quantity"] == 300,
        )
        assert (view["state"], view["child_count"], view["filled_quantity"]) == ("running", 1, 0), view
        assert [c["status"] in ("submitted", "accepted") for c in view["children"]] == [True]
    else:
        view = _poll(
            lambda: http.get(f"/trading/algo-orders/{algo['id']}", headers=headers).json()["data"],
            lambda v: v["state"] == "completed",
        )
        assert (view["state"], view["child_count"], view["filled_quantity"]) == ("completed", 2, 600), [
            (c["status"], c["filled_quantity"], c["status_msg"]) for c in view["children"]
        ]
    ids = [c["client_order_id"] for c in view["children"]]
    assert ids == [f"algo-{algo['id']}-{n}" for n in range(1, len(ids) + 1)]
    assert len(_orders(http, headers, "algo")) == len(ids)
    http.close()
    server.stop()
