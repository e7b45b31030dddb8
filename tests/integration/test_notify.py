"""Webhook notifications against a real local HTTP server: bodies per format, retries, masking, the bus."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.notify import Notifier
from qmtdesk.oms.bus import Event, EventBus

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 25, 10, 0, 5, tzinfo=SHANGHAI)
TRADE = {
    "trade_id": 7,
    "order_id": 3,
    "stock_code": "600000.SH",
    "stock_name": "浦发银行",
    "side": "buy",
    "price": "10.50",
    "quantity": 100,
    "amount": "1050.00",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Hook:
    """A webhook receiver: records each request, answers from a script of (status, body) replies."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/cgi-bin/webhook/send?key=SECRET") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["body"] for r in self.requests]


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            with state.lock:
                state.requests.append(
                    {"path": self.path, "content_type": self.headers.get("Content-Type"), "body": json.loads(raw)}
                )
                status, reply = state.replies.pop(0) if state.replies else (200, {"errcode": 0, "errmsg": "ok"})
            if state.delay:
                time.sleep(state.delay)
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the default prints the path
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def make(url: str | None, fmt: str = "json", **kwargs: Any) -> Notifier:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", 2.0)
    return Notifier(url, fmt, **kwargs)  # type: ignore[arg-type]


async def test_json_body(hook: Hook) -> None:
    notifier = make(hook.url())
    assert await notifier.notify("fill", "成交：买入 浦发银行(600000.SH) 100股 @ 10.50", TRADE, NOW)
    await notifier.close()
    assert len(hook.requests) == 1
    request = hook.requests[0]
    assert request["path"] == "/cgi-bin/webhook/send?key=SECRET"
    assert request["content_type"].startswith("application/json")
    assert request["body"] == {
        "kind": "fill",
        "title": "成交：买入 浦发银行(600000.SH) 100股 @ 10.50",
        "time": "2026-11-25T10:00:05+08:00",
        "data": TRADE,
    }


@pytest.mark.parametrize(
    ("fmt", "shape"),
    [
        ("wecom", lambda body: (body["msgtype"], body["text"]["content"])),
        ("dingtalk", lambda body: (body["msgtype"], body["text"]["content"])),
        ("feishu", lambda body: (body["msg_type"], body["content"]["text"])),
    ],
)
async def test_platform_text_bodies(hook: Hook, fmt: str, shape: Any) -> None:
    notifier = make(hook.url(), fmt)
    await notifier.notify("fill", "成交：买入 浦发银行(600000.SH) 100股 @ 10.50", TRADE, NOW)
    await notifier.close()
    (body,) = hook.bodies()
    assert set(body) == ({"msg_type", "content"} if fmt == "feishu" else {"msgtype", "text"})
    msgtype, content = shape(body)
    assert msgtype == "text"
    assert content.splitlines() == [
        "【qmtdesk·成交】成交：买入 浦发银行(600000.SH) 100股 @ 10.50",
        "代码：600000.SH",
        "名称：浦发银行",
        "方向：买入",
        "价格：10.50",
        "数量：100",
        "金额：1050.00",
        "委托编号：3",
        "时间：2026-11-25 10:00:05",
    ]


async def test_retries_after_500_then_succeeds_and_never_logs_the_secret(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hook.replies = [(500, {}), (503, {}), (200, {"errcode": 0})]
    url = hook.url("/cgi-bin/webhook/send?key=SECRET&access_token=SECRET2")
    notifier = make(url, "wecom", retries=3)
    await notifier.notify("halt", "交易暂停：日内亏损超限", {"reason": "daily_loss"}, NOW)
    await notifier.close()
    assert len(hook.requests) == 3
    assert all(r["path"].endswith("key=SECRET&access_token=SECRET2") for r in hook.requests)
    text = caplog.text
    assert "retry 1/3" in text and "retry 2/3" in text and "delivered" in text
    assert "HTTP Request" in text  # httpx's own request lines were captured ...
    assert "SECRET" not in text and "cgi-bin" not in text  # ... and masked like ours
    assert f"http://127.0.0.1:{hook.port}" in text
    assert "SECRET" not in repr(notifier)


async def test_gives_up_after_the_retries_and_does_not_retry_refusals(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    hook.replies = [(500, {})] * 3 + [(403, {}), (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    notifier = make(hook.url(), "wecom", retries=2)
    await notifier.notify("denial", "风控拒绝：单笔金额超限", {"rule": "max_order_value"}, NOW)
    await notifier.flush(5)
    assert len(hook.requests) == 3  # 1 + 2 retries
    assert "gave up on the denial notification after 3 tries (HTTP 500)" in caplog.text
    await notifier.notify("denial", "风控拒绝", {"rule": "max_order_value"}, NOW)  # 403: not retried
    await notifier.notify("denial", "风控拒绝", {"rule": "max_order_value"}, NOW)  # errcode: not retried
    await notifier.close()
    assert len(hook.requests) == 5
    assert "HTTP 403" in caplog.text and "errcode=93000 invalid webhook url" in caplog.text
    assert "SECRET" not in caplog.text


async def test_unreachable_webhook_retries_then_gives_up(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = make(f"http://127.0.0.1:{port}/hook/SECRETPATH?key=SECRET", retries=1)
    await notifier.notify("disconnect", "券商连接已断开", {"state": "disconnected"}, NOW)
    await notifier.close()
    assert "ConnectError" in caplog.text and "gave up" in caplog.text
    assert "SECRET" not in caplog.text


async def test_callers_never_wait_and_the_queue_is_bounded(hook: Hook) -> None:
    hook.delay = 0.3
    notifier = make(hook.url(), queue_size=2)
    assert await notifier.notify("fill", "成交 0", {"n": 0}, NOW)
    await asyncio.sleep(0.05)  # the worker takes it and waits on the slow server
    started = time.perf_counter()
    for i in range(1, 5):
        assert await notifier.notify("fill", f"成交 {i}", {"n": i}, NOW)
    assert time.perf_counter() - started < 0.1
    await notifier.close(timeout=10)
    # The first went straight to the worker; of the four queued behind it only the last two were kept.
    assert [b["title"] for b in hook.bodies()] == ["成交 0", "成交 3", "成交 4"]
    assert notifier.dropped == 2


async def test_disabled_notifier_is_a_no_op(hook: Hook) -> None:
    notifier = make(None)
    assert not notifier.enabled
    assert await notifier.notify("fill", "成交", TRADE, NOW) is False
    await notifier.close()
    assert hook.requests == []


async def test_bus_events_become_notifications(hook: Hook) -> None:
    bus = EventBus()
    notifier = make(hook.url())
    unsubscribe = notifier.subscribe(bus)
    order = {"order_id": 3, "stock_code": "600000.SH", "side": "sell", "quantity": 200, "status": "accepted"}
    events = [
        Event("status", {"state": "connecting", "connected": False, "message": ""}, NOW),  # start-up: quiet
        Event("status", {"state": "connected", "connected": True, "message": ""}, NOW),
        Event("orders", order, NOW, seq=1),
        Event("trades", TRADE, NOW, seq=2),
        Event("orders", {**order, "status": "rejected", "error_message": "可用股份不足"}, NOW, seq=3),
        Event("risk", {"kind": "denial", "rule": "max_order_value", "message": "单笔金额超过 50000"}, NOW),
        Event("risk", {"kind": "halt", "reason": "日内亏损超过 2%"}, NOW),
        Event("risk", {"kind": "resume", "reason": "人工恢复"}, NOW),
        Event("quotes:600000.SH", {"last_price": "10.50"}, NOW),
        Event("status", {"state": "reconnecting", "connected": False, "message": "MiniQMT 无响应"}, NOW),
        Event("status", {"state": "reconnecting", "connected": False, "message": "MiniQMT 无响应"}, NOW),  # repeat
        Event("status", {"state": "connected", "connected": True, "message": ""}, NOW),
        Event("status", {"state": "disconnected", "connected": False, "message": ""}, NOW),
    ]
    for event in events:
        bus.publish(event)
    unsubscribe()
    bus.publish(Event("trades", TRADE, NOW, seq=4))  # after unsubscribing: nothing
    await notifier.close()
    assert [(b["kind"], b["title"]) for b in hook.bodies()] == [
        ("fill", "成交：买入 浦发银行(600000.SH) 100股 @ 10.50"),
        ("rejection", "废单：卖出 600000.SH 200股，可用股份不足"),
        ("denial", "风控拒绝：单笔金额超过 50000"),
        ("halt", "交易暂停：日内亏损超过 2%"),
        ("disconnect", "券商连接重连中：MiniQMT 无响应"),
        ("disconnect", "券商连接已断开"),
    ]
    assert all(b["time"] == NOW.isoformat() for b in hook.bodies())


def test_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="format"):
        Notifier("http://127.0.0.1/x", "slack")  # type: ignore[arg-type]
    with pytest.raises(ValueError) as caught:
        Notifier("ftp://example.com/hook?key=SECRET")
    assert "SECRET" not in str(caught.value)


async def test_each_account_s_link_alerts_once_per_change_and_is_named(hook: Hook) -> None:
    bus = EventBus()
    notifier = make(hook.url())
    notifier.subscribe(bus)
    up = {"state": "connected", "connected": True, "message": ""}
    silent = {"state": "reconnecting", "connected": False, "message": "网关无响应（心跳超时）"}
    for event in (
        Event("status", up, NOW, account_id="PAPER"),
        Event("status", up, NOW, account_id="GW1"),
        Event("status", silent, NOW, account_id="GW1"),
        Event("status", silent, NOW, account_id="GW1"),  # the same state again: no second alert
        Event("status", silent, NOW, account_id="GW2"),  # another account's first change: its own alert
    ):
        bus.publish(event)
    await notifier.close()
    assert [b["title"] for b in hook.bodies()] == [
        "券商连接重连中（账户 GW1）：网关无响应（心跳超时）",
        "券商连接重连中（账户 GW2）：网关无响应（心跳超时）",
    ]
