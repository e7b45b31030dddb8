"""Soak: N minutes of paper trading with the built-in strategies; memory and errors (issue 7.6).

Starts ``qmtdesk serve`` on paper with an accelerated, volatile quote feed (simulated clock from
2026-11-25 10:00, ``QMTDESK_PAPER_VOLATILITY`` 2.0, a snapshot every 0.5 s), then through the HTTP API:

* watches nine stocks with ``auto_trade`` on — three ``grid`` (0.3% steps around the current price), three
  ``ma_cross`` (2/5 bars of 10 s) and three ``stop_loss_take_profit`` (±1%) — so strategies send orders
  through the one way in (OrderService → risk → paper exchange);
* buys a lot of each stop-loss/take-profit stock every 30 s so those strategies have positions to close;
* moves the simulated clock to 09:31 of the next trading day every ``--day-every`` seconds (closing
  auction, expiry, day roll, T+1 release: the grid and the exits can sell);
* keeps a WebSocket client subscribed to orders, trades, account, positions, status, risk, signals and the
  watched stocks' quotes, and polls orders / positions / account / monitor every 10 s like the UI;
* samples the server's RSS every 10 s (psutil when installed, else ``/proc/<pid>/status``).

Reports RSS growth from the first sample (10 s in) to the last, and the least-squares slope (MB/min) —
target < 10% growth — and counts ERROR lines (and tracebacks) in the server's log — target 0.

    .venv/bin/python bench/soak.py                 # 10 minutes
    .venv/bin/python bench/soak.py --minutes 1     # verification run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
from http_load import API, Server, login

GRID = ["600000.SH", "000001.SZ", "600036.SH"]
MA = ["601318.SH", "000002.SZ", "600519.SH"]
EXITS = ["000858.SZ", "601166.SH", "300750.SZ"]


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB."""
    try:
        import psutil

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    den = sum((t - mx) ** 2 for t, _ in samples)
    return 60 * sum((t - mx) * (v - my) for t, v in samples) / den if den else 0.0


def pick(codes: list[str], known: set[str]) -> list[str]:
    return [c for c in codes if c in known]


async def setup(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, list[str]]:
    instruments = (await client.get("/market/instruments", params={"limit": 500}, headers=headers)).json()["data"]
    known = {i["stock_code"] for i in instruments if not i.get("is_st")}
    spare = [c for c in sorted(known) if c not in GRID + MA + EXITS]
    groups = {"grid": pick(GRID, known), "ma_cross": pick(MA, known), "stop_loss_take_profit": pick(EXITS, known)}
    for name, codes in groups.items():  # fill gaps from the rest of the universe
        while len(codes) < 3 and spare:
            codes.append(spare.pop(0))
    for code in groups["grid"]:
        quote = (await client.get(f"/market/quote/{code}", headers=headers)).json()["data"]
        params = {"base_price": quote["last_price"], "step_pct": "0.003", "lots_per_step": 1, "max_lots": 5}
        await watch(client, headers, code, "grid", params)
    for code in groups["ma_cross"]:
        await watch(client, headers, code, "ma_cross", {"fast": 2, "slow": 5, "period_seconds": 10})
    for code in groups["stop_loss_take_profit"]:
        await watch(client, headers, code, "stop_loss_take_profit", {"stop_pct": "0.01", "take_profit_pct": "0.01"})
    return groups


async def watch(
    client: httpx.AsyncClient, headers: dict[str, str], code: str, kind: str, params: dict[str, Any]
) -> None:
    body = {
        "stock_code": code,
        "enabled": True,
        "auto_trade": True,
        "strategy": {"type": kind, "params": params},
        "sizing": {"method": "quantity", "value": 100},
    }
    r = await client.post("/monitor/stocks", json=body, headers=headers)
    if r.status_code != 201:
        raise RuntimeError(f"watch {code} {kind}: {r.status_code} {r.text}")


async def buy_exits(
    client: httpx.AsyncClient, headers: dict[str, str], codes: list[str], stats: dict[str, int]
) -> None:
    for code in codes:
        quote = (await client.get(f"/market/quote/{code}", headers=headers)).json()["data"]
        if not quote or not quote.get("ask"):
            continue
        body = {
            "stock_code": code,
            "side": "buy",
            "quantity": 100,
            "price_type": "limit",
            "price": quote["ask"][0]["price"] if quote["ask"] else quote["last_price"],
        }
        r = await client.post("/trading/order", json=body, headers=headers)
        stats[f"manual {r.status_code}"] = stats.get(f"manual {r.status_code}", 0) + 1


async def ws_client(base: str, token: str, streams: list[str], counts: dict[str, int]) -> None:
    from websockets.asyncio.client import connect

    async with connect(base.replace("http://", "ws://") + API + "/ws", max_size=None) as ws:
        await ws.send(json.dumps({"action": "auth", "token": token}))
        await ws.send(json.dumps({"action": "subscribe", "streams": streams}))
        async for raw in ws:
            msg = json.loads(raw)
            key = str(msg.get("stream") or msg.get("type"))
            key = "quotes" if key.startswith("quotes:") else key
            counts[key] = counts.get(key, 0) + 1


async def soak(server: Server, minutes: float, day_every: float) -> dict[str, Any]:
    headers = login(server.base)
    stats: dict[str, int] = {}
    ws_counts: dict[str, int] = {}
    samples: list[tuple[float, float]] = []
    async with httpx.AsyncClient(base_url=server.base + API, timeout=60) as client:
        groups = await setup(client, headers)
        quotes = "quotes:" + ",".join(c for codes in groups.values() for c in codes)
        streams = ["orders", "trades", "account", "positions", "status", "risk", "signals", quotes]
        ws = asyncio.create_task(ws_client(server.base, headers["Authorization"].split(" ", 1)[1], streams, ws_counts))
        start = time.monotonic()
        end = start + minutes * 60
        next_sample, next_poll, next_buy = start + 10, start + 10, start
        next_day = start + day_every if day_every else float("inf")
        days = 0
        try:
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_buy:
                    await buy_exits(client, headers, groups["stop_loss_take_profit"], stats)
                    next_buy += 30
                if now >= next_day:
                    r = await client.post("/paper/clock/advance", json={"days": 1, "at": "09:31"}, headers=headers)
                    stats[f"advance {r.status_code}"] = stats.get(f"advance {r.status_code}", 0) + 1
                    days += 1
                    next_day += day_every
                if now >= next_poll:
                    for path in (
                        "/trading/orders?page_size=50",
                        "/trading/positions",
                        "/trading/account",
                        "/monitor/stocks",
                        "/trading/status",
                    ):
                        r = await client.get(path, headers=headers)
                        if r.status_code != 200:
                            stats[f"GET {path} {r.status_code}"] = stats.get(f"GET {path} {r.status_code}", 0) + 1
                    next_poll += 10
                if now >= next_sample:
                    samples.append((round(now - start, 1), round(rss_mb(server.proc.pid), 2)))  # type: ignore[union-attr]
                    print(
                        f"# t={now - start:5.0f}s rss={samples[-1][1]:.1f} MB ws={ws_counts}",
                        file=sys.stderr,
                        flush=True,
                    )
                    next_sample += 10
                await asyncio.sleep(0.2)
            samples.append((round(time.monotonic() - start, 1), round(rss_mb(server.proc.pid), 2)))  # type: ignore[union-attr]
            orders = (await client.get("/trading/orders?page_size=1", headers=headers)).json()["data"]["total"]
            trades = (await client.get("/trading/trades?page_size=1", headers=headers)).json()["data"]["total"]
            signals = (await client.get("/signals?page_size=1", headers=headers)).json().get("data") or {}
            monitor = (await client.get("/monitor/stocks", headers=headers)).json()["data"]
        finally:
            ws.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ws
    first, last = samples[0][1], samples[-1][1]
    return {
        "minutes": minutes,
        "samples": samples,
        "rss_mb_first": first,
        "rss_mb_last": last,
        "rss_mb_max": max(v for _, v in samples),
        "rss_growth_pct": round(100 * (last - first) / first, 2),
        "rss_slope_mb_per_min": round(slope_per_minute(samples), 3),
        "orders_total": orders,
        "trades_total": trades,
        "signals_total": signals.get("total") if isinstance(signals, dict) else None,
        "days_advanced": days,
        "ws_messages": ws_counts,
        "http_stats": stats,
        "watch_states": {
            m["stock_code"]: (m["strategy"] or {}).get("type", "") + ":" + m["status"]["state"] for m in monitor
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--day-every", type=float, default=120, help="seconds between next-day clock moves (0: never)")
    parser.add_argument("--volatility", default="2.0")
    parser.add_argument("--tick-seconds", default="0.5")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    info = C.meta(provisional=True)
    with tempfile.TemporaryDirectory(prefix="qmtdesk-soak-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        with C.fresh_database(args.database_url, data_dir) as url:
            server = Server(
                data_dir,
                url if args.database_url else None,
                env={
                    "QMTDESK_PAPER_VOLATILITY": args.volatility,
                    "QMTDESK_PAPER_TICK_SECONDS": args.tick_seconds,
                    "QMTDESK_PAPER_SEED": "7",
                    "QMTDESK_PAPER_CASH": "10000000",
                },
            )
            server.start()
            try:
                result = asyncio.run(soak(server, args.minutes, args.day_every))
            finally:
                server.stop()
        file_log = (data_dir / "logs" / "qmtdesk.log").read_text(errors="replace").splitlines()
    errors = [line for line in file_log if " ERROR " in line or " CRITICAL " in line]
    tracebacks = sum(1 for line in file_log if line.startswith("Traceback"))
    warnings = [line for line in file_log if " WARNING " in line]
    result.update(
        error_lines=len(errors),
        tracebacks=tracebacks,
        first_errors=errors[:10],
        warning_lines=len(warnings),
        first_warnings=warnings[:5],
        log_lines=len(file_log),
    )
    payload = {
        "meta": {**info, "backend": C.backend_of(url)},
        "targets": {"rss_growth_pct": 10, "error_lines": 0},
        "result": result,
    }
    rows = [
        {
            "minutes": args.minutes,
            "orders": result["orders_total"],
            "trades": result["trades_total"],
            "days": result["days_advanced"],
            "rss_first": result["rss_mb_first"],
            "rss_last": result["rss_mb_last"],
            "growth": result["rss_growth_pct"],
            "slope": result["rss_slope_mb_per_min"],
            "errors": result["error_lines"],
            "warnings": result["warning_lines"],
        }
    ]
    print(
        C.table(
            rows,
            [
                ("minutes", "minutes"),
                ("orders", "orders"),
                ("trades", "trades"),
                ("days", "day rolls"),
                ("rss_first", "RSS first MB"),
                ("rss_last", "RSS last MB"),
                ("growth", "RSS growth %"),
                ("slope", "MB/min"),
                ("errors", "ERROR lines"),
                ("warnings", "WARNING lines"),
            ],
        )
    )
    print(
        f"\nRSS growth {result['rss_growth_pct']}% (target < 10%) -> {'met' if result['rss_growth_pct'] < 10 else 'MISSED'}"
    )
    print(f"ERROR lines {result['error_lines']} (target 0) -> {'met' if result['error_lines'] == 0 else 'MISSED'}")
    for line in result["first_errors"]:
        print("  " + line[:300])
    path = C.write_json("soak", payload, args.out)
    print(f"JSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
