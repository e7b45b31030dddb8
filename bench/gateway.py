"""Orders through a remote gateway over NATS JetStream, beside the local MiniQMT adapter (issue 12).

Both paths run the real ``xtquant`` package over the simulated MiniQMT of ``tests/xtfake`` and measure
the broker port: from ``submit`` to the broker's acknowledgement with its order id reaching the
desk's listener.

* **local** — ``XtQuantBroker.submit``: the SDK call on its thread; the ack comes back as MiniQMT's
  async response, pushed to the listener.
* **gateway** — ``GatewayBroker.submit``: a NATS request to a ``GatewayServer`` (its own thread and
  event loop, as on the MiniQMT PC) that calls the same ``XtQuantBroker``; the ack comes back as a
  report the gateway stores in JetStream and the desk's durable consumer delivers (and acks).

Serial: one order at a time (latency). Burst: ``--in-flight`` orders outstanding at once (throughput).

    .venv/bin/python bench/gateway.py --orders 2000 --serial 300 --nats nats://127.0.0.1:4222
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import _common as C  # noqa: E402


class AckClock:
    """Stamps when each reference's acknowledgement reaches the listener (from any thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.waiters: dict[str, asyncio.Future[None]] = {}

    def on_order_ack(self, report: Any) -> None:
        now = time.perf_counter()
        self.loop.call_soon_threadsafe(self._done, report.ref, now)

    def _done(self, ref: str, now: float) -> None:
        started = self.sent.pop(ref, None)
        if started is not None:
            self.latencies.append(now - started)
        waiter = self.waiters.pop(ref, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def on_order(self, report: Any) -> None: ...
    def on_trade(self, report: Any) -> None: ...
    def on_order_error(self, report: Any) -> None: ...
    def on_cancel_error(self, report: Any) -> None: ...
    def on_connection(self, report: Any) -> None: ...


async def _one(broker: Any, acks: AckClock, ref: str) -> None:
    from qmtdesk.brokers.base import OrderRequest
    from qmtdesk.domain.fees import Side
    from qmtdesk.domain.rules import PriceType

    waiter = acks.loop.create_future()
    acks.waiters[ref] = waiter
    acks.sent[ref] = time.perf_counter()
    await broker.submit(OrderRequest(ref, "600000.SH", Side.BUY, 100, PriceType.LIMIT, price=Decimal("11.40")))
    await asyncio.wait_for(waiter, 30)


async def measure(broker: Any, acks: AckClock, orders: int, serial: int, in_flight: int) -> dict[str, Any]:
    """Serial latency over ``serial`` orders, then throughput of ``orders`` with ``in_flight`` outstanding."""
    tag = uuid.uuid4().hex[:6]
    for i in range(20):  # warm-up
        await _one(broker, acks, f"w{tag}{i}")
    acks.latencies.clear()
    for i in range(serial):
        await _one(broker, acks, f"s{tag}{i}")
    serial_summary = C.latency_summary(acks.latencies)
    acks.latencies.clear()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(orders):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await _one(broker, acks, f"b{tag}{i}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    return {
        "serial": serial_summary,
        "burst": {"orders_per_s": round(orders / elapsed, 1), **C.latency_summary(acks.latencies)},
    }


def _miniqmt(path: Path, account: str) -> None:
    from tests.xtfake import MiniQMT

    mini = MiniQMT.at(str(path))
    mini.add_account(account, cash=10**12)
    mini.add_instrument("600000.SH", "浦发银行", Decimal("11.50"))


def _xtquant(path: Path, account: str) -> Any:
    from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig
    from qmtdesk.domain.clock import SHANGHAI, SimulatedClock

    clock = SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    return XtQuantBroker(lambda: XtQuantConfig(str(path), account, "STOCK"), clock)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.xtfake import install

    from qmtdesk.brokers.gateway.client import GatewayBroker
    from qmtdesk.brokers.gateway.server import GatewayServer

    install()
    loop = asyncio.get_running_loop()
    tmp = Path(tempfile.mkdtemp(prefix="qmtdesk-gw-bench-"))
    results: dict[str, Any] = {}

    local_account = "LOCAL" + uuid.uuid4().hex[:6].upper()
    _miniqmt(tmp / "local", local_account)
    local = _xtquant(tmp / "local", local_account)
    acks = AckClock(loop)
    local.set_listener(acks)
    await local.connect()
    results["local"] = await measure(local, acks, args.orders, args.serial, args.in_flight)
    await local.close()

    remote_account = "GWB" + uuid.uuid4().hex[:6].upper()
    _miniqmt(tmp / "remote", remote_account)
    server = GatewayServer(_xtquant(tmp / "remote", remote_account), args.nats)
    gw_loop = asyncio.new_event_loop()
    threading.Thread(target=gw_loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(server.start(), gw_loop).result(30)
    remote = GatewayBroker(remote_account, args.nats)
    acks = AckClock(loop)
    remote.set_listener(acks)
    await remote.connect()
    results["gateway"] = await measure(remote, acks, args.orders, args.serial, args.in_flight)
    await remote.close()
    asyncio.run_coroutine_threadsafe(server.stop(), gw_loop).result(30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--serial", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    rows = [
        {
            "path": name,
            "serial_p50": r["serial"]["p50_ms"],
            "serial_p99": r["serial"]["p99_ms"],
            "burst_rate": r["burst"]["orders_per_s"],
            "burst_p50": r["burst"]["p50_ms"],
            "burst_p99": r["burst"]["p99_ms"],
        }
        for name, r in results.items()
    ]
    print(
        C.table(
            rows,
            [
                ("path", "path"),
                ("serial_p50", "serial p50 ms"),
                ("serial_p99", "serial p99 ms"),
                ("burst_rate", f"orders/s ({args.in_flight} in flight)"),
                ("burst_p50", "burst p50 ms"),
                ("burst_p99", "burst p99 ms"),
            ],
        )
    )
    path = C.write_json("gateway", {"meta": C.meta(nats=args.nats), "results": results}, args.out)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
