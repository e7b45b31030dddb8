"""AuthService: users, login, bearer authentication, trading password, trade tokens and API tokens.

Every method runs in its own transaction. Refusals are DeskErrors with the stable codes of API.md.
Failed password attempts are committed (lockout counter and audit row) before the refusal is raised.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.auth import errors, jwt_tokens, lockout
from qmtdesk.auth.api_tokens import (
    find_api_token,
    format_scopes,
    generate_api_token,
    is_usable,
    looks_like_api_token,
    normalize_scopes,
    parse_scopes,
    touch,
)
from qmtdesk.auth.lockout import DEFAULT_POLICY, LockoutPolicy
from qmtdesk.auth.passwords import (
    check_password_policy,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from qmtdesk.config import Settings, resolve_secret_key
from qmtdesk.domain.errors import DeskError
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.audit import record_audit
from qmtdesk.store.tables.auth import USERNAME_MAX_LENGTH, ApiToken, User

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Role = Literal["admin", "trader", "viewer"]
ROLES: tuple[str, ...] = ("admin", "trader", "viewer")
# What each role may do at most; an API token's scopes are cut down to its owner's role.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "trade"}),
    "trader": frozenset({"read", "trade"}),
    "viewer": frozenset({"read"}),
}
_SHANGHAI = ZoneInfo("Asia/Shanghai")
#: How long a user's sign-in state (active, role, session and trade-token versions) read for one request
#: serves the next ones; changes made through this process drop it at once.
USER_CACHE_SECONDS = 2.0
_USERNAME_RE = re.compile(rf"^[\w.@-]{{1,{USERNAME_MAX_LENGTH}}}$")
_TOKEN_NAME_MAX = 64


class Unset:
    """The type of :data:`UNSET`: an argument not given (as opposed to ``None``)."""


#: An argument not given, where ``None`` means something (``account_ids=None``: every account).
UNSET = Unset()


def utc_now() -> datetime:
    """The default clock: the current time, aware, in UTC."""
    return datetime.now(UTC)


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: trimmed and lower-cased before storing or looking up."""
    return username.strip().lower()


def validate_username(username: str) -> str:
    """The normalised username, or ``422 VALIDATION_ERROR`` (letters, digits, ``_ . @ -``, 1–64)."""
    name = normalize_username(username) if isinstance(username, str) else ""
    if not _USERNAME_RE.match(name):
        raise errors.validation(
            "username",
            f"用户名只能包含字母、数字、下划线、点、@ 和 -，长度 1–{USERNAME_MAX_LENGTH}",
            f"Usernames use letters, digits, _ . @ - and are 1–{USERNAME_MAX_LENGTH} characters long",
            reason="invalid_username",
        )
    return name


def validate_role(role: str) -> str:
    """``role`` if it is one of ``admin``, ``trader``, ``viewer``, else ``422 VALIDATION_ERROR``."""
    if role not in ROLES:
        raise errors.validation(
            "role",
            f"未知角色：{role}（可选 admin、trader、viewer）",
            f"Unknown role: {role} (admin, trader or viewer)",
            reason="invalid_role",
        )
    return role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and how they proved it."""

    user_id: int
    username: str
    role: str
    scopes: frozenset[str]
    via: Literal["jwt", "api_token"]
    token_id: int | None = None  # the API token's id; None for a JWT
    must_change_password: bool = False
    #: The user's trade-token version as read when this request was authenticated (JWT callers).
    trade_token_version: int | None = field(default=None, compare=False)
    #: The accounts these credentials reach; None: every account of the desk.
    account_ids: frozenset[str] | None = None

    def may_use(self, account_id: str) -> bool:
        """Whether these credentials reach ``account_id``."""
        return self.account_ids is None or account_id in self.account_ids

    @property
    def is_admin(self) -> bool:
        """Whether the user is an administrator."""
        return self.role == "admin"

    def require_role(self, *roles: str) -> None:
        """Raise ``403 FORBIDDEN`` unless the user has one of ``roles``."""
        if self.role not in roles:
            raise errors.forbidden("当前角色无权执行此操作", "Your role does not allow this action")

    def require_scope(self, scope: str) -> None:
        """Raise ``403 FORBIDDEN`` unless the credentials carry ``scope``."""
        if scope not in self.scopes:
            raise errors.forbidden(f"当前凭证缺少权限范围：{scope}", f"These credentials lack the '{scope}' scope")


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as the outside sees it (never any hash)."""

    id: int
    username: str
    role: str
    active: bool
    must_change_password: bool
    trading_password_set: bool
    created_at: datetime
    updated_at: datetime
    #: The accounts the user may see and trade; None: every account.
    account_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    """An API token as listed (the secret itself is never available again)."""

    id: int
    user_id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    #: The accounts the token reaches (within its user's); None: all of the user's.
    account_ids: tuple[str, ...] | None = None


class LoginResult(NamedTuple):
    """A successful login."""

    access_token: str
    expires_in: int
    user: UserInfo


class TradeUnlock(NamedTuple):
    """A trade token and its lifetime in seconds."""

    trade_token: str
    expires_in: int


class CreatedApiToken(NamedTuple):
    """A new API token: ``secret`` is shown to the user once."""

    secret: str
    token: ApiTokenInfo


def bearer_token(bearer: str | None) -> str:
    """The token of an ``Authorization`` value (with or without ``Bearer ``); 401 when empty."""
    parts = (bearer or "").split(None, 1)
    if parts and parts[0].lower() == "bearer":
        parts = parts[1:]
    token = parts[0].strip() if parts else ""
    if not token:
        raise errors.auth_required()
    return token


def _user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        role=user.role,
        active=user.active,
        must_change_password=user.must_change_password,
        trading_password_set=user.trading_password_hash is not None,
        created_at=user.created_at,
        updated_at=user.updated_at,
        account_ids=_listed(parse_account_ids(user.account_ids)),
    )


def _token_info(row: ApiToken) -> ApiTokenInfo:
    return ApiTokenInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(s for s in ("read", "trade") if s in parse_scopes(row.scopes)),
        expires_at=row.expires_at,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        account_ids=_listed(parse_account_ids(row.account_ids)),
    )


def parse_account_ids(text: str | None) -> frozenset[str] | None:
    """Stored account ids (comma separated) as a set; None (every account) for NULL."""
    if text is None:
        return None
    return frozenset(part for part in text.split(",") if part)


def format_account_ids(ids: Iterable[str] | None) -> str | None:
    """Account ids as stored: sorted, comma separated; None stays None (every account)."""
    return None if ids is None else ",".join(sorted(set(ids)))


def _listed(ids: frozenset[str] | None) -> tuple[str, ...] | None:
    return None if ids is None else tuple(sorted(ids))


def _within(user_ids: frozenset[str] | None, token_ids: frozenset[str] | None) -> frozenset[str] | None:
    """What a token reaches: its own accounts, never beyond its user's."""
    if token_ids is None:
        return user_ids
    return token_ids if user_ids is None else token_ids & user_ids


class AuthService:
    """Authentication and user administration over one database.

    ``clock`` returns aware datetimes; it decides token expiry and lockout windows (and API token
    rows, whose expiry it judges). ``record_clock`` — the desk's clock, simulated on a paper desk —
    stamps what users read in order with everything else: audit rows and user rows.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        secret_key: str,
        clock: Clock = utc_now,
        *,
        access_token_ttl: int = 28800,
        trade_token_ttl: int = 900,
        lockout_policy: LockoutPolicy = DEFAULT_POLICY,
        record_clock: Clock | None = None,
    ) -> None:
        if not secret_key:
            raise ValueError("the signing key must not be empty")
        self._factory = session_factory
        self._secret = secret_key
        self._clock = clock
        self._record_clock = record_clock or clock
        # user id -> (monotonic time read, the principal of an access JWT of that user, its session version)
        self._sessions: dict[int, tuple[float, Principal, int]] = {}
        # user id -> how many times its cached state was dropped (a read that overlapped a drop is not kept)
        self._generations: dict[int, int] = {}
        self._sessions_lock = threading.Lock()
        self._forget_changed_users(session_factory)
        self.access_token_ttl = access_token_ttl
        self.trade_token_ttl = trade_token_ttl
        self.lockout_policy = lockout_policy

    @classmethod
    def from_settings(
        cls,
        session_factory: sessionmaker[Session],
        settings: Settings,
        clock: Clock = utc_now,
        record_clock: Clock | None = None,
    ) -> AuthService:
        """A service with the key from :func:`resolve_secret_key` and the TTLs of ``settings``."""
        return cls(
            session_factory,
            resolve_secret_key(settings),
            clock,
            access_token_ttl=settings.access_token_ttl,
            trade_token_ttl=settings.trade_token_ttl,
            record_clock=record_clock,
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the auth clock must return aware datetimes")
        return now.astimezone(UTC)

    def _stamp(self) -> datetime:
        """The time written on audit and user rows: the desk's clock."""
        now = self._record_clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the auth clock must return aware datetimes")
        return now.astimezone(UTC)

    def _access_token(self, user: User, now: datetime) -> tuple[str, int]:
        return jwt_tokens.issue_access_token(
            user.id,
            user.role,
            secret=self._secret,
            now=now,
            ttl_seconds=self.access_token_ttl,
            session_version=user.session_version,
        )

    @staticmethod
    def _active_user(session: Session, user_id: int) -> User:
        """The caller's own user row; a vanished or disabled user is no longer signed in."""
        user = session.get(User, user_id)
        if user is None:
            raise errors.invalid_token("unknown_user")
        if not user.active:
            raise errors.invalid_token("inactive")
        return user

    @staticmethod
    def _user_or_404(session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise errors.not_found("用户", "User")
        return user

    def _password_failure(
        self,
        session: Session,
        kind: lockout.LockKind,
        username: str,
        now: datetime,
        action: str,
        ip: str | None,
        refusal: DeskError,
        target: str | None = None,
    ) -> DeskError:
        """Count a wrong password, audit it, commit both, and return the refusal to raise."""
        until = lockout.record_failure(session, kind, username, now, self.lockout_policy)
        detail = {"kind": kind} | ({"locked_until": until.isoformat()} if until else {})
        record_audit(session, username, action, target or username, detail, ip, at=self._stamp())
        session.commit()
        # the attempt that reaches the limit is still answered as a wrong password; the lock refuses
        # the attempts after it (API.md: five failures, then 429 AUTH_LOCKED)
        return errors.now_locked(refusal, kind, until, now) if until is not None else refusal

    # -- bootstrap and login ---------------------------------------------------------------------

    def bootstrap_admin(self, settings: Settings) -> str | None:
        """Create the first administrator when the database has no user at all.

        The password is ``QMTDESK_ADMIN_PASSWORD`` or, when unset, a generated one that is returned
        (for the CLI to print once) and must be changed at first login. ``QMTDESK_ADMIN_TRADING_PASSWORD``
        sets the trading password. Returns None when nothing was generated (or nothing created).
        """
        now = self._stamp()
        username = validate_username(settings.admin_username)
        generated: str | None = None
        # The operator chose these in the environment: a weak choice is warned about, not fatal,
        # because refusing to start would leave the desk unusable.
        if settings.admin_password is not None and settings.admin_password.get_secret_value():
            password = settings.admin_password.get_secret_value()
            try:
                check_password_policy(password, field="QMTDESK_ADMIN_PASSWORD")
            except DeskError as weak:
                log.warning("QMTDESK_ADMIN_PASSWORD is weak: %s", weak.message_en)
        else:
            password = generated = secrets.token_urlsafe(12)
        trading = settings.admin_trading_password.get_secret_value() if settings.admin_trading_password else None
        if trading:
            try:
                check_password_policy(trading, field="QMTDESK_ADMIN_TRADING_PASSWORD", label_zh="交易密码")
            except DeskError as weak:
                log.warning("QMTDESK_ADMIN_TRADING_PASSWORD is weak: %s", weak.message_en)
            if trading == password:
                log.warning("QMTDESK_ADMIN_TRADING_PASSWORD equals the login password; use a different one")
        else:
            trading = None
        try:
            with unit_of_work(self._factory) as session:
                if session.scalar(select(func.count()).select_from(User)):
                    return None
                user = User(
                    username=username,
                    password_hash=hash_password(password),
                    trading_password_hash=hash_password(trading) if trading is not None else None,
                    role="admin",
                    active=True,
                    must_change_password=generated is not None,
                    trade_token_version=0,
                    session_version=0,
                    created_at=now,
                    updated_at=now,
                )
                session.add(user)
                session.flush()
                detail = {
                    "generated_password": generated is not None,
                    "trading_password_set": trading is not None,
                }
                record_audit(session, "system", "user.bootstrap_admin", username, detail, None, at=now)
        except IntegrityError:
            return None  # another process created the first user at the same moment
        return generated

    def login(self, username: str, password: str, *, ip: str | None = None) -> LoginResult:
        """Check a username and password; return an access token, its lifetime and the user.

        ``401 AUTH_INVALID_CREDENTIALS`` for a wrong pair (unknown users cost the same Argon2 check),
        ``429 AUTH_LOCKED`` after five failures for the username within 15 minutes.
        """
        now = self._now()
        key = lockout.lock_key(username if isinstance(username, str) else "")
        with unit_of_work(self._factory) as session:
            lockout.ensure_not_locked(session, "login", key, now)
            user = session.scalar(select(User).where(User.username == key))
            # Verify against a dummy hash for unknown users so response time does not reveal them.
            ok = verify_password(password, user.password_hash if user else dummy_hash())
            if user is None or not ok:
                raise self._password_failure(
                    session, "login", key, now, "auth.login_failed", ip, errors.invalid_credentials()
                )
            if not user.active:
                raise errors.account_disabled()
            lockout.clear(session, "login", key)
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            record_audit(session, user.username, "auth.login", user.username, {}, ip, at=self._stamp())
            token, expires_in = self._access_token(user, now)
            return LoginResult(token, expires_in, _user_info(user))

    def authenticate(self, bearer: str | None) -> Principal:
        """The principal behind an ``Authorization`` value (with or without ``Bearer ``).

        Accepts access JWTs and API tokens. ``401 AUTH_REQUIRED`` when empty; ``401 AUTH_INVALID_TOKEN``
        when invalid, expired, revoked (API token revoked, password changed) or the user is disabled.
        May read the database: see :meth:`authenticate_cached` for the variant that never does.
        """
        token = bearer_token(bearer)
        if looks_like_api_token(token):
            return self._authenticate_api_token(token, self._now())
        principal = self._jwt_principal(token, may_read=True)
        assert principal is not None
        return principal

    def authenticate_cached(self, bearer: str | None) -> Principal | None:
        """:meth:`authenticate` when it needs no database read (an access JWT of a recently seen user),
        else ``None``: the caller then runs :meth:`authenticate` off the event loop. Raises as it does."""
        token = bearer_token(bearer)
        if looks_like_api_token(token):
            return None
        return self._jwt_principal(token, may_read=False)

    def _jwt_principal(self, token: str, *, may_read: bool) -> Principal | None:
        """An access JWT's principal; ``None`` when the user's state is not cached and ``may_read`` is off."""
        claims = jwt_tokens.decode(token, "access", secret=self._secret, now=self._now())
        known = self._cached_session(claims.user_id)
        if known is None:
            if not may_read:
                return None
            known = self._read_session(claims.user_id)
        principal, version = known
        if claims.version != version:
            raise errors.invalid_token("revoked")
        return principal

    def _read_session(self, user_id: int) -> tuple[Principal, int]:
        """The user's principal and session version from the database, cached unless a change raced the read."""
        with self._sessions_lock:
            generation = self._generations.get(user_id, 0)
        with self._factory() as session:  # a read: nothing to commit
            user = self._active_user(session, user_id)
            known = (
                Principal(
                    user_id=user.id,
                    username=user.username,
                    role=user.role,  # the stored role, not the claim: demotions apply at once
                    scopes=ROLE_SCOPES[user.role],
                    via="jwt",
                    must_change_password=user.must_change_password,
                    trade_token_version=user.trade_token_version,
                    account_ids=parse_account_ids(user.account_ids),
                ),
                user.session_version,
            )
        with self._sessions_lock:
            # A change to the user that committed while we read may not be in what we read.
            if self._generations.get(user_id, 0) == generation:
                self._sessions[user_id] = (_time.monotonic(), *known)
        return known

    def _cached_session(self, user_id: int) -> tuple[Principal, int] | None:
        with self._sessions_lock:
            known = self._sessions.get(user_id)
        if known is None or _time.monotonic() - known[0] >= USER_CACHE_SECONDS:
            return None
        return known[1], known[2]

    def _forget_changed_users(self, session_factory: sessionmaker[Session]) -> None:
        """Drop a user's cached sign-in state as soon as a change to their row commits.

        Every change made through this process (password, role, disabling, trade lock) therefore applies
        to the very next request; a change made by another process (the ``qmtdesk user`` command while
        the server runs) within :data:`USER_CACHE_SECONDS`.
        """
        key = "qmtdesk.changed_users"

        def after_flush(session: Session, _context: Any) -> None:
            changed = {obj.id for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, User)}
            if changed:
                session.info.setdefault(key, set()).update(changed)

        def after_commit(session: Session) -> None:
            if session.in_nested_transaction():
                return  # a savepoint: the outer transaction has not committed yet
            self.forget_users(session.info.pop(key, ()))

        def after_soft_rollback(session: Session, previous: Any) -> None:
            if not previous.nested:
                session.info.pop(key, None)

        event.listen(session_factory, "after_flush", after_flush)
        event.listen(session_factory, "after_commit", after_commit)
        event.listen(session_factory, "after_soft_rollback", after_soft_rollback)

    def forget_users(self, user_ids: Iterable[int]) -> None:
        """Drop these users' cached sign-in state; a read already under way will not store its result."""
        with self._sessions_lock:
            for user_id in user_ids:
                self._sessions.pop(user_id, None)
                self._generations[user_id] = self._generations.get(user_id, 0) + 1

    def _authenticate_api_token(self, secret: str, now: datetime) -> Principal:
        with unit_of_work(self._factory) as session:
            row = find_api_token(session, secret)
            if row is None:
                raise errors.invalid_token("unknown_token")
            reason = is_usable(row, now)
            if reason is not None:
                raise errors.invalid_token(reason)
            user = self._active_user(session, row.user_id)
            touch(row, now)
            return Principal(
                user_id=user.id,
                username=user.username,
                role=user.role,
                scopes=parse_scopes(row.scopes) & ROLE_SCOPES[user.role],
                via="api_token",
                token_id=row.id,
                must_change_password=user.must_change_password,
                account_ids=_within(parse_account_ids(user.account_ids), parse_account_ids(row.account_ids)),
            )

    def get_user(self, user_id: int) -> UserInfo:
        """One user (``404 NOT_FOUND``)."""
        with unit_of_work(self._factory) as session:
            return _user_info(self._user_or_404(session, user_id))

    def get_user_by_username(self, username: str) -> UserInfo | None:
        """The user with this (case-insensitive) username, or None."""
        with unit_of_work(self._factory) as session:
            user = session.scalar(select(User).where(User.username == normalize_username(username)))
            return _user_info(user) if user else None

    # -- own passwords ---------------------------------------------------------------------------

    def _confirm_login_password(
        self, session: Session, user: User, password: str, now: datetime, action: str, ip: str | None
    ) -> None:
        """Check the login password confirming a sensitive change; failures count toward the lockout."""
        lockout.ensure_not_locked(session, "login", user.username, now)
        if not verify_password(password, user.password_hash):
            raise self._password_failure(session, "login", user.username, now, action, ip, errors.password_invalid())

    def change_password(
        self, user_id: int, old_password: str, new_password: str, *, ip: str | None = None
    ) -> LoginResult:
        """Change the caller's login password and return a fresh access token.

        Every other access token and every trade token of the user stops working. ``403
        PASSWORD_INVALID`` for a wrong current password, ``422 VALIDATION_ERROR`` for a weak new one.
        """
        now = self._now()
        with unit_of_work(self._factory) as session:
            user = self._active_user(session, user_id)
            self._confirm_login_password(session, user, old_password, now, "auth.password_change_failed", ip)
            check_password_policy(new_password, field="new_password")
            if new_password == old_password:
                raise errors.validation(
                    "new_password",
                    "新密码不能与当前密码相同",
                    "The new password must differ from the current one",
                    reason="unchanged",
                )
            if verify_password(new_password, user.trading_password_hash):
                raise errors.validation(
                    "new_password",
                    "登录密码不能与交易密码相同",
                    "The login password must differ from the trading password",
                    reason="same_as_trading",
                )
            user.password_hash = hash_password(new_password)
            user.must_change_password = False
            user.session_version += 1
            user.trade_token_version += 1
            user.updated_at = self._stamp()
            lockout.clear(session, "login", user.username)
            record_audit(session, user.username, "auth.password_change", user.username, {}, ip, at=self._stamp())
            token, expires_in = self._access_token(user, now)
            return LoginResult(token, expires_in, _user_info(user))

    def set_trading_password(
        self, user_id: int, login_password: str, new_trading_password: str, *, ip: str | None = None
    ) -> UserInfo:
        """Set or change the caller's trading password, confirmed by the login password.

        Revokes the user's trade tokens and lifts a trade lockout. ``403 PASSWORD_INVALID`` for a
        wrong login password; ``422 VALIDATION_ERROR`` for a weak one or one equal to the login password.
        """
        now = self._now()
        with unit_of_work(self._factory) as session:
            user = self._active_user(session, user_id)
            self._confirm_login_password(session, user, login_password, now, "auth.trading_password_failed", ip)
            check_password_policy(new_trading_password, field="new_trading_password", label_zh="交易密码")
            if new_trading_password == login_password:
                raise errors.validation(
                    "new_trading_password",
                    "交易密码不能与登录密码相同",
                    "The trading password must differ from the login password",
                    reason="same_as_login",
                )
            first_time = user.trading_password_hash is None
            self._store_trading_password(session, user, new_trading_password, self._stamp())
            lockout.clear(session, "login", user.username)
            detail = {"first_time": first_time}
            record_audit(
                session, user.username, "auth.trading_password_set", user.username, detail, ip, at=self._stamp()
            )
            return _user_info(user)

    @staticmethod
    def _store_trading_password(session: Session, user: User, trading_password: str, now: datetime) -> None:
        user.trading_password_hash = hash_password(trading_password)
        user.trade_token_version += 1
        user.updated_at = now
        lockout.clear(session, "trade", user.username)

    def reset_trading_password(
        self, user_id: int, new_trading_password: str, *, actor: str | None = None, ip: str | None = None
    ) -> UserInfo:
        """Set a user's trading password without the login password (admin and CLI use)."""
        now = self._stamp()
        with unit_of_work(self._factory) as session:
            user = self._user_or_404(session, user_id)
            check_password_policy(new_trading_password, field="new_trading_password", label_zh="交易密码")
            if verify_password(new_trading_password, user.password_hash):
                raise errors.validation(
                    "new_trading_password",
                    "交易密码不能与登录密码相同",
                    "The trading password must differ from the login password",
                    reason="same_as_login",
                )
            self._store_trading_password(session, user, new_trading_password, now)
            record_audit(session, actor, "user.trading_password_reset", user.username, {}, ip, at=now)
            return _user_info(user)

    # -- trade unlock ----------------------------------------------------------------------------

    def trade_unlock(self, user_id: int, trading_password: str, *, ip: str | None = None) -> TradeUnlock:
        """Exchange the trading password for a short-lived trade token (``X-Trade-Token``).

        ``409 TRADING_PASSWORD_NOT_SET``, ``403 TRADING_PASSWORD_INVALID``, ``429 AUTH_LOCKED`` after
        five wrong trading passwords within 15 minutes, ``403 FORBIDDEN`` for viewers.
        """
        now = self._now()
        with unit_of_work(self._factory) as session:
            user = self._active_user(session, user_id)
            if "trade" not in ROLE_SCOPES[user.role]:
                raise errors.forbidden("当前角色没有交易权限", "Your role may not trade")
            self._confirm_trading_password(session, user, trading_password, now, "auth.trade_unlock_failed", ip)
            record_audit(session, user.username, "auth.trade_unlock", user.username, {}, ip, at=self._stamp())
            token, expires_in = jwt_tokens.issue_trade_token(
                user.id,
                user.role,
                secret=self._secret,
                now=now,
                ttl_seconds=self.trade_token_ttl,
                trade_version=user.trade_token_version,
            )
            return TradeUnlock(token, expires_in)

    def _confirm_trading_password(
        self,
        session: Session,
        user: User,
        trading_password: str | None,
        now: datetime,
        action: str,
        ip: str | None,
    ) -> None:
        lockout.ensure_not_locked(session, "trade", user.username, now)
        if user.trading_password_hash is None:
            raise errors.trading_password_not_set()
        if not trading_password:
            raise errors.trading_password_invalid(missing=True)
        if not verify_password(trading_password, user.trading_password_hash):
            raise self._password_failure(
                session, "trade", user.username, now, action, ip, errors.trading_password_invalid()
            )
        lockout.clear(session, "trade", user.username)

    def trade_lock(self, user_id: int, *, ip: str | None = None) -> None:
        """Revoke every trade token of the user (bumps the trade-token version)."""
        now = self._stamp()
        with unit_of_work(self._factory) as session:
            user = self._active_user(session, user_id)
            user.trade_token_version += 1
            user.updated_at = now
            record_audit(session, user.username, "auth.trade_lock", user.username, {}, ip, at=now)

    def check_trade_token(self, principal: Principal, token: str | None, *, fresh: bool = False) -> None:
        """Allow an order-placing request, or refuse it.

        Passes for an API token with scope ``trade``, or for a JWT caller with a valid, unrevoked trade
        token of their own. ``403 TRADE_LOCKED`` when the trade token is missing, invalid, expired,
        revoked or another user's; ``403 FORBIDDEN`` for viewers and read-only API tokens.
        ``fresh``: ``principal`` was authenticated within this same request, so the user row it was
        built from is current and is not read again.
        """
        if "trade" not in ROLE_SCOPES.get(principal.role, frozenset()):
            raise errors.forbidden("当前角色没有交易权限", "Your role may not trade")
        if principal.via == "api_token":
            if "trade" in principal.scopes:
                return
            raise errors.forbidden(
                "此 API 令牌没有交易权限（需要 trade 权限范围）", "This API token lacks the 'trade' scope"
            )
        if not token:
            raise errors.trade_locked("missing")
        try:
            claims = jwt_tokens.decode(token.strip(), "trade", secret=self._secret, now=self._now())
        except DeskError as exc:
            reason = exc.data.get("reason", "invalid") if isinstance(exc.data, dict) else "invalid"
            raise errors.trade_locked("expired" if reason == "expired" else "invalid") from exc
        if claims.user_id != principal.user_id:
            raise errors.trade_locked("other_user")
        if fresh and principal.trade_token_version is not None:
            if claims.version != principal.trade_token_version:
                raise errors.trade_locked("revoked")
            return
        with unit_of_work(self._factory) as session:
            user = session.get(User, claims.user_id)
            if user is None or not user.active:
                raise errors.trade_locked("inactive")
            if claims.version != user.trade_token_version:
                raise errors.trade_locked("revoked")

    # -- API tokens ------------------------------------------------------------------------------

    def create_api_token(
        self,
        user_id: int,
        name: str,
        scopes: Iterable[str],
        expires_at: datetime | None = None,
        trading_password: str | None = None,
        *,
        account_ids: Iterable[str] | None = None,
        ip: str | None = None,
    ) -> CreatedApiToken:
        """Create a scoped API token for the user; the secret is in the result and nowhere else.

        A ``trade`` token needs the trading password (same checks and lockout as trade-unlock) and a
        role that may trade. ``expires_at`` without an offset is read as Asia/Shanghai time.
        ``account_ids`` limits the token to some of the user's accounts (None: all of them).
        """
        now = self._now()
        wanted = normalize_scopes(scopes)
        clean_name = name.strip() if isinstance(name, str) else ""
        if not clean_name or len(clean_name) > _TOKEN_NAME_MAX:
            raise errors.validation(
                "name",
                f"令牌名称长度须为 1–{_TOKEN_NAME_MAX} 个字符",
                f"The token name must be 1–{_TOKEN_NAME_MAX} characters",
                reason="invalid_name",
            )
        if expires_at is not None:
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=_SHANGHAI)
            if expires_at <= now:
                raise errors.validation(
                    "expires_at",
                    "过期时间必须晚于当前时间",
                    "expires_at must be in the future",
                    reason="in_past",
                )
        with unit_of_work(self._factory) as session:
            user = self._active_user(session, user_id)
            allowed = parse_account_ids(user.account_ids)
            if account_ids is not None and allowed is not None and not set(account_ids) <= allowed:
                raise errors.validation(
                    "account_ids",
                    "令牌只能用于本用户可用的账户",
                    "A token can reach only the user's own accounts",
                    reason="beyond_user",
                )
            if "trade" in wanted:
                if "trade" not in ROLE_SCOPES[user.role]:
                    raise errors.forbidden("当前角色不能创建交易权限的令牌", "Your role may not create trade tokens")
                self._confirm_trading_password(session, user, trading_password, now, "api_token.create_failed", ip)
            new = generate_api_token()
            row = ApiToken(
                user_id=user.id,
                name=clean_name,
                prefix=new.prefix,
                token_hash=new.token_hash,
                scopes=format_scopes(wanted),
                account_ids=format_account_ids(account_ids),
                expires_at=expires_at,
                created_at=now,
            )
            session.add(row)
            session.flush()
            detail = {
                "id": row.id,
                "name": clean_name,
                "scopes": list(wanted),
                "prefix": new.prefix,
                "expires_at": expires_at.isoformat() if expires_at else None,
            }
            record_audit(
                session, user.username, "api_token.create", f"api_token:{row.id}", detail, ip, at=self._stamp()
            )
            return CreatedApiToken(new.secret, _token_info(row))

    def list_api_tokens(self, user_id: int, *, include_revoked: bool = False) -> list[ApiTokenInfo]:
        """The user's API tokens, newest first (without secrets)."""
        with unit_of_work(self._factory) as session:
            query = select(ApiToken).where(ApiToken.user_id == user_id)
            if not include_revoked:
                query = query.where(ApiToken.revoked_at.is_(None))
            return [_token_info(r) for r in session.scalars(query.order_by(ApiToken.id.desc()))]

    def revoke_api_token(
        self, user_id: int, token_id: int, *, any_user: bool = False, ip: str | None = None
    ) -> ApiTokenInfo:
        """Revoke one of the user's tokens (any user's when ``any_user``, for admins).

        ``404 NOT_FOUND`` for someone else's token, so ids of other users' tokens are not confirmed.
        Revoking twice is harmless.
        """
        now = self._now()
        with unit_of_work(self._factory) as session:
            actor = session.get(User, user_id)
            row = session.get(ApiToken, token_id)
            if row is None or (not any_user and row.user_id != user_id):
                raise errors.not_found("API 令牌", "API token")
            if row.revoked_at is None:
                row.revoked_at = now
                detail = {"id": row.id, "name": row.name, "owner_id": row.user_id}
                actor_name = actor.username if actor else None
                record_audit(
                    session, actor_name, "api_token.revoke", f"api_token:{row.id}", detail, ip, at=self._stamp()
                )
            return _token_info(row)

    # -- user administration ---------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        password: str,
        role: str,
        trading_password: str | None = None,
        *,
        must_change_password: bool = False,
        account_ids: Iterable[str] | None = None,
        actor: str | None = None,
        ip: str | None = None,
    ) -> UserInfo:
        """Create a user (admin or CLI), limited to ``account_ids`` when given.

        ``409 USERNAME_TAKEN``, ``422 VALIDATION_ERROR``."""
        now = self._stamp()
        name = validate_username(username)
        validate_role(role)
        check_password_policy(password, field="password")
        if trading_password is not None:
            check_password_policy(trading_password, field="trading_password", label_zh="交易密码")
            if trading_password == password:
                raise errors.validation(
                    "trading_password",
                    "交易密码不能与登录密码相同",
                    "The trading password must differ from the login password",
                    reason="same_as_login",
                )
        try:
            with unit_of_work(self._factory) as session:
                if session.scalar(select(User.id).where(User.username == name)) is not None:
                    raise errors.username_taken(name)
                user = User(
                    username=name,
                    password_hash=hash_password(password),
                    trading_password_hash=hash_password(trading_password) if trading_password else None,
                    role=role,
                    active=True,
                    must_change_password=must_change_password,
                    account_ids=format_account_ids(account_ids),
                    trade_token_version=0,
                    session_version=0,
                    created_at=now,
                    updated_at=now,
                )
                session.add(user)
                session.flush()
                detail = {
                    "id": user.id,
                    "role": role,
                    "trading_password_set": trading_password is not None,
                    "account_ids": user.account_ids,
                }
                record_audit(session, actor, "user.create", name, detail, ip, at=now)
                return _user_info(user)
        except IntegrityError as exc:  # a concurrent insert of the same name
            raise errors.username_taken(name) from exc

    def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        active: bool | None = None,
        password: str | None = None,
        must_change_password: bool | None = None,
        account_ids: Iterable[str] | Unset | None = UNSET,
        actor: str | None = None,
        ip: str | None = None,
    ) -> UserInfo:
        """Change a user's role, active flag, password or accounts (``None``: every account) (admin or CLI).

        A new password or a deactivation signs the user out everywhere (access and trade tokens).
        ``409 LAST_ADMIN`` when the change would leave no active administrator.
        """
        now = self._stamp()
        if role is not None:
            validate_role(role)
        if password is not None:
            check_password_policy(password, field="password")
        with unit_of_work(self._factory) as session:
            user = self._user_or_404(session, user_id)
            loses_admin = (
                user.role == "admin" and user.active and ((role is not None and role != "admin") or active is False)
            )
            if loses_admin:
                others = session.scalar(
                    select(func.count())
                    .select_from(User)
                    .where(User.role == "admin", User.active.is_(True), User.id != user.id)
                )
                if not others:
                    raise errors.last_admin()
            changes: dict[str, object] = {}
            if role is not None and role != user.role:
                changes["role"] = {"from": user.role, "to": role}
                user.role = role
            if active is not None and active != user.active:
                changes["active"] = active
                user.active = active
                if not active:
                    self._sign_out_everywhere(user)
            if password is not None:
                if verify_password(password, user.trading_password_hash):
                    raise errors.validation(
                        "password",
                        "登录密码不能与交易密码相同",
                        "The login password must differ from the trading password",
                        reason="same_as_trading",
                    )
                user.password_hash = hash_password(password)
                self._sign_out_everywhere(user)
                lockout.clear(session, "login", user.username)
                changes["password_changed"] = True
            if not isinstance(account_ids, Unset):
                stored = format_account_ids(account_ids)
                if stored != user.account_ids:
                    changes["account_ids"] = {"from": user.account_ids, "to": stored}
                    user.account_ids = stored
            if must_change_password is not None and must_change_password != user.must_change_password:
                user.must_change_password = must_change_password
                changes["must_change_password"] = must_change_password
            if changes:
                user.updated_at = now
                record_audit(session, actor, "user.update", user.username, changes, ip, at=now)
            return _user_info(user)

    @staticmethod
    def _sign_out_everywhere(user: User) -> None:
        # Bumping both versions also keeps old tokens dead if the user is reactivated later.
        user.session_version += 1
        user.trade_token_version += 1

    def list_users(self) -> list[UserInfo]:
        """Every user, in creation order."""
        with unit_of_work(self._factory) as session:
            return [_user_info(u) for u in session.scalars(select(User).order_by(User.id))]
