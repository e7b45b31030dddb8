"""Orders per second through A-share validation + paper matching, in process.

Each order is an immediately fillable limit buy of one minimum lot (100, STAR 200), spread round-robin over the bundled
universe; the simulated clock moves 3 s (one quote snapshot) every 5,000 orders so displayed volume
refreshes as it would live. ``--store sqlite`` also persists every order and fill (WAL, one
transaction per order).

    .venv/bin/python bench/paper_exchange.py --orders 1000 10000 100000 --store none sqlite
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.store import SqlPaperStore
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType, lot_rule, price_tick
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, bundled_universe
from qmtdesk.store.db import make_engine, make_session_factory
from qmtdesk.store.migrate import upgrade

START = datetime(2026, 11, 25, 9, 30, 0, tzinfo=SHANGHAI)


def run(n: int, store_kind: str, calendar: TradingCalendar) -> dict[str, object]:
    """Submit ``n`` orders and time them."""
    universe = Universe(bundled_universe())
    clock = SimulatedClock(START, running=False)
    market = SimulatedMarket(universe, calendar, volatility=Decimal(0), seed=1)
    store = None
    tmp = tempfile.TemporaryDirectory()
    if store_kind == "sqlite":
        engine = make_engine(f"sqlite:///{Path(tmp.name) / 'bench.db'}")
        upgrade(engine)
        store = SqlPaperStore(make_session_factory(engine))
    exchange = PaperExchange(
        market=market, calendar=calendar, clock=clock, fees=FeeSchedule(), initial_cash=Decimal(10**13), store=store
    )
    exchange.sync()
    codes = [i.code for i in universe if i.code.startswith(("6", "0", "3")) and not i.is_st]
    prices = {}
    for code in codes:
        quote = market.quote(code)
        assert quote is not None
        prices[code] = quote.asks[0].price + 2 * price_tick(universe.get(code))  # crosses three levels
    lots = {code: lot_rule(universe.get(code)).min_buy for code in codes}
    latencies = []
    filled = 0
    begin = time.perf_counter()
    for i in range(n):
        if i and i % 5_000 == 0:
            clock.advance(timedelta(seconds=3))
        code = codes[i % len(codes)]
        t0 = time.perf_counter()
        order = exchange.submit(
            stock_code=code, side=Side.BUY, quantity=lots[code], price_type=PriceType.LIMIT, price=prices[code]
        )
        latencies.append(time.perf_counter() - t0)
        filled += order.status is OrderStatus.FILLED
    elapsed = time.perf_counter() - begin
    tmp.cleanup()
    latencies.sort()
    return {
        "orders": n,
        "store": store_kind,
        "filled": filled,
        "seconds": round(elapsed, 3),
        "orders_per_second": round(n / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
    }


def main() -> None:
    """Run the requested sizes and stores, print a markdown table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--store", nargs="+", default=["none", "sqlite"], choices=["none", "sqlite"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    calendar = TradingCalendar.load()
    results = [run(n, s, calendar) for s in args.store for n in args.orders]
    print("| store | orders | filled | seconds | orders/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['store']} | {r['orders']} | {r['filled']} | {r['seconds']} | {r['orders_per_second']} "
            f"| {r['p50_ms']} | {r['p99_ms']} |"
        )
    C.write_json("paper_exchange", {"meta": C.meta(), "results": results}, args.out)


if __name__ == "__main__":
    main()
