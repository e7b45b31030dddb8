"""The pipeline workload through vnpy's ``MainEngine`` + ``vnpy_paperaccount`` (instant trade), headless.

vnpy is not a dependency of qmtdesk: this script installs ``vnpy`` 4.x and ``vnpy_paperaccount`` from PyPI
into its own virtual environment, ``bench/.venv-vnpy`` (git-ignored; TA-Lib comes as a binary wheel with its
C library inside, so nothing else is needed), then re-runs itself there in a subprocess and prints JSON.

The workload mirrors ``bench/pipeline.py``: N limit buys (100 shares, vnpy has no A-share lot rules) spread
round-robin over 36 SSE/SZSE contracts, priced through the ask of a tick each contract received first, from
a minimal fake gateway. ``instant_trade`` is on, so each order is matched against the last tick as soon as
the event engine processes it. An order counts as done when vnpy publishes its trade (``eTrade`` event,
handled on the event-engine thread); vnpy_paperaccount's persistence is what it does by itself — it rewrites
its position JSON file after every trade — and no order or trade is stored anywhere.

Modes: ``concurrent`` keeps ``--concurrency`` orders in flight (``send_order`` from the main thread,
completion on the event thread); ``serial`` sends the next order when the previous trade arrived.

    .venv/bin/python bench/vnpy_baseline.py --orders 1000 10000 50000 --serial
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-vnpy"
REQUIREMENTS = ["vnpy>=4,<5", "vnpy_paperaccount>=1.0"]
SYMBOLS = [f"60{i:04d}" for i in range(18)] + [f"00{i:04d}" for i in range(1, 19)]


# ============================================================================== outer side (project venv)
def venv_python() -> Path:
    """The venv's interpreter, creating the venv and installing vnpy on first use."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    if python.exists() and marker.exists():
        return python
    print(f"# creating {VENV} and installing {' '.join(REQUIREMENTS)} from PyPI ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
        check=True,
    )
    marker.write_text(" ".join(REQUIREMENTS) + "\n")
    return python


def run_baseline(orders: list[int], modes: list[str], concurrency: int) -> dict[str, Any]:
    """Run the baseline in the vnpy venv; returns its JSON."""
    python = venv_python()
    with tempfile.TemporaryDirectory(prefix="vnpy-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            str(python),
            str(Path(__file__).resolve()),
            "--inner",
            str(out),
            "--concurrency",
            str(concurrency),
            "--modes",
            *modes,
            "--orders",
            *map(str, orders),
        ]
        # vnpy keeps its files in ./.vntrader when that folder exists in the working directory (else in $HOME).
        (Path(tmp) / ".vntrader").mkdir()
        done = subprocess.run(
            cmd,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"vnpy baseline failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
            )
        sys.stderr.write(done.stderr)
        return json.loads(out.read_text())


# ============================================================================== inner side (vnpy venv)
def _rss_mb() -> float:
    """This process's resident memory now (MB), as the pipeline measures its own."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def inner(orders: list[int], modes: list[str], concurrency: int) -> dict[str, Any]:
    import importlib.metadata as md
    import threading
    from datetime import datetime

    from vnpy.event import Event, EventEngine
    from vnpy.trader.constant import Direction, Exchange, Offset, OrderType, Product, Status
    from vnpy.trader.engine import MainEngine
    from vnpy.trader.event import EVENT_ORDER, EVENT_TRADE
    from vnpy.trader.gateway import BaseGateway
    from vnpy.trader.object import ContractData, OrderRequest, TickData
    from vnpy.trader.utility import ZoneInfo
    from vnpy_paperaccount import PaperAccountApp

    tz = ZoneInfo("Asia/Shanghai")

    class FakeGateway(BaseGateway):
        """Contracts and one tick per symbol; every request is a no-op (the paper engine takes orders)."""

        default_name = "FAKE"
        default_setting: dict[str, Any] = {}
        exchanges = [Exchange.SSE, Exchange.SZSE]

        def connect(self, setting: dict) -> None:
            for symbol in SYMBOLS:
                exchange = Exchange.SSE if symbol.startswith("6") else Exchange.SZSE
                self.on_contract(
                    ContractData(
                        symbol=symbol,
                        exchange=exchange,
                        name=symbol,
                        product=Product.EQUITY,
                        size=1,
                        pricetick=0.01,
                        min_volume=100,
                        net_position=True,
                        gateway_name=self.gateway_name,
                    )
                )
                self.on_tick(
                    TickData(
                        symbol=symbol,
                        exchange=exchange,
                        datetime=datetime.now(tz),
                        name=symbol,
                        last_price=11.50,
                        bid_price_1=11.49,
                        ask_price_1=11.51,
                        bid_volume_1=10_000,
                        ask_volume_1=10_000,
                        gateway_name=self.gateway_name,
                    )
                )

        def close(self) -> None: ...
        def subscribe(self, req: Any) -> None: ...
        def send_order(self, req: Any) -> str:
            return ""

        def cancel_order(self, req: Any) -> None: ...
        def query_account(self) -> None: ...
        def query_position(self) -> None: ...

    event_engine = EventEngine()
    main_engine = MainEngine(event_engine)
    main_engine.add_gateway(FakeGateway)
    paper = main_engine.add_app(PaperAccountApp)
    paper.set_instant_trade(True)
    main_engine.connect({}, "FAKE")
    deadline = time.monotonic() + 10
    while len(paper.ticks) < len(SYMBOLS) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(paper.ticks) == len(SYMBOLS), "ticks did not arrive"

    sent: dict[str, float] = {}
    latencies: list[float] = []
    state = {"target": 0, "traded": 0, "rejected": 0}
    finished = threading.Event()
    slots = threading.Semaphore(concurrency)
    # send_order returns the order id after the event thread may already have matched the order: the
    # handlers wait for the sender to have recorded the id.
    registering = threading.Lock()

    def on_trade(event: Event) -> None:
        trade = event.data
        with registering:
            t0 = sent.pop(trade.vt_orderid, None)
        if t0 is None:
            return
        latencies.append(time.perf_counter() - t0)
        state["traded"] += 1
        slots.release()
        if state["traded"] + state["rejected"] >= state["target"]:
            finished.set()

    def on_order(event: Event) -> None:
        order = event.data
        if order.status != Status.REJECTED:
            return
        with registering:
            known = sent.pop(order.vt_orderid, None) is not None
        if known:
            state["rejected"] += 1
            slots.release()
            if state["traded"] + state["rejected"] >= state["target"]:
                finished.set()

    event_engine.register(EVENT_TRADE, on_trade)
    event_engine.register(EVENT_ORDER, on_order)

    def one_run(n: int, in_flight: int) -> dict[str, Any]:
        nonlocal slots
        sent.clear()
        latencies.clear()
        state.update(target=n, traded=0, rejected=0)
        finished.clear()
        slots = threading.Semaphore(in_flight)
        cpu0 = time.process_time()
        begin = time.perf_counter()
        for i in range(n):
            slots.acquire()
            symbol = SYMBOLS[i % len(SYMBOLS)]
            req = OrderRequest(
                symbol=symbol,
                exchange=Exchange.SSE if symbol.startswith("6") else Exchange.SZSE,
                direction=Direction.LONG,
                type=OrderType.LIMIT,
                volume=100,
                price=11.53,
                offset=Offset.OPEN,
                reference="bench",
            )
            with registering:
                t0 = time.perf_counter()
                vt_orderid = main_engine.send_order(req, "FAKE")
                sent[vt_orderid] = t0
        finished.wait(timeout=600)
        elapsed = time.perf_counter() - begin
        cpu = time.process_time() - cpu0
        values = sorted(latencies)

        def q(p: float) -> float:
            import math

            return round(values[max(0, min(len(values) - 1, math.ceil(p * len(values)) - 1))] * 1000, 3)

        return {
            "orders": n,
            "completed": state["traded"] + state["rejected"],
            "filled": state["traded"],
            "rejected": state["rejected"],
            "seconds": round(elapsed, 3),
            "orders_per_second": round(n / elapsed, 1),
            "p50_ms": q(0.5),
            "p90_ms": q(0.9),
            "p99_ms": q(0.99),
            "max_ms": round(values[-1] * 1000, 3),
            "cpu_ms_per_order": round(cpu * 1000 / n, 3),
            "rss_mb": _rss_mb(),
        }

    results = []
    one_run(200, concurrency)  # warm-up
    for mode in modes:
        for n in orders:
            r = one_run(n, 1 if mode == "serial" else concurrency)
            r.update(
                system="vnpy_paperaccount",
                mode=mode,
                backend="json file",
                concurrency=1 if mode == "serial" else concurrency,
            )
            results.append(r)
            print(
                f"# vnpy {mode} {n}: {r['orders_per_second']} orders/s p50 {r['p50_ms']} ms",
                file=sys.stderr,
                flush=True,
            )
    main_engine.close()
    versions = {p: md.version(p) for p in ("vnpy", "vnpy_paperaccount", "ta-lib")}
    return {"versions": versions, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--modes", nargs="+", default=None, choices=["concurrent", "serial"])
    parser.add_argument("--serial", action="store_true", help="also run the serial mode")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--inner", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    modes = args.modes or (["concurrent", "serial"] if args.serial else ["concurrent"])
    if args.inner:
        args.inner.write_text(json.dumps(inner(args.orders, modes, args.concurrency)))
        return
    sys.path.insert(0, str(BENCH))
    import _common as C
    from pipeline import COLUMNS

    payload = run_baseline(args.orders, modes, args.concurrency)
    payload["meta"] = C.meta(provisional=True)
    print(C.table(payload["results"], COLUMNS))
    path = C.write_json("vnpy_baseline", payload, args.out)
    print(f"\nJSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
