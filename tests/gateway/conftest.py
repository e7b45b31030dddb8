"""Remote gateways on the real parts: a real ``nats-server`` with JetStream, the real ``xtquant``
package over the simulated MiniQMT of tests/xtfake, and the real desk.

The NATS server is the one answering on ``QMTDESK_TEST_NATS_URL`` (default 127.0.0.1:4222), else one
this session starts from the ``nats-server`` binary (``scripts/test.sh`` installs it when missing).
Every test uses account ids of its own, so tests share the server without meeting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
import pytest

from qmtdesk.brokers.gateway import wire
from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from tests.api.conftest import database_url  # noqa: F401 (the SQLite / PostgreSQL fixture)
from tests.xtfake import MiniQMT, install

install()

INSTRUMENTS = [("600000.SH", "浦发银行", "11.50"), ("000001.SZ", "平安银行", "11.60")]


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
        return True
    except OSError:
        return False


def start_nats_server(store: Path, *extra: str, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """A nats-server with JetStream storing in ``store``, on ``port`` (default: a free one), with
    ``extra`` options (authentication). Restarted on the same store and port, it has its streams back."""
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not Path(binary).exists():
        pytest.fail("nats-server is not installed (apt install nats-server)")
    free = port
    if free is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "-js", "-a", "127.0.0.1", "-p", str(free), "-sd", str(store), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not _answers("127.0.0.1", free):
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the nats-server started for the tests did not answer")
        time.sleep(0.1)
    return proc, f"nats://127.0.0.1:{free}"


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server with JetStream."""
    url = os.environ.get("QMTDESK_TEST_NATS_URL", "nats://127.0.0.1:4222")
    host, port = url.rsplit("//", 1)[-1].rsplit(":", 1)
    if _answers(host, int(port)):
        yield url
        return
    proc, started = start_nats_server(tmp_path_factory.mktemp("nats"))
    yield started
    proc.terminate()
    proc.wait(timeout=10)


def new_account_id() -> str:
    """An account id no other test uses (tests share the NATS server)."""
    return "GW" + uuid.uuid4().hex[:10].upper()


def forget_account(url: str, account_id: str) -> None:
    """Drop a test account's report stream (its consumer goes with it)."""

    async def run() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        with contextlib.suppress(Exception):  # never created: nothing to drop
            await js.delete_stream(wire.report_stream(account_id))
        await nc.close()

    asyncio.run(run())


def fake_miniqmt(path: Path, account_id: str) -> MiniQMT:
    """A simulated MiniQMT with one stock account and the test instruments."""
    server = MiniQMT.at(str(path))
    server.add_account(account_id, cash=1_000_000)
    for code, name, pre_close in INSTRUMENTS:
        server.add_instrument(code, name, Decimal(pre_close))
    return server


def xtquant_broker(path: Path, account_id: str, clock: SimulatedClock | None = None) -> XtQuantBroker:
    """The MiniQMT adapter on a simulated MiniQMT, as a gateway runs it."""
    clock = clock or SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    config = XtQuantConfig(userdata_path=str(path), account_id=account_id, account_type="STOCK")
    return XtQuantBroker(lambda: config, clock)


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """``check()`` once it is truthy; fails after ``timeout``."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


class GatewayThread:
    """A gateway on its own thread and event loop, as it would run on the MiniQMT PC."""

    def __init__(self, broker: Any, url: str, **options: Any) -> None:
        from qmtdesk.brokers.gateway.server import GatewayServer

        self.server = GatewayServer(broker, url, **options)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="gateway", daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> GatewayThread:
        self.call(self.server.start())
        return self

    def stop(self) -> None:
        """An orderly stop (Ctrl+C)."""
        self.call(self.server.stop())
        self._end()

    def crash(self) -> None:
        """The process dies: no drain, no goodbye; what it had not published is lost with it."""

        async def die() -> None:
            for task in self.server._tasks:
                task.cancel()
            nc = self.server._nc
            if nc is not None:
                await nc.close()
            await self.server.broker.close()

        self.call(die())
        self._end()

    def _end(self) -> None:
        async def cancel_the_rest() -> None:
            current = asyncio.current_task()
            rest = [t for t in asyncio.all_tasks() if t is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        self.call(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def gateways(nats_url: str) -> Iterator[list[GatewayThread]]:
    """Gateways a test starts; each is stopped after it (if still running)."""
    started: list[GatewayThread] = []
    yield started
    for gw in started:
        if gw.thread.is_alive():
            gw.stop()


@pytest.fixture
def fresh_miniqmt() -> Iterator[None]:
    MiniQMT.reset_all()
    yield
    MiniQMT.reset_all()
