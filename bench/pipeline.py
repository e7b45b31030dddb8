"""Orders per second through the FULL desk path, in process (issue 7.1).

Every order goes ``OrderService.submit`` → ``Engine.place`` on the event loop: normalise, the
``client_order_id`` index in memory, A-share validation and the risk engine with its default rules,
the cash reservation, ``submitted`` → one group commit of the journal (the order row, its events and
audit row, with every other order that arrived meanwhile) → the paper exchange on the same loop
(matching, fees, the paper account) → its reports applied at once (``accepted``, the fill, ``filled``)
and committed by the next group commit, events published on the bus after it. ``submit`` returns once
that commit is done, so an order counts as done when it is filled *and* durable — the bench checks
that every order came back ``filled`` and counts orders, fills and events in the database.

The desk is built exactly as ``qmtdesk serve`` builds it (``Desk.build`` + ``await desk.start()``: strategy
runtime, equity snapshots, account stream included), bypassing only HTTP, with the server's INFO file
log in the data directory (no console). The simulated clock stands still and moves 2 s every 200 orders,
so each 200 orders see a new quote snapshot (fresh displayed volume) and the default ``order_rate`` rule
(300 orders / 1 s) is never hit. Orders are immediately fillable limit buys of one minimum lot (100,
STAR 200) round-robin over the bundled SSE/SZSE/ChiNext/STAR stocks, priced two ticks through the best
ask (fixed book, 10,000 shares per level per snapshot, so every order fills).

Modes: ``concurrent`` keeps ``--concurrency`` submissions in flight (throughput; latency is per order
from ``submit`` call to its return); ``serial`` sends one order at a time.

Each run starts a fresh interpreter (as the vnpy baseline's do), so its RSS is its own. With
``--with-vnpy`` the vnpy run of the same (mode, orders) follows each qmtdesk run, ``--repeat`` times; a
row keeps the median run by orders/s and lists every run's orders/s and p50.

    .venv/bin/python bench/pipeline.py                                     # 1k/10k/50k, SQLite
    .venv/bin/python bench/pipeline.py --orders 1000 --serial              # + serial mode
    .venv/bin/python bench/pipeline.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/pipeline.py --with-vnpy --orders 1000 10000 --serial   # + vnpy baseline and ratios
    .venv/bin/python bench/pipeline.py --with-vnpy --orders 1000 10000 50000 --serial --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

ORDERS_PER_SNAPSHOT = 200
SNAPSHOT_STEP = timedelta(seconds=2)


def _file_logging(data_dir: Path, level: str) -> bool:
    """The server's file log (same format, INFO by default, written off the loop), without the console."""
    if level == "OFF":
        logging.getLogger().handlers[:] = []
        logging.getLogger().setLevel(logging.CRITICAL)
        return False
    from qmtdesk.logs import file_logging

    file_logging(data_dir, level)
    return True


def workload(desk: Any) -> list[tuple[str, int, Decimal]]:
    """(code, lot, price) per instrument: one minimum lot two ticks through the best ask."""
    from qmtdesk.domain.rules import lot_rule, price_tick

    items = []
    for inst in desk.universe:
        if not inst.code.startswith(("6", "0", "3")) or inst.is_st or inst.suspended:
            continue
        quote = desk.market.quote(inst.code)
        if quote is None or not quote.asks:
            continue
        items.append((inst.code, lot_rule(inst).min_buy, quote.asks[0].price + 2 * price_tick(inst)))
    return items


async def _drive(
    desk: Any,
    clock: Any,
    items: list[tuple[str, int, Decimal]],
    first: int,
    n: int,
    concurrency: int,
    budget: float | None = None,
) -> dict[str, Any]:
    """Submit orders ``first .. first+n-1`` with at most ``concurrency`` in flight.

    With ``budget`` (seconds) no new order starts once the budget is spent: the run is cut short and
    reports how many orders it completed."""
    from qmtdesk.domain.errors import DeskError
    from qmtdesk.domain.fees import Side
    from qmtdesk.domain.rules import PriceType
    from qmtdesk.oms.service import OrderPayload

    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: collections.Counter[str] = collections.Counter()

    async def one(i: int) -> None:
        code, lot, price = items[i % len(items)]
        payload = OrderPayload(
            stock_code=code,
            side=Side.BUY,
            quantity=lot,
            price_type=PriceType.LIMIT,
            price=price,
            client_order_id=f"bench-{i}",
        )
        t0 = time.perf_counter()
        try:
            result = await desk.orders.submit(payload, source="api", user_id=None)
            statuses[result.order["status"]] += 1
        except DeskError as exc:
            statuses[exc.code] += 1
        finally:
            latencies.append(time.perf_counter() - t0)
            gate.release()

    running: set[asyncio.Task[None]] = set()  # finished tasks are dropped: the bench keeps no per-order memory
    started = 0
    cpu0 = time.process_time()
    begin = time.perf_counter()
    for i in range(first, first + n):
        await gate.acquire()
        if budget is not None and time.perf_counter() - begin > budget:
            gate.release()
            break
        if i and i % ORDERS_PER_SNAPSHOT == 0:
            clock.advance(SNAPSHOT_STEP)  # a new snapshot: fresh displayed volume, a new order-rate window
        task = asyncio.create_task(one(i))
        running.add(task)
        task.add_done_callback(running.discard)
        started += 1
    await asyncio.gather(*running)
    elapsed = time.perf_counter() - begin
    cpu = time.process_time() - cpu0
    return {"elapsed": elapsed, "cpu": cpu, "latencies": latencies, "statuses": dict(statuses), "done": started}


def _counts(desk: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from qmtdesk.store.tables.orders import OrderEventRow, OrderRow, TradeRow

    with desk.session_factory() as s:
        return {
            "orders_filled": int(
                s.scalar(select(func.count()).select_from(OrderRow).where(OrderRow.status == "filled"))
            ),
            "orders": int(s.scalar(select(func.count()).select_from(OrderRow))),
            "trades": int(s.scalar(select(func.count()).select_from(TradeRow))),
            "order_events": int(s.scalar(select(func.count()).select_from(OrderEventRow))),
        }


async def run_one(
    n: int,
    mode: str,
    database_url: str | None,
    concurrency: int,
    warmup: int,
    log_level: str,
    budget: float | None = None,
) -> dict[str, Any]:
    """One fresh desk, ``warmup`` untimed orders, then ``n`` timed orders."""
    from qmtdesk import gctune
    from qmtdesk.desk import Desk
    from qmtdesk.domain.clock import SimulatedClock

    in_flight = 1 if mode == "serial" else concurrency
    with tempfile.TemporaryDirectory(prefix="qmtdesk-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        handler = _file_logging(data_dir, log_level)
        with C.fresh_database(database_url, data_dir) as url:
            clock = SimulatedClock(C.clock_start(), running=False)
            desk = Desk.build(C.settings(data_dir, url), clock=clock)
            # As `qmtdesk serve` runs: full garbage collections rare, what exists at start set aside.
            gctune.tune()
            desk.after_start.append(lambda: gctune.settle("start"))
            await desk.start()
            try:
                items = workload(desk)
                n_instruments = len(items)
                if warmup:
                    await _drive(desk, clock, items, 0, warmup, in_flight)
                    clock.advance(SNAPSHOT_STEP)
                run = await _drive(desk, clock, items, warmup + (-warmup % ORDERS_PER_SNAPSHOT), n, in_flight, budget)
                rss = C.rss_mb()  # with the desk still holding what it holds after the run
                counts = await asyncio.to_thread(_counts, desk)
            finally:
                await desk.stop()
        if handler:
            from qmtdesk.logs import stop_logging

            stop_logging()
    filled = run["statuses"].get("filled", 0)
    requested, n = n, run["done"]
    total = n + warmup
    return {
        "system": "qmtdesk",
        "mode": mode,
        "backend": C.backend_of(url),
        "orders": requested,
        "completed": n,
        "cut_short": n < requested,
        "concurrency": in_flight,
        "filled": filled,
        "statuses": run["statuses"],
        "seconds": round(run["elapsed"], 3),
        "orders_per_second": round(n / run["elapsed"], 1),
        **C.latency_summary(run["latencies"]),
        # CPU seconds of the whole process (every thread) per order: steadier than wall time on a busy machine.
        "cpu_ms_per_order": round(run["cpu"] * 1000 / n, 3),
        "rss_mb": rss,
        "persisted": counts,
        "all_filled_and_persisted": filled == n
        and counts["orders_filled"] == total
        and counts["orders"] == total
        and counts["trades"] == total,
        "instruments": n_instruments,
        "warmup_orders": warmup,
    }


COLUMNS = [
    ("system", "system"),
    ("mode", "mode"),
    ("backend", "store"),
    ("orders", "orders"),
    ("concurrency", "in flight"),
    ("completed", "done"),
    ("filled", "filled"),
    ("seconds", "seconds"),
    ("orders_per_second", "orders/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("cpu_ms_per_order", "CPU ms/order"),
    ("rss_mb", "RSS MB"),
]


def comparison(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """qmtdesk ÷ vnpy orders/s per (mode, orders), and the serial p50s side by side."""
    rows = []
    for mine in ours:
        other = next((t for t in theirs if t["mode"] == mine["mode"] and t["orders"] == mine["orders"]), None)
        if other is None:
            continue
        ratio = mine["orders_per_second"] / other["orders_per_second"] if other["orders_per_second"] else float("nan")
        floor = 3 if mine["backend"] == "sqlite" else 1  # issue 11: 3x vnpy on SQLite, 1x on PostgreSQL
        rows.append(
            {
                "mode": mine["mode"],
                "backend": mine["backend"],
                "orders": mine["orders"],
                "qmtdesk_ops": mine["orders_per_second"],
                "vnpy_ops": other["orders_per_second"],
                "ratio": round(ratio, 2),
                "qmtdesk_p50": mine["p50_ms"],
                "vnpy_p50": other["p50_ms"],
                "qmtdesk_rss_mb": mine.get("rss_mb"),
                "vnpy_rss_mb": other.get("rss_mb"),
                "target": f"ratio >= {floor}" if mine["mode"] == "concurrent" else "p50 <= vnpy p50",
                "met": (ratio >= floor) if mine["mode"] == "concurrent" else (mine["p50_ms"] <= other["p50_ms"]),
            }
        )
    return rows


def run_in_fresh_process(n: int, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """One run in a new interpreter (as vnpy's runs are): its RSS is that run's alone, no heap left by others."""
    with tempfile.TemporaryDirectory(prefix="qmtdesk-bench-run-") as tmp:
        out = Path(tmp) / "run.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one-run", str(out), "--mode", mode, "--orders", str(n)]
        cmd += ["--concurrency", str(args.concurrency), "--warmup", str(args.warmup), "--log-level", args.log_level]
        cmd += ["--budget-seconds", str(args.budget_seconds)]
        if args.database_url:
            cmd += ["--database-url", args.database_url]
        done = subprocess.run(cmd, check=False)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"bench run {mode} {n} failed ({done.returncode})")
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median orders/s (the lower middle one for an even count), every run's figure beside it."""
    ordered = sorted(runs, key=lambda r: r["orders_per_second"])
    row = dict(ordered[(len(ordered) - 1) // 2])
    row["runs_orders_per_second"] = [r["orders_per_second"] for r in runs]
    row["runs_p50_ms"] = [r["p50_ms"] for r in runs]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--serial", action="store_true", help="also run the serial mode (one order at a time)")
    parser.add_argument("--serial-only", action="store_true", help="run only the serial mode")
    parser.add_argument("--concurrency", type=int, default=32, help="orders in flight in concurrent mode")
    parser.add_argument("--warmup", type=int, default=200, help="untimed orders first (SQL compile caches)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server URL: a fresh database is created on it and dropped after",
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=1800,
        help="stop starting new orders after this long (the run is marked cut_short)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "OFF"])
    parser.add_argument("--with-vnpy", action="store_true", help="also run bench/vnpy_baseline.py and compare")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per row (with vnpy interleaved); the median is kept"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--one-run", type=Path, default=None, help=argparse.SUPPRESS)  # inner: one run → JSON file
    parser.add_argument("--mode", default="concurrent", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run is not None:
        one = asyncio.run(
            run_one(
                args.orders[0],
                args.mode,
                args.database_url,
                args.concurrency,
                args.warmup,
                args.log_level,
                args.budget_seconds,
            )
        )
        args.one_run.write_text(json.dumps(one, default=str))
        return

    modes = ["serial"] if args.serial_only else (["concurrent", "serial"] if args.serial else ["concurrent"])
    info = C.meta(provisional=True)
    backend = C.backend_of(args.database_url or "sqlite")
    name = "pipeline" + ("" if backend == "sqlite" else f"_{backend}")
    results: list[dict[str, Any]] = []
    payload: dict[str, Any] = {"meta": info, "results": results}
    theirs: list[dict[str, Any]] = []
    every_run: list[dict[str, Any]] = []
    if args.with_vnpy:
        import vnpy_baseline

        payload["vnpy"] = {"results": theirs}
    # Each (mode, orders) runs qmtdesk then vnpy, --repeat times, so both see the same moment of a noisy
    # machine; the row kept is the median run by orders/s, with every run's orders/s beside it.
    for mode in modes:
        for n in args.orders:
            mine: list[dict[str, Any]] = []
            peer: list[dict[str, Any]] = []
            for _ in range(args.repeat):
                r = run_in_fresh_process(n, mode, args)
                mine.append(r)
                every_run.append(r)
                print(
                    f"# {mode} {n}: {r['orders_per_second']} orders/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                    f"{r['statuses']}",
                    file=sys.stderr,
                    flush=True,
                )
                if args.with_vnpy:
                    v = vnpy_baseline.run_baseline([n], [mode], args.concurrency)["results"][0]
                    peer.append(v)
                    print(f"#   vnpy: {v['orders_per_second']} orders/s, p50 {v['p50_ms']} ms", file=sys.stderr)
            results.append(_median_run(mine))
            if peer:
                theirs.append(_median_run(peer))
            C.write_json(name, payload, args.out)  # after every row: a long series keeps what it measured
    print(C.table(results, COLUMNS))
    if args.with_vnpy:
        print()
        print(C.table(theirs, COLUMNS))
        rows = comparison(results, theirs)
        payload["comparison"] = rows
        print()
        print(
            C.table(
                rows,
                [
                    ("mode", "mode"),
                    ("backend", "store"),
                    ("orders", "orders"),
                    ("qmtdesk_ops", "qmtdesk orders/s"),
                    ("vnpy_ops", "vnpy orders/s"),
                    ("ratio", "ratio"),
                    ("qmtdesk_p50", "qmtdesk p50 ms"),
                    ("vnpy_p50", "vnpy p50 ms"),
                    ("qmtdesk_rss_mb", "qmtdesk RSS MB"),
                    ("vnpy_rss_mb", "vnpy RSS MB"),
                    ("target", "target"),
                    ("met", "met"),
                ],
            )
        )
    path = C.write_json(name, payload, args.out)
    print(f"\nJSON: {path}", file=sys.stderr)
    bad = [r for r in every_run if not r["all_filled_and_persisted"]]
    if bad:
        print(f"WARNING: {len(bad)} run(s) did not fill and persist every order", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
