"""AuthService end to end on a real SQLite database: login, tokens, trading password, users, audit."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

import qmtdesk.store.tables.app_config
import qmtdesk.store.tables.audit
import qmtdesk.store.tables.auth  # noqa: F401  (registers the tables)
from qmtdesk.auth.service import AuthService, Principal, UserInfo
from qmtdesk.config import load_settings
from qmtdesk.domain.errors import DeskError
from qmtdesk.store.base import Base
from qmtdesk.store.db import make_engine, make_session_factory, sqlite_url
from qmtdesk.store.tables.audit import AuditLog
from qmtdesk.store.tables.auth import ApiToken, User

SECRET = "test-signing-key-" + "x" * 40
ADMIN_PW = "admin-pass-1"
TRADER_PW = "trader-pass-1"
TRADE_PW = "trade-pass-1"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Clock:
    """The injected clock, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Desk:
    engine: Engine
    factory: sessionmaker[Session]
    clock: Clock
    auth: AuthService
    admin: UserInfo
    trader: UserInfo

    def restart(self) -> AuthService:
        """A new engine and service on the same database file, as after a process restart."""
        self.engine.dispose()
        self.engine = make_engine(str(self.engine.url))
        self.factory = make_session_factory(self.engine)
        self.auth = AuthService(self.factory, SECRET, self.clock)
        return self.auth


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    for name in list(os.environ):
        if name.upper().startswith(("QMTDESK_", "MINIQMT_")):
            monkeypatch.delenv(name)
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    clock = Clock(T0)
    auth = AuthService(factory, SECRET, clock)
    admin = auth.create_user("admin", ADMIN_PW, "admin")
    trader = auth.create_user("trader", TRADER_PW, "trader", trading_password=TRADE_PW)
    d = Desk(engine, factory, clock, auth, admin, trader)
    yield d
    d.engine.dispose()


def refused(call: Callable[[], Any], code: str, status: int) -> DeskError:
    with pytest.raises(DeskError) as info:
        call()
    assert (info.value.code, info.value.http_status) == (code, status), info.value
    assert info.value.message_zh and info.value.message_en
    return info.value


def login_principal(desk: Desk, username: str = "trader", password: str = TRADER_PW) -> tuple[str, Principal]:
    token = desk.auth.login(username, password).access_token
    return token, desk.auth.authenticate(token)


def audit_rows(desk: Desk) -> list[AuditLog]:
    with desk.factory() as s:
        return list(s.scalars(select(AuditLog).order_by(AuditLog.id)))


# -- bootstrap --------------------------------------------------------------------------------


def test_bootstrap_generates_a_one_time_admin_password_only_on_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    auth = AuthService(make_session_factory(engine), SECRET, Clock(T0))
    settings = load_settings(data_dir=tmp_path)
    password = auth.bootstrap_admin(settings)
    assert password is not None and len(password) >= 16
    result = auth.login("admin", password)
    assert result.user.role == "admin" and result.user.must_change_password
    assert not result.user.trading_password_set
    assert auth.bootstrap_admin(settings) is None
    assert len(auth.list_users()) == 1
    assert password not in " ".join(r.detail + (r.target or "") for r in _all_audit(engine))
    engine.dispose()


def _all_audit(engine: Engine) -> list[AuditLog]:
    with make_session_factory(engine)() as s:
        return list(s.scalars(select(AuditLog)))


def test_bootstrap_uses_the_configured_passwords(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    auth = AuthService(make_session_factory(engine), SECRET, Clock(T0))
    settings = load_settings(
        data_dir=tmp_path, admin_username="Boss", admin_password="boss-pass-1", admin_trading_password=TRADE_PW
    )
    assert auth.bootstrap_admin(settings) is None
    user = auth.login("boss", "boss-pass-1").user
    assert (user.username, user.must_change_password, user.trading_password_set) == ("boss", False, True)
    assert auth.trade_unlock(user.id, TRADE_PW).expires_in == 900
    engine.dispose()


def test_bootstrap_warns_about_weak_or_reused_configured_passwords(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    auth = AuthService(make_session_factory(engine), SECRET, Clock(T0))
    weak = load_settings(data_dir=tmp_path, admin_password="admin", admin_trading_password="admin")
    assert auth.bootstrap_admin(weak) is None  # nothing generated: the operator chose the password
    assert "QMTDESK_ADMIN_PASSWORD is weak" in caplog.text
    assert "equals the login password" in caplog.text
    [admin] = auth.list_users()
    assert admin.username == "admin" and admin.trading_password_set and not admin.must_change_password
    assert auth.login("admin", "admin").user.id == admin.id
    engine.dispose()


def test_bootstrap_does_nothing_when_a_user_exists(desk: Desk, tmp_path: Path) -> None:
    assert desk.auth.bootstrap_admin(load_settings(data_dir=tmp_path, admin_username="other")) is None
    assert [u.username for u in desk.auth.list_users()] == ["admin", "trader"]


def test_an_empty_signing_key_is_refused(desk: Desk) -> None:
    with pytest.raises(ValueError, match="empty"):
        AuthService(desk.factory, "", desk.clock)


def test_from_settings_uses_the_generated_key_and_ttls(desk: Desk, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", access_token_ttl=60)
    auth = AuthService.from_settings(desk.factory, settings, desk.clock)
    token, expires_in, _ = auth.login("trader", TRADER_PW)
    assert expires_in == 60
    assert (tmp_path / "data" / "secret_key").exists()
    refused(lambda: desk.auth.authenticate(token), "AUTH_INVALID_TOKEN", 401)  # other key
    assert AuthService.from_settings(desk.factory, settings, desk.clock).authenticate(token).username == "trader"


# -- login ------------------------------------------------------------------------------------


def test_login_returns_an_access_token_for_the_user(desk: Desk) -> None:
    token, expires_in, user = desk.auth.login(" Trader ", TRADER_PW)
    assert expires_in == 28800
    assert (user.username, user.role, user.trading_password_set) == ("trader", "trader", True)
    principal = desk.auth.authenticate(f"Bearer {token}")
    assert principal == Principal(
        user_id=user.id, username="trader", role="trader", scopes=frozenset({"read", "trade"}), via="jwt"
    )


def test_wrong_password_and_unknown_user_get_the_same_answer(desk: Desk) -> None:
    wrong = refused(lambda: desk.auth.login("trader", "nope-nope"), "AUTH_INVALID_CREDENTIALS", 401)
    unknown = refused(lambda: desk.auth.login("ghost", TRADER_PW), "AUTH_INVALID_CREDENTIALS", 401)
    assert wrong.message_zh == unknown.message_zh == "用户名或密码错误"
    assert wrong.data == unknown.data is None


def test_unknown_users_cost_an_argon2_verification_too(desk: Desk) -> None:
    def timed(username: str) -> float:
        start = time.perf_counter()
        with pytest.raises(DeskError):
            desk.auth.login(username, "wrong-password")
        desk.clock.advance(minutes=16)  # stay clear of the lockout
        return time.perf_counter() - start

    known = statistics.median(timed("trader") for _ in range(3))
    unknown = statistics.median(timed("ghost") for _ in range(3))
    assert unknown > known * 0.5, (known, unknown)


def test_five_wrong_passwords_lock_login_for_15_minutes(desk: Desk) -> None:
    for _ in range(4):
        refused(lambda: desk.auth.login("trader", "wrong-pass"), "AUTH_INVALID_CREDENTIALS", 401)
        desk.clock.advance(minutes=2)
    # the fifth is still answered as a wrong password, and names the lock it starts
    err = refused(lambda: desk.auth.login("trader", "wrong-pass"), "AUTH_INVALID_CREDENTIALS", 401)
    fifth = desk.clock.now
    assert datetime.fromisoformat(err.data["locked_until"]) == fifth + timedelta(minutes=15)
    assert refused(lambda: desk.auth.login("trader", "wrong-pass"), "AUTH_LOCKED", 429).data["retry_after"] == 900
    desk.clock.advance(minutes=14, seconds=59)
    refused(lambda: desk.auth.login("trader", TRADER_PW), "AUTH_LOCKED", 429)  # even the right password
    desk.clock.advance(seconds=1)
    assert desk.auth.login("trader", TRADER_PW).user.username == "trader"


def test_a_successful_login_clears_the_failure_count(desk: Desk) -> None:
    for _ in range(4):
        refused(lambda: desk.auth.login("trader", "wrong-pass"), "AUTH_INVALID_CREDENTIALS", 401)
    desk.auth.login("trader", TRADER_PW)
    for _ in range(4):
        refused(lambda: desk.auth.login("trader", "wrong-pass"), "AUTH_INVALID_CREDENTIALS", 401)
    desk.auth.login("trader", TRADER_PW)


def test_the_login_lock_survives_a_restart_and_covers_unknown_usernames(desk: Desk) -> None:
    for _ in range(5):
        with pytest.raises(DeskError):
            desk.auth.login("trader", "wrong-pass")
        with pytest.raises(DeskError):
            desk.auth.login("ghost", "wrong-pass")
    auth = desk.restart()
    refused(lambda: auth.login("trader", TRADER_PW), "AUTH_LOCKED", 429)
    refused(lambda: auth.login("ghost", TRADER_PW), "AUTH_LOCKED", 429)
    assert auth.login("admin", ADMIN_PW).user.username == "admin"  # other users unaffected


def test_a_disabled_user_cannot_log_in(desk: Desk) -> None:
    desk.auth.update_user(desk.trader.id, active=False)
    err = refused(lambda: desk.auth.login("trader", TRADER_PW), "AUTH_INVALID_CREDENTIALS", 401)
    assert err.data == {"reason": "inactive"} and "停用" in err.message_zh


def test_logins_are_audited_without_the_password(desk: Desk) -> None:
    with pytest.raises(DeskError):
        desk.auth.login("trader", "not-my-password", ip="10.0.0.9")
    desk.auth.login("trader", TRADER_PW, ip="10.0.0.9")
    rows = [r for r in audit_rows(desk) if r.action.startswith("auth.login")]
    assert [(r.action, r.actor, r.ip) for r in rows] == [
        ("auth.login_failed", "trader", "10.0.0.9"),
        ("auth.login", "trader", "10.0.0.9"),
    ]
    assert all("not-my-password" not in r.detail and TRADER_PW not in r.detail for r in rows)


def test_an_outdated_password_hash_is_upgraded_at_login(desk: Desk) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(TRADER_PW)
    with desk.factory() as s:
        s.get(User, desk.trader.id).password_hash = weak  # type: ignore[union-attr]
        s.commit()
    desk.auth.login("trader", TRADER_PW)
    with desk.factory() as s:
        upgraded = s.get(User, desk.trader.id).password_hash  # type: ignore[union-attr]
    assert upgraded != weak and "t=3" in upgraded
    desk.auth.login("trader", TRADER_PW)


# -- authenticate -----------------------------------------------------------------------------


@pytest.mark.parametrize("bearer", [None, "", "   ", "Bearer "])
def test_missing_credentials_need_authentication(desk: Desk, bearer: str | None) -> None:
    refused(lambda: desk.auth.authenticate(bearer), "AUTH_REQUIRED", 401)


@pytest.mark.parametrize("bearer", ["garbage", "Bearer a.b.c", "qmt_not-a-real-token"])
def test_garbage_credentials_are_invalid(desk: Desk, bearer: str) -> None:
    refused(lambda: desk.auth.authenticate(bearer), "AUTH_INVALID_TOKEN", 401)


def test_access_tokens_expire_after_their_ttl(desk: Desk) -> None:
    token = desk.auth.login("trader", TRADER_PW).access_token
    desk.clock.advance(seconds=28799)
    desk.auth.authenticate(token)
    desk.clock.advance(seconds=1)
    err = refused(lambda: desk.auth.authenticate(token), "AUTH_INVALID_TOKEN", 401)
    assert err.data == {"reason": "expired"}


def test_a_trade_token_is_not_an_access_token(desk: Desk) -> None:
    _, principal = login_principal(desk)
    trade = desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token
    refused(lambda: desk.auth.authenticate(trade), "AUTH_INVALID_TOKEN", 401)


def test_disabling_a_user_invalidates_their_tokens_even_after_reactivation(desk: Desk) -> None:
    token, _ = login_principal(desk)
    desk.auth.update_user(desk.trader.id, active=False)
    assert refused(lambda: desk.auth.authenticate(token), "AUTH_INVALID_TOKEN", 401).data == {"reason": "inactive"}
    desk.auth.update_user(desk.trader.id, active=True)
    refused(lambda: desk.auth.authenticate(token), "AUTH_INVALID_TOKEN", 401)
    desk.auth.login("trader", TRADER_PW)


def test_the_stored_role_applies_at_once(desk: Desk) -> None:
    token, _ = login_principal(desk)
    desk.auth.update_user(desk.trader.id, role="viewer")
    principal = desk.auth.authenticate(token)
    assert principal.role == "viewer" and principal.scopes == frozenset({"read"})
    refused(lambda: principal.require_role("admin", "trader"), "FORBIDDEN", 403)


# -- own passwords ----------------------------------------------------------------------------


def test_changing_the_password_signs_out_other_sessions(desk: Desk) -> None:
    old_token, principal = login_principal(desk)
    trade = desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token
    new_token, _, user = desk.auth.change_password(principal.user_id, TRADER_PW, "trader-pass-2")
    assert not user.must_change_password
    refused(lambda: desk.auth.authenticate(old_token), "AUTH_INVALID_TOKEN", 401)
    new_principal = desk.auth.authenticate(new_token)
    refused(lambda: desk.auth.check_trade_token(new_principal, trade), "TRADE_LOCKED", 403)
    refused(lambda: desk.auth.login("trader", TRADER_PW), "AUTH_INVALID_CREDENTIALS", 401)
    desk.auth.login("trader", "trader-pass-2")


def test_changing_the_password_needs_the_current_one_and_a_strong_new_one(desk: Desk) -> None:
    uid = desk.trader.id
    err = refused(lambda: desk.auth.change_password(uid, "wrong-pass", "trader-pass-2"), "PASSWORD_INVALID", 403)
    assert err.message_zh == "当前登录密码错误"
    refused(lambda: desk.auth.change_password(uid, TRADER_PW, "short"), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.change_password(uid, TRADER_PW, TRADER_PW), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.change_password(uid, TRADER_PW, TRADE_PW), "VALIDATION_ERROR", 422)
    desk.auth.login("trader", TRADER_PW)


def test_a_generated_password_must_be_changed_and_changing_clears_the_flag(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    auth = AuthService(make_session_factory(engine), SECRET, Clock(T0))
    password = auth.bootstrap_admin(load_settings(data_dir=tmp_path))
    assert password is not None
    token = auth.login("admin", password).access_token
    assert auth.authenticate(token).must_change_password
    new_token = auth.change_password(auth.authenticate(token).user_id, password, "fresh-admin-pass").access_token
    assert not auth.authenticate(new_token).must_change_password
    engine.dispose()


def test_wrong_current_passwords_count_toward_the_login_lock(desk: Desk) -> None:
    for _ in range(4):
        refused(
            lambda: desk.auth.change_password(desk.trader.id, "wrong-pass", "trader-pass-2"), "PASSWORD_INVALID", 403
        )
    refused(lambda: desk.auth.change_password(desk.trader.id, "wrong-pass", "trader-pass-2"), "PASSWORD_INVALID", 403)
    refused(lambda: desk.auth.login("trader", TRADER_PW), "AUTH_LOCKED", 429)


def test_setting_the_trading_password_needs_the_login_password(desk: Desk) -> None:
    uid = desk.admin.id
    refused(lambda: desk.auth.trade_unlock(uid, "anything-1"), "TRADING_PASSWORD_NOT_SET", 409)
    refused(lambda: desk.auth.set_trading_password(uid, "wrong-pass", TRADE_PW), "PASSWORD_INVALID", 403)
    err = refused(lambda: desk.auth.set_trading_password(uid, ADMIN_PW, "12345"), "VALIDATION_ERROR", 422)
    assert err.data["fields"][0]["field"] == "new_trading_password"
    refused(lambda: desk.auth.set_trading_password(uid, ADMIN_PW, ADMIN_PW), "VALIDATION_ERROR", 422)
    user = desk.auth.set_trading_password(uid, ADMIN_PW, TRADE_PW)
    assert user.trading_password_set
    assert desk.auth.trade_unlock(uid, TRADE_PW).expires_in == 900


def test_a_new_trading_password_revokes_trade_tokens(desk: Desk) -> None:
    _, principal = login_principal(desk)
    trade = desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token
    desk.auth.set_trading_password(principal.user_id, TRADER_PW, "trade-pass-2")
    refused(lambda: desk.auth.check_trade_token(principal, trade), "TRADE_LOCKED", 403)
    refused(lambda: desk.auth.trade_unlock(principal.user_id, TRADE_PW), "TRADING_PASSWORD_INVALID", 403)


def test_an_admin_can_reset_a_trading_password(desk: Desk) -> None:
    desk.auth.reset_trading_password(desk.trader.id, "trade-pass-9", actor="admin")
    desk.auth.trade_unlock(desk.trader.id, "trade-pass-9")
    refused(lambda: desk.auth.reset_trading_password(desk.trader.id, TRADER_PW), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.reset_trading_password(999, "trade-pass-9"), "NOT_FOUND", 404)


# -- trade unlock and trade tokens ------------------------------------------------------------


def test_trade_unlock_gives_a_trade_token_that_passes_the_check(desk: Desk) -> None:
    _, principal = login_principal(desk)
    trade_token, expires_in = desk.auth.trade_unlock(principal.user_id, TRADE_PW)
    assert expires_in == 900
    desk.auth.check_trade_token(principal, trade_token)


def test_a_wrong_trading_password_is_refused(desk: Desk) -> None:
    err = refused(lambda: desk.auth.trade_unlock(desk.trader.id, "wrong-pass"), "TRADING_PASSWORD_INVALID", 403)
    assert err.message_zh == "交易密码错误"


def test_five_wrong_trading_passwords_lock_trading_for_15_minutes(desk: Desk) -> None:
    uid = desk.trader.id
    for _ in range(4):
        refused(lambda: desk.auth.trade_unlock(uid, "wrong-pass"), "TRADING_PASSWORD_INVALID", 403)
    err = refused(lambda: desk.auth.trade_unlock(uid, "wrong-pass"), "TRADING_PASSWORD_INVALID", 403)
    assert err.data["kind"] == "trade"
    refused(lambda: desk.auth.trade_unlock(uid, TRADE_PW), "AUTH_LOCKED", 429)
    desk.auth.login("trader", TRADER_PW)  # logging in is a separate counter
    auth = desk.restart()
    desk.clock.advance(minutes=14)
    refused(lambda: auth.trade_unlock(uid, TRADE_PW), "AUTH_LOCKED", 429)
    desk.clock.advance(minutes=1)
    auth.trade_unlock(uid, TRADE_PW)


def test_trade_tokens_expire_after_their_ttl(desk: Desk) -> None:
    _, principal = login_principal(desk)
    trade = desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token
    desk.clock.advance(seconds=899)
    desk.auth.check_trade_token(principal, trade)
    desk.clock.advance(seconds=1)
    err = refused(lambda: desk.auth.check_trade_token(principal, trade), "TRADE_LOCKED", 403)
    assert err.data == {"reason": "expired"}


def test_trade_lock_revokes_every_trade_token_of_the_user(desk: Desk) -> None:
    _, principal = login_principal(desk)
    first = desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token
    second = desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token
    desk.auth.trade_lock(principal.user_id)
    for token in (first, second):
        assert refused(lambda t=token: desk.auth.check_trade_token(principal, t), "TRADE_LOCKED", 403).data == {
            "reason": "revoked"
        }
    desk.auth.check_trade_token(principal, desk.auth.trade_unlock(principal.user_id, TRADE_PW).trade_token)


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_missing_or_invalid_trade_tokens_are_refused(desk: Desk, token: str | None) -> None:
    _, principal = login_principal(desk)
    err = refused(lambda: desk.auth.check_trade_token(principal, token), "TRADE_LOCKED", 403)
    assert "解锁" in err.message_zh


def test_an_access_token_is_not_a_trade_token(desk: Desk) -> None:
    access, principal = login_principal(desk)
    refused(lambda: desk.auth.check_trade_token(principal, access), "TRADE_LOCKED", 403)


def test_another_users_trade_token_is_refused(desk: Desk) -> None:
    _, trader = login_principal(desk)
    desk.auth.set_trading_password(desk.admin.id, ADMIN_PW, "admin-trade-1")
    _, admin = login_principal(desk, "admin", ADMIN_PW)
    admin_trade = desk.auth.trade_unlock(admin.user_id, "admin-trade-1").trade_token
    assert refused(lambda: desk.auth.check_trade_token(trader, admin_trade), "TRADE_LOCKED", 403).data == {
        "reason": "other_user"
    }


def test_viewers_cannot_trade(desk: Desk) -> None:
    desk.auth.create_user("watcher", "viewer-pass-1", "viewer", trading_password="viewer-trade-1")
    _, viewer = login_principal(desk, "watcher", "viewer-pass-1")
    refused(lambda: desk.auth.trade_unlock(viewer.user_id, "viewer-trade-1"), "FORBIDDEN", 403)
    refused(lambda: desk.auth.check_trade_token(viewer, None), "FORBIDDEN", 403)


# -- API tokens -------------------------------------------------------------------------------


def test_a_read_token_authenticates_and_records_its_use(desk: Desk) -> None:
    secret, info = desk.auth.create_api_token(desk.trader.id, "grafana", ["read"])
    assert secret.startswith("qmt_") and secret.startswith(info.prefix)
    assert info.scopes == ("read",) and info.last_used_at is None
    principal = desk.auth.authenticate(f"Bearer {secret}")
    assert (principal.via, principal.token_id, principal.scopes) == ("api_token", info.id, frozenset({"read"}))
    assert principal.username == "trader"
    [listed] = desk.auth.list_api_tokens(desk.trader.id)
    assert listed.last_used_at == T0


def test_the_secret_is_never_stored(desk: Desk) -> None:
    secret, _ = desk.auth.create_api_token(desk.trader.id, "bot", ["trade"], trading_password=TRADE_PW)
    with desk.engine.connect() as conn:
        for table in ("api_tokens", "audit_log"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                assert all(secret not in str(value) for value in row)


def test_a_read_token_cannot_place_orders(desk: Desk) -> None:
    secret, _ = desk.auth.create_api_token(desk.trader.id, "grafana", ["read"])
    principal = desk.auth.authenticate(secret)
    trade = desk.auth.trade_unlock(desk.trader.id, TRADE_PW).trade_token
    refused(lambda: desk.auth.check_trade_token(principal, trade), "FORBIDDEN", 403)


def test_a_trade_token_trades_without_unlocking(desk: Desk) -> None:
    secret, info = desk.auth.create_api_token(desk.trader.id, "strategy", ["trade"], trading_password=TRADE_PW)
    assert info.scopes == ("read", "trade")
    principal = desk.auth.authenticate(secret)
    desk.auth.check_trade_token(principal, None)


def test_creating_a_trade_token_needs_the_trading_password(desk: Desk) -> None:
    uid = desk.trader.id
    err = refused(lambda: desk.auth.create_api_token(uid, "s", ["trade"]), "TRADING_PASSWORD_INVALID", 403)
    assert err.data == {"reason": "missing"}
    refused(
        lambda: desk.auth.create_api_token(uid, "s", ["trade"], trading_password="wrong-pass"),
        "TRADING_PASSWORD_INVALID",
        403,
    )
    refused(
        lambda: desk.auth.create_api_token(desk.admin.id, "s", ["trade"], trading_password="x" * 8),
        "TRADING_PASSWORD_NOT_SET",
        409,
    )
    assert desk.auth.list_api_tokens(uid) == []


def test_wrong_trading_passwords_on_token_creation_count_toward_the_trade_lock(desk: Desk) -> None:
    for _ in range(4):
        with pytest.raises(DeskError):
            desk.auth.create_api_token(desk.trader.id, "s", ["trade"], trading_password="wrong-pass")
    refused(
        lambda: desk.auth.create_api_token(desk.trader.id, "s", ["trade"], trading_password="wrong-pass"),
        "TRADING_PASSWORD_INVALID",
        403,
    )
    refused(lambda: desk.auth.trade_unlock(desk.trader.id, TRADE_PW), "AUTH_LOCKED", 429)


def test_viewers_get_no_trade_tokens_and_demotion_cuts_existing_ones(desk: Desk) -> None:
    secret, _ = desk.auth.create_api_token(desk.trader.id, "strategy", ["trade"], trading_password=TRADE_PW)
    desk.auth.update_user(desk.trader.id, role="viewer")
    principal = desk.auth.authenticate(secret)
    assert principal.scopes == frozenset({"read"})
    refused(lambda: desk.auth.check_trade_token(principal, None), "FORBIDDEN", 403)
    refused(
        lambda: desk.auth.create_api_token(desk.trader.id, "s", ["trade"], trading_password=TRADE_PW), "FORBIDDEN", 403
    )


def test_expired_and_revoked_tokens_stop_working(desk: Desk) -> None:
    secret, info = desk.auth.create_api_token(desk.trader.id, "short", ["read"], expires_at=T0 + timedelta(hours=1))
    desk.auth.authenticate(secret)
    desk.clock.advance(hours=1)
    assert refused(lambda: desk.auth.authenticate(secret), "AUTH_INVALID_TOKEN", 401).data == {"reason": "expired"}
    other, other_info = desk.auth.create_api_token(desk.trader.id, "long", ["read"])
    revoked = desk.auth.revoke_api_token(desk.trader.id, other_info.id)
    assert revoked.revoked_at == desk.clock.now
    assert refused(lambda: desk.auth.authenticate(other), "AUTH_INVALID_TOKEN", 401).data == {"reason": "revoked"}
    assert desk.auth.revoke_api_token(desk.trader.id, other_info.id).revoked_at == revoked.revoked_at
    assert [t.id for t in desk.auth.list_api_tokens(desk.trader.id)] == [info.id]
    assert [t.id for t in desk.auth.list_api_tokens(desk.trader.id, include_revoked=True)] == [other_info.id, info.id]


def test_a_disabled_users_api_tokens_stop_working(desk: Desk) -> None:
    secret, _ = desk.auth.create_api_token(desk.trader.id, "bot", ["read"])
    desk.auth.update_user(desk.trader.id, active=False)
    refused(lambda: desk.auth.authenticate(secret), "AUTH_INVALID_TOKEN", 401)


def test_users_cannot_revoke_each_others_tokens(desk: Desk) -> None:
    _, info = desk.auth.create_api_token(desk.trader.id, "bot", ["read"])
    refused(lambda: desk.auth.revoke_api_token(desk.admin.id, info.id), "NOT_FOUND", 404)
    refused(lambda: desk.auth.revoke_api_token(desk.trader.id, 999), "NOT_FOUND", 404)
    assert desk.auth.revoke_api_token(desk.admin.id, info.id, any_user=True).revoked_at is not None


def test_token_names_and_expiry_are_validated(desk: Desk) -> None:
    uid = desk.trader.id
    refused(lambda: desk.auth.create_api_token(uid, "  ", ["read"]), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.create_api_token(uid, "n" * 65, ["read"]), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.create_api_token(uid, "bot", ["admin"]), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.create_api_token(uid, "bot", ["read"], expires_at=T0), "VALIDATION_ERROR", 422)
    # Without an offset the time is read as exchange time (UTC+8).
    _, info = desk.auth.create_api_token(uid, "bot", ["read"], expires_at=datetime(2026, 3, 2, 10, 0))
    assert info.expires_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


# -- users ------------------------------------------------------------------------------------


def test_usernames_are_unique_regardless_of_case(desk: Desk) -> None:
    err = refused(lambda: desk.auth.create_user("TRADER", "another-pass", "viewer"), "USERNAME_TAKEN", 409)
    assert "trader" in err.message_zh


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [
        ("bad name", "good-pass-1", "viewer"),
        ("", "good-pass-1", "viewer"),
        ("ok", "short", "viewer"),
        ("ok", "good-pass-1", "root"),
    ],
)
def test_invalid_new_users_are_refused(desk: Desk, username: str, password: str, role: str) -> None:
    refused(lambda: desk.auth.create_user(username, password, role), "VALIDATION_ERROR", 422)


def test_users_are_listed_and_updated(desk: Desk) -> None:
    desk.auth.create_user("王五", "viewer-pass-1", "viewer", actor="admin")
    assert [(u.username, u.role) for u in desk.auth.list_users()] == [
        ("admin", "admin"),
        ("trader", "trader"),
        ("王五", "viewer"),
    ]
    desk.clock.advance(minutes=1)
    updated = desk.auth.update_user(desk.trader.id, role="admin", must_change_password=True, actor="admin")
    assert (updated.role, updated.must_change_password, updated.updated_at) == ("admin", True, desk.clock.now)
    assert desk.auth.get_user(desk.trader.id) == updated
    assert desk.auth.get_user_by_username("TRADER") == updated
    assert desk.auth.get_user_by_username("nobody") is None
    refused(lambda: desk.auth.get_user(999), "NOT_FOUND", 404)
    refused(lambda: desk.auth.update_user(999, active=False), "NOT_FOUND", 404)


def test_an_admin_password_reset_signs_the_user_out(desk: Desk) -> None:
    token, _ = login_principal(desk)
    desk.auth.update_user(desk.trader.id, password="reset-pass-1", actor="admin")
    refused(lambda: desk.auth.authenticate(token), "AUTH_INVALID_TOKEN", 401)
    desk.auth.login("trader", "reset-pass-1")
    refused(lambda: desk.auth.update_user(desk.trader.id, password="short"), "VALIDATION_ERROR", 422)
    refused(lambda: desk.auth.update_user(desk.trader.id, password=TRADE_PW), "VALIDATION_ERROR", 422)


def test_the_last_active_admin_cannot_be_disabled_or_demoted(desk: Desk) -> None:
    refused(lambda: desk.auth.update_user(desk.admin.id, active=False), "LAST_ADMIN", 409)
    refused(lambda: desk.auth.update_user(desk.admin.id, role="trader"), "LAST_ADMIN", 409)
    desk.auth.update_user(desk.trader.id, role="admin")
    assert desk.auth.update_user(desk.admin.id, active=False).active is False
    refused(lambda: desk.auth.update_user(desk.trader.id, role="viewer"), "LAST_ADMIN", 409)


def test_security_changes_are_audited_without_secrets(desk: Desk) -> None:
    uid = desk.trader.id
    desk.auth.login("trader", TRADER_PW, ip="192.168.1.2")
    trade = desk.auth.trade_unlock(uid, TRADE_PW, ip="192.168.1.2").trade_token
    desk.auth.trade_lock(uid)
    secret, info = desk.auth.create_api_token(uid, "bot", ["trade"], trading_password=TRADE_PW)
    desk.auth.revoke_api_token(uid, info.id)
    desk.auth.set_trading_password(uid, TRADER_PW, "trade-pass-2")
    new_access = desk.auth.change_password(uid, TRADER_PW, "trader-pass-2").access_token
    desk.auth.update_user(uid, role="viewer", actor="admin", ip="127.0.0.1")
    rows = audit_rows(desk)
    actions = [r.action for r in rows]
    for expected in (
        "user.create",
        "auth.login",
        "auth.trade_unlock",
        "auth.trade_lock",
        "api_token.create",
        "api_token.revoke",
        "auth.trading_password_set",
        "auth.password_change",
        "user.update",
    ):
        assert expected in actions
    assert rows[-1].actor == "admin" and rows[-1].detail_dict() == {"role": {"from": "trader", "to": "viewer"}}
    everything = " ".join(f"{r.actor} {r.target} {r.detail}" for r in rows)
    for secret_value in (TRADER_PW, TRADE_PW, "trade-pass-2", "trader-pass-2", secret, trade, new_access):
        assert secret_value not in everything


def test_principal_scope_checks(desk: Desk) -> None:
    secret, _ = desk.auth.create_api_token(desk.trader.id, "grafana", ["read"])
    principal = desk.auth.authenticate(secret)
    principal.require_scope("read")
    refused(lambda: principal.require_scope("trade"), "FORBIDDEN", 403)
    assert not principal.is_admin


def test_api_token_rows_reference_their_user(desk: Desk) -> None:
    _, info = desk.auth.create_api_token(desk.trader.id, "bot", ["read"])
    with desk.factory() as s:
        row = s.get(ApiToken, info.id)
        assert row is not None and row.user_id == desk.trader.id and row.scopes == "read"
        assert len(row.token_hash) == 64


def test_a_password_change_committed_while_a_session_is_read_is_not_hidden_by_the_cache(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_token, principal = login_principal(desk)
    user_id = principal.user_id
    desk.auth.forget_users([user_id])  # the next authenticate reads the row
    original = AuthService._active_user
    raced: list[bool] = []

    def read_then_race(session: Any, wanted: int) -> Any:
        user = original(session, wanted)  # the row as it was...
        if not raced:
            raced.append(True)  # ...then another request changes the password and commits
            desk.auth.change_password(user_id, TRADER_PW, "trader-pass-2")
        return user

    monkeypatch.setattr(AuthService, "_active_user", staticmethod(read_then_race))
    desk.auth.authenticate(old_token)  # read before the change: this one request still passes
    monkeypatch.undo()
    refused(lambda: desk.auth.authenticate(old_token), "AUTH_INVALID_TOKEN", 401)
    refused(lambda: desk.auth.authenticate_cached(old_token), "AUTH_INVALID_TOKEN", 401)  # nothing stale kept


def test_an_api_token_is_never_answered_from_the_cache(desk: Desk) -> None:
    token = desk.auth.login("trader", TRADER_PW).access_token
    principal = desk.auth.authenticate(token)
    created = desk.auth.create_api_token(principal.user_id, "script", ["read"])
    assert desk.auth.authenticate_cached(created.secret) is None
    assert desk.auth.authenticate_cached(f"Bearer {created.secret}") is None
    assert desk.auth.authenticate_cached(token) == principal
