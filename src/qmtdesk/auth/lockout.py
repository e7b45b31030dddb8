"""Lockout after repeated wrong passwords, persisted so a restart does not reset it.

Every failure is a row in ``auth_failures``. When the failures of one ``(kind, username)`` inside the
sliding window reach the limit, a lock row is written (locked until the last failure + the lock
duration) and the counted failures are dropped, so the count starts afresh once the lock ends.
While locked, attempts are refused before any password is checked and are not counted; otherwise
an attacker could keep a user locked out forever.

Usernames are counted whether or not they exist, so the lockout tells nothing about which do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qmtdesk.auth import errors
from qmtdesk.store.tables.auth import USERNAME_MAX_LENGTH, AuthFailure, AuthLockout

LockKind = Literal["login", "trade"]
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How many failures within which window lock for how long."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_duration: timedelta = timedelta(minutes=15)


DEFAULT_POLICY = LockoutPolicy()


def lock_key(username: str) -> str:
    """The username as counted: trimmed, lower case, bounded (attackers choose what they type)."""
    return username.strip().lower()[:USERNAME_MAX_LENGTH]


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the lockout clock must return aware datetimes")
    return now.astimezone(UTC)


def locked_until(session: Session, kind: LockKind, username: str, now: datetime) -> datetime | None:
    """When the lock on ``(kind, username)`` ends, or None if it is not locked at ``now``."""
    row = session.get(AuthLockout, (kind, lock_key(username)))
    if row is not None and _utc(now) < row.locked_until:
        return row.locked_until
    return None


def ensure_not_locked(session: Session, kind: LockKind, username: str, now: datetime) -> None:
    """Raise ``429 AUTH_LOCKED`` while ``(kind, username)`` is locked."""
    until = locked_until(session, kind, username, now)
    if until is not None:
        raise errors.locked(kind, until, _utc(now))


def record_failure(
    session: Session, kind: LockKind, username: str, now: datetime, policy: LockoutPolicy = DEFAULT_POLICY
) -> datetime | None:
    """Count one failure at ``now``; return the end of the lock this failure started, if any.

    The caller must commit even though it goes on to refuse the request.
    """
    now = _utc(now)
    key = lock_key(username)
    window_start = now - policy.window
    # Failures older than the window can never count again; clearing them keeps the table small.
    session.execute(
        delete(AuthFailure).where(
            AuthFailure.kind == kind, AuthFailure.username == key, AuthFailure.failed_at <= window_start
        )
    )
    session.add(AuthFailure(kind=kind, username=key, failed_at=now))
    session.flush()
    recent = session.scalar(
        select(func.count())
        .select_from(AuthFailure)
        .where(AuthFailure.kind == kind, AuthFailure.username == key, AuthFailure.failed_at > window_start)
    )
    if int(recent or 0) < policy.max_failures:
        return None
    until = now + policy.lock_duration
    lock = session.get(AuthLockout, (kind, key))
    if lock is None:
        session.add(AuthLockout(kind=kind, username=key, locked_until=until))
    else:
        lock.locked_until = until
    session.execute(delete(AuthFailure).where(AuthFailure.kind == kind, AuthFailure.username == key))
    return until


def clear(session: Session, kind: LockKind, username: str) -> None:
    """Forget the failures and any lock of ``(kind, username)`` (after a success)."""
    key = lock_key(username)
    session.execute(delete(AuthFailure).where(AuthFailure.kind == kind, AuthFailure.username == key))
    session.execute(delete(AuthLockout).where(AuthLockout.kind == kind, AuthLockout.username == key))


def failure_count(
    session: Session, kind: LockKind, username: str, now: datetime, policy: LockoutPolicy = DEFAULT_POLICY
) -> int:
    """Failures of ``(kind, username)`` still inside the window at ``now``."""
    window_start = _utc(now) - policy.window
    count = session.scalar(
        select(func.count())
        .select_from(AuthFailure)
        .where(
            AuthFailure.kind == kind,
            AuthFailure.username == lock_key(username),
            AuthFailure.failed_at > window_start,
        )
    )
    return int(count or 0)
