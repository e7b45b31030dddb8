"""Settings from the environment, the generated secret key, loopback detection and config sources."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from qmtdesk.config import (
    Settings,
    ensure_config_editable,
    env_locked_keys,
    is_loopback,
    load_settings,
    miniqmt_config_sources,
    resolve_secret_key,
    with_db_config,
)
from qmtdesk.domain.errors import DeskError
from qmtdesk.store.db import sqlite_url

LONG_KEY = "k" * 48


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No QMTDESK_*/MINIQMT_* variable of the machine running the tests leaks in; cwd is empty."""
    for name in list(os.environ):
        if name.upper().startswith(("QMTDESK_", "MINIQMT_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_api_contract(tmp_path: Path) -> None:
    s = load_settings()
    assert s.data_dir == tmp_path / "qmtdesk-data"
    assert s.data_dir.is_absolute()
    assert s.database_url == sqlite_url(tmp_path / "qmtdesk-data")
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.secret_key is None
    assert s.broker == "paper"
    assert s.admin_username == "admin"
    assert s.admin_password is None and s.admin_trading_password is None
    assert s.miniqmt_enabled is False
    assert s.miniqmt_account_id is None
    assert s.miniqmt_account_type == "STOCK"
    assert s.miniqmt_userdata_path is None
    assert s.paper_cash == Decimal("1000000") and isinstance(s.paper_cash, Decimal)
    assert s.paper_clock == "realtime"
    assert s.paper_universe is None and s.paper_seed is None
    assert s.paper_volatility == Decimal("0.3") and isinstance(s.paper_volatility, Decimal)
    assert s.paper_tick_seconds == 3.0
    assert s.commission_rate == Decimal("0.00025") and s.commission_min == Decimal("5")
    assert (s.access_token_ttl, s.trade_token_ttl) == (28800, 900)
    assert s.cors_origins == []
    assert s.log_json is False and s.log_level == "INFO"
    assert s.quotes == "paper"


def test_every_documented_environment_variable_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {
        "QMTDESK_DATA_DIR": str(tmp_path / "d"),
        "QMTDESK_DATABASE_URL": "postgresql+psycopg://u@db/qmt",
        "QMTDESK_HOST": "0.0.0.0",
        "QMTDESK_PORT": "9001",
        "QMTDESK_SECRET_KEY": LONG_KEY,
        "QMTDESK_BROKER": "xtquant",
        "QMTDESK_ADMIN_USERNAME": "boss",
        "QMTDESK_ADMIN_PASSWORD": "admin-pass-1",
        "QMTDESK_ADMIN_TRADING_PASSWORD": "trade-pass-1",
        "MINIQMT_ENABLED": "true",
        "MINIQMT_ACCOUNT_ID": "8800001234",
        "MINIQMT_ACCOUNT_TYPE": "credit",
        "MINIQMT_USERDATA_PATH": r"D:\国金QMT\userdata_mini",
        "QMTDESK_PAPER_CASH": "500000.50",
        "QMTDESK_PAPER_CLOCK": "2026-03-02T09:25:00+08:00",
        "QMTDESK_PAPER_UNIVERSE": str(tmp_path / "u.csv"),
        "QMTDESK_PAPER_SEED": "42",
        "QMTDESK_PAPER_VOLATILITY": "0",
        "QMTDESK_PAPER_TICK_SECONDS": "0.5",
        "QMTDESK_COMMISSION_RATE": "0.0003",
        "QMTDESK_COMMISSION_MIN": "0",
        "QMTDESK_ACCESS_TOKEN_TTL": "600",
        "QMTDESK_TRADE_TOKEN_TTL": "60",
        "QMTDESK_CORS_ORIGINS": "http://localhost:5173, https://desk.example",
        "QMTDESK_LOG_JSON": "1",
        "QMTDESK_LOG_LEVEL": "debug",
        "QMTDESK_QUOTES": "xtdata",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = load_settings()
    assert s.data_dir == tmp_path / "d"
    assert s.database_url == "postgresql+psycopg://u@db/qmt"
    assert (s.host, s.port) == ("0.0.0.0", 9001)
    assert s.secret_key is not None and s.secret_key.get_secret_value() == LONG_KEY
    assert s.broker == "xtquant"
    assert s.admin_username == "boss"
    assert s.admin_password is not None and s.admin_password.get_secret_value() == "admin-pass-1"
    assert s.admin_trading_password is not None
    assert s.miniqmt_enabled is True and s.miniqmt_account_id == "8800001234"
    assert s.miniqmt_account_type == "CREDIT"
    assert s.miniqmt_userdata_path == r"D:\国金QMT\userdata_mini"
    assert s.paper_cash == Decimal("500000.50")
    assert s.paper_clock == datetime(2026, 3, 2, 9, 25, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert s.paper_universe == tmp_path / "u.csv"
    assert s.paper_seed == 42
    assert s.paper_volatility == Decimal("0")
    assert s.paper_tick_seconds == 0.5
    assert (s.commission_rate, s.commission_min) == (Decimal("0.0003"), Decimal("0"))
    assert (s.access_token_ttl, s.trade_token_ttl) == (600, 60)
    assert s.cors_origins == ["http://localhost:5173", "https://desk.example"]
    assert s.log_json is True and s.log_level == "DEBUG"
    assert s.quotes == "xtdata"


def test_miniqmt_enabled_makes_xtquant_the_default_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIQMT_ENABLED", "true")
    assert load_settings().broker == "xtquant"
    monkeypatch.setenv("QMTDESK_BROKER", "paper")
    assert load_settings().broker == "paper"


def test_overrides_beat_the_environment_and_none_overrides_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMTDESK_PORT", "9000")
    monkeypatch.setenv("QMTDESK_HOST", "127.0.0.2")
    s = load_settings(port=7000, host=None, QMTDESK_BROKER="xtquant")
    assert s.port == 7000
    assert s.host == "127.0.0.2"
    assert s.broker == "xtquant" and s.broker_explicit


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMTDESK_SECRET_KEY", "")
    monkeypatch.setenv("QMTDESK_PORT", "")
    s = load_settings()
    assert s.secret_key is None
    assert s.port == 8000


def test_a_dotenv_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("QMTDESK_PORT=1234\nQMTDESK_SECRET_KEY=" + LONG_KEY + "\n")
    s = load_settings()
    assert s.port == 8000 and s.secret_key is None


def test_paper_clock_without_offset_is_exchange_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMTDESK_PAPER_CLOCK", "2026-03-02T09:25:00")
    clock = load_settings().paper_clock
    assert isinstance(clock, datetime)
    assert clock.utcoffset() is not None and clock.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
    monkeypatch.setenv("QMTDESK_PAPER_CLOCK", "REALTIME")
    assert load_settings().paper_clock == "realtime"


def test_cors_origins_accept_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMTDESK_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert load_settings().cors_origins == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QMTDESK_PORT", "0"),
        ("QMTDESK_PORT", "70000"),
        ("QMTDESK_BROKER", "ib"),
        ("QMTDESK_QUOTES", "tushare"),
        ("QMTDESK_PAPER_CLOCK", "tomorrow"),
        ("QMTDESK_PAPER_VOLATILITY", "-0.1"),
        ("QMTDESK_PAPER_CASH", "0"),
        ("QMTDESK_PAPER_TICK_SECONDS", "0"),
        ("QMTDESK_COMMISSION_RATE", "-0.0001"),
        ("QMTDESK_TRADE_TOKEN_TTL", "0"),
        ("QMTDESK_LOG_LEVEL", "LOUD"),
        ("MINIQMT_ENABLED", "maybe"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        load_settings()


def test_secrets_do_not_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMTDESK_SECRET_KEY", LONG_KEY)
    monkeypatch.setenv("QMTDESK_ADMIN_PASSWORD", "admin-pass-1")
    text = repr(load_settings())
    assert LONG_KEY not in text and "admin-pass-1" not in text


def test_secret_key_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QMTDESK_SECRET_KEY", LONG_KEY)
    s = load_settings(data_dir=tmp_path / "data")
    assert resolve_secret_key(s) == LONG_KEY
    assert not (tmp_path / "data").exists()


def test_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path / "new" / "data")
    key = resolve_secret_key(s)
    assert len(key) >= 60
    path = tmp_path / "new" / "data" / "secret_key"
    assert path.read_text().strip() == key
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret_key(load_settings(data_dir=tmp_path / "new" / "data")) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary files left
    assert resolve_secret_key(load_settings(data_dir=tmp_path / "other")) != key


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_world_readable_secret_key_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text(LONG_KEY + "\n")
    path.chmod(0o644)
    assert resolve_secret_key(load_settings(data_dir=tmp_path)) == LONG_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_too_short_secret_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("abc\n")
    with pytest.raises(ValueError, match="shorter"):
        resolve_secret_key(load_settings(data_dir=tmp_path))


def test_an_empty_secret_key_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")
    key = resolve_secret_key(load_settings(data_dir=tmp_path))
    assert len(key) >= 60 and (tmp_path / "secret_key").read_text().strip() == key


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("10.0.0.1", False),
        ("desk.example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_miniqmt_sources_prefer_env_then_db_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIQMT_ACCOUNT_ID", "111")
    s = load_settings()
    sources = miniqmt_config_sources(
        s, {"MINIQMT_ACCOUNT_ID": "222", "MINIQMT_ENABLED": "true", "MINIQMT_ACCOUNT_TYPE": "credit"}
    )
    assert sources == {
        "MINIQMT_ENABLED": {"value": True, "source": "db"},
        "MINIQMT_ACCOUNT_ID": {"value": "111", "source": "env"},
        "MINIQMT_ACCOUNT_TYPE": {"value": "CREDIT", "source": "db"},
        "MINIQMT_USERDATA_PATH": {"value": None, "source": "default"},
    }


def test_an_unreadable_db_value_falls_back_to_the_default() -> None:
    sources = miniqmt_config_sources(load_settings(), {"MINIQMT_ENABLED": "perhaps"})
    assert sources["MINIQMT_ENABLED"] == {"value": False, "source": "default"}


def test_keys_set_by_the_environment_cannot_be_edited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIQMT_USERDATA_PATH", r"C:\qmt\userdata_mini")
    s = load_settings()
    assert env_locked_keys(s) == {"MINIQMT_USERDATA_PATH"}
    ensure_config_editable(s, {"MINIQMT_ACCOUNT_ID"})
    with pytest.raises(DeskError) as info:
        ensure_config_editable(s, ["MINIQMT_ACCOUNT_ID", "MINIQMT_USERDATA_PATH"])
    assert info.value.code == "CONFIG_LOCKED_BY_ENV"
    assert info.value.http_status == 409
    assert info.value.data == {"keys": ["MINIQMT_USERDATA_PATH"]}
    assert "环境变量" in info.value.message_zh


def test_db_config_fills_what_the_environment_leaves_and_moves_the_default_broker() -> None:
    s = load_settings()
    merged = with_db_config(s, {"MINIQMT_ENABLED": "1", "MINIQMT_ACCOUNT_ID": "333"})
    assert (merged.miniqmt_enabled, merged.miniqmt_account_id, merged.broker) == (True, "333", "xtquant")
    # The merged copy still knows these came from the database, not the environment.
    assert env_locked_keys(merged) == set()
    pinned = with_db_config(load_settings(broker="paper"), {"MINIQMT_ENABLED": "1"})
    assert pinned.broker == "paper"


def test_settings_class_is_constructible_directly() -> None:
    assert Settings(QMTDESK_PORT=8100).port == 8100  # type: ignore[call-arg]


def test_a_short_secret_key_is_accepted_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("QMTDESK_SECRET_KEY", "short-secret")
    settings = load_settings()
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == "short-secret"
    assert "shorter than 32" in caplog.text
