"""The real server under HTTP load: sustained rates, a burst, and WebSocket fill-to-client latency (issue 7.1).

Starts ``qmtdesk serve`` (paper, simulated clock from 2026-11-25 10:00 running at real speed, fixed book,
SQLite unless ``--database-url``) on a free loopback port, logs in, unlocks trading, and then:

1. **sustained** — for each rate (default 100 / 200 / 500 orders/s) an open-loop schedule: order *i* is due
   at ``start + i / rate`` whatever happened to the earlier ones, sent on the next idle one of a pool of
   ``--clients`` x ``--connections-per-client`` keep-alive connections. Latency is measured from the *due
   time* to the response (queueing in the generator, including waiting for a free connection, counts, so a
   server that falls behind shows it) and, separately, from the actual send.
2. **burst** — ``--burst-orders`` orders as fast as ``--burst-clients`` closed-loop workers, one connection
   each, can send them (each sends its next order when the previous answer arrived): the maximum rate.
3. **WebSocket** — during every phase a client subscribed to ``trades`` records when each order's trade
   message arrives; fill-to-client latency = trade message received − HTTP submission sent.

Every order is an immediately fillable limit buy of one minimum lot, round-robin over the bundled
SSE/SZSE/ChiNext/STAR stocks, two ticks through the best ask. The simulated clock runs, so the book takes a
new snapshot every ``QMTDESK_PAPER_TICK_SECONDS`` (3 s): three crossed levels of 10,000 shares per stock and
snapshot are far more than even 1,000 orders/s spread over 33 stocks consume. The default ``order_rate`` risk rule (300
orders/s, the exchanges' high-frequency threshold) would deny part of the 500/s and burst phases, so the
bench raises it to ``--order-rate-limit`` through ``PUT /risk/rules/order_rate`` first (all other rules
keep their defaults); pass ``--order-rate-limit 0`` to keep the default.

The load generator is a minimal raw HTTP/1.1 keep-alive client on asyncio streams (``Conn``): every order
request is prebuilt bytes (bodies serialized once up front), a connection carries one request at a time,
and the response is read by its ``Content-Length`` and parsed only for the status, order id and order
status. httpx costs ~1.7 ms of generator CPU per request; on a 2-core machine that CPU is taken from the
server and caps the rate the bench can show, so the generator must stay far cheaper than the server.
Login, the order book and the risk-rule change (once per run) still use httpx; the WebSocket watcher uses
``websockets``.

Bounded: each phase runs ``--seconds`` (default 10) plus at most ``--drain`` seconds for stragglers; the
server is stopped at the end. Loopback only.

    .venv/bin/python bench/http_load.py                                  # 100/200/500 orders/s + burst
    .venv/bin/python bench/http_load.py --rates 50 --seconds 3 --burst-orders 300   # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

API = "/api/v1"

try:
    import orjson

    _dumps = orjson.dumps
    _loads = orjson.loads
except ImportError:  # pragma: no cover - orjson is optional

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

    _loads = json.loads


# ------------------------------------------------------------------------------ server
class Server:
    """A ``qmtdesk serve`` subprocess on a free loopback port."""

    def __init__(self, data_dir: Path, database_url: str | None, env: dict[str, str] | None = None) -> None:
        self.port = C.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        extra = {"QMTDESK_PORT": str(self.port), "QMTDESK_HOST": "127.0.0.1", **(env or {})}
        if database_url:
            extra["QMTDESK_DATABASE_URL"] = database_url
        self.env = C.desk_env(data_dir, **extra)
        self.log_path = data_dir / "server.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmtdesk.cli", "serve"], env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}{API}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("server did not start within 90 s")

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._log.close()

    def error_lines(self) -> list[str]:
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if " ERROR " in line]


def login(base: str) -> dict[str, str]:
    """Bearer + trade token headers for the admin."""
    with httpx.Client(base_url=base + API, timeout=30) as client:
        r = client.post("/auth/login", json={"username": "admin", "password": C.ADMIN_PASSWORD})
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['data']['access_token']}"}
        r = client.post("/auth/trade-unlock", json={"trading_password": C.TRADING_PASSWORD}, headers=auth)
        r.raise_for_status()
        return {**auth, "X-Trade-Token": r.json()["data"]["trade_token"]}


def order_book(base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """One order body per instrument: a minimum lot two ticks through the best ask."""
    with httpx.Client(base_url=base + API, timeout=30) as client:
        instruments = client.get("/market/instruments", params={"limit": 500}, headers=headers).json()["data"]
        bodies = []
        for inst in instruments:
            code = inst["stock_code"]
            if not code.startswith(("6", "0", "3")) or inst.get("is_st"):
                continue
            quote = client.get(f"/market/quote/{code}", headers=headers).json().get("data")
            if not quote or not quote.get("ask") or not quote["ask"][0]["volume"]:
                continue
            tick = Decimal(str(inst["price_tick"]))
            price = Decimal(quote["ask"][0]["price"]) + 2 * tick
            bodies.append(
                {
                    "stock_code": code,
                    "side": "buy",
                    "quantity": int(inst["lot_size"]),
                    "price_type": "limit",
                    "price": str(price),
                }
            )
        return bodies


def lift_order_rate(base: str, headers: dict[str, str], limit: int) -> None:
    with httpx.Client(base_url=base + API, timeout=30) as client:
        r = client.put(
            "/risk/rules/order_rate", json={"enabled": True, "params": {"max_orders": limit}}, headers=headers
        )
        r.raise_for_status()


# ------------------------------------------------------------------------------ websocket watcher
class TradeWatcher:
    """A WebSocket client subscribed to ``trades``: when did each order's trade message arrive."""

    def __init__(self, base: str, token: str) -> None:
        self.url = base.replace("http://", "ws://") + API + "/ws"
        self.token = token
        self.arrived: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 15)

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.url, max_size=None) as ws:
            await ws.send(json.dumps({"action": "auth", "token": self.token}))
            await ws.send(json.dumps({"action": "subscribe", "streams": ["trades"]}))
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                if msg.get("type") == "subscribed":
                    self._ready.set()
                if msg.get("stream") == "trades":
                    order_id = msg.get("data", {}).get("order_id")
                    if order_id is not None:
                        self.arrived.setdefault(int(order_id), now)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


# ------------------------------------------------------------------------------ load
class Conn:
    """One persistent HTTP/1.1 keep-alive connection on asyncio streams, one request at a time.

    Far cheaper per request than httpx: the request is prebuilt bytes, the response head is split once,
    the body read by ``Content-Length`` (or ``Transfer-Encoding: chunked``). A connection the server closed
    (idle keep-alive timeout, ``Connection: close``, a reset) is reopened on the next request."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def is_open(self) -> bool:
        """Connected, and not closed by the server meanwhile (an EOF the event loop already saw)."""
        return (
            self.reader is not None
            and self.writer is not None
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    async def connect(self) -> None:
        """Open the connection unless it is still open."""
        if self.is_open():
            return
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, payload: bytes) -> tuple[int, bytes]:
        """Send ``payload`` (a complete request) and return (status, body). Any failure closes the connection."""
        try:
            if not self.is_open():
                await self.connect()
            assert self.reader is not None and self.writer is not None
            self.writer.write(payload)
            reader = self.reader
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head[:-4].split(b"\r\n")
            version, status_text = lines[0].split(b" ", 2)[:2]
            status = int(status_text)
            length = -1
            close = version == b"HTTP/1.0"
            chunked = False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"connection":
                    close = b"close" in value.lower()
            if chunked:
                body = await self._read_chunked()
            elif length >= 0:
                body = await reader.readexactly(length)
            elif status in (204, 304) or status < 200:
                body = b""
            else:  # no length: the body runs to the end of the connection
                body = await reader.read()
                close = True
        except BaseException:
            self.close()  # the connection's state is unknown (a failure, or the phase cut the request short)
            raise
        if close:
            self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers up to the empty line
                    pass
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


def order_requests(host: str, port: int, headers: dict[str, str], bodies: list[dict[str, Any]]) -> list[bytes]:
    """Each order body as a complete prebuilt ``POST /trading/order`` request (serialized once, up front)."""
    fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    out = []
    for body in bodies:
        data = _dumps(body)
        out.append(
            (
                f"POST {API}/trading/order HTTP/1.1\r\nHost: {host}:{port}\r\n{fixed}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            ).encode("latin-1")
            + data
        )
    return out


class Load:
    """Shared state of one phase: the raw connections, an idle pool of them, the prebuilt requests."""

    def __init__(self, conns: list[Conn], requests: list[bytes]) -> None:
        self.conns = conns
        self.requests = requests
        self.idle: asyncio.LifoQueue[Conn] = asyncio.LifoQueue()  # the most recently used first: keeps few warm
        for conn in conns:
            self.idle.put_nowait(conn)
        self.counter = itertools.count()
        self.sent_at: dict[int, float] = {}  # order id -> perf_counter at send
        self.statuses: Counter[str] = Counter()

    async def connect(self) -> None:
        """(Re)open every connection before the clock starts (the server drops idle ones after 5 s); one that
        fails here is retried, and counted, by its first request."""
        await asyncio.gather(*(conn.connect() for conn in self.conns), return_exceptions=True)

    async def send_pooled(self) -> tuple[float, float] | None:
        """One order on the next idle connection (waiting for one counts towards the latency from due)."""
        conn = await self.idle.get()
        try:
            return await self.send(conn)
        finally:
            self.idle.put_nowait(conn)

    async def send(self, conn: Conn) -> tuple[float, float] | None:
        """One order; returns (send time, response time) or None on a transport failure."""
        i = next(self.counter)
        payload = self.requests[i % len(self.requests)]
        t_send = time.perf_counter()
        try:
            status, raw = await conn.request(payload)
        except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
            # IncompleteReadError is an EOFError: the server closed the connection mid-request
            self.statuses[type(exc).__name__] += 1
            return None
        t_done = time.perf_counter()
        try:
            data = _loads(raw)
        except ValueError:
            data = {"error": raw[:60].decode("utf-8", "replace")}
        if status == 201:
            order = data["data"]["order"]
            self.statuses[order["status"]] += 1
            self.sent_at[int(order["order_id"])] = t_send
        else:
            self.statuses[f"{status} {data.get('error') if isinstance(data, dict) else data}"] += 1
        return t_send, t_done


async def sustained(load: Load, rate: float, seconds: float, drain: float) -> dict[str, Any]:
    """Open loop: order i is due at start + i/rate."""
    n = int(rate * seconds)
    from_due: list[float] = []
    from_send: list[float] = []

    async def one(i: int, due: float) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result = await load.send_pooled()
        if result is not None:
            t_send, t_done = result
            from_due.append(t_done - due)
            from_send.append(t_done - t_send)

    await load.connect()
    start = time.perf_counter() + 0.2
    tasks = [asyncio.create_task(one(i, start + i / rate)) for i in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=seconds + 0.2 + drain)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    return {
        "phase": f"sustained {rate:g}/s",
        "target_rate": rate,
        "orders": n,
        "answered": len(from_due),
        "unfinished": len(pending),
        "achieved_rate": round(len(from_due) / elapsed, 1),
        **{k: v for k, v in C.latency_summary(from_due).items()},
        "send_p50_ms": C.latency_summary(from_send)["p50_ms"],
        "send_p99_ms": C.latency_summary(from_send)["p99_ms"],
    }


async def burst(load: Load, n: int, clients: int, limit: float) -> dict[str, Any]:
    """Closed loop: ``clients`` workers, each on its own connection, send back to back until ``n`` orders were
    answered."""
    latencies: list[float] = []
    remaining = itertools.count()

    async def worker(k: int) -> None:
        conn = load.conns[k % len(load.conns)]
        while next(remaining) < n:
            result = await load.send(conn)
            if result is not None:
                latencies.append(result[1] - result[0])

    await load.connect()
    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker(k) for k in range(clients))), limit)
    elapsed = time.perf_counter() - start
    return {
        "phase": f"burst x{clients} clients",
        "orders": n,
        "answered": len(latencies),
        "seconds": round(elapsed, 3),
        "achieved_rate": round(len(latencies) / elapsed, 1),
        **C.latency_summary(latencies),
    }


def ws_latency(load: Load, watcher: TradeWatcher, ids: set[int]) -> dict[str, Any]:
    lat = [watcher.arrived[i] - load.sent_at[i] for i in ids if i in watcher.arrived]
    out = C.latency_summary(lat)
    return {"ws_fills": len(lat), "ws_p50_ms": out["p50_ms"], "ws_p99_ms": out["p99_ms"], "ws_max_ms": out["max_ms"]}


async def finish_phase(
    r: dict[str, Any], load: Load, watcher: TradeWatcher, server: Server, cpu0: float, g0: float
) -> dict[str, Any]:
    """Add a phase's WebSocket latencies, the CPU per order of server and generator, and the statuses."""
    await asyncio.sleep(0.5)  # trade messages still on their way
    r.update(ws_latency(load, watcher, set(load.sent_at)))
    r["server_cpu_ms_per_order"] = round((server.cpu_seconds() - cpu0) * 1000 / max(1, r["answered"]), 3)
    r["generator_cpu_ms_per_order"] = round((time.process_time() - g0) * 1000 / max(1, r["answered"]), 3)
    r["statuses"] = dict(load.statuses)
    return r


async def settle(server: Server, limit: float = 60) -> None:
    """Wait until the server is nearly idle (requests a cut-short phase left behind are done)."""
    deadline = time.monotonic() + limit
    last = server.cpu_seconds()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = server.cpu_seconds()
        if now - last < 0.1:
            return
        last = now


async def run(args: argparse.Namespace, server: Server) -> list[dict[str, Any]]:
    headers = login(server.base)
    if args.order_rate_limit:
        lift_order_rate(server.base, headers, args.order_rate_limit)
    bodies = order_book(server.base, headers)
    requests = order_requests("127.0.0.1", server.port, headers, bodies)
    sustained_conns = max(1, args.clients * args.connections_per_client)
    conns = [Conn("127.0.0.1", server.port) for _ in range(max(sustained_conns, args.burst_clients))]
    watcher = TradeWatcher(server.base, headers["Authorization"].split(" ", 1)[1])
    await watcher.start()
    results = []
    try:
        warm = Load(conns, requests)
        await sustained(warm, 50, 2, args.drain)  # warm-up: connections, caches
        await settle(server)
        for rate in args.rates:
            load = Load(conns[:sustained_conns], requests)
            cpu0, g0 = server.cpu_seconds(), time.process_time()
            r = await sustained(load, rate, args.seconds, args.drain)
            results.append(await finish_phase(r, load, watcher, server, cpu0, g0))
            print(
                f"# {r['phase']}: {r['achieved_rate']}/s p50 {r['p50_ms']} p99 {r['p99_ms']} ms, "
                f"ws p99 {r['ws_p99_ms']} ms, {r['statuses']}",
                file=sys.stderr,
                flush=True,
            )
            await settle(server)
        if args.burst_orders:
            load = Load(conns[: args.burst_clients], requests)
            cpu0, g0 = server.cpu_seconds(), time.process_time()
            r = await burst(load, args.burst_orders, args.burst_clients, args.seconds * 10 + args.drain)
            results.append(await finish_phase(r, load, watcher, server, cpu0, g0))
            print(
                f"# {r['phase']}: {r['achieved_rate']}/s p50 {r['p50_ms']} p99 {r['p99_ms']} ms, {r['statuses']}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        await watcher.stop()
        for conn in conns:
            conn.close()
    return results


COLUMNS = [
    ("phase", "phase"),
    ("orders", "orders"),
    ("answered", "answered"),
    ("achieved_rate", "orders/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("ws_p50_ms", "WS p50 ms"),
    ("ws_p99_ms", "WS p99 ms"),
    ("server_cpu_ms_per_order", "server CPU ms/order"),
    ("generator_cpu_ms_per_order", "generator CPU ms/order"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=float, nargs="*", default=[100, 200, 500])
    parser.add_argument("--seconds", type=float, default=10, help="length of each sustained phase")
    parser.add_argument("--drain", type=float, default=30, help="extra seconds a phase may take for stragglers")
    parser.add_argument(
        "--clients",
        type=int,
        default=16,
        help="sustained phases use a pool of CLIENTS x CONNECTIONS_PER_CLIENT keep-alive connections "
        "(each carries one request at a time; an order due while all are busy waits for one)",
    )
    parser.add_argument(
        "--connections-per-client", type=int, default=8, help="see --clients (default 16 x 8 = 128 connections)"
    )
    parser.add_argument("--burst-orders", type=int, default=3000)
    parser.add_argument(
        "--burst-clients",
        type=int,
        default=32,
        help="closed-loop burst workers, one keep-alive connection each",
    )
    parser.add_argument("--order-rate-limit", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server: a fresh database is created")
    parser.add_argument(
        "--profile-server",
        type=Path,
        default=None,
        help="attach py-spy (if installed) to the server for the whole run; raw folded stacks here",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory (server log, database)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="qmtdesk-http-")
    data_dir = Path(tmp) / "data"
    data_dir.mkdir()
    info = C.meta(provisional=True)
    with C.fresh_database(args.database_url, data_dir) as url:
        server = Server(data_dir, url if args.database_url else None)
        server.start()
        spy = None
        if args.profile_server:
            import shutil
            import signal

            exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            assert server.proc is not None
            spy = subprocess.Popen(
                [
                    exe,
                    "record",
                    "--pid",
                    str(server.proc.pid),
                    "--format",
                    "raw",
                    "-r",
                    "200",
                    "--nonblocking",
                    "-o",
                    str(args.profile_server),
                ]
            )
            time.sleep(1)
        try:
            rss0 = server.rss_mb()
            results = asyncio.run(run(args, server))
            rss1 = server.rss_mb()
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            server.stop()
    errors = server.error_lines()
    payload = {
        "meta": {**info, "backend": C.backend_of(url), "data_dir": str(data_dir) if args.keep else None},
        "server": {
            "rss_mb_before": round(rss0, 1),
            "rss_mb_after": round(rss1, 1),
            "error_lines": len(errors),
            "first_errors": errors[:5],
        },
        "targets": {"http_p99_ms_at_200": 10, "burst_orders_per_second": 1000, "ws_p99_ms": 20},
        "results": results,
    }
    print(C.table(results, COLUMNS))
    at200 = next((r for r in results if r.get("target_rate") == 200), None)
    bursts = [r for r in results if r["phase"].startswith("burst")]
    print()
    if at200:
        print(
            f"HTTP p99 at 200/s: {at200['p99_ms']} ms (target < 10 ms) -> {'met' if at200['p99_ms'] < 10 else 'MISSED'}"
        )
    if bursts:
        b = bursts[0]["achieved_rate"]
        print(f"burst: {b} orders/s (target >= 1000) -> {'met' if b >= 1000 else 'MISSED'}")
    ws = [r["ws_p99_ms"] for r in results if r.get("ws_fills")]
    if ws:
        print(f"WebSocket p99 (worst phase): {max(ws)} ms (target < 20 ms) -> {'met' if max(ws) < 20 else 'MISSED'}")
    print(f"server ERROR lines: {len(errors)}")
    path = C.write_json("http_load" + ("" if C.backend_of(url) == "sqlite" else "_postgresql"), payload, args.out)
    print(f"JSON: {path}", file=sys.stderr)
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
