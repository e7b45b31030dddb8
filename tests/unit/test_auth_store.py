"""The auth, audit and app_config tables: aware times on SQLite, an append-only redacted audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from qmtdesk.store.base import Base
from qmtdesk.store.db import make_engine, make_session_factory, sqlite_url
from qmtdesk.store.tables.app_config import read_app_config, write_app_config
from qmtdesk.store.tables.audit import REDACTED, AuditLog, list_audit, record_audit
from qmtdesk.store.tables.auth import User

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)


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


def test_the_tables_exist_with_their_documented_names(engine: Engine) -> None:
    names = set(Base.metadata.tables)
    assert {"users", "api_tokens", "auth_failures", "auth_lockouts", "audit_log", "app_config"} <= names


def test_times_come_back_aware_in_utc_and_the_same_instant(session: Session) -> None:
    session.add(User(username="u", password_hash="x", role="viewer", created_at=NOW, updated_at=NOW))
    session.commit()
    session.expunge_all()
    user = session.scalars(select(User)).one()
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset() == timedelta(0)
    assert user.created_at == NOW
    raw = session.execute(text("SELECT created_at FROM users")).scalar_one()
    assert raw.startswith("2026-03-02 01:30:00")  # stored as UTC, so text order is time order


def test_time_comparisons_work_across_offsets(session: Session) -> None:
    session.add(User(username="u", password_hash="x", role="viewer", created_at=NOW, updated_at=NOW))
    session.commit()
    just_before_in_utc = (NOW - timedelta(seconds=1)).astimezone(UTC)
    assert session.scalar(select(User.id).where(User.created_at > just_before_in_utc)) is not None
    assert session.scalar(select(User.id).where(User.created_at > NOW)) is None


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(User(username="u", password_hash="x", role="viewer", created_at=datetime(2026, 3, 2), updated_at=NOW))
    with pytest.raises(StatementError, match="naive"):
        session.commit()


def test_roles_are_constrained(session: Session) -> None:
    session.add(User(username="u", password_hash="x", role="root", created_at=NOW, updated_at=NOW))
    with pytest.raises(IntegrityError, match="CHECK constraint"):
        session.commit()


def test_audit_rows_redact_secret_looking_keys_and_keep_flags(session: Session) -> None:
    row = record_audit(
        session,
        "alice",
        "auth.password_change",
        "alice",
        {"password": "hunter22", "nested": {"api_token": "qmt_x"}, "password_changed": True, "qty": 100},
        "10.0.0.5",
        at=NOW,
    )
    session.commit()
    stored = json.loads(session.scalars(select(AuditLog.detail)).one())
    assert stored == {"password": REDACTED, "nested": {"api_token": REDACTED}, "password_changed": True, "qty": 100}
    assert "hunter22" not in row.detail
    assert row.time == NOW and row.actor == "alice" and row.ip == "10.0.0.5"
    assert row.detail_dict()["qty"] == 100


def test_the_audit_log_is_append_only(session: Session) -> None:
    row = record_audit(session, None, "risk.halt", None, {"reason": "test"}, at=NOW)
    session.commit()
    assert row.actor == "system"
    row.action = "risk.resume"
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditLog, row.id))
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()


def test_audit_pages_are_newest_first(session: Session) -> None:
    for i in range(5):
        record_audit(session, "alice", "order.submit" if i % 2 else "auth.login", f"#{i}", {}, at=NOW)
    session.commit()
    rows, total = list_audit(session, page=1, page_size=2)
    assert total == 5 and [r.target for r in rows] == ["#4", "#3"]
    rows, total = list_audit(session, page=3, page_size=2)
    assert [r.target for r in rows] == ["#0"]
    rows, total = list_audit(session, action_prefix="order.")
    assert total == 2 and [r.target for r in rows] == ["#3", "#1"]


def test_app_config_stores_updates_and_deletes_keys(session: Session) -> None:
    write_app_config(session, {"MINIQMT_ACCOUNT_ID": "1", "MINIQMT_ENABLED": "true"}, NOW)
    session.commit()
    write_app_config(session, {"MINIQMT_ACCOUNT_ID": "2", "MINIQMT_ENABLED": None}, NOW + timedelta(minutes=1))
    session.commit()
    assert read_app_config(session) == {"MINIQMT_ACCOUNT_ID": "2"}
