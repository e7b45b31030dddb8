"""The README's first trade, run as written against the real server from its first start."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.api.test_auth_hardening import _free_port, _read_until

README = Path(__file__).resolve().parents[2] / "README.md"


def _first_trade_block() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [block] = [b for b in blocks if "/auth/trade-unlock" in b and "/trading/order" in b]
    return str(block)


def _wait_healthy(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer /health")


@pytest.mark.skipif(os.name != "posix", reason="runs the README's bash block and reads pipes with select()")
def test_the_readme_first_trade_works_from_a_first_start_with_a_generated_password(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QMTDESK_", "MINIQMT_"))}
    # A Wednesday in continuous trading, so the README's limit buy fills against the simulated book.
    env.update({"QMTDESK_PAPER_CLOCK": "2026-11-25T10:00:00+08:00", "PYTHONUNBUFFERED": "1"})
    cmd = [sys.executable, "-m", "qmtdesk.cli", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)
    try:
        banner = _read_until(proc.stdout, lambda t: "trading-passwd" in t, timeout=60)
        password = banner.split("password:", 1)[1].split()[0]
        # The first start says what to do next: change the password, set a trading password.
        assert "/api/v1/auth/password" in banner and "/api/v1/auth/trading-password" in banner, banner
        _wait_healthy(port, 30)
        script = _first_trade_block().replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        script = re.sub(
            r"^PW=.*$",
            f"PW='{password}'; NEW_PW='a-new-login-pass-1'; TRADE_PW='864213'",
            script,
            count=1,
            flags=re.M,
        )
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    trading_password_set, order_answer = json.loads(lines[0]), json.loads(lines[-1])
    assert trading_password_set["code"] == 0, trading_password_set
    assert order_answer["code"] == 0, order_answer
    order = order_answer["data"]["order"]
    assert order["client_order_id"] == "my-1" and order["status"] == "filled", order
