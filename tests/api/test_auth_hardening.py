"""Issue 7.5: hostile tokens, lockouts, secrets kept out of logs, closed CORS, the key file, the bind warning.

JWTs are forged the way an attacker would (``alg: none``, another key, another algorithm, an edited
payload) and misused (a trade token as a bearer, an access token as ``X-Trade-Token``); each is
refused with the stable code of API.md. Expiry and the end of a lockout are tested by moving the
auth service's clock (``AuthService`` takes an injected clock; the desk's is the wall clock).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import select
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.cli import _banner
from qmtdesk.config import load_settings, resolve_secret_key
from qmtdesk.desk import Desk
from qmtdesk.logs import flush_logging, setup_logging
from tests.api.conftest import ADMIN_PASSWORD, API, DeskClient, make_settings
from tests.api.test_websocket import WS, authenticate, receive

ORDER = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": "11.40"}
TRADER_PASSWORD = "Trader-Login-k7Qz"
TRADER_TRADING_PASSWORD = "Trade-Pin-93xW"


# ------------------------------------------------------------------------------------------ helpers


def assert_error(response: Any, status: int, code: str, reason: str | None = None) -> dict[str, Any]:
    """The error envelope of API.md with this status and stable code (and ``data.reason``, if given)."""
    assert response.status_code == status, (response.request.method, response.request.url.path, response.text)
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "error", "message", "data"}, body
    assert body["code"] == status and body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    if reason is not None:
        assert isinstance(body["data"], dict) and body["data"].get("reason") == reason, body
    return body


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A JWT's header, payload and signature, unverified."""
    header, payload, signature = token.split(".")
    return unb64url(header), unb64url(payload), signature


def assemble(header: dict[str, Any], payload: dict[str, Any], signature: str = "") -> str:
    """A JWT from parts, without signing (``alg: none`` tokens and edited payloads)."""
    parts = (b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
    return ".".join((*parts, signature))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def secret_key(desk_client: DeskClient) -> str:
    key = desk_client.desk.settings.secret_key
    assert key is not None
    return key.get_secret_value()


def add_trader(desk_client: DeskClient, admin: dict[str, str], username: str = "trader1") -> dict[str, str]:
    """A trader with a trading password; returns the trader's JWT headers."""
    http = desk_client.http
    r = http.post(
        f"{API}/users",
        json={"username": username, "password": TRADER_PASSWORD, "role": "trader"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    auth = desk_client.login(username, TRADER_PASSWORD)
    r = http.post(
        f"{API}/auth/trading-password",
        json={"password": TRADER_PASSWORD, "new_trading_password": TRADER_TRADING_PASSWORD},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    return auth


def move_auth_clock(monkeypatch: pytest.MonkeyPatch, desk_client: DeskClient, by: timedelta) -> None:
    """Run the auth service ``by`` ahead of the wall clock (token expiry, lockout windows)."""
    monkeypatch.setattr(desk_client.desk.auth, "_clock", lambda: datetime.now(UTC) + by)


# ------------------------------------------------------------------------------------ forged tokens


#: HS384/HS512 forgeries use the 48-character test key; PyJWT warns that it is short for those algorithms.
SHORT_KEY_WARNING = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@SHORT_KEY_WARNING
def test_forged_and_misused_bearer_tokens_are_refused(desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    http = desk_client.http
    key = secret_key(desk_client)
    admin = desk_client.login()
    trader = add_trader(desk_client, admin)
    trader_token = trader["Authorization"].removeprefix("Bearer ")
    header, claims, signature = segments(trader_token)
    assert header["alg"] == "HS256" and claims["typ"] == "access" and claims["role"] == "trader"
    assert http.get(f"{API}/auth/me", headers=trader).status_code == 200

    def me(token: str) -> Any:
        return http.get(f"{API}/auth/me", headers=bearer(token))

    # alg "none", in every spelling, with and without a signature.
    for alg in ("none", "None", "NONE", "nOnE"):
        for sig in ("", signature):
            assert_error(me(assemble({"alg": alg, "typ": "JWT"}, claims, sig)), 401, "AUTH_INVALID_TOKEN")
    assert_error(me(assemble({"typ": "JWT"}, claims)), 401, "AUTH_INVALID_TOKEN")  # no alg at all
    # Signed with another key, or with the right key but another algorithm.
    assert_error(me(jwt.encode(claims, "k" * 48, algorithm="HS256")), 401, "AUTH_INVALID_TOKEN")
    for alg in ("HS384", "HS512"):
        assert_error(me(jwt.encode(claims, key, algorithm=alg)), 401, "AUTH_INVALID_TOKEN")
    # The payload edited, the signature kept: promoted to admin, or moved to the admin's id.
    admin_id = http.get(f"{API}/auth/me", headers=admin).json()["data"]["id"]
    for edit in ({"role": "admin"}, {"sub": str(admin_id)}, {"exp": claims["exp"] + 86400}, {"sv": claims["sv"] + 1}):
        forged = assemble(header, {**claims, **edit}, signature)
        assert_error(me(forged), 401, "AUTH_INVALID_TOKEN")
        assert_error(http.get(f"{API}/users", headers=bearer(forged)), 401, "AUTH_INVALID_TOKEN")
    # Expired: correctly signed, exp before now.
    stale = {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    assert_error(me(jwt.encode(stale, key, algorithm="HS256")), 401, "AUTH_INVALID_TOKEN", reason="expired")
    # A required claim missing.
    for claim in ("exp", "sub", "typ", "sv"):
        partial = {k: v for k, v in claims.items() if k != claim}
        assert_error(me(jwt.encode(partial, key, algorithm="HS256")), 401, "AUTH_INVALID_TOKEN")
    # Even a correctly signed token cannot raise a role: the stored role decides, not the claim.
    promoted = jwt.encode({**claims, "role": "admin"}, key, algorithm="HS256")
    assert me(promoted).json()["data"]["role"] == "trader"
    assert_error(http.get(f"{API}/users", headers=bearer(promoted)), 403, "FORBIDDEN")

    # A trade token is not an access token.
    trade_token = desk_client.trade_headers(admin)["X-Trade-Token"]
    assert_error(me(trade_token), 401, "AUTH_INVALID_TOKEN", reason="wrong_type")
    assert_error(http.post(f"{API}/trading/order", json=ORDER, headers=bearer(trade_token)), 401, "AUTH_INVALID_TOKEN")

    # Garbage and unknown API tokens.
    for junk in ("not-a-token", "a.b.c", "e30.e30.", "qmt_" + "A" * 43, "A" * 8000, "Bearer x"):
        assert_error(me(junk), 401, "AUTH_INVALID_TOKEN")
    for authorization in ("", "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4tcGFzcy0x"):
        r = http.get(f"{API}/auth/me", headers={"Authorization": authorization})
        assert r.status_code == 401 and r.json()["error"] in ("AUTH_REQUIRED", "AUTH_INVALID_TOKEN"), r.text

    # A revoked API token, and the real token once the clock passes its expiry.
    created = http.post(f"{API}/auth/api-tokens", json={"name": "script", "scopes": ["read"]}, headers=trader)
    api_token = created.json()["data"]["token"]
    assert me(api_token).status_code == 200
    assert http.delete(f"{API}/auth/api-tokens/{created.json()['data']['id']}", headers=trader).status_code == 200
    assert_error(me(api_token), 401, "AUTH_INVALID_TOKEN", reason="revoked")
    move_auth_clock(monkeypatch, desk_client, timedelta(seconds=desk_client.desk.auth.access_token_ttl + 1))
    assert_error(me(trader_token), 401, "AUTH_INVALID_TOKEN", reason="expired")


@SHORT_KEY_WARNING
def test_trade_tokens_are_checked_and_revoked_by_trade_lock(
    desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = desk_client.http
    key = secret_key(desk_client)
    admin = desk_client.login()
    trade_token = desk_client.trade_headers(admin)["X-Trade-Token"]
    header, claims, signature = segments(trade_token)
    assert claims["typ"] == "trade"

    def place(x_trade_token: str, **extra: Any) -> Any:
        return http.post(
            f"{API}/trading/order", json={**ORDER, **extra}, headers={**admin, "X-Trade-Token": x_trade_token}
        )

    created = http.post(f"{API}/auth/api-tokens", json={"name": "reader", "scopes": ["read"]}, headers=admin)
    refused = {
        "an access token": admin["Authorization"].removeprefix("Bearer "),
        "an API token": created.json()["data"]["token"],
        "alg none": assemble({"alg": "none", "typ": "JWT"}, claims),
        "another key": jwt.encode(claims, "k" * 48, algorithm="HS256"),
        "HS512": jwt.encode(claims, key, algorithm="HS512"),
        "an older version": assemble(header, {**claims, "tv": claims["tv"] - 1}, signature),
        "a longer life": assemble(header, {**claims, "exp": claims["exp"] + 86400}, signature),
        "junk": "x.y.z",
    }
    for what, token in refused.items():
        r = place(token)
        assert r.status_code == 403 and r.json()["error"] == "TRADE_LOCKED", (what, r.text)
    stale = {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    assert_error(place(jwt.encode(stale, key, algorithm="HS256")), 403, "TRADE_LOCKED", reason="expired")

    placed = place(trade_token)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["order"]["order_id"]

    # trade-lock revokes it at once, for placing and for cancelling.
    assert http.post(f"{API}/auth/trade-lock", headers=admin).status_code == 200
    assert_error(place(trade_token, price="11.41"), 403, "TRADE_LOCKED", reason="revoked")
    cancel = http.post(f"{API}/trading/orders/{order_id}/cancel", headers={**admin, "X-Trade-Token": trade_token})
    assert_error(cancel, 403, "TRADE_LOCKED", reason="revoked")
    # Unlocking again gives a working token; the access token was never affected.
    fresh = desk_client.trade_headers(admin)
    assert http.post(f"{API}/trading/orders/{order_id}/cancel", headers=fresh).status_code == 200
    # A trade token lives 900 s by default: then it is refused as expired.
    assert desk_client.desk.auth.trade_token_ttl == 900
    move_auth_clock(monkeypatch, desk_client, timedelta(seconds=901))
    assert http.get(f"{API}/auth/me", headers=admin).status_code == 200
    assert_error(place(fresh["X-Trade-Token"], price="11.42"), 403, "TRADE_LOCKED", reason="expired")


GRID = {"type": "grid", "params": {"base_price": "11.50", "step_pct": "0.01", "lots_per_step": 1, "max_lots": 3}}


def test_arming_auto_trade_needs_the_trading_password(desk_client: DeskClient) -> None:
    http = desk_client.http
    trader = add_trader(desk_client, desk_client.login())  # a JWT session, trading not unlocked
    armed = http.post(
        f"{API}/monitor/stocks", json={"stock_code": "600000.SH", "auto_trade": True, "strategy": GRID}, headers=trader
    )
    assert_error(armed, 403, "TRADE_LOCKED")
    watched = http.post(f"{API}/monitor/stocks", json={"stock_code": "000001.SZ", "strategy": GRID}, headers=trader)
    assert watched.status_code == 201, watched.text  # watching alone stays allowed
    switched = http.put(f"{API}/monitor/stocks/000001.SZ", json={"auto_trade": True}, headers=trader)
    assert_error(switched, 403, "TRADE_LOCKED")


# ---------------------------------------------------------------------------------------- lockouts


def test_login_locks_after_five_failures_for_fifteen_minutes(
    desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = desk_client.http
    session = desk_client.login()  # signed in before the attack

    def login(username: str, password: str) -> Any:
        return http.post(f"{API}/auth/login", json={"username": username, "password": password})

    for _ in range(4):
        assert_error(login("admin", "wrong-password"), 401, "AUTH_INVALID_CREDENTIALS")
    # the fifth failure is still a wrong password, and says the lock it starts
    fifth = assert_error(login("admin", "wrong-password"), 401, "AUTH_INVALID_CREDENTIALS")
    assert fifth["data"]["locked_until"].endswith("+08:00") and fifth["data"]["retry_after"] == 900, fifth
    locked = assert_error(login("admin", "wrong-password"), 429, "AUTH_LOCKED")
    assert locked["data"]["kind"] == "login" and 800 <= locked["data"]["retry_after"] <= 900, locked
    # While locked even the right password is refused (and not checked), whatever the case of the name.
    assert_error(login("admin", ADMIN_PASSWORD), 429, "AUTH_LOCKED")
    assert_error(login(" ADMIN ", ADMIN_PASSWORD), 429, "AUTH_LOCKED")
    # The lock is on sign-in only: an existing session keeps working.
    assert http.get(f"{API}/auth/me", headers=session).status_code == 200
    # Unknown usernames lock the same way, so a lockout says nothing about which names exist.
    first = [login("nobody", "wrong-password") for _ in range(5)]
    assert [r.status_code for r in first] == [401, 401, 401, 401, 401]
    assert login("nobody", "wrong-password").status_code == 429
    assert first[0].json() == login("admin2", "wrong-password").json()  # same refusal for any unknown name
    # Fifteen minutes later the lock is over.
    move_auth_clock(monkeypatch, desk_client, timedelta(minutes=14))
    assert_error(login("admin", ADMIN_PASSWORD), 429, "AUTH_LOCKED")
    move_auth_clock(monkeypatch, desk_client, timedelta(minutes=15, seconds=5))
    assert login("admin", ADMIN_PASSWORD).status_code == 200


def test_trading_password_locks_trading_after_five_failures(
    desk_client: DeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = desk_client.http
    admin = desk_client.login()

    def unlock(password: str) -> Any:
        return http.post(f"{API}/auth/trade-unlock", json={"trading_password": password}, headers=admin)

    for _ in range(5):
        assert_error(unlock("000000"), 403, "TRADING_PASSWORD_INVALID")
    locked = assert_error(unlock("000000"), 429, "AUTH_LOCKED")
    assert locked["data"]["kind"] == "trade", locked
    assert_error(unlock(desk_client.desk.settings.admin_trading_password.get_secret_value()), 429, "AUTH_LOCKED")  # type: ignore[union-attr]
    # The same lock covers the other use of the trading password: a trade-scoped API token.
    token = http.post(
        f"{API}/auth/api-tokens",
        json={"name": "bot", "scopes": ["trade"], "trading_password": "246810"},
        headers=admin,
    )
    assert_error(token, 429, "AUTH_LOCKED")
    # Sign-in is a separate lock.
    assert desk_client.login()["Authorization"]
    move_auth_clock(monkeypatch, desk_client, timedelta(minutes=15, seconds=5))
    assert unlock("246810").status_code == 200


# ------------------------------------------------------------------------------- secrets and logs


@pytest.fixture
def log_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    """Logging as ``qmtdesk serve`` sets it up (JSON lines, rotating file in the data dir), at DEBUG,
    with pytest's capture handlers kept; everything is put back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_flag = getattr(root, "_qmtdesk_configured", None)
    access = logging.getLogger("uvicorn.access")
    saved_access = access.level
    caplog.set_level(logging.DEBUG)
    if saved_flag is not None:
        del root._qmtdesk_configured  # type: ignore[attr-defined]
    data_dir = tmp_path / "logged"
    setup_logging(data_dir, "DEBUG", as_json=True)
    ours = list(root.handlers)
    root.handlers.extend(h for h in saved_handlers if h not in ours)
    try:
        yield data_dir / "logs" / "qmtdesk.log"
    finally:
        listener = getattr(root, "_qmtdesk_listener", None)
        if listener is not None:
            flush_logging()
            listener.stop()
            for handler in listener.handlers:
                handler.close()
            root._qmtdesk_listener = None  # type: ignore[attr-defined]
        for handler in ours:
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        access.setLevel(saved_access)
        if saved_flag is None:
            root.__dict__.pop("_qmtdesk_configured", None)
        else:
            root._qmtdesk_configured = saved_flag  # type: ignore[attr-defined]


def test_passwords_and_tokens_never_reach_the_logs_or_the_audit_trail(
    desk_client: DeskClient, caplog: pytest.LogCaptureFixture, log_file: Path
) -> None:
    http = desk_client.http
    secrets: dict[str, str] = {
        "admin password": ADMIN_PASSWORD,
        "signing key": secret_key(desk_client),
        "trader password": TRADER_PASSWORD,
        "trader trading password": TRADER_TRADING_PASSWORD,
    }
    logging.getLogger("qmtdesk.test").debug("a line to prove the capture works")

    admin = desk_client.login()
    secrets["admin access token"] = admin["Authorization"].removeprefix("Bearer ")
    # Failed sign-ins, up to a lockout (a mistyped password is often another real one).
    for n in range(5):
        wrong = f"Wrong-Login-{n}-zP4q"
        secrets[f"wrong password {n}"] = wrong
        http.post(f"{API}/auth/login", json={"username": "trader1", "password": wrong})
    http.post(f"{API}/auth/login", json={"username": "ghost", "password": "Ghost-Login-m2Vd"})
    secrets["unknown user's password"] = "Ghost-Login-m2Vd"
    # The trader is created by the admin, then locked out by the failures above: reset the password.
    trader_auth = add_trader_after_lockout(desk_client, admin)
    secrets["trader access token"] = trader_auth["Authorization"].removeprefix("Bearer ")
    # Trade unlock: a wrong trading password, then the right one.
    http.post(f"{API}/auth/trade-unlock", json={"trading_password": "Wrong-Pin-8hJk"}, headers=trader_auth)
    secrets["wrong trading password"] = "Wrong-Pin-8hJk"
    trader = desk_client.trade_headers(trader_auth, TRADER_TRADING_PASSWORD)
    secrets["trade token"] = trader["X-Trade-Token"]
    # API tokens: a read one and a trade one (with the trading password).
    tokens = {}
    for scope, extra in (("read", {}), ("trade", {"trading_password": TRADER_TRADING_PASSWORD})):
        r = http.post(
            f"{API}/auth/api-tokens", json={"name": f"{scope}-bot", "scopes": [scope], **extra}, headers=trader_auth
        )
        assert r.status_code == 201, r.text
        tokens[scope] = r.json()["data"]["token"]
        secrets[f"{scope} API token"] = tokens[scope]
    # Orders placed and cancelled with each kind of credential, refusals included.
    placed = desk_client.order(trader, price="11.40")
    assert placed.status_code == 201, placed.text
    http.post(f"{API}/trading/orders/{placed.json()['data']['order']['order_id']}/cancel", headers=trader)
    by_bot = http.post(f"{API}/trading/order", json={**ORDER, "price": "11.41"}, headers=bearer(tokens["trade"]))
    assert by_bot.status_code == 201, by_bot.text
    http.post(f"{API}/trading/orders/cancel-all", json={}, headers=bearer(tokens["trade"]))
    http.post(f"{API}/trading/order", json=ORDER, headers=bearer(tokens["read"]))  # 403
    http.post(f"{API}/trading/order", json=ORDER, headers={**trader_auth, "X-Trade-Token": tokens["read"]})  # 403
    http.get(f"{API}/auth/me", headers=bearer(trader["X-Trade-Token"]))  # 401: a trade token as bearer
    desk_client.order(trader, price="1.00")  # 422: a denied order
    # The WebSocket, with a good and a bad token.
    with http.websocket_connect(WS) as ws:
        authenticate(ws, tokens["read"])
        ws.send_json({"action": "ping"})
        assert receive(ws)["type"] == "pong"
    with http.websocket_connect(WS) as ws:
        ws.send_json({"action": "auth", "token": trader["X-Trade-Token"]})
        with pytest.raises(Exception):  # noqa: B017 - closed with 4401, possibly after an error message
            while True:
                receive(ws)
    # Password changes: own and by the admin; trade-lock.
    new_password = "Trader-Login-2-Rb8v"
    r = http.post(
        f"{API}/auth/password",
        json={"old_password": TRADER_PASSWORD, "new_password": new_password},
        headers=trader_auth,
    )
    assert r.status_code == 200, r.text
    secrets["trader's new password"] = new_password
    trader_id = r.json()["data"]["user"]["id"]
    reset = "Reset-By-Admin-5Gt1"
    r = http.patch(
        f"{API}/users/{trader_id}", json={"password": reset, "trading_password": "Reset-Pin-6Yh2"}, headers=admin
    )
    assert r.status_code == 200, r.text
    secrets["password set by the admin"] = reset
    secrets["trading password set by the admin"] = "Reset-Pin-6Yh2"
    http.post(f"{API}/auth/trade-lock", headers=admin)

    audit = http.get(f"{API}/audit", params={"page_size": 200}, headers=admin)
    assert audit.status_code == 200 and audit.json()["data"]["total"] > 10, audit.text

    records = caplog.records
    assert any(r.name == "qmtdesk.test" for r in records), "the log capture saw nothing"
    flush_logging()
    logged = "\n".join(_record_text(r) for r in records)
    written = "\n".join(p.read_text(encoding="utf-8") for p in log_file.parent.glob("qmtdesk.log*"))
    assert "a line to prove the capture works" in written, "the log file saw nothing"
    leaks = [
        f"{name} in {where}"
        for name, value in secrets.items()
        for where, text in (("log records", logged), ("the log file", written), ("the audit trail", audit.text))
        if value in text
    ]
    assert not leaks, leaks


def add_trader_after_lockout(desk_client: DeskClient, admin: dict[str, str]) -> dict[str, str]:
    """Create trader1 (the failed logins above already locked the name), then lift the lock by an admin reset."""
    http = desk_client.http
    r = http.post(
        f"{API}/users",
        json={"username": "trader1", "password": TRADER_PASSWORD, "role": "trader"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    locked = http.post(f"{API}/auth/login", json={"username": "trader1", "password": TRADER_PASSWORD})
    assert_error(locked, 429, "AUTH_LOCKED")
    # An admin's password reset clears the lock (here: to the same password).
    r = http.patch(f"{API}/users/{r.json()['data']['id']}", json={"password": TRADER_PASSWORD}, headers=admin)
    assert r.status_code == 200, r.text
    auth = desk_client.login("trader1", TRADER_PASSWORD)
    r = http.post(
        f"{API}/auth/trading-password",
        json={"password": TRADER_PASSWORD, "new_trading_password": TRADER_TRADING_PASSWORD},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    return auth


def _record_text(record: logging.LogRecord) -> str:
    """Everything a formatter could print of a record: message, arguments, extras, traceback."""
    parts = [record.getMessage(), repr(record.args)]
    parts += [repr(v) for k, v in vars(record).items() if k not in ("msg", "args", "exc_info")]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------- CORS


PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}


def test_cors_is_closed_by_default(desk_client: DeskClient) -> None:
    http = desk_client.http
    assert desk_client.desk.settings.cors_origins == []
    admin = desk_client.login()
    for origin in ("https://evil.example", "http://localhost:5173", "null"):
        pre = http.options(f"{API}/trading/order", headers={"Origin": origin, **PREFLIGHT})
        assert "access-control-allow-origin" not in pre.headers, pre.headers
        assert "access-control-allow-credentials" not in pre.headers, pre.headers
        r = http.get(f"{API}/trading/orders", headers={"Origin": origin, **admin})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers, r.headers


def test_cors_opens_only_to_the_configured_origins(tmp_path: Path, database_url: str) -> None:
    allowed = "https://desk.example"
    desk = Desk.build(make_settings(tmp_path / "data", database_url, cors_origins=[allowed]))
    with TestClient(create_app(desk)) as http:
        pre = http.options(f"{API}/trading/order", headers={"Origin": allowed, **PREFLIGHT})
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == allowed, pre.headers
        assert "x-trade-token" in pre.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in pre.headers  # bearer tokens, never cookies
        other = http.options(f"{API}/trading/order", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert "access-control-allow-origin" not in other.headers, other.headers
        r = http.get(f"{API}/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


# ----------------------------------------------------------------------------------- the signing key


def test_the_generated_signing_key_is_private_and_kept(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QMTDESK_SECRET_KEY", raising=False)
    old_umask = os.umask(0o022)  # a permissive umask must not matter
    try:
        settings = make_settings(tmp_path / "data", database_url, secret_key=None)
        assert settings.secret_key is None
        desk = Desk.build(settings)
        desk.db.dispose()
    finally:
        os.umask(old_umask)
    key_file = settings.secret_key_file
    assert key_file.parent == settings.data_dir
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="utf-8").strip()
    assert len(key) >= 32
    assert resolve_secret_key(settings) == key  # reused on the next start: sessions survive restarts
    # No built-in default: another data directory gets another key.
    assert resolve_secret_key(load_settings(data_dir=tmp_path / "other", database_url=database_url)) != key
    if os.name == "posix":  # a key file someone loosened is tightened again on start
        key_file.chmod(0o644)
        assert resolve_secret_key(settings) == key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_data_directory_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QMTDESK_SECRET_KEY", raising=False)
    old_umask = os.umask(0o022)
    try:
        settings = make_settings(tmp_path / "data", "", secret_key=None)
        Desk.build(settings).db.dispose()
    finally:
        os.umask(old_umask)
    assert settings.database_url.startswith("sqlite") and str(settings.data_dir) in settings.database_url
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) & 0o077 == 0, oct(settings.data_dir.stat().st_mode)


# ------------------------------------------------------------------------------------ the bind warning


@pytest.mark.parametrize(
    ("host", "warns"),
    [
        ("127.0.0.1", False),
        ("localhost", False),
        ("::1", False),
        ("127.0.0.2", False),
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.20", True),
        ("desk.example", True),
    ],
)
def test_a_non_loopback_bind_prints_a_warning(
    host: str, warns: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _banner(load_settings(host=host, data_dir=tmp_path), None)
    out, err = capsys.readouterr()
    assert ("WARNING" in err and host in err) is warns, err
    assert "WARNING" not in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_until(stream: Any, predicate: Callable[[str], bool], timeout: float) -> str:
    """Read ``stream`` (a pipe) until ``predicate(text so far)`` holds or ``timeout`` passes."""
    text, deadline = "", time.monotonic() + timeout
    while not predicate(text) and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            chunk = os.read(stream.fileno(), 65536).decode("utf-8", "replace")
            if not chunk:
                break
            text += chunk
    return text


@pytest.mark.skipif(os.name != "posix", reason="reads the server's pipes with select()")
def test_serve_on_all_interfaces_warns_and_keeps_the_generated_password_out_of_the_log(tmp_path: Path) -> None:
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QMTDESK_", "MINIQMT_"))}
    env.update({"QMTDESK_PAPER_CLOCK": "2026-11-25T10:00:00+08:00", "PYTHONUNBUFFERED": "1"})
    cmd = [sys.executable, "-m", "qmtdesk.cli", "serve", "--host", "0.0.0.0", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--data-dir", str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path
    )
    try:
        err = _read_until(proc.stderr, lambda t: "WARNING: listening on 0.0.0.0" in t, timeout=60)
        out = _read_until(proc.stdout, lambda t: "password:" in t and "\n" in t.split("password:", 1)[1], timeout=10)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "WARNING: listening on 0.0.0.0" in err, err[-2000:]
    assert "TLS" in err
    # The generated admin password is printed once, to the terminal — never to the log file.
    generated = out.split("password:", 1)[1].split()[0]
    assert len(generated) >= 12, out
    log_text = (data_dir / "logs" / "qmtdesk.log").read_text(encoding="utf-8")
    assert log_text and generated not in log_text
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600


def test_a_user_who_must_change_the_password_can_do_nothing_else_over_the_api(desk_client: DeskClient) -> None:
    http, admin_headers = desk_client.http, desk_client.login()
    created = http.post(
        f"{API}/users", json={"username": "newbie", "password": "initial-pass-1"}, headers=admin_headers
    ).json()["data"]
    r = http.patch(f"{API}/users/{created['id']}", json={"must_change_password": True}, headers=admin_headers)
    assert r.status_code == 200, r.text
    login = http.post(f"{API}/auth/login", json={"username": "newbie", "password": "initial-pass-1"}).json()["data"]
    assert login["user"]["must_change_password"] is True
    headers = {"Authorization": f"Bearer {login['access_token']}"}

    refused = [
        http.post(
            f"{API}/auth/trading-password",
            json={"password": "initial-pass-1", "new_trading_password": "135790"},
            headers=headers,
        ),
        http.post(f"{API}/auth/trade-unlock", json={"trading_password": "135790"}, headers=headers),
        http.get(f"{API}/trading/account", headers=headers),
        http.post(f"{API}/auth/api-tokens", json={"name": "script"}, headers=headers),
        desk_client.order(headers),
    ]
    for r in refused:
        assert r.status_code == 403 and r.json()["error"] == "PASSWORD_CHANGE_REQUIRED", r.text
    with http.websocket_connect(WS) as ws:
        ws.send_json({"action": "auth", "token": login["access_token"]})
        assert receive(ws)["error"] == "PASSWORD_CHANGE_REQUIRED"
    assert http.get(f"{API}/auth/me", headers=headers).status_code == 200

    changed = http.post(
        f"{API}/auth/password",
        json={"old_password": "initial-pass-1", "new_password": "my-own-pass-2"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['data']['access_token']}"}
    assert http.get(f"{API}/trading/account", headers=fresh).status_code == 200
    r = http.post(
        f"{API}/auth/trading-password",
        json={"password": "my-own-pass-2", "new_trading_password": "135790"},
        headers=fresh,
    )
    assert r.status_code == 200, r.text
