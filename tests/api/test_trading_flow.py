"""End-to-end trading over HTTP on the paper broker: the spine of the desk."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from tests.api.conftest import API, DeskClient


def test_buy_fills_and_shows_in_positions_account_and_trades(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, price="11.60")
    assert r.status_code == 201, r.text
    order = r.json()["data"]["order"]
    assert order["status"] == "filled" and order["status_code"] == 56
    assert order["filled_quantity"] == 100 and order["avg_fill_price"] == "11.5100"
    assert order["fees"] == "5.01" and order["stock_name"] == "浦发银行"

    [position] = desk_client.http.get(f"{API}/trading/positions", headers=headers).json()["data"]
    assert position["volume"] == 100 and position["can_use_volume"] == 0  # T+1
    account = desk_client.http.get(f"{API}/trading/account", headers=headers).json()["data"]
    assert account["cash"] == "998843.99" and account["market_value"] == "1150.00"
    trades = desk_client.http.get(f"{API}/trading/trades", headers=headers).json()["data"]
    assert trades["total"] == 1 and trades["items"][0]["price"] == "11.51"
    assert desk_client.http.get(f"{API}/trading/records", headers=headers).json()["data"]["total"] == 1


def test_t1_blocks_a_same_day_sell_and_allows_it_next_day(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    assert desk_client.order(headers).json()["data"]["order"]["status"] == "filled"
    refused = desk_client.order(headers, side="sell", price="11.49")
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "INSUFFICIENT_POSITION" and "下一交易日" in body["message"]
    assert body["data"]["order"]["status"] == "denied"

    clock = desk_client.advance(headers, days=1, at="09:31")
    assert clock["trading_day"] == "2026-11-26" and clock["market_phase"] == "continuous"
    sold = desk_client.order(headers, side="sell", price="11.49")
    assert sold.status_code == 201 and sold.json()["data"]["order"]["status"] == "filled"
    assert desk_client.http.get(f"{API}/trading/positions", headers=headers).json()["data"] == []


def test_resting_order_can_be_cancelled_and_a_final_order_cannot(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    resting = desk_client.order(headers, price="11.40").json()["data"]["order"]
    assert resting["status"] == "accepted" and resting["frozen_amount"] == "1145.01"
    r = desk_client.http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=headers)
    assert r.status_code == 200 and r.json()["data"]["order"]["status"] == "canceled"
    again = desk_client.http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "ORDER_NOT_CANCELABLE"
    detail = desk_client.http.get(f"{API}/trading/orders/{resting['order_id']}", headers=headers).json()["data"]
    assert [e["status"] for e in detail["events"] if e["stream"] == "orders"][-1] == "canceled"
    assert "accepted" in [e["status"] for e in detail["events"]]


def test_cancel_all_cancels_every_open_order(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    for price in ("11.40", "11.41", "11.42"):
        desk_client.order(headers, price=price)
    r = desk_client.http.post(f"{API}/trading/orders/cancel-all", json={}, headers=headers)
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["requested"] == 3 and {o["status"] for o in data["orders"]} == {"canceled"}
    open_orders = desk_client.http.get(f"{API}/trading/orders?status=open", headers=headers).json()["data"]
    assert open_orders["total"] == 0


def test_same_client_order_id_returns_the_same_order_and_a_different_payload_conflicts(
    desk_client: DeskClient,
) -> None:
    headers = desk_client.trade_headers()
    first = desk_client.order(headers, client_order_id="abc-1", price="11.40")
    assert first.status_code == 201
    again = desk_client.order(headers, client_order_id="abc-1", price="11.40")
    assert again.status_code == 200
    assert again.json()["data"]["order"]["order_id"] == first.json()["data"]["order"]["order_id"]
    other = desk_client.order(headers, client_order_id="abc-1", price="11.41")
    assert other.status_code == 409 and other.json()["error"] == "DUPLICATE_CLIENT_ORDER_ID"
    by_id = desk_client.http.get(f"{API}/trading/orders/by-client-id/abc-1", headers=headers).json()["data"]
    assert by_id["order_id"] == first.json()["data"]["order"]["order_id"]


def test_twenty_concurrent_identical_submissions_make_exactly_one_order(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()

    def submit(_: int) -> int:
        return int(desk_client.order(headers, client_order_id="burst-1", price="11.40").status_code)

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(submit, range(20)))
    assert sorted(set(codes)) in ([200, 201], [201])
    assert codes.count(201) == 1
    orders = desk_client.http.get(f"{API}/trading/orders", headers=headers).json()["data"]
    assert orders["total"] == 1


def test_orders_list_filters_and_paginates_newest_first(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    desk_client.order(headers, price="11.51")
    desk_client.order(headers, price="11.40")
    desk_client.order(headers, stock_code="000001", price="11.61")
    page = desk_client.http.get(f"{API}/trading/orders?page=1&page_size=2", headers=headers).json()["data"]
    assert page["total"] == 3 and page["page_size"] == 2 and len(page["items"]) == 2
    assert page["items"][0]["order_id"] > page["items"][1]["order_id"]
    sz = desk_client.http.get(f"{API}/trading/orders?stock_code=000001", headers=headers).json()["data"]
    assert [o["stock_code"] for o in sz["items"]] == ["000001.SZ"]
    finished = desk_client.http.get(f"{API}/trading/orders?status=finished", headers=headers).json()["data"]
    assert {o["status"] for o in finished["items"]} == {"filled"}
    bad = desk_client.http.get(f"{API}/trading/orders?status=bogus", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "VALIDATION_ERROR"


def test_invalid_code_is_stored_as_denied_with_invalid_stock_code(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, stock_code="ABC")
    assert r.status_code == 422 and r.json()["error"] == "INVALID_STOCK_CODE"
    assert r.json()["data"]["order"]["status"] == "denied"
    unknown = desk_client.order(headers, stock_code="600001")
    assert unknown.status_code == 422 and unknown.json()["error"] == "UNKNOWN_INSTRUMENT"


def test_english_messages_on_request(desk_client: DeskClient) -> None:
    headers = {**desk_client.trade_headers(), "Accept-Language": "en-US"}
    r = desk_client.order(headers, quantity=150)
    assert r.json()["error"] == "LOT_SIZE" and r.json()["message"].startswith("Buy quantity")


def test_bad_bodies_are_validation_errors_never_500(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    for body in ({"quantity": "lots"}, {"side": "short"}, {"price": "NaN"}, {"price_type": "stop"}):
        r = desk_client.order(headers, **body)
        assert r.status_code == 422 and r.json()["error"] == "VALIDATION_ERROR", (body, r.text)
    r = desk_client.http.post(f"{API}/trading/order", content=b"{not json", headers=headers)
    assert r.status_code == 422


def test_status_and_health(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    status = desk_client.http.get(f"{API}/trading/status", headers=headers).json()["data"]
    assert status["connected"] and status["state"] == "connected" and status["market_phase"] == "continuous"
    assert status["broker"] == "paper" and status["trading_day"] == "2026-11-25"
    health = desk_client.http.get(f"{API}/health").json()["data"]
    assert health == {"status": "ok", "version": health["version"], "broker": "paper", "broker_connected": True}


def test_an_order_denied_for_its_tick_keeps_the_price_the_client_sent(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, price="11.555", client_order_id="off-tick")
    assert r.status_code == 422 and r.json()["error"] == "PRICE_TICK"
    assert r.json()["data"]["order"]["price"] == "11.555"
    stored = desk_client.http.get(f"{API}/trading/orders", headers=headers).json()["data"]["items"]
    assert [o["price"] for o in stored] == ["11.555"]
    order_id = stored[0]["order_id"]
    detail = desk_client.http.get(f"{API}/trading/orders/{order_id}", headers=headers).json()["data"]
    assert detail["price"] == "11.555" and detail["status"] == "denied"
    # A price on the tick still shows the tick's two decimals.
    on_tick = desk_client.order(headers, price="11.6", client_order_id="on-tick").json()["data"]["order"]
    assert on_tick["price"] == "11.60"


def test_account_pnl_counts_realised_and_floating_with_fees_today_and_since_start(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    start = Decimal("1000000")

    def account() -> dict[str, Any]:
        return dict(desk_client.http.get(f"{API}/trading/account", headers=headers).json()["data"])

    assert desk_client.order(headers, price="11.60").json()["data"]["order"]["fees"] == "5.01"
    [position] = desk_client.http.get(f"{API}/trading/positions", headers=headers).json()["data"]
    # The position's cost is what the buy paid, fees included: 1,151.00 + 5.01.
    assert position["avg_price"] == "11.5601" and position["market_value"] == "1150.00"
    assert position["profit"] == "-6.01"
    held = account()
    assert held["floating_profit"] == "-6.01" and held["realized_profit"] == "0.00"
    assert held["total_profit"] == "-6.01" == str(Decimal(held["total_asset"]) - start)
    assert held["today_profit"] == "-6.01" and held["today_realized_profit"] == "0.00"
    assert held["today_floating_profit"] == "-6.01"

    desk_client.advance(headers, days=1, at="09:31")
    day_start = Decimal(account()["total_asset"])
    sold = desk_client.order(headers, side="sell", price="11.49").json()["data"]["order"]
    assert sold["status"] == "filled"
    flat = account()
    loss = Decimal(flat["total_asset"]) - start
    assert loss < 0
    # A losing round trip: the loss is realised, with the fees of both sides in it.
    assert Decimal(flat["realized_profit"]) == loss == Decimal(flat["total_profit"])
    assert loss == Decimal("1149.00") - Decimal("1156.01") - Decimal(sold["fees"])
    assert flat["floating_profit"] == "0.00"
    assert Decimal(flat["today_profit"]) == Decimal(flat["total_asset"]) - day_start
    assert Decimal(flat["today_realized_profit"]) == loss
    assert Decimal(flat["today_floating_profit"]) == Decimal(flat["today_profit"]) - loss


def test_a_latest_order_is_recorded_and_shown_as_a_limit_at_the_last_price(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, price_type="latest", price=None)
    assert r.status_code == 201, r.text
    order = r.json()["data"]["order"]
    assert (order["price_type"], order["price"], order["status"]) == ("latest", "11.50", "accepted"), order
    # a price sent with it is not the one used: the last price is (11.50, a tick under the ask: it rests)
    r = desk_client.order(headers, price_type="latest", price="11.60")
    assert r.status_code == 201 and r.json()["data"]["order"]["price"] == "11.50", r.text
    listed = desk_client.http.get(f"{API}/trading/orders", headers=headers).json()["data"]["items"]
    assert [o["price"] for o in listed] == ["11.50", "11.50"]
