"""Every refusal reads as Chinese in the zh-CN envelope and names the field it is about."""

from __future__ import annotations

import re

from tests.api.conftest import API, DeskClient

_LATIN_SENTENCE = re.compile(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}")


def _assert_reads_as_chinese(message: str) -> None:
    assert re.search(r"[\u4e00-\u9fff]", message), message
    assert not _LATIN_SENTENCE.search(message), f"an English phrase inside the zh message: {message}"
    assert "Value error" not in message, message


def test_garbage_json_names_the_body_not_a_character_offset(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.http.post(
        f"{API}/trading/order",
        content=b'{"stock_code": "600000.SH", "side": ',
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["message"] == "请求参数有误：请求体（不是有效的 JSON）", body
    assert body["data"]["fields"][0]["field"] == "" and body["data"]["fields"][0]["location"] == "body"


def test_missing_and_mistyped_fields_are_named_with_a_chinese_reason(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.http.post(
        f"{API}/trading/order", json={"stock_code": "600000.SH", "side": "hold", "quantity": "many"}, headers=headers
    )
    body = r.json()
    assert r.status_code == 422 and body["error"] == "VALIDATION_ERROR"
    assert "side（应为以下之一：'buy'、'sell'）" in body["message"], body["message"]
    assert "quantity（应为整数）" in body["message"], body["message"]
    _assert_reads_as_chinese(body["message"])
    for field in body["data"]["fields"]:
        _assert_reads_as_chinese(field["message"])


def test_a_validator_refusal_reads_as_chinese_and_english_on_request(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, price="1e10")
    assert r.status_code == 422 and r.json()["message"] == "请求参数有误：price（价格超出范围）"
    english = desk_client.order({**headers, "Accept-Language": "en"}, price="1e10")
    assert english.json()["message"] == "Invalid request: price (price is out of range)"


def test_a_buy_signal_without_sizing_names_the_sizing_field_in_chinese(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    signal = {"signal_id": "s-1", "stock_code": "600000.SH", "action": "buy", "strategy_name": "manual"}
    r = desk_client.http.post(f"{API}/signals", json=signal, headers=headers)
    body = r.json()
    assert r.status_code == 422 and body["error"] == "VALIDATION_ERROR", body
    assert body["message"] == (
        "信号的 sizing 无效：买入信号须给出 sizing（method 与 value），或先在实时监测中为该股票设置 sizing"
    ), body
    assert body["data"]["fields"][0]["field"] == "sizing"


def test_cancelling_a_final_order_names_its_status_in_chinese(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    resting = desk_client.order(headers, price="11.40").json()["data"]["order"]
    desk_client.http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=headers)
    again = desk_client.http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "ORDER_NOT_CANCELABLE"
    assert again.json()["message"] == "委托已是终态（已撤），不能撤单"


def test_a_price_with_more_decimals_than_the_ledger_keeps_is_refused_before_it_is_stored(
    desk_client: DeskClient,
) -> None:
    headers = desk_client.trade_headers()
    r = desk_client.order(headers, price="11.55555", client_order_id="long-price")
    assert r.status_code == 422 and r.json()["message"] == "请求参数有误：price（价格最多 4 位小数）"
    orders = desk_client.http.get(f"{API}/trading/orders", headers=headers).json()["data"]
    assert orders["total"] == 0
