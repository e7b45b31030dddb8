"""The WebSocket of API.md: auth as the first message, pings, live order/trade streams, since_seq replay, quotes."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from starlette.websockets import WebSocketDisconnect

import qmtdesk.api.ws
from tests.api.conftest import API, DeskClient

WS = f"{API}/ws"
WAIT = 5.0  # seconds before a missing message fails the test instead of hanging it


def receive(ws: Any, timeout: float = WAIT) -> dict[str, Any]:
    """The next JSON message, or WebSocketDisconnect when the server closed; fails after ``timeout``."""

    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))
    return dict(json.loads(message["text"]))


def authenticate(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"action": "auth", "token": token})
    reply = receive(ws)
    assert reply["type"] == "auth_ok", reply
    return reply


def subscribe(
    ws: Any, streams: list[str], since_seq: int | str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Subscribe; returns the messages that came before the ``subscribed`` acknowledgement (a replay) and the ack."""
    request: dict[str, Any] = {"action": "subscribe", "streams": streams}
    if since_seq is not None:
        request["since_seq"] = since_seq
    ws.send_json(request)
    before = []
    while True:
        message = receive(ws)
        if message.get("type") == "subscribed":
            return before, message
        before.append(message)


def bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_no_auth_message_in_time_closes_with_4401(desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qmtdesk.api.ws, "AUTH_TIMEOUT", 0.2)
    with desk_client.http.websocket_connect(WS) as ws, pytest.raises(WebSocketDisconnect) as closed:
        receive(ws)
    assert closed.value.code == 4401


def test_bad_token_or_other_first_message_closes_with_4401(desk_client: DeskClient) -> None:
    with desk_client.http.websocket_connect(WS) as ws:
        ws.send_json({"action": "auth", "token": "not-a-token"})
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:  # an error message may precede the close
                message = receive(ws)
                assert message.get("type") != "auth_ok", message
    assert closed.value.code == 4401
    with desk_client.http.websocket_connect(WS) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.send_json({"action": "ping"})
        receive(ws)
    assert closed.value.code == 4401


def test_auth_ok_ping_pong_and_api_token_auth(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        ws.send_json({"action": "ping"})
        assert receive(ws)["type"] == "pong"
    created = desk_client.http.post(f"{API}/auth/api-tokens", json={"name": "ws", "scopes": ["read"]}, headers=headers)
    assert created.status_code == 201, created.text
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, created.json()["data"]["token"])
        ws.send_json({"action": "ping"})
        assert receive(ws)["type"] == "pong"


def collect_until_filled(ws: Any, order_id: int) -> list[dict[str, Any]]:
    """Stream messages until the order is filled and its fill has arrived on "trades"."""
    messages: list[dict[str, Any]] = []
    filled = traded = False
    while not (filled and traded):
        message = receive(ws)
        if message.get("type") == "ping":
            continue
        assert message.get("stream") in ("orders", "trades"), message
        messages.append(message)
        if message["data"].get("order_id") != order_id:
            continue
        if message["stream"] == "orders" and message["data"]["status"] == "filled":
            filled = True
        if message["stream"] == "trades":
            traded = True
    return messages


def statuses(messages: list[dict[str, Any]]) -> list[str]:
    """The order statuses in stream order, consecutive repeats folded."""
    out: list[str] = []
    for m in messages:
        if m["stream"] == "orders" and (not out or out[-1] != m["data"]["status"]):
            out.append(m["data"]["status"])
    return out


def test_order_events_stream_live_and_replay_with_since_seq(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    token = bearer(headers)
    # An earlier order, so the replay below has something it must leave out.
    earlier = desk_client.order(headers, price="11.40")
    assert earlier.status_code == 201, earlier.text

    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, token)
        replayed, ack = subscribe(ws, ["orders", "trades"])
        assert replayed == [] and {"orders", "trades"} <= set(ack["streams"])
        placed = desk_client.order(headers)
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["data"]["order"]["order_id"]
        live = collect_until_filled(ws, order_id)

    assert all(m["data"]["order_id"] == order_id for m in live), live
    seqs = [m["seq"] for m in live]
    assert all(isinstance(s, int) for s in seqs) and seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for m in live:
        assert isinstance(m["time"], str) and m["time"]
    order_statuses = statuses(live)
    assert order_statuses[-1] == "filled"
    subsequence = [s for s in order_statuses if s in ("submitted", "accepted", "filled")]
    assert subsequence == ["submitted", "accepted", "filled"], order_statuses
    [fill] = [m for m in live if m["stream"] == "trades"]
    assert fill["data"]["quantity"] == 100 and fill["data"]["price"] == "11.51"
    assert fill["data"]["stock_code"] == "600000.SH"
    last_order = [m for m in live if m["stream"] == "orders"][-1]
    assert last_order["data"]["filled_quantity"] == 100 and last_order["data"]["avg_fill_price"] == "11.5100"

    # A reconnecting client gets exactly what it missed, in order, before the acknowledgement.
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, token)
        replayed, ack = subscribe(ws, ["orders", "trades"], since_seq=seqs[0] - 1)
        assert ack["replayed"] == len(replayed)
        assert [(m["stream"], m["seq"], m["data"]) for m in replayed] == [
            (m["stream"], m["seq"], m["data"]) for m in live
        ]

    # Only the orders stream: the fill is not replayed; nothing after the last seq.
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, token)
        only_orders, _ = subscribe(ws, ["orders"], since_seq=seqs[0] - 1)
        assert [m["seq"] for m in only_orders] == [m["seq"] for m in live if m["stream"] == "orders"]
        nothing_new, _ = subscribe(ws, ["trades"], since_seq=seqs[-1])
        assert nothing_new == []

    # since_seq written as text (a client building its JSON from strings) replays the same
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, token)
        as_text, _ = subscribe(ws, ["orders", "trades"], since_seq=str(seqs[0] - 1))
        assert [m["seq"] for m in as_text] == seqs
        # what cannot be a seq replays nothing and keeps the connection
        for odd in ("²", "9" * 5000, 10**30, -1, "abc"):
            nothing, ack = subscribe(ws, ["orders"], since_seq=odd)  # type: ignore[arg-type]
            assert nothing == [] and ack["type"] == "subscribed", odd


def test_quote_stream_delivers_quotes_for_the_subscribed_codes(desk_client: DeskClient) -> None:
    headers = desk_client.login()
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        _, ack = subscribe(ws, ["quotes:600000.SH"])
        assert "quotes:600000.SH" in ack["streams"]
        quote = receive(ws)
        assert quote["stream"] == "quotes:600000.SH", quote
        data = quote["data"]
        assert data["stock_code"] == "600000.SH" and data["last_price"] == "11.50" and data["source"] == "paper"
        assert len(data["bid"]) == 5 and len(data["ask"]) == 5

        # Codes are normalised, and several may be given at once.
        _, ack = subscribe(ws, ["quotes:sz000001,600036"])
        assert {"quotes:000001.SZ", "quotes:600036.SH"} <= set(ack["streams"])
        received = {receive(ws)["data"]["stock_code"] for _ in range(2)}
        assert received == {"000001.SZ", "600036.SH"}


def _next_on(ws: Any, stream: str) -> dict[str, Any]:
    while True:
        message = receive(ws)
        if message.get("stream") == stream:
            return message


def test_account_and_positions_are_pushed_after_a_fill_to_their_subscribers(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        subscribe(ws, ["account", "positions"])
        r = desk_client.order(headers, price="11.51", quantity=100)
        assert r.status_code == 201 and r.json()["data"]["order"]["status"] == "filled", r.text
        seen: dict[str, Any] = {}
        while len(seen) < 2:
            message = receive(ws)
            if message.get("stream") in ("account", "positions"):
                seen[message["stream"]] = message["data"]
        positions = seen["positions"]["items"]
        assert [(p["stock_code"], p["volume"], p["can_use_volume"]) for p in positions] == [("600000.SH", 100, 0)]
        assert seen["account"]["market_value"] not in (None, "0.00")


def test_account_and_positions_are_not_built_while_nobody_subscribed_to_them(
    desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = desk_client.desk
    built: list[bool] = []
    real = desk.jobs.publish_account

    async def counting() -> None:
        built.append(True)
        await real()

    monkeypatch.setattr(desk.jobs, "publish_account", counting)
    headers = desk_client.trade_headers()
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        subscribe(ws, ["trades"])
        r = desk_client.order(headers, price="11.51", quantity=100)
        assert r.status_code == 201, r.text
        assert _next_on(ws, "trades")["data"]["stock_code"] == "600000.SH"
        anyio.run(anyio.sleep, 0.6)  # past the 0.25 s coalescing of account pushes
        assert built == []
        subscribe(ws, ["account"])
        r = desk_client.order(headers, price="11.51", quantity=100)
        assert r.status_code == 201, r.text
        assert _next_on(ws, "account")["stream"] == "account"
        assert built


def test_a_subscription_for_an_unknown_account_is_refused_with_ACCOUNT_NOT_FOUND(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(auth))
        ws.send_json({"action": "subscribe", "streams": ["orders"], "account_id": "NOPE"})
        refused = receive(ws)
        assert (refused["type"], refused["error"]) == ("error", "ACCOUNT_NOT_FOUND")
        ws.send_json({"action": "subscribe", "streams": ["orders"], "account_id": 7})
        assert receive(ws)["error"] == "VALIDATION_ERROR"
        _, ack = subscribe(ws, ["trades"])  # nothing of the refused subscriptions was kept
        assert ack["streams"] == ["trades"]
        assert ack["account_id"] == "PAPER"


def test_a_subscription_naming_the_default_account_gets_its_orders(desk_client: DeskClient) -> None:
    headers = desk_client.trade_headers()
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        ws.send_json({"action": "subscribe", "streams": ["orders"], "account_id": "PAPER"})
        ack = receive(ws)
        assert (ack["type"], ack["account_id"], ack["streams"]) == ("subscribed", "PAPER", ["orders"])
        placed = desk_client.order(headers)
        assert placed.status_code == 201, placed.text
        message = receive(ws)
        assert message["stream"] == "orders"
        assert message["data"]["account_id"] == "PAPER"


def test_every_documented_stream_is_accepted_and_an_algo_order_is_pushed_on_algo_orders(
    desk_client: DeskClient,
) -> None:
    documented = ["orders", "trades", "account", "positions", "status", "risk", "signals"]
    documented += ["conditional_orders", "algo_orders"]
    headers = desk_client.trade_headers()
    r = desk_client.http.post(f"{API}/paper/quotes/600000.SH", json={"last_price": "11.60"}, headers=headers)
    assert r.status_code == 200, r.text
    with desk_client.http.websocket_connect(WS) as ws:
        authenticate(ws, bearer(headers))
        _, ack = subscribe(ws, documented)
        assert ack["unknown"] == [] and set(documented) <= set(ack["streams"]), ack
        body = {"stock_code": "600000.SH", "side": "buy", "quantity": 1000, "algo": "twap"}
        body |= {"end_at": "2026-11-25T10:10:00+08:00", "interval_seconds": 60}
        r = desk_client.http.post(f"{API}/trading/algo-orders", json=body, headers=headers)
        assert r.status_code == 201, r.text
        pushed = _next_on(ws, "algo_orders")["data"]
        assert pushed["id"] == r.json()["data"]["id"] and pushed["algo"] == "twap", pushed
