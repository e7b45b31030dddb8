"""Who may call what: every route of the app against every kind of caller.

The route table below must list every route the app serves (the test enumerates the app's routes and
compares), so a new endpoint without a row here fails until someone decides who may call it.
Rules (src/qmtdesk/api/deps.py): viewers read; traders also trade; admins also administer; API
tokens with scope ``read`` read, with scope ``trade`` also trade; administration and account
self-service need a signed-in (JWT) session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import routing

from tests.api.conftest import API, TRADING_PASSWORD, DeskClient

# Who may call a route.
PUBLIC = "public"  # no token needed
ANY = "any"  # any valid bearer: JWT or API token of any scope
READ = "read"  # viewers, traders, admins; API tokens with scope read (trade implies read)
TRADE = "trade"  # traders and admins with X-Trade-Token; API tokens with scope trade
SESSION = "session"  # any JWT session (viewer, trader, admin); never an API token
UNLOCK = "unlock"  # a JWT session of a trader or admin
ADMIN = "admin"  # an admin's JWT session

CALLERS = ("none", "bogus", "viewer", "trader", "admin", "read_token", "trade_token")

#: Which callers each rule lets through (the rest get 401 or 403).
ALLOWED: dict[str, set[str]] = {
    PUBLIC: set(CALLERS),
    ANY: {"viewer", "trader", "admin", "read_token", "trade_token"},
    READ: {"viewer", "trader", "admin", "read_token", "trade_token"},
    TRADE: {"trader", "admin", "trade_token"},
    SESSION: {"viewer", "trader", "admin"},
    UNLOCK: {"trader", "admin"},
    ADMIN: {"admin"},
}

NO_ID = 999999  # an id that exists nowhere

#: (method, route path) -> (rule, request path, JSON body). Bodies are minimal: a 404/409/422 still shows the
#: caller got past authorisation. Executed in this order: disconnect before connect (so the broker comes
#: back) and trade-lock last (it revokes the trade tokens the trading rows use).
ROUTES: dict[tuple[str, str], tuple[str, str, Any]] = {
    ("GET", "/api/v1/health"): (PUBLIC, "/health", None),
    ("POST", "/api/v1/auth/login"): (PUBLIC, "/auth/login", {}),
    ("GET", "/api/v1/auth/me"): (ANY, "/auth/me", None),
    ("POST", "/api/v1/auth/password"): (SESSION, "/auth/password", {}),
    ("POST", "/api/v1/auth/trading-password"): (SESSION, "/auth/trading-password", {}),
    ("POST", "/api/v1/auth/trade-unlock"): (UNLOCK, "/auth/trade-unlock", {"trading_password": TRADING_PASSWORD}),
    ("GET", "/api/v1/auth/api-tokens"): (SESSION, "/auth/api-tokens", None),
    ("POST", "/api/v1/auth/api-tokens"): (SESSION, "/auth/api-tokens", {}),
    ("DELETE", "/api/v1/auth/api-tokens/{token_id}"): (SESSION, f"/auth/api-tokens/{NO_ID}", None),
    ("GET", "/api/v1/users"): (ADMIN, "/users", None),
    ("POST", "/api/v1/users"): (ADMIN, "/users", {}),
    ("PATCH", "/api/v1/users/{user_id}"): (ADMIN, f"/users/{NO_ID}", {}),
    ("GET", "/api/v1/accounts"): (READ, "/accounts", None),
    ("GET", "/api/v1/accounts/overview"): (READ, "/accounts/overview", None),
    ("PATCH", "/api/v1/admin/accounts/{account_id}"): (ADMIN, "/admin/accounts/PAPER", {"name": "模拟账户"}),
    ("POST", "/api/v1/admin/accounts"): (ADMIN, "/admin/accounts", {"account_id": "M2", "broker": "paper"}),
    # The default account is never removed: an allowed caller gets the 409 refusal, not a 403.
    ("DELETE", "/api/v1/admin/accounts/{account_id}"): (ADMIN, "/admin/accounts/PAPER", None),
    ("GET", "/api/v1/trading/status"): (READ, "/trading/status", None),
    ("POST", "/api/v1/trading/disconnect"): (ADMIN, "/trading/disconnect", None),
    ("POST", "/api/v1/trading/connect"): (ADMIN, "/trading/connect", None),
    ("GET", "/api/v1/trading/account"): (READ, "/trading/account", None),
    ("GET", "/api/v1/trading/positions"): (READ, "/trading/positions", None),
    ("GET", "/api/v1/trading/positions/{stock_code}"): (READ, "/trading/positions/600000.SH", None),
    ("POST", "/api/v1/trading/order"): (TRADE, "/trading/order", {}),
    ("POST", "/api/v1/trading/orders"): (TRADE, "/trading/orders", {}),
    ("GET", "/api/v1/trading/orders"): (READ, "/trading/orders", None),
    ("GET", "/api/v1/trading/orders/by-client-id/{client_order_id}"): (
        READ,
        "/trading/orders/by-client-id/nope",
        None,
    ),
    ("GET", "/api/v1/trading/orders/{order_id}"): (READ, f"/trading/orders/{NO_ID}", None),
    ("POST", "/api/v1/trading/orders/cancel-all"): (TRADE, "/trading/orders/cancel-all", {}),
    ("POST", "/api/v1/trading/orders/{order_id}/cancel"): (TRADE, f"/trading/orders/{NO_ID}/cancel", None),
    ("GET", "/api/v1/trading/trades"): (READ, "/trading/trades", None),
    ("GET", "/api/v1/trading/records"): (READ, "/trading/records", None),
    ("GET", "/api/v1/trading/equity"): (READ, "/trading/equity", None),
    ("GET", "/api/v1/risk/rules"): (READ, "/risk/rules", None),
    ("PUT", "/api/v1/risk/rules/{rule}"): (ADMIN, "/risk/rules/order_rate", {}),
    ("GET", "/api/v1/risk/metrics"): (READ, "/risk/metrics", None),
    ("GET", "/api/v1/risk/events"): (READ, "/risk/events", None),
    ("POST", "/api/v1/risk/reduce-only"): (TRADE, "/risk/reduce-only", {}),
    ("POST", "/api/v1/risk/halt"): (TRADE, "/risk/halt", {}),
    ("POST", "/api/v1/risk/resume"): (TRADE, "/risk/resume", {}),
    ("POST", "/api/v1/risk/halt-all"): (TRADE, "/risk/halt-all", {}),
    ("POST", "/api/v1/risk/resume-all"): (TRADE, "/risk/resume-all", {}),
    ("POST", "/api/v1/paper/price"): (ADMIN, "/paper/price", {}),
    ("POST", "/api/v1/paper/quotes/{stock_code}"): (ADMIN, "/paper/quotes/600000.SH", {}),
    ("GET", "/api/v1/market/bars/{stock_code}"): (READ, "/market/bars/600000.SH", None),
    ("GET", "/api/v1/trading/conditional-orders"): (READ, "/trading/conditional-orders", None),
    ("GET", "/api/v1/trading/conditional-orders/{held_id}"): (READ, f"/trading/conditional-orders/{NO_ID}", None),
    ("POST", "/api/v1/trading/conditional-orders"): (TRADE, "/trading/conditional-orders", {}),
    ("POST", "/api/v1/trading/conditional-orders/bracket"): (TRADE, "/trading/conditional-orders/bracket", {}),
    ("POST", "/api/v1/trading/conditional-orders/{held_id}/cancel"): (
        TRADE,
        f"/trading/conditional-orders/{NO_ID}/cancel",
        None,
    ),
    ("GET", "/api/v1/trading/algo-orders"): (READ, "/trading/algo-orders", None),
    ("GET", "/api/v1/trading/algo-orders/{algo_id}"): (READ, f"/trading/algo-orders/{NO_ID}", None),
    ("POST", "/api/v1/trading/algo-orders"): (TRADE, "/trading/algo-orders", {}),
    ("POST", "/api/v1/trading/algo-orders/{algo_id}/cancel"): (TRADE, f"/trading/algo-orders/{NO_ID}/cancel", None),
    ("GET", "/api/v1/ipo/today"): (READ, "/ipo/today", None),
    ("POST", "/api/v1/ipo/run"): (TRADE, "/ipo/run", {}),
    ("GET", "/api/v1/ipo/subscriptions"): (READ, "/ipo/subscriptions", None),
    ("GET", "/api/v1/reports/statement"): (READ, "/reports/statement", None),
    ("GET", "/api/v1/reports/performance"): (READ, "/reports/performance", None),
    ("GET", "/api/v1/monitor/strategies"): (READ, "/monitor/strategies", None),
    ("GET", "/api/v1/monitor/stocks"): (READ, "/monitor/stocks", None),
    ("POST", "/api/v1/monitor/stocks"): (TRADE, "/monitor/stocks", {}),
    ("PUT", "/api/v1/monitor/stocks/{stock_code}"): (TRADE, "/monitor/stocks/600000.SH", {}),
    ("DELETE", "/api/v1/monitor/stocks/{stock_code}"): (TRADE, "/monitor/stocks/600000.SH", None),
    ("POST", "/api/v1/trading/execute"): (TRADE, "/trading/execute", {}),
    ("POST", "/api/v1/signals"): (TRADE, "/signals", {}),
    ("GET", "/api/v1/signals"): (READ, "/signals", None),
    ("GET", "/api/v1/signals/{signal_id}"): (READ, "/signals/nope", None),
    ("GET", "/api/v1/market/quote/{stock_code}"): (READ, "/market/quote/600000.SH", None),
    ("GET", "/api/v1/market/quotes"): (READ, "/market/quotes?codes=600000.SH", None),
    ("GET", "/api/v1/market/instruments"): (READ, "/market/instruments?q=6000", None),
    ("GET", "/api/v1/config/miniqmt"): (READ, "/config/miniqmt", None),
    ("PUT", "/api/v1/config/miniqmt"): (ADMIN, "/config/miniqmt", {}),
    ("GET", "/api/v1/paper/clock"): (ADMIN, "/paper/clock", None),
    ("POST", "/api/v1/paper/clock/advance"): (ADMIN, "/paper/clock/advance", {}),
    ("POST", "/api/v1/paper/reset"): (ADMIN, "/paper/reset", {"cash": "0"}),
    ("GET", "/api/v1/audit"): (ADMIN, "/audit", None),
    ("POST", "/api/v1/auth/trade-lock"): (SESSION, "/auth/trade-lock", None),
}

#: Not part of the matrix: the docs, the web UI's catch-all and the WebSocket (tests/api/test_websocket.py).
# the UI's pages and the unknown-API-path catch-all (404/405, no data) need no auth decision
SKIPPED_PATHS = {
    "/docs",
    "/docs/oauth2-redirect",
    "/openapi.json",
    "/redoc",
    "/{path:path}",
    "/api/{path:path}",
    "/api/v1/ws",
}

TRADER_PASSWORD = "trader-pass-1"
VIEWER_PASSWORD = "viewer-pass-1"


def app_routes(desk_client: DeskClient) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, flattened through included routers."""
    routes = desk_client.http.app.routes  # type: ignore[attr-defined]
    contexts = routing.iter_route_contexts(routes) if hasattr(routing, "iter_route_contexts") else routes
    found: set[tuple[str, str]] = set()
    for route in contexts:
        path = route.path
        if path in SKIPPED_PATHS:
            continue
        methods = route.methods or set()
        assert methods, f"a route without HTTP methods needs a decision: {path}"
        found |= {(m, path) for m in methods if m != "HEAD"}
    return found


def assert_error(response: Any, status: int, code: str) -> None:
    """The error envelope of API.md with this status and stable code."""
    assert response.status_code == status, (response.request.method, response.request.url.path, response.text)
    body = response.json()
    assert set(body) == {"code", "error", "message", "data"}, body
    assert body["code"] == status and body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body


@dataclass
class Callers:
    """Headers of every kind of caller, plus the ids behind them."""

    headers: dict[str, dict[str, str]]
    trader_auth: dict[str, str]
    trader_trade_token: str


def make_callers(desk_client: DeskClient) -> Callers:
    """An admin, a viewer and a trader (with trading password and trade token), and the trader's API tokens."""
    http = desk_client.http
    admin_auth = desk_client.login()
    for username, password, role in (("viewer1", VIEWER_PASSWORD, "viewer"), ("trader1", TRADER_PASSWORD, "trader")):
        r = http.post(
            f"{API}/users", json={"username": username, "password": password, "role": role}, headers=admin_auth
        )
        assert r.status_code == 201, r.text
    viewer_auth = desk_client.login("viewer1", VIEWER_PASSWORD)
    trader_auth = desk_client.login("trader1", TRADER_PASSWORD)
    r = http.post(
        f"{API}/auth/trading-password",
        json={"password": TRADER_PASSWORD, "new_trading_password": TRADING_PASSWORD},
        headers=trader_auth,
    )
    assert r.status_code == 200 and r.json()["data"]["trading_password_set"] is True, r.text
    trader = desk_client.trade_headers(trader_auth)
    admin = desk_client.trade_headers(admin_auth)
    tokens = {}
    for scope, extra in (("read", {}), ("trade", {"trading_password": TRADING_PASSWORD})):
        r = http.post(
            f"{API}/auth/api-tokens", json={"name": f"{scope}-script", "scopes": [scope], **extra}, headers=trader_auth
        )
        assert r.status_code == 201, r.text
        tokens[scope] = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    headers = {
        "none": {},
        "bogus": {"Authorization": "Bearer not-a-real-token"},
        "viewer": viewer_auth,
        "trader": trader,
        "admin": admin,
        "read_token": tokens["read"],
        "trade_token": tokens["trade"],
    }
    return Callers(headers, trader_auth, trader["X-Trade-Token"])


def call(desk_client: DeskClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return desk_client.http.request(method, f"{API}{path}", **kwargs)


def test_route_table_lists_every_route_of_the_app(desk_client: DeskClient) -> None:
    served = app_routes(desk_client)
    missing = sorted(served - set(ROUTES))
    stale = sorted(set(ROUTES) - served)
    assert not missing, f"routes without an auth matrix row (add one to ROUTES): {missing}"
    assert not stale, f"matrix rows for routes the app no longer serves: {stale}"


def test_every_route_against_every_caller(desk_client: DeskClient) -> None:
    callers = make_callers(desk_client)
    failures: list[str] = []
    for (method, route), (rule, path, body) in ROUTES.items():
        for caller in CALLERS:
            r = call(desk_client, method, path, body, callers.headers[caller])
            where = f"{method} {route} as {caller}: {r.status_code} {r.text[:200]}"
            try:
                if caller in ALLOWED[rule]:
                    assert r.status_code not in (401, 403) and r.status_code < 500
                elif caller == "none":
                    assert_error(r, 401, "AUTH_REQUIRED")
                elif caller == "bogus":
                    assert_error(r, 401, "AUTH_INVALID_TOKEN")
                else:
                    assert_error(r, 403, "FORBIDDEN")
            except AssertionError:
                failures.append(where)
            if r.status_code < 400:
                body_json = r.json()
                if not (body_json.get("code") == 0 and body_json.get("message") == "ok" and "data" in body_json):
                    failures.append(f"{where} (not the success envelope)")
    assert not failures, "\n".join(failures)


def test_trade_tokens_and_api_token_scopes_guard_orders(desk_client: DeskClient) -> None:
    http = desk_client.http
    callers = make_callers(desk_client)
    order = {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": "11.40"}

    # A JWT session without X-Trade-Token may read but not place or cancel.
    trader_auth = callers.trader_auth
    assert http.get(f"{API}/trading/orders", headers=trader_auth).status_code == 200
    assert_error(http.post(f"{API}/trading/order", json=order, headers=trader_auth), 403, "TRADE_LOCKED")
    assert_error(http.post(f"{API}/trading/orders", json=order, headers=trader_auth), 403, "TRADE_LOCKED")
    bad = {**trader_auth, "X-Trade-Token": "forged"}
    assert_error(http.post(f"{API}/trading/order", json=order, headers=bad), 403, "TRADE_LOCKED")
    # Another user's trade token does not unlock this user.
    other = {**trader_auth, "X-Trade-Token": callers.headers["admin"]["X-Trade-Token"]}
    assert_error(http.post(f"{API}/trading/order", json=order, headers=other), 403, "TRADE_LOCKED")

    # With the trade token: placed; cancelling without the token is refused, with it allowed.
    placed = http.post(f"{API}/trading/order", json=order, headers=callers.headers["trader"])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["order"]["order_id"]
    assert_error(http.post(f"{API}/trading/orders/{order_id}/cancel", headers=trader_auth), 403, "TRADE_LOCKED")
    assert_error(http.post(f"{API}/trading/orders/cancel-all", json={}, headers=trader_auth), 403, "TRADE_LOCKED")

    # A trade-scoped API token places and cancels without X-Trade-Token; a read token is forbidden.
    by_script = http.post(
        f"{API}/trading/order", json={**order, "price": "11.41"}, headers=callers.headers["trade_token"]
    )
    assert by_script.status_code == 201, by_script.text
    assert_error(
        http.post(f"{API}/trading/order", json={**order, "price": "11.42"}, headers=callers.headers["read_token"]),
        403,
        "FORBIDDEN",
    )
    assert_error(
        http.post(f"{API}/trading/orders/{order_id}/cancel", headers=callers.headers["read_token"]), 403, "FORBIDDEN"
    )
    cancelled = http.post(f"{API}/trading/orders/{order_id}/cancel", headers=callers.headers["trade_token"])
    assert cancelled.status_code == 200 and cancelled.json()["data"]["order"]["status"] == "canceled", cancelled.text

    # A viewer can neither unlock nor place.
    viewer = callers.headers["viewer"]
    unlock = http.post(f"{API}/auth/trade-unlock", json={"trading_password": TRADING_PASSWORD}, headers=viewer)
    assert_error(unlock, 403, "FORBIDDEN")
    assert_error(http.post(f"{API}/trading/order", json=order, headers=viewer), 403, "FORBIDDEN")

    # trade-lock revokes the trader's trade tokens (not the admin's).
    r = http.post(f"{API}/auth/trade-lock", headers=trader_auth)
    assert r.status_code == 200, r.text
    assert_error(http.post(f"{API}/trading/order", json=order, headers=callers.headers["trader"]), 403, "TRADE_LOCKED")
    admin_order = http.post(f"{API}/trading/order", json={**order, "price": "11.43"}, headers=callers.headers["admin"])
    assert admin_order.status_code == 201, admin_order.text
    # ... and does not touch API tokens.
    still = http.post(f"{API}/trading/orders/cancel-all", json={}, headers=callers.headers["trade_token"])
    assert still.status_code == 200 and still.json()["data"]["requested"] == 2, still.text

    # Demoting the trader to viewer takes the trade scope away from their API token at once.
    me = http.get(f"{API}/auth/me", headers=trader_auth).json()["data"]
    admin_auth = {"Authorization": callers.headers["admin"]["Authorization"]}
    assert http.patch(f"{API}/users/{me['id']}", json={"role": "viewer"}, headers=admin_auth).status_code == 200
    assert_error(
        http.post(f"{API}/trading/order", json=order, headers=callers.headers["trade_token"]), 403, "FORBIDDEN"
    )
    assert http.get(f"{API}/trading/orders", headers=callers.headers["trade_token"]).status_code == 200
