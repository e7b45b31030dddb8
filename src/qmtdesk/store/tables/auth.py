"""Users, scoped API tokens and login/trade lockouts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base
from qmtdesk.store.types import UTCDateTime

USERNAME_MAX_LENGTH = 64


class User(Base):
    """A desk user.

    ``trade_token_version`` is embedded in every trade token; bumping it revokes them all at once
    (trade-lock, password changes, deactivation). ``session_version`` does the same for access tokens.
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'trader', 'viewer')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    trading_password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    trade_token_version: Mapped[int] = mapped_column(Integer, default=0)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    #: The accounts the user may see and trade, comma separated; NULL: every account of the desk.
    account_ids: Mapped[str | None] = mapped_column(String(1024), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A long-lived scoped token for scripts. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # The first characters of the secret, shown in lists so users can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(64))  # comma separated, e.g. "read,trade"
    #: The accounts the token reaches (within its user's), comma separated; NULL: all of the user's.
    account_ids: Mapped[str | None] = mapped_column(String(1024), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class AuthFailure(Base):
    """One failed password attempt; the rows of the sliding lockout window.

    Keyed by the attempted username (existing or not) so the lockout is no user-enumeration oracle.
    """

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_kind_username_failed_at", "kind", "username", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "login" | "trade"
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthLockout(Base):
    """An active (or expired, not yet cleaned) lock on ``(kind, username)``."""

    __tablename__ = "auth_lockouts"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime())
