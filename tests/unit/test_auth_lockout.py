"""Lockout after five wrong passwords in 15 minutes, persisted in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from qmtdesk.auth import lockout
from qmtdesk.domain.errors import DeskError
from qmtdesk.store.base import Base
from qmtdesk.store.db import make_engine, make_session_factory, sqlite_url
from qmtdesk.store.tables.auth import AuthFailure

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as s:
        yield s


def _fail(session: Session, at: datetime, username: str = "alice", kind: lockout.LockKind = "login") -> datetime | None:
    until = lockout.record_failure(session, kind, username, at)
    session.commit()
    return until


def _locked_error(
    session: Session, at: datetime, username: str = "alice", kind: lockout.LockKind = "login"
) -> DeskError:
    with pytest.raises(DeskError) as info:
        lockout.ensure_not_locked(session, kind, username, at)
    return info.value


def test_five_failures_within_15_minutes_lock_for_15_minutes_from_the_fifth(session: Session) -> None:
    for minute in (0, 3, 6, 9):
        assert _fail(session, T0 + timedelta(minutes=minute)) is None
        lockout.ensure_not_locked(session, "login", "alice", T0 + timedelta(minutes=minute))
    fifth = T0 + timedelta(minutes=14)
    assert _fail(session, fifth) == fifth + timedelta(minutes=15)
    err = _locked_error(session, fifth + timedelta(minutes=14, seconds=59))
    assert (err.code, err.http_status) == ("AUTH_LOCKED", 429)
    assert err.data["kind"] == "login"
    assert err.data["retry_after"] == 1
    assert datetime.fromisoformat(err.data["locked_until"]) == fifth + timedelta(minutes=15)
    assert "锁定" in err.message_zh
    lockout.ensure_not_locked(session, "login", "alice", fifth + timedelta(minutes=15))


def test_failures_spread_wider_than_the_window_do_not_lock(session: Session) -> None:
    for minute in (0, 4, 8, 12, 16, 20, 24):
        assert _fail(session, T0 + timedelta(minutes=minute)) is None
    assert lockout.failure_count(session, "login", "alice", T0 + timedelta(minutes=24)) == 4


def test_after_a_lock_ends_the_count_starts_afresh(session: Session) -> None:
    for second in range(5):
        _fail(session, T0 + timedelta(seconds=second))
    after = T0 + timedelta(minutes=16)
    assert _fail(session, after) is None
    lockout.ensure_not_locked(session, "login", "alice", after)
    assert lockout.failure_count(session, "login", "alice", after) == 1


def test_clearing_forgets_failures_and_lifts_the_lock(session: Session) -> None:
    for second in range(4):
        _fail(session, T0 + timedelta(seconds=second))
    lockout.clear(session, "login", "alice")
    session.commit()
    assert _fail(session, T0 + timedelta(seconds=10)) is None
    for second in range(11, 15):
        _fail(session, T0 + timedelta(seconds=second))
    _locked_error(session, T0 + timedelta(seconds=20))
    lockout.clear(session, "login", "alice")
    session.commit()
    lockout.ensure_not_locked(session, "login", "alice", T0 + timedelta(seconds=20))


def test_kinds_and_usernames_are_counted_separately_and_names_ignore_case(session: Session) -> None:
    for second in range(5):
        _fail(session, T0 + timedelta(seconds=second), username="Alice" if second % 2 else "alice ")
    _locked_error(session, T0 + timedelta(minutes=1), username="ALICE")
    lockout.ensure_not_locked(session, "trade", "alice", T0 + timedelta(minutes=1))
    lockout.ensure_not_locked(session, "login", "bob", T0 + timedelta(minutes=1))
    err = _locked_error(session, T0 + timedelta(minutes=1), username="alice")
    assert err.data["kind"] == "login"


def test_trade_lock_message_names_trading(session: Session) -> None:
    for second in range(5):
        _fail(session, T0 + timedelta(seconds=second), kind="trade")
    err = _locked_error(session, T0 + timedelta(seconds=5), kind="trade")
    assert err.data["kind"] == "trade" and "交易" in err.message_zh


def test_a_lock_survives_a_restart(engine: Engine, tmp_path: Path) -> None:
    with make_session_factory(engine)() as s:
        for second in range(5):
            _fail(s, T0 + timedelta(seconds=second))
    engine.dispose()
    fresh = make_engine(sqlite_url(tmp_path))
    with make_session_factory(fresh)() as s:
        _locked_error(s, T0 + timedelta(minutes=10))
    fresh.dispose()


def test_old_failures_are_pruned(session: Session) -> None:
    for minute in range(0, 60, 10):
        _fail(session, T0 + timedelta(minutes=minute))
    stored = session.scalar(select(func.count()).select_from(AuthFailure))
    assert stored == 2  # only the failures inside the last 15 minutes are kept


def test_a_naive_clock_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="aware"):
        lockout.record_failure(session, "login", "alice", datetime(2026, 3, 2, 9, 0))
    assert lockout.locked_until(session, "login", "alice", T0.astimezone(UTC)) is None
