"""Helpers shared by the benchmarks: percentiles, machine facts, tables, throw-away databases, settings."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import socket
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
ROOT = BENCH.parent
#: Wednesday 2026-11-25, continuous trading (the API tests start here too).
CLOCK_START = "2026-11-25T10:00:00+08:00"
ADMIN_PASSWORD = "admin-pass-1"
TRADING_PASSWORD = "246810"
SECRET = "b" * 48


def pct(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


def ms(seconds: float) -> float:
    """Seconds to milliseconds, rounded for tables."""
    return round(seconds * 1000, 3)


def latency_summary(latencies: list[float]) -> dict[str, float]:
    """p50 / p90 / p99 / max in ms."""
    values = sorted(latencies)
    return {
        "p50_ms": ms(pct(values, 0.50)),
        "p90_ms": ms(pct(values, 0.90)),
        "p99_ms": ms(pct(values, 0.99)),
        "max_ms": ms(values[-1]) if values else float("nan"),
    }


def load_average() -> list[float] | None:
    """1/5/15-minute load averages (a busy machine makes every figure provisional)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def git_commit() -> str:
    """The commit measured (``+dirty`` when src/ has uncommitted changes)."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def meta(**extra: Any) -> dict[str, Any]:
    """Where and when a result was measured."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "commit": git_commit(),
        "load_average_at_start": load_average(),
        "argv": sys.argv,
        **extra,
    }


def write_json(name: str, payload: dict[str, Any], out: Path | None = None) -> Path:
    """Write ``payload`` to ``bench/results/<name>.json`` (or ``out``) and return the path."""
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A markdown table of ``rows`` with ``(key, heading)`` columns."""
    lines = ["| " + " | ".join(h for _, h in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(k, "")) for k, _ in columns) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def fresh_database(url: str | None, data_dir: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in ``data_dir``, or a database created on the PostgreSQL server
    of ``url`` (``CREATE DATABASE qmtdesk_bench_<random>``) and dropped afterwards."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{data_dir / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from qmtdesk.store.db import normalize_url

    server = make_url(normalize_url(url))
    name = f"qmtdesk_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backend_of(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return "postgresql" if url.startswith("postgres") else "sqlite"


def desk_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """Environment of a ``qmtdesk serve`` on paper, a simulated clock and a fixed book."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QMTDESK_", "MINIQMT_"))}
    env.update(
        {
            "QMTDESK_DATA_DIR": str(data_dir),
            "QMTDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "QMTDESK_ADMIN_TRADING_PASSWORD": TRADING_PASSWORD,
            "QMTDESK_SECRET_KEY": SECRET,
            "QMTDESK_PAPER_CLOCK": CLOCK_START,
            "QMTDESK_PAPER_VOLATILITY": "0",
            "QMTDESK_PAPER_SEED": "1",
            "QMTDESK_PAPER_CASH": "1000000000000",
            "QMTDESK_BROKER": "paper",
        }
    )
    env.update(overrides)
    return env


def settings(data_dir: Path, database_url: str, **overrides: Any) -> Any:
    """Desk settings for an in-process paper desk (see tests/api/conftest.py ``make_settings``)."""
    for key in [k for k in os.environ if k.startswith(("QMTDESK_", "MINIQMT_"))]:
        del os.environ[key]  # the bench decides every setting
    from qmtdesk.config import load_settings

    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "admin_password": ADMIN_PASSWORD,
        "admin_trading_password": TRADING_PASSWORD,
        "paper_clock": CLOCK_START,
        "paper_volatility": "0",
        "paper_seed": 1,
        # A snapshot per 2 s of clock: pipeline.py moves the simulated clock 2 s every 200 orders.
        "paper_tick_seconds": 2,
        "paper_cash": Decimal(10**12),
        "secret_key": SECRET,
    }
    values.update(overrides)
    return load_settings(**values)


def clock_start() -> datetime:
    """The simulated start as an aware datetime."""
    return datetime.fromisoformat(CLOCK_START)


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now (MB), from /proc (``nan`` where there is none)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")
