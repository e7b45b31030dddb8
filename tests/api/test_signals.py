"""Signals over HTTP: sizing, decisions, idempotency, expiry, denials, concurrency and the decision log."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import inspect, update

from qmtdesk.api.routes.signals import router
from qmtdesk.oms.bus import Event
from qmtdesk.store.base import Base
from qmtdesk.store.tables.signals import SignalRow
from tests.api.conftest import API, DeskClient

UI_CATCH_ALL = "/{path:path}"


@pytest.fixture
def signals(desk_client: DeskClient) -> Iterator[DeskClient]:
    """The desk client with the signals router and table, until the app and migrations include them."""
    app = desk_client.http.app
    routes = app.router.routes
    if not any(getattr(r, "path", None) == f"{API}/signals" for r in routes):
        app.include_router(router, prefix=API)
        # The web UI's catch-all GET must stay last, or it would answer GET /api/v1/signals.
        for route in [r for r in routes if getattr(r, "path", None) == UI_CATCH_ALL]:
            routes.remove(route)
            routes.append(route)
    if not inspect(desk_client.desk.db).has_table(SignalRow.__tablename__):
        Base.metadata.create_all(desk_client.desk.db, tables=[SignalRow.__table__])  # type: ignore[list-item]
    yield desk_client


def signal(client: DeskClient, headers: dict[str, str], path: str = "/trading/execute", **body: Any) -> Any:
    payload: dict[str, Any] = {
        "signal_id": "s-1",
        "stock_code": "600000",
        "action": "buy",
        "strategy_name": "ma_cross",
        "sizing": {"method": "amount", "value": "10000"},
    }
    payload.update(body)
    return client.http.post(f"{API}{path}", json=payload, headers=headers)


def test_buy_sized_by_amount_is_executed_and_a_replay_is_a_duplicate(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    events: list[Event] = []
    signals.desk.bus.subscribe(lambda e: events.append(e) if e.stream == "signals" else None)

    r = signal(signals, headers, confidence="0.8", reason="金叉")
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["signal_id"] == "s-1" and data["decision"] == "executed" and data["error"] is None
    assert data["side"] == "buy" and data["quantity"] == 800  # 10000 / 11.51 = 868 -> 8 lots
    assert "买入 800 股 @ 11.51" in data["reason"]
    order = data["order"]
    assert order["quantity"] == 800 and order["price"] == "11.51" and order["price_type"] == "limit"
    assert order["client_order_id"] == "sig-s-1" and order["source"] == "signal"
    assert order["strategy_name"] == "ma_cross" and order["remark"] == "金叉" and order["status"] == "filled"

    again = signal(signals, headers, confidence="0.80", reason="金叉")  # same payload (0.8 == 0.80)
    assert again.status_code == 200, again.text
    replay = again.json()["data"]
    assert replay["decision"] == "duplicate" and replay["original_decision"] == "executed"
    assert replay["order"]["order_id"] == order["order_id"] and replay["quantity"] == 800

    orders = signals.http.get(f"{API}/trading/orders", headers=headers).json()["data"]
    assert orders["total"] == 1
    assert [e.data["decision"] for e in events] == ["executed", "duplicate"]
    assert events[0].data["order_id"] == order["order_id"] and events[0].data["confidence"] == "0.8"


def test_a_buy_signal_without_sizing_is_sized_by_its_watchlist_entry(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    watched = {"stock_code": "600000.SH", "sizing": {"method": "quantity", "value": "300"}}
    assert signals.http.post(f"{API}/monitor/stocks", json=watched, headers=headers).status_code == 201
    r = signal(signals, headers, sizing=None, stock_code="600000")
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["decision"] == "executed" and data["quantity"] == 300, data
    logged = signals.http.get(f"{API}/signals", headers=headers).json()["data"]["items"][0]
    assert logged["sizing"] == {"method": "quantity", "value": "300"}, logged
    # a retry of the same signal is the same signal even after the watchlist sizing changed
    changed = {"sizing": {"method": "quantity", "value": "500"}}
    assert signals.http.put(f"{API}/monitor/stocks/600000.SH", json=changed, headers=headers).status_code == 200
    again = signal(signals, headers, sizing=None, stock_code="600000")
    assert again.status_code == 200 and again.json()["data"]["decision"] == "duplicate", again.text
    # … or the entry is gone
    assert signals.http.delete(f"{API}/monitor/stocks/600000.SH", headers=headers).status_code == 200
    gone = signal(signals, headers, sizing=None, stock_code="600000")
    assert gone.status_code == 200 and gone.json()["data"]["decision"] == "duplicate", gone.text
    # a stock with no watchlist sizing still needs one in the signal
    unsized = signal(signals, headers, signal_id="s-2", sizing=None, stock_code="000001.SZ")
    assert unsized.status_code == 422 and unsized.json()["error"] == "VALIDATION_ERROR", unsized.text


def test_a_known_signal_id_with_another_payload_is_a_conflict(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    assert signal(signals, headers).status_code == 201
    r = signal(signals, headers, sizing={"method": "amount", "value": "20000"})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "DUPLICATE_SIGNAL_ID" and "signal_id" in body["message"]
    assert body["data"]["signal"]["decision"] == "executed"
    assert signals.http.get(f"{API}/trading/orders", headers=headers).json()["data"]["total"] == 1


def test_an_expired_signal_places_no_order(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    r = signal(signals, headers, signal_id="old", expires_at="2026-11-25T09:59:00")  # naive = Shanghai time
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["decision"] == "expired" and data["order"] is None and "过期" in data["reason"]
    later = signal(signals, headers, signal_id="fresh", expires_at="2026-11-25T11:00:00+08:00")
    assert later.json()["data"]["decision"] == "executed"
    assert signals.http.get(f"{API}/trading/orders", headers=headers).json()["data"]["total"] == 1


def test_selling_what_is_not_held_is_skipped(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    r = signal(
        signals, headers, path="/signals", signal_id="sell-1", stock_code="000001.SZ", action="sell", sizing=None
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["decision"] == "skipped" and data["order"] is None and data["quantity"] == 0
    assert data["reason"].startswith("无可卖持仓") and data["stock_code"] == "000001.SZ"
    en = signal(
        signals,
        {**headers, "Accept-Language": "en"},
        signal_id="sell-2",
        stock_code="000001.SZ",
        action="close",
        sizing=None,
    )
    assert en.json()["data"]["reason"].startswith("No sellable position")


def test_close_sells_all_sellable_shares_after_t1(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    assert signal(signals, headers, signal_id="b1", sizing={"method": "quantity", "value": 1000}).status_code == 201
    today = signal(signals, headers, signal_id="c1", action="close")
    assert today.json()["data"]["decision"] == "skipped" and "T+1" in today.json()["data"]["reason"]

    signals.advance(headers, days=1, at="10:00")
    half = signal(
        signals, headers, signal_id="p1", action="sell", sizing={"method": "position_pct", "value": "0.25"}
    ).json()["data"]
    assert half["decision"] == "executed" and half["quantity"] == 200  # 250 -> a round lot
    assert half["order"]["side"] == "sell" and half["order"]["price"] == "11.49"  # the best bid
    close = signal(signals, headers, signal_id="c2", action="close").json()["data"]
    assert close["decision"] == "executed" and close["quantity"] == 800 and close["order"]["status"] == "filled"
    assert signals.http.get(f"{API}/trading/positions", headers=headers).json()["data"] == []


def test_target_pct_buys_up_to_the_weight_and_a_given_price_is_used(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    r = signal(signals, headers, signal_id="t1", price="11.505", sizing={"method": "target_pct", "value": "0.02"})
    data = r.json()["data"]
    # 2% of 1,000,000 = 20000 at 11.50 (the price rounded down to the tick for a buy) -> 1739 -> 1700.
    assert data["decision"] == "executed" and data["quantity"] == 1700 and data["order"]["price"] == "11.50"
    at_target = signal(signals, headers, signal_id="t2", sizing={"method": "target_pct", "value": "0.01"}).json()
    assert at_target["data"]["decision"] == "skipped" and "无需买入" in at_target["data"]["reason"]


def test_a_refused_order_is_denied_with_its_error_and_order(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    signals.advance(headers, to="2026-11-25T16:00:00+08:00")
    r = signal(signals, headers, signal_id="late")
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["decision"] == "denied" and data["error"] == "MARKET_CLOSED" and data["reason"]
    assert data["order"]["status"] == "denied" and data["order"]["error"] == "MARKET_CLOSED"
    replay = signal(signals, headers, signal_id="late").json()["data"]
    assert replay["decision"] == "duplicate" and replay["original_decision"] == "denied"
    assert replay["error"] == "MARKET_CLOSED" and replay["order"]["order_id"] == data["order"]["order_id"]


def test_a_price_outside_the_cage_is_denied(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    data = signal(signals, headers, signal_id="cage", price="12.00").json()["data"]
    assert data["decision"] == "denied" and data["error"] == "PRICE_CAGE" and data["order"]["status"] == "denied"


def test_an_unknown_code_is_denied_without_an_order(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    data = signal(signals, headers, signal_id="bad", stock_code="999999.SZ").json()["data"]
    assert data["decision"] == "denied" and data["error"] in {"INVALID_STOCK_CODE", "UNKNOWN_INSTRUMENT"}
    assert data["order"] is None


def test_ten_concurrent_identical_signals_make_one_order(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(lambda _: signal(signals, headers, signal_id="burst"), range(10)))
    decisions = sorted(r.json()["data"]["decision"] for r in responses)
    assert decisions == ["duplicate"] * 9 + ["executed"]
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["data"]["order"]["order_id"] for r in responses}) == 1
    orders = signals.http.get(f"{API}/trading/orders", headers=headers).json()["data"]
    assert orders["total"] == 1
    listed = signals.http.get(f"{API}/signals", headers=headers).json()["data"]
    assert listed["total"] == 1 and listed["items"][0]["replays"] == 9


def test_signals_are_listed_newest_first_with_filters(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    signal(signals, headers, signal_id="a", strategy_name="alpha")
    signal(signals, headers, signal_id="b", strategy_name="beta", stock_code="000001.SZ", action="sell", sizing=None)
    signal(signals, headers, signal_id="c", strategy_name="alpha", expires_at="2026-11-25T09:00:00+08:00")

    reader = signals.login()  # listing needs no trade token
    page = signals.http.get(f"{API}/signals", headers=reader).json()["data"]
    assert page["total"] == 3 and page["page"] == 1 and page["page_size"] == 20
    assert [s["signal_id"] for s in page["items"]] == ["c", "b", "a"]
    first = page["items"][2]
    assert first["decision"] == "executed" and first["order"]["order_id"] == first["order_id"]
    assert first["sizing"] == {"method": "amount", "value": "10000"} and first["source"] == "api"
    assert first["created_at"].endswith("+08:00") and first["decided_at"]

    def ids(**params: str) -> list[str]:
        r = signals.http.get(f"{API}/signals", params=params, headers=reader)
        assert r.status_code == 200, r.text
        return [s["signal_id"] for s in r.json()["data"]["items"]]

    assert ids(strategy_name="alpha") == ["c", "a"]
    assert ids(stock_code="000001") == ["b"]
    assert ids(decision="skipped,expired") == ["c", "b"]
    assert ids(page="2", page_size="2") == ["a"]
    bad = signals.http.get(f"{API}/signals", params={"decision": "maybe"}, headers=reader)
    assert bad.status_code == 422 and bad.json()["error"] == "VALIDATION_ERROR"

    one = signals.http.get(f"{API}/signals/b", headers=reader)
    assert one.status_code == 200 and one.json()["data"]["decision"] == "skipped"
    missing = signals.http.get(f"{API}/signals/zzz", headers=reader)
    assert missing.status_code == 404 and missing.json()["error"] == "SIGNAL_NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {"sizing": None},  # a buy needs sizing
        {"sizing": {"method": "position_pct", "value": "0.5"}},  # sells only
        {"sizing": {"method": "quantity", "value": "150.5"}},
        {"sizing": {"method": "equity_pct", "value": "2"}},
        {"signal_id": "x" * 61},
        {"signal_id": "has space"},
        {"action": "hold"},
        {"price": "0"},
        {"strategy_name": ""},
    ],
)
def test_malformed_signals_are_validation_errors(signals: DeskClient, body: dict[str, Any]) -> None:
    headers = signals.trade_headers()
    r = signal(signals, headers, **body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "VALIDATION_ERROR"
    assert signals.http.get(f"{API}/signals", headers=headers).json()["data"]["total"] == 0


def test_executing_needs_a_trade_token(signals: DeskClient) -> None:
    r = signal(signals, signals.login())
    assert r.status_code == 403 and r.json()["error"] == "TRADE_LOCKED"


def _set_pending(client: DeskClient, signal_id: str) -> None:
    with client.desk.session_factory() as session:
        session.execute(update(SignalRow).where(SignalRow.signal_id == signal_id).values(decision="pending"))
        session.commit()


def test_a_claim_left_pending_after_its_order_was_sent_resumes_with_that_order(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    first = signal(signals, headers, signal_id="crash", sizing={"method": "target_pct", "value": "0.02"}).json()
    assert first["data"]["decision"] == "executed"
    _set_pending(signals, "crash")  # as if the process stopped between the order and the decision

    r = signal(signals, headers, signal_id="crash", sizing={"method": "target_pct", "value": "0.02"})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    # Sized again, the filled order would make it "at target"; the resumed decision keeps the order instead.
    assert data["decision"] == "executed" and data["order"]["order_id"] == first["data"]["order"]["order_id"]
    assert "恢复" in data["reason"]
    assert signals.http.get(f"{API}/trading/orders", headers=headers).json()["data"]["total"] == 1


def test_a_claim_left_pending_before_any_order_is_decided_on_replay(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    assert signal(signals, headers, signal_id="early", action="close").json()["data"]["decision"] == "skipped"
    _set_pending(signals, "early")
    data = signal(signals, headers, signal_id="early", action="close").json()["data"]
    assert data["decision"] == "skipped" and data["order"] is None


def test_a_client_order_id_taken_by_another_order_is_never_adopted(signals: DeskClient) -> None:
    headers = signals.trade_headers()
    manual = signals.order(headers, client_order_id="sig-taken", price="11.40")
    assert manual.status_code == 201
    data = signal(signals, headers, signal_id="taken").json()["data"]
    assert data["decision"] == "denied" and data["error"] == "DUPLICATE_CLIENT_ORDER_ID" and data["order"] is None
