"""HTTP clients of the desk's API: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Both sign in with an API token or a username and password, unlock trading with the trading password
when a trading call needs it (again when the unlock expires), and retry what is safe to retry: reads,
and orders — every order carries a ``client_order_id`` (one is made when none is given), so a retry
after a dropped answer gets the order the first attempt placed instead of a second one.

The call table (:class:`Calls`) is shared: each method builds a :class:`Call`, and the two clients
only differ in how they send it. Neither keeps an event loop of its own, so both work in Jupyter.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import httpx

API_PREFIX = "/api/v1"
#: Answers worth another try: the desk or a proxy in front of it was briefly unavailable.
RETRY_STATUSES = frozenset({502, 503, 504})
#: A 503 with one of these codes is the desk's answer, not a proxy's: retrying would not help.
FINAL_503_CODES = frozenset({"BROKER_UNAVAILABLE"})

R = TypeVar("R")


class DeskAPIError(Exception):
    """A refusal by the desk: HTTP ``status``, stable ``code``, the (zh-CN) ``message`` and ``data``."""

    def __init__(self, status: int, code: str, message: str, data: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.data = data


@dataclass(frozen=True)
class Call:
    """One API request: what to send, and whether it needs the trade token and may be retried."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    trade: bool = False
    retry: bool = True


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None``; send decimals as strings (the desk reads prices as exact decimals)."""
    return {k: (str(v) if isinstance(v, Decimal | float) else v) for k, v in values.items() if v is not None}


def new_client_order_id() -> str:
    """A fresh client order id (the desk keeps at most 64 characters)."""
    return f"qc-{uuid.uuid4().hex}"


def _unwrap(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise DeskAPIError(response.status_code, "BAD_RESPONSE", response.text[:200]) from None
    if response.status_code >= 400:
        if isinstance(body, dict):
            raise DeskAPIError(response.status_code, str(body.get("error")), str(body.get("message")), body.get("data"))
        raise DeskAPIError(response.status_code, "BAD_RESPONSE", str(body)[:200])
    return body.get("data") if isinstance(body, dict) else body


def _retryable(response: httpx.Response) -> bool:
    if response.status_code not in RETRY_STATUSES:
        return False
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return True
    return code not in FINAL_503_CODES


def _api_base(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class Calls(Generic[R]):
    """Every trading, risk, signal, held-order and algo route as a typed method (see docs/API.md)."""

    def _call(self, call: Call) -> R:  # pragma: no cover - each client sends calls its own way
        raise NotImplementedError

    # ------------------------------------------------------------------ account and market
    def status(self) -> R:
        """``GET /trading/status``: broker link, trading day, market phase, halt."""
        return self._call(Call("GET", "/trading/status"))

    def account(self) -> R:
        """``GET /trading/account``: cash, frozen cash, market value, total asset and P&L."""
        return self._call(Call("GET", "/trading/account"))

    def positions(self) -> R:
        """``GET /trading/positions``."""
        return self._call(Call("GET", "/trading/positions"))

    def position(self, stock_code: str) -> R:
        """``GET /trading/positions/{stock_code}`` (404 ``POSITION_NOT_FOUND`` when none)."""
        return self._call(Call("GET", f"/trading/positions/{stock_code}"))

    def quote(self, stock_code: str) -> R:
        """``GET /market/quote/{stock_code}``: last price, five levels, limits and cage."""
        return self._call(Call("GET", f"/market/quote/{stock_code}"))

    # ------------------------------------------------------------------ orders and trades
    def place_order(
        self,
        stock_code: str,
        side: str,
        quantity: int,
        price_type: str = "limit",
        price: Decimal | str | float | None = None,
        *,
        client_order_id: str | None = None,
        strategy_name: str = "",
        remark: str = "",
    ) -> R:
        """``POST /trading/orders``; answers ``{order}``. Safe to retry: the client id makes it once."""
        body = _clean(
            {
                "stock_code": stock_code,
                "side": side,
                "quantity": quantity,
                "price_type": price_type,
                "price": price,
                "client_order_id": client_order_id or new_client_order_id(),
                "strategy_name": strategy_name,
                "remark": remark,
            }
        )
        return self._call(Call("POST", "/trading/orders", json=body, trade=True))

    def cancel_order(self, order_id: int) -> R:
        """``POST /trading/orders/{id}/cancel``; answers ``{order}`` (``pending_cancel`` or final)."""
        return self._call(Call("POST", f"/trading/orders/{order_id}/cancel", trade=True, retry=False))

    def cancel_all(self, stock_code: str | None = None, side: str | None = None) -> R:
        """``POST /trading/orders/cancel-all``."""
        body = _clean({"stock_code": stock_code, "side": side})
        return self._call(Call("POST", "/trading/orders/cancel-all", json=body, trade=True, retry=False))

    def get_order(self, order_id: int) -> R:
        """``GET /trading/orders/{id}``."""
        return self._call(Call("GET", f"/trading/orders/{order_id}"))

    def order_by_client_id(self, client_order_id: str) -> R:
        """``GET /trading/orders/by-client-id/{client_order_id}``."""
        return self._call(Call("GET", f"/trading/orders/by-client-id/{client_order_id}"))

    def orders_page(self, page: int = 1, page_size: int = 200, **filters: Any) -> R:
        """``GET /trading/orders`` one page: ``status`` (comma list, ``open``, ``finished``), ``stock_code``,
        ``side``, ``trading_day``, ``strategy_name``."""
        return self._call(
            Call("GET", "/trading/orders", params=_clean({"page": page, "page_size": page_size} | filters))
        )

    def trades_page(self, page: int = 1, page_size: int = 200, **filters: Any) -> R:
        """``GET /trading/trades`` one page: ``stock_code``, ``order_id``, ``trading_day``."""
        return self._call(
            Call("GET", "/trading/trades", params=_clean({"page": page, "page_size": page_size} | filters))
        )

    # ------------------------------------------------------------------ risk and signals
    def risk_rules(self) -> R:
        """``GET /risk/rules``: every rule, switched on or off, with its parameters."""
        return self._call(Call("GET", "/risk/rules"))

    def set_risk_rule(self, rule: str, *, enabled: bool, params: dict[str, Any] | None = None) -> R:
        """``PUT /risk/rules/{rule}``."""
        body = _clean({"enabled": enabled, "params": params})
        return self._call(Call("PUT", f"/risk/rules/{rule}", json=body, trade=True))

    def risk_metrics(self) -> R:
        """``GET /risk/metrics``: the trading state and today's counters."""
        return self._call(Call("GET", "/risk/metrics"))

    def halt(self, reason: str, *, cancel_open_orders: bool = False) -> R:
        """``POST /risk/halt``: no new orders on this account until :meth:`resume` (the kill switch)."""
        body = {"reason": reason, "cancel_open_orders": cancel_open_orders}
        return self._call(Call("POST", "/risk/halt", json=body, trade=True))

    def resume(self, reason: str = "") -> R:
        """``POST /risk/resume``."""
        return self._call(Call("POST", "/risk/resume", json=_clean({"reason": reason or None}), trade=True))

    def submit_signal(self, signal_id: str, stock_code: str, action: str, **fields: Any) -> R:
        """``POST /signals``: ``signal_id`` is the idempotency key (safe to retry)."""
        body = _clean({"signal_id": signal_id, "stock_code": stock_code, "action": action} | fields)
        return self._call(Call("POST", "/signals", json=body, trade=True))

    def signals_page(self, page: int = 1, page_size: int = 200, **filters: Any) -> R:
        """``GET /signals`` one page, with their decisions."""
        return self._call(Call("GET", "/signals", params=_clean({"page": page, "page_size": page_size} | filters)))

    # ------------------------------------------------------------------ held and algo orders
    def hold(self, stock_code: str, side: str, quantity: int | None, trigger: dict[str, Any], **fields: Any) -> R:
        """``POST /trading/conditional-orders``: an order the desk places when ``trigger`` fires."""
        body = _clean({"stock_code": stock_code, "side": side, "quantity": quantity, "trigger": trigger} | fields)
        return self._call(Call("POST", "/trading/conditional-orders", json=body, trade=True, retry=False))

    def cancel_held(self, held_id: int) -> R:
        """``POST /trading/conditional-orders/{id}/cancel``."""
        return self._call(Call("POST", f"/trading/conditional-orders/{held_id}/cancel", trade=True, retry=False))

    def start_algo(self, stock_code: str, side: str, quantity: int, algo: str, **fields: Any) -> R:
        """``POST /trading/algo-orders``: TWAP (``end_at``, ``interval_seconds``) or iceberg
        (``price``, ``display_quantity``)."""
        body = _clean({"stock_code": stock_code, "side": side, "quantity": quantity, "algo": algo} | fields)
        return self._call(Call("POST", "/trading/algo-orders", json=body, trade=True, retry=False))

    def cancel_algo(self, algo_id: int) -> R:
        """``POST /trading/algo-orders/{id}/cancel``."""
        return self._call(Call("POST", f"/trading/algo-orders/{algo_id}/cancel", trade=True, retry=False))


class _Credentials:
    """What the client signs in with, and the tokens it holds."""

    def __init__(
        self, token: str | None, username: str | None, password: str | None, trading_password: str | None
    ) -> None:
        if not token and not (username and password):
            raise ValueError("give an API token, or a username and password")
        self.api_token = token
        self.username, self.password, self.trading_password = username, password, trading_password
        self.access: str | None = token
        self.trade_token: str | None = None

    def headers(self, trade: bool) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.access}"} if self.access else {}
        if trade and self.trade_token:
            out["X-Trade-Token"] = self.trade_token
        return out

    def needs_login(self) -> bool:
        return self.access is None

    def needs_unlock(self, trade: bool) -> bool:
        # An API token carries its own scope; a signed-in session unlocks trading with the password.
        return trade and self.api_token is None and self.trade_token is None

    def login_call(self) -> Call:
        return Call("POST", "/auth/login", json={"username": self.username, "password": self.password})

    def unlock_call(self) -> Call:
        if not self.trading_password:
            raise DeskAPIError(403, "TRADE_LOCKED", "需要交易密码：请在创建客户端时提供 trading_password")
        return Call("POST", "/auth/trade-unlock", json={"trading_password": self.trading_password})

    def renewable(self, error: DeskAPIError) -> bool:
        """Whether signing in or unlocking again may cure ``error`` (an expired token)."""
        if self.api_token is not None:
            return False
        if error.status == 401:
            self.access, self.trade_token = None, None
            return True
        if error.code == "TRADE_LOCKED" and self.trading_password:
            self.trade_token = None
            return True
        return False


def _request_args(
    call: Call, creds: _Credentials, account_id: str | None, retries: int, auth: bool
) -> tuple[dict[str, Any], int]:
    """The arguments of ``httpx``'s ``request`` for ``call``, and how many attempts it may take."""
    params = dict(call.params)
    if account_id and not call.path.startswith("/auth"):
        params.setdefault("account_id", account_id)
    headers = creds.headers(call.trade) if auth else {}
    request = {"method": call.method, "url": call.path, "json": call.json, "params": params, "headers": headers}
    return request, retries + 1 if call.retry else 1


def _backoff(attempt: int) -> float:
    """Seconds to wait before the next attempt (0.2, 0.4, 0.8… at most 2)."""
    return min(0.2 * 2.0**attempt, 2.0)


class Client(Calls[Any]):
    """The desk's API, blocking (``httpx.Client``). Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        trading_password: str | None = None,
        account_id: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = _api_base(base_url)
        self.account_id = account_id
        self.retries = retries
        self._creds = _Credentials(token, username, password, trading_password)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def with_account(self, account_id: str) -> Client:
        """The same session (connections and tokens) for another account of the desk."""
        other = copy.copy(self)
        other.account_id = account_id
        return other

    def login(self) -> dict[str, Any]:
        """Sign in now (otherwise the first call does); answers the signed-in user."""
        if self._creds.needs_login():
            self._creds.access = self._send(self._creds.login_call(), auth=False)["access_token"]
        return self._send(Call("GET", "/auth/me"))  # type: ignore[no-any-return]

    def _call(self, call: Call) -> Any:
        for renewed in (False, True):
            try:
                if self._creds.needs_login():
                    self._creds.access = self._send(self._creds.login_call(), auth=False)["access_token"]
                if self._creds.needs_unlock(call.trade):
                    self._creds.trade_token = self._send(self._creds.unlock_call())["trade_token"]
                return self._send(call)
            except DeskAPIError as error:
                if renewed or not self._creds.renewable(error):
                    raise
        raise AssertionError("unreachable")

    def _send(self, call: Call, *, auth: bool = True) -> Any:
        request, attempts = _request_args(call, self._creds, self.account_id, self.retries, auth)
        for attempt in range(attempts):
            try:
                response = self._http.request(**request)
            except httpx.TransportError:
                if attempt + 1 >= attempts:
                    raise
            else:
                if not (_retryable(response) and attempt + 1 < attempts):
                    return _unwrap(response)
            time.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ paged lists, in full
    def orders(self, **filters: Any) -> list[dict[str, Any]]:
        """Every order matching ``filters`` (all pages), newest first."""
        return self._all(self.orders_page, filters)

    def trades(self, **filters: Any) -> list[dict[str, Any]]:
        """Every trade matching ``filters`` (all pages), newest first."""
        return self._all(self.trades_page, filters)

    def _all(self, fetch: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data = fetch(page=page, **filters)
            items.extend(data["items"])
            if len(items) >= data["total"] or not data["items"]:
                return items
            page += 1

    def stream(self, streams: list[str], *, since_seq: int | None = None) -> Iterator[dict[str, Any]]:
        """The WebSocket's messages of ``streams`` (``orders``, ``trades``, ``quotes:600000.SH``…), resuming
        with ``since_seq`` after a dropped connection so no order or trade change is missed."""
        from qmtdesk.client.stream import sync_stream

        if self._creds.needs_login():
            self.login()
        return sync_stream(self, streams, since_seq)


class AsyncClient(Calls[Any]):
    """The desk's API for asyncio code (``httpx.AsyncClient``); every call method is awaitable."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        trading_password: str | None = None,
        account_id: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = _api_base(base_url)
        self.account_id = account_id
        self.retries = retries
        self._creds = _Credentials(token, username, password, trading_password)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def login(self) -> dict[str, Any]:
        """Sign in now (otherwise the first call does); answers the signed-in user."""
        await self._ensure(Call("GET", "/auth/me"))
        return await self._send(Call("GET", "/auth/me"))  # type: ignore[no-any-return]

    def _call(self, call: Call) -> Any:
        return self._run(call)

    async def _ensure(self, call: Call) -> None:
        async with self._lock:  # one sign-in for many concurrent calls
            if self._creds.needs_login():
                self._creds.access = (await self._send(self._creds.login_call(), auth=False))["access_token"]
            if self._creds.needs_unlock(call.trade):
                self._creds.trade_token = (await self._send(self._creds.unlock_call()))["trade_token"]

    async def _run(self, call: Call) -> Any:
        for renewed in (False, True):
            try:
                await self._ensure(call)
                return await self._send(call)
            except DeskAPIError as error:
                if renewed or not self._creds.renewable(error):
                    raise
        raise AssertionError("unreachable")

    async def _send(self, call: Call, *, auth: bool = True) -> Any:
        request, attempts = _request_args(call, self._creds, self.account_id, self.retries, auth)
        for attempt in range(attempts):
            try:
                response = await self._http.request(**request)
            except httpx.TransportError:
                if attempt + 1 >= attempts:
                    raise
            else:
                if not (_retryable(response) and attempt + 1 < attempts):
                    return _unwrap(response)
            await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    async def orders(self, **filters: Any) -> list[dict[str, Any]]:
        """Every order matching ``filters`` (all pages), newest first."""
        return await self._all(self.orders_page, filters)

    async def trades(self, **filters: Any) -> list[dict[str, Any]]:
        """Every trade matching ``filters`` (all pages), newest first."""
        return await self._all(self.trades_page, filters)

    async def _all(self, fetch: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data = await fetch(page=page, **filters)
            items.extend(data["items"])
            if len(items) >= data["total"] or not data["items"]:
                return items
            page += 1

    async def stream(self, streams: list[str], *, since_seq: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """The WebSocket's messages of ``streams``, resuming with ``since_seq`` after a dropped connection."""
        from qmtdesk.client.stream import async_stream

        await self._ensure(Call("GET", "/auth/me"))
        async for message in async_stream(self, streams, since_seq):
            yield message
