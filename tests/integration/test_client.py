"""``qmtdesk.client`` against a real ``qmtdesk serve`` (paper, fixed book, clock at 10:00 on a trading day).

The blocking and the asyncio client trade over HTTP, an order whose answer is lost on the way back is
retried once and placed once, an API token trades without an unlock, the WebSocket iterator yields
order changes, and an xttrader-style script runs unmodified but for its import, in another process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.reliability.test_crash_safety import (
    ADMIN_PASSWORD,
    CODES,
    FILL_LEVEL,
    TRADING_PASSWORD,
    UNIVERSE,
    Server,
)

from qmtdesk.client import AsyncClient, Client, DeskAPIError

CODE = CODES[0]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("client")
    universe = root / "universe.csv"
    universe.write_text(UNIVERSE, "utf-8")
    srv = Server(root / "data", root / "server.log", universe)
    srv.start()
    yield srv
    if srv.proc is not None:
        srv.stop()


def signed_in(desk: Server, **kw: Any) -> Client:
    return Client(
        desk.base.removesuffix("/api/v1"),
        username="admin",
        password=ADMIN_PASSWORD,
        trading_password=TRADING_PASSWORD,
        **kw,
    )


def test_the_client_signs_in_unlocks_trading_places_reads_and_cancels(desk: Server) -> None:
    with signed_in(desk) as client:
        assert client.login()["username"] == "admin"
        quote = client.quote(CODE)
        resting = quote["bid"][4]["price"]
        placed = client.place_order(CODE, "buy", 100, "limit", resting, strategy_name="client-test")
        order = placed["order"]
        assert order["status"] in ("submitted", "accepted") and order["client_order_id"].startswith("qc-")
        assert client.get_order(order["order_id"])["price"] == resting
        assert client.order_by_client_id(order["client_order_id"])["order_id"] == order["order_id"]
        assert order["order_id"] in [o["order_id"] for o in client.orders(status="open")]
        canceled = client.cancel_order(order["order_id"])["order"]
        assert canceled["status"] in ("pending_cancel", "canceled")
        assert client.account()["cash"] is not None
        with pytest.raises(DeskAPIError) as refused:
            client.place_order(CODE, "buy", 150, "limit", resting)
        assert refused.value.code == "LOT_SIZE" and refused.value.status == 422
        assert refused.value.data["order"]["status"] == "denied" and "买入数量" in refused.value.message


def test_an_order_whose_answer_was_lost_is_retried_and_placed_once(desk: Server) -> None:
    real = httpx.HTTPTransport()
    dropped: list[str] = []

    class DropFirstOrderAnswer(httpx.BaseTransport):
        """Sends every request, but loses the answer to the first order (as a dropped connection would)."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = real.handle_request(request)
            if request.url.path.endswith("/trading/orders") and request.method == "POST" and not dropped:
                response.read()
                dropped.append(json.loads(request.content)["client_order_id"])
                raise httpx.ReadError("connection dropped after the desk answered", request=request)
            return response

    with signed_in(desk, transport=DropFirstOrderAnswer()) as client:
        ask = client.quote(CODE)["ask"][FILL_LEVEL]["price"]
        placed = client.place_order(CODE, "buy", 100, "limit", ask)["order"]
        assert dropped == [placed["client_order_id"]]  # the retry carried the same client id
        same = [o for o in client.orders() if o["client_order_id"] == placed["client_order_id"]]
        assert len(same) == 1 and same[0]["status"] == "filled"


def test_an_api_token_with_trade_scope_trades_without_an_unlock(desk: Server) -> None:
    with signed_in(desk) as admin:
        admin.login()
        r = admin._http.post(
            "/auth/api-tokens",
            json={"name": "bot", "scopes": ["read", "trade"], "trading_password": TRADING_PASSWORD},
            headers=admin._creds.headers(False),
        )
        assert r.status_code == 201, r.text
        secret = r.json()["data"]["token"]
    with Client(desk.base, token=secret) as bot:
        bid = bot.quote(CODE)["bid"][4]["price"]
        order = bot.place_order(CODE, "buy", 100, "limit", bid, remark="bot")["order"]
        assert order["remark"] == "bot"
        assert bot.cancel_order(order["order_id"])["order"]["status"] in ("pending_cancel", "canceled")


def test_the_async_client_trades_concurrently_with_one_sign_in(desk: Server) -> None:
    async def run() -> list[dict[str, Any]]:
        async with AsyncClient(
            desk.base, username="admin", password=ADMIN_PASSWORD, trading_password=TRADING_PASSWORD
        ) as client:
            bid = (await client.quote(CODE))["bid"][4]["price"]
            placed = await asyncio.gather(*(client.place_order(CODE, "buy", 100, "limit", bid) for _ in range(5)))
            orders = [p["order"] for p in placed]
            for order in orders:
                await client.cancel_order(order["order_id"])
            listed = await client.orders(status="finished")
            return [o for o in listed if o["order_id"] in {x["order_id"] for x in orders}]

    finished = asyncio.run(run())
    assert len(finished) == 5 and {o["status"] for o in finished} == {"canceled"}


def test_the_stream_yields_order_changes_and_resumes_from_a_seq(desk: Server) -> None:
    with signed_in(desk) as client:
        client.login()
        bid = client.quote(CODE)["bid"][4]["price"]
        order = client.place_order(CODE, "buy", 100, "limit", bid)["order"]
        stream = client.stream(["orders"], since_seq=0)  # from the start: the order's creation is replayed
        first = next(m for m in stream if m["data"]["order_id"] == order["order_id"])
        assert first["stream"] == "orders" and isinstance(first["seq"], int)
        client.cancel_order(order["order_id"])
        stream.close()
        # A new iterator from the first message's seq replays what came after it: the cancel.
        replay = client.stream(["orders"], since_seq=first["seq"])
        statuses = []
        for message in replay:
            if message["data"]["order_id"] == order["order_id"]:
                statuses.append(message["data"]["status"])
                if message["data"]["status"] == "canceled":
                    break
        replay.close()
        assert statuses[-1] == "canceled"


SCRIPT = """
import json, sys, threading
from qmtdesk.client import xtconstant
from qmtdesk.client.xttrader import XtQuantTrader, XtQuantTraderCallback, StockAccount

events = {"orders": [], "trades": [], "errors": [], "async": []}
filled = threading.Event()
answered = threading.Event()

class MyCallback(XtQuantTraderCallback):
    def on_stock_order(self, order):
        events["orders"].append((order.order_id, order.order_status))
    def on_stock_trade(self, trade):
        events["trades"].append((trade.order_id, trade.traded_volume, trade.traded_price))
        filled.set()
    def on_order_error(self, order_error):
        events["errors"].append((order_error.order_id, order_error.error_msg))
    def on_order_stock_async_response(self, response):
        events["async"].append((response.seq, response.order_id))
        answered.set()

xt_trader = XtQuantTrader(sys.argv[1], 123456, username="admin", password=sys.argv[2], trading_password=sys.argv[3])
acc = StockAccount("PAPER")
xt_trader.register_callback(MyCallback())
xt_trader.start()
assert xt_trader.connect() == 0
assert xt_trader.subscribe(acc) == 0
code, ask, bid = sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
order_id = xt_trader.order_stock(acc, code, xtconstant.STOCK_BUY, 200, xtconstant.FIX_PRICE, ask, "demo", "first")
assert order_id > 0
filled.wait(10)
resting = xt_trader.order_stock(acc, code, xtconstant.STOCK_BUY, 100, xtconstant.FIX_PRICE, bid, "demo", "resting")
seq = xt_trader.order_stock_async(acc, code, xtconstant.STOCK_BUY, 150, xtconstant.FIX_PRICE, bid, "demo", "odd")
answered.wait(10)
open_ids = [o.order_id for o in xt_trader.query_stock_orders(acc, cancelable_only=True)]
cancel = xt_trader.cancel_order_stock(acc, resting)
asset = xt_trader.query_stock_asset(acc)
positions = {p.stock_code: (p.volume, p.can_use_volume) for p in xt_trader.query_stock_positions(acc)}
trades = [(t.order_id, t.traded_volume) for t in xt_trader.query_stock_trades(acc)]
import time; time.sleep(1)
xt_trader.stop()
print(json.dumps({"order_id": order_id, "resting": resting, "seq": seq, "open_ids": open_ids, "cancel": cancel,
                  "cash": asset.cash, "positions": positions, "trades": trades, "events": events}))
"""


def test_an_xttrader_script_trades_the_desk_from_another_process(desk: Server, tmp_path: Path) -> None:
    with signed_in(desk) as client:
        quote = client.quote(CODE)
    script = tmp_path / "strategy.py"
    script.write_text(textwrap.dedent(SCRIPT), "utf-8")
    run = subprocess.run(
        [
            sys.executable,
            str(script),
            desk.base.removesuffix("/api/v1"),
            ADMIN_PASSWORD,
            TRADING_PASSWORD,
            CODE,
            quote["ask"][FILL_LEVEL]["price"],
            quote["bid"][4]["price"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["resting"] in out["open_ids"] and out["cancel"] == 0
    assert out["positions"][CODE][0] >= 200 and out["positions"][CODE][1] == 0  # T+1: bought today
    assert [out["order_id"], 200] in [t[:2] for t in out["events"]["trades"]]
    assert [out["order_id"], 200] in out["trades"]
    (seq, odd_id) = out["events"]["async"][0]
    assert seq == out["seq"] and odd_id > 0  # stored, refused: its id, and an error push
    assert any(e[0] == odd_id and "LOT_SIZE" in e[1] for e in out["events"]["errors"]), out["events"]
    assert (odd_id, 57) in [tuple(o) for o in out["events"]["orders"]]  # 废单
