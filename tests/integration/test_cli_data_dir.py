"""`--data-dir` is taken wherever it is written on the command line, and the commands use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmtdesk.cli import main


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QMTDESK_DATA_DIR", "QMTDESK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QMTDESK_ADMIN_PASSWORD", "admin-pass-1")
    monkeypatch.setenv("QMTDESK_SECRET_KEY", "x" * 48)


def test_data_dir_before_the_command_and_after_it_reach_the_same_desk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "desk")
    assert main(["--data-dir", data, "init"]) == 0
    assert (tmp_path / "desk" / "qmtdesk.db").exists()
    assert main(["user", "--data-dir", data, "add", "alice", "--password", "alice-pass-1"]) == 0
    assert main(["user", "add", "bob", "--password", "bob-pass-12", "--data-dir", data]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data, "user", "list"]) == 0
    listed = capsys.readouterr().out
    assert "alice" in listed and "bob" in listed and "admin" in listed
