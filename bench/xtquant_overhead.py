"""What the desk adds before an order reaches MiniQMT (issue 7.1).

Both paths run the real ``xtquant`` package from PyPI over the simulated MiniQMT of ``tests/xtfake``; a
wrapper around the fake native client's ``orderStockWithSeq`` stamps the moment the order reaches the
"native module":

* **direct** — ``XtQuantTrader.order_stock_async(...)`` called on a started, connected, subscribed trader:
  the SDK's own cost (request building, sequence, callback registration);
* **desk** — ``OrderService.submit`` → ``Engine.place`` on a desk built with ``QMTDESK_BROKER=xtquant``
  (``Desk.build`` + ``await desk.start()``): normalisation, the ``client_order_id`` index in memory, A-share
  validation on xtdata quotes, the in-flight cash reservation, the risk engine with default rules, the
  order's intent committed by the journal's group commit (it is durable before it is sent), the hop to
  the SDK thread, then the same ``order_stock_async``.

desk overhead = desk time − direct time (p50). Orders are sent one at a time (serial) so the figure is
latency, not queueing; the simulated MiniQMT matches them at once (``auto_match``), so they never pile
up as open orders.

    .venv/bin/python bench/xtquant_overhead.py --orders 500
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import _common as C  # noqa: E402

ACCOUNT = "8881234567"
INSTRUMENTS = [
    ("600000.SH", "浦发银行", "11.50"),
    ("000001.SZ", "平安银行", "11.60"),
    ("601318.SH", "中国平安", "45.00"),
    ("000002.SZ", "万科A", "7.50"),
]

#: (perf_counter, order remark) of every orderStockWithSeq call.
CALLS: list[tuple[float, str]] = []


def instrument_native() -> None:
    """Wrap the fake native client's orderStockWithSeq with a timestamp."""
    from tests.xtfake import xtpythonclient

    cls = xtpythonclient.XtQuantAsyncClient
    if getattr(cls.orderStockWithSeq, "_bench", False):
        return
    original = cls.orderStockWithSeq

    def stamped(self: Any, seq: int, req: Any) -> None:
        CALLS.append((time.perf_counter(), req.m_strOrderRemark))
        return original(self, seq, req)

    stamped._bench = True  # type: ignore[attr-defined]
    cls.orderStockWithSeq = stamped


def mini_qmt(path: Path, data_port: int) -> Any:
    """A simulated MiniQMT that fills crossing orders at once (a last price is needed for that)."""
    from tests.xtfake import MiniQMT

    server = MiniQMT.at(str(path), data_port=data_port, auto_match=True)
    server.add_account(ACCOUNT, cash=10**10)
    for code, name, pre_close in INSTRUMENTS:
        server.add_instrument(code, name, Decimal(pre_close))
        server.set_price(code, Decimal(pre_close))
    return server


def run_direct(path: Path, n: int) -> list[float]:
    """order_stock_async on a trader of our own."""
    from tests.xtfake import install, xtconstant, xttype

    xttrader, _ = install()
    const, types = xtconstant(), xttype()
    trader = xttrader.XtQuantTrader(str(path), 77001, xttrader.XtQuantTraderCallback())
    trader.start()
    assert trader.connect() == 0, "connect failed"
    account = types.StockAccount(ACCOUNT, "STOCK")
    assert trader.subscribe(account) == 0, "subscribe failed"
    latencies = []
    try:
        for i in range(n):
            code, _name, price = INSTRUMENTS[i % len(INSTRUMENTS)]
            before = len(CALLS)
            t0 = time.perf_counter()
            trader.order_stock_async(account, code, const.STOCK_BUY, 100, const.FIX_PRICE, float(price), "", f"d{i}")
            assert len(CALLS) > before
            latencies.append(CALLS[before][0] - t0)
    finally:
        trader.stop()
    return latencies


async def run_desk(path: Path, data_dir: Path, n: int) -> tuple[list[float], list[float], dict[str, int]]:
    """OrderService.submit on an xtquant desk: (time to orderStockWithSeq, time to submit's return, statuses)."""
    from qmtdesk.brokers.base import ConnectionState
    from qmtdesk.desk import Desk
    from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
    from qmtdesk.domain.errors import DeskError
    from qmtdesk.domain.fees import Side
    from qmtdesk.domain.rules import PriceType
    from qmtdesk.oms.service import OrderPayload

    settings = C.settings(
        data_dir,
        f"sqlite:///{data_dir / 'desk.db'}",
        broker="xtquant",
        miniqmt_enabled=True,
        miniqmt_userdata_path=str(path),
        miniqmt_account_id=ACCOUNT,
    )
    clock = SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    desk = Desk.build(settings, clock=clock)
    await desk.start()
    to_native, to_return, statuses = [], [], {}
    try:
        deadline = time.monotonic() + 30
        while desk.broker.state is not ConnectionState.CONNECTED and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert desk.broker.state is ConnectionState.CONNECTED, "desk did not connect to the simulated MiniQMT"
        for code, _name, _price in INSTRUMENTS:  # quotes must be there before validation can pass
            while desk.market.quote(code) is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        for i in range(n):
            code, _name, price = INSTRUMENTS[i % len(INSTRUMENTS)]
            payload = OrderPayload(
                stock_code=code,
                side=Side.BUY,
                quantity=100,
                price_type=PriceType.LIMIT,
                price=Decimal(price),
                client_order_id=f"x{i}",
            )
            before = len(CALLS)
            t0 = time.perf_counter()
            try:
                result = await desk.orders.submit(payload, source="api", user_id=None)
                status = result.order["status"]
            except DeskError as exc:
                status = exc.code
            t1 = time.perf_counter()
            statuses[status] = statuses.get(status, 0) + 1
            if len(CALLS) > before:
                to_native.append(CALLS[before][0] - t0)
                to_return.append(t1 - t0)
            if i % 100 == 99:
                await asyncio.sleep(0.3)  # let pushes settle so open orders never approach the risk limits
    finally:
        await desk.stop()
    return to_native, to_return, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    info = C.meta(provisional=True)
    from tests.xtfake import install

    install()
    instrument_native()
    from tests.xtfake import MiniQMT

    with tempfile.TemporaryDirectory(prefix="qmtdesk-xt-") as tmp:
        MiniQMT.reset_all()
        # Two terminals: orders sent directly must not show up in the desk's account (reconciliation would
        # import them as external orders and the risk limits would count them).
        direct_path = Path(tmp) / "direct" / "userdata_mini"
        mini_qmt(direct_path, 58611)
        run_direct(direct_path, args.warmup)
        direct = run_direct(direct_path, args.orders)
        path = Path(tmp) / "desk" / "userdata_mini"
        mini_qmt(path, 58610)
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        desk_native, desk_return, statuses = asyncio.run(run_desk(path, data_dir, args.orders + args.warmup))
        desk_native, desk_return = desk_native[args.warmup :], desk_return[args.warmup :]
        MiniQMT.reset_all()
    d, k, r = C.latency_summary(direct), C.latency_summary(desk_native), C.latency_summary(desk_return)
    rows = [
        {"path": "direct: order_stock_async → orderStockWithSeq", "orders": len(direct), **d},
        {"path": "desk: OrderService.submit → orderStockWithSeq", "orders": len(desk_native), **k},
        {"path": "desk: OrderService.submit → submit returns", "orders": len(desk_return), **r},
    ]
    overhead = round(k["p50_ms"] - d["p50_ms"], 3)
    payload = {
        "meta": info,
        "target": {"desk_overhead_p50_ms": 1},
        "desk_overhead_p50_ms": overhead,
        "desk_overhead_p99_ms": round(k["p99_ms"] - d["p99_ms"], 3),
        "statuses": statuses,
        "results": rows,
    }
    print(
        C.table(
            rows,
            [
                ("path", "path"),
                ("orders", "orders"),
                ("p50_ms", "p50 ms"),
                ("p90_ms", "p90 ms"),
                ("p99_ms", "p99 ms"),
                ("max_ms", "max ms"),
            ],
        )
    )
    print(f"\ndesk overhead p50: {overhead} ms (target < 1 ms) -> {'met' if overhead < 1 else 'MISSED'}")
    print(f"desk order statuses: {statuses}")
    path_out = C.write_json("xtquant_overhead", payload, args.out)
    print(f"JSON: {path_out}", file=sys.stderr)


if __name__ == "__main__":
    main()
