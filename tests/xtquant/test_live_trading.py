"""Trading a MiniQMT account end to end through the HTTP API, over the simulated MiniQMT.

The scenarios of the issue: async orders with partial fills, rejections pushed before the response,
cancels (51→54, 52→53 with a fill racing the cancel), refused cancels, a forced disconnect with fills
during the gap, duplicate and reordered pushes, status 255, and orders typed into the QMT client.
"""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

from tests.api.conftest import API
from tests.xtquant.conftest import ACCOUNT, LiveDesk, eventually


def test_status_shows_the_connected_miniqmt_account(live: LiveDesk) -> None:
    headers = live.login()
    status = eventually(lambda: live.http.get(f"{API}/trading/status", headers=headers).json()["data"])
    assert status["broker"] == "xtquant" and status["connected"] and status["state"] == "connected"
    assert status["account_id"] == ACCOUNT and status["account_type"] == "STOCK"
    assert live.http.get(f"{API}/health").json()["data"]["broker_connected"] is True


def test_accounts_lists_the_miniqmt_account_as_the_connected_default(live: LiveDesk) -> None:
    headers = live.login()
    accounts = eventually(
        lambda: (d := live.http.get(f"{API}/accounts", headers=headers).json()["data"])[0]["connected"] and d
    )
    [account] = accounts
    assert (account["account_id"], account["broker"], account["name"]) == (ACCOUNT, "xtquant", "MiniQMT 账户")
    assert account["default"] is True
    assert account["connected"] is True


def test_async_order_with_partial_fills_ends_filled_with_both_fills(live: LiveDesk) -> None:
    headers = live.trade_headers()
    r = live.order(headers, price="11.50", quantity=1000)
    assert r.status_code == 201, r.text
    order = r.json()["data"]["order"]
    broker_id = live.broker_id(headers, order["order_id"])
    live.status_of(headers, order["order_id"], "accepted")
    live.mini.fill(broker_id, 400)
    partial = live.status_of(headers, order["order_id"], "partially_filled")
    assert eventually(lambda: live.order_by_id(headers, order["order_id"])["filled_quantity"] == 400)
    live.mini.fill(broker_id, 600)
    done = live.status_of(headers, order["order_id"], "filled")
    assert done["filled_quantity"] == 1000 and done["status_code"] == 56
    assert partial["status_code"] == 55
    fills = [t for t in live.trades(headers) if t["order_id"] == order["order_id"]]
    assert sorted(t["quantity"] for t in fills) == [400, 600]
    # In live mode the broker's own positions and cash are what the desk shows.
    [position] = live.http.get(f"{API}/trading/positions", headers=headers).json()["data"]
    assert position["volume"] == 1000 and position["can_use_volume"] == 0
    account = live.http.get(f"{API}/trading/account", headers=headers).json()["data"]
    truth = live.mini.account(ACCOUNT)
    assert Decimal(account["cash"]) == Decimal(str(truth.cash)).quantize(Decimal("0.01"))


def test_rejection_pushed_before_the_response_is_recorded_once(live: LiveDesk) -> None:
    headers = live.trade_headers()
    live.mini.configure(error_before_response=True)
    # Within the desk's validation but beyond the counter's cash: the counter refuses it.
    live.mini.set_cash(ACCOUNT, 1000)
    r = live.order(headers, price="11.50", quantity=100)
    assert r.status_code == 201
    order_id = r.json()["data"]["order"]["order_id"]
    rejected = live.status_of(headers, order_id, "rejected")
    assert rejected["status_msg"]  # the counter's reason is kept
    time.sleep(0.3)  # let the trailing order error arrive too
    events = [e for e in live.order_by_id(headers, order_id)["events"] if e["stream"] == "orders"]
    # One transition into "rejected" (later events only add the broker id), whatever the push order.
    transitions = [(a["status"], b["status"]) for a, b in itertools.pairwise(events)]
    assert [t for t in transitions if t[1] == "rejected" and t[0] != "rejected"] == [("submitted", "rejected")]
    final = live.order_by_id(headers, order_id)
    assert final["status"] == "rejected" and final["error"].startswith("XT_")


def test_cancel_goes_51_then_54(live: LiveDesk) -> None:
    headers = live.trade_headers()
    order_id = live.order(headers, price="11.40").json()["data"]["order"]["order_id"]
    live.broker_id(headers, order_id)
    live.status_of(headers, order_id, "accepted")
    r = live.http.post(f"{API}/trading/orders/{order_id}/cancel", headers=headers)
    assert r.status_code == 200, r.text
    done = live.status_of(headers, order_id, "canceled")
    assert done["status_code"] == 54
    codes = [
        e["data"].get("status_code") for e in live.order_by_id(headers, order_id)["events"] if e["stream"] == "orders"
    ]
    assert 51 in codes and codes[-1] == 54


def test_fill_racing_a_cancel_ends_partially_canceled(live: LiveDesk) -> None:
    headers = live.trade_headers()
    order_id = live.order(headers, price="11.40", quantity=1000).json()["data"]["order"]["order_id"]
    broker_id = live.broker_id(headers, order_id)
    live.status_of(headers, order_id, "accepted")
    live.mini.configure(hold_cancels=True)
    live.http.post(f"{API}/trading/orders/{order_id}/cancel", headers=headers)
    live.status_of(headers, order_id, "pending_cancel")
    live.mini.fill(broker_id, 300)  # fills while the cancel is in flight: 52
    eventually(lambda: live.order_by_id(headers, order_id)["filled_quantity"] == 300)
    assert live.order_by_id(headers, order_id)["status"] == "pending_cancel"
    live.mini.release_cancels()
    done = live.status_of(headers, order_id, "partially_canceled")
    assert done["status_code"] == 53 and done["filled_quantity"] == 300


def test_cancel_of_a_filled_order_is_refused(live: LiveDesk) -> None:
    headers = live.trade_headers()
    order_id = live.order(headers, price="11.50").json()["data"]["order"]["order_id"]
    broker_id = live.broker_id(headers, order_id)
    live.mini.fill(broker_id)
    live.status_of(headers, order_id, "filled")
    r = live.http.post(f"{API}/trading/orders/{order_id}/cancel", headers=headers)
    assert r.status_code == 409 and r.json()["error"] == "ORDER_NOT_CANCELABLE"


def test_disconnect_reconnects_with_a_new_session_and_reconciles_gap_fills_once(live: LiveDesk) -> None:
    headers = live.trade_headers()
    order_id = live.order(headers, price="11.40", quantity=500).json()["data"]["order"]["order_id"]
    broker_id = live.broker_id(headers, order_id)
    live.status_of(headers, order_id, "accepted")
    first_session = live.desk.broker.session_id  # type: ignore[attr-defined]
    live.mini.disconnect_all()
    eventually(lambda: live.http.get(f"{API}/trading/status", headers=headers).json()["data"]["state"] != "connected")
    refused = live.order(headers, price="11.40")
    assert refused.status_code == 503 and refused.json()["error"] == "BROKER_UNAVAILABLE"
    live.mini.fill(broker_id, 500)  # happens while the desk is not connected: no push reaches it
    status = eventually(
        lambda: (s := live.http.get(f"{API}/trading/status", headers=headers).json()["data"])["connected"] and s,
        timeout=10,
    )
    assert status["session_id"] != first_session
    filled = live.status_of(headers, order_id, "filled")
    assert filled["filled_quantity"] == 500
    # A second reconciliation changes nothing: the fill is there exactly once.
    live.http.post(f"{API}/trading/connect", headers=live.login())
    fills = [t for t in live.trades(headers) if t["order_id"] == order_id]
    assert [t["quantity"] for t in fills] == [500]


def test_duplicate_and_reordered_pushes_leave_the_ledger_equal_to_the_broker(live: LiveDesk) -> None:
    headers = live.trade_headers()
    live.mini.configure(duplicate_pushes=True, reorder_pushes=True)
    ids = [live.order(headers, price="11.40", quantity=200).json()["data"]["order"]["order_id"] for _ in range(4)]
    broker_ids = [live.broker_id(headers, i) for i in ids]
    for broker_id in broker_ids[:3]:
        live.mini.fill(broker_id)
    live.http.post(f"{API}/trading/orders/{ids[3]}/cancel", headers=headers)
    for order_id, broker_id in zip(ids, broker_ids, strict=True):
        truth = live.mini.order(broker_id)
        want = {56: "filled", 54: "canceled"}[truth.status]
        live.status_of(headers, order_id, want)
    fills = live.trades(headers)
    assert len(fills) == 3 and len({t["broker_trade_id"] for t in fills}) == 3


def test_status_255_is_resolved_by_querying_the_broker(live: LiveDesk) -> None:
    headers = live.trade_headers()
    order_id = live.order(headers, price="11.40").json()["data"]["order"]["order_id"]
    broker_id = live.broker_id(headers, order_id)
    live.status_of(headers, order_id, "accepted")
    live.mini.fill(broker_id)
    live.mini.push_unknown_status(broker_id)
    done = live.status_of(headers, order_id, "filled")
    assert done["filled_quantity"] == 100


def test_orders_typed_into_the_qmt_client_are_imported_as_external(live: LiveDesk) -> None:
    headers = live.login()
    live.mini.place_external_order(ACCOUNT, "000001.SZ", "buy", 300, 11.50)
    external = eventually(lambda: [o for o in live.orders(headers) if o["source"] == "external"])
    assert external[0]["stock_code"] == "000001.SZ" and external[0]["quantity"] == 300
