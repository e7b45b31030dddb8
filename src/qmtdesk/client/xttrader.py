"""``XtQuantTrader`` over the desk: run a script written for MiniQMT from Linux, a Mac or Jupyter.

Change ``from xtquant.xttrader import XtQuantTrader, XtQuantTraderCallback`` to
``from qmtdesk.client.xttrader import XtQuantTrader, XtQuantTraderCallback`` and give the desk's URL
and credentials instead of the MiniQMT path; the rest of the script stays as it was: the same method
names, arguments, return conventions (``connect()`` → 0, ``order_stock`` → order id or -1) and
callbacks, with xtquant's constants (``xtquant.xtconstant`` or :mod:`qmtdesk.client.xtconstant`).

Every order goes through the desk's one way in (validation, risk, audit) with ``source: api``.
Pushes (``on_stock_order``, ``on_stock_trade``, ``on_order_error``) come from the desk's WebSocket on
a thread of their own after :meth:`XtQuantTrader.connect`; ``*_async`` calls run in order on one
worker thread and answer through ``on_order_stock_async_response`` /
``on_cancel_order_stock_async_response``. No event loop is used, so Jupyter's does not interfere.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Protocol

from qmtdesk.client import xtconstant as xc
from qmtdesk.client.http import Client, DeskAPIError
from qmtdesk.client.stream import sync_stream
from qmtdesk.client.xttype import (
    StockAccount,
    XtAccountStatus,
    XtAsset,
    XtCancelError,
    XtCancelOrderResponse,
    XtOrder,
    XtOrderError,
    XtOrderResponse,
    XtPosition,
    XtTrade,
)

__all__ = ["StockAccount", "XtQuantTrader", "XtQuantTraderCallback"]

log = logging.getLogger(__name__)


class _Account(Protocol):
    account_id: str
    account_type: int


class XtQuantTraderCallback:
    """Override the pushes you need, as with xtquant's class of the same name."""

    def on_connected(self) -> None:
        """The link to the desk is up."""

    def on_disconnected(self) -> None:
        """The link to the desk dropped (it is re-established by itself; pushes missed meanwhile follow)."""

    def on_account_status(self, status: XtAccountStatus) -> None:
        """An account's status changed."""

    def on_stock_asset(self, asset: XtAsset) -> None:
        """Asset push (not sent by the desk; query :meth:`XtQuantTrader.query_stock_asset`)."""

    def on_stock_order(self, order: XtOrder) -> None:
        """An order changed."""

    def on_stock_trade(self, trade: XtTrade) -> None:
        """A fill."""

    def on_stock_position(self, position: XtPosition) -> None:
        """Position push (not sent by the desk; query :meth:`XtQuantTrader.query_stock_positions`)."""

    def on_order_error(self, order_error: XtOrderError) -> None:
        """An order was refused (by the desk's checks, its risk rules, the broker or the exchange)."""

    def on_cancel_error(self, cancel_error: XtCancelError) -> None:
        """A cancel was refused."""

    def on_order_stock_async_response(self, response: XtOrderResponse) -> None:
        """The answer to :meth:`XtQuantTrader.order_stock_async`."""

    def on_cancel_order_stock_async_response(self, response: XtCancelOrderResponse) -> None:
        """The answer to :meth:`XtQuantTrader.cancel_order_stock_async`."""


class XtQuantTrader:
    """The desk in xttrader's shape. ``desk_url`` is e.g. ``http://127.0.0.1:8000``; sign in with an
    API token (scope ``trade`` to trade) or a username, password and trading password."""

    def __init__(
        self,
        desk_url: str,
        session_id: int,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        trading_password: str | None = None,
    ) -> None:
        self.session_id = session_id
        self.client = Client(
            desk_url, token=token, username=username, password=password, trading_password=trading_password
        )
        self._callback: XtQuantTraderCallback = XtQuantTraderCallback()
        self._seq = itertools.count(1)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xttrader-async")
        self._stop = threading.Event()
        self._pusher: threading.Thread | None = None
        self._accounts: dict[str, Client] = {}
        self._errors_told: set[int] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ session
    def register_callback(self, callback: XtQuantTraderCallback) -> None:
        """Where pushes go (the last registered wins, as in xtquant)."""
        self._callback = callback

    def start(self) -> None:
        """Kept for xtquant's call order; :meth:`connect` opens the link."""

    def connect(self) -> int:
        """Sign in and start the push thread: 0 on success, -1 when the desk cannot be reached or refuses."""
        try:
            self.client.login()
        except (DeskAPIError, OSError) as failure:
            log.warning("connect to the desk failed: %s", failure)
            return -1
        self._stop.clear()
        self._pusher = threading.Thread(target=self._push_loop, name="xttrader-push", daemon=True)
        self._pusher.start()
        self._tell("on_connected")
        return 0

    def stop(self) -> None:
        """Stop the push thread and the async worker and close the connections."""
        self._stop.set()
        if self._pusher is not None:
            self._pusher.join(timeout=5)
            self._pusher = None
        self._worker.shutdown(wait=True)
        self.client.close()

    def run_forever(self) -> None:
        """Block until :meth:`stop` is called from a callback or another thread."""
        self._stop.wait()

    def subscribe(self, account: _Account) -> int:
        """Follow ``account`` (its orders and fills are pushed): 0, or -1 when the desk has no such account."""
        try:
            self._for(account).status()
        except DeskAPIError as refused:
            log.warning("subscribe %s refused: %s", account.account_id, refused)
            return -1
        return 0

    def unsubscribe(self, account: _Account) -> int:
        """Stop following ``account``."""
        self._accounts.pop(account.account_id, None)
        return 0

    # ------------------------------------------------------------------ orders
    def order_stock(
        self,
        account: _Account,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str = "",
        order_remark: str = "",
    ) -> int:
        """Place an order; its order id, or -1 when nothing was stored (the reason goes to
        ``on_order_error``). A refused order that was stored answers its id and is pushed as 废单."""
        order_id, _error = self._place(
            account, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark, -1
        )
        return order_id

    def order_stock_async(
        self,
        account: _Account,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str = "",
        order_remark: str = "",
    ) -> int:
        """Place an order on the worker thread; answers a ``seq`` now and ``on_order_stock_async_response``
        (with the same ``seq``) when the desk has answered."""
        seq = next(self._seq)

        def run() -> None:
            order_id, error = self._place(
                account, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark, seq
            )
            response = XtOrderResponse(account.account_id, order_id, strategy_name, order_remark, error, seq)
            self._tell("on_order_stock_async_response", response)

        self._worker.submit(run)
        return seq

    def cancel_order_stock(self, account: _Account, order_id: int) -> int:
        """Ask to cancel: 0 when the desk took the request, -1 when it refused (``on_cancel_error``)."""
        return 0 if self._cancel(account, order_id) == "" else -1

    def cancel_order_stock_async(self, account: _Account, order_id: int) -> int:
        """Cancel on the worker thread; ``on_cancel_order_stock_async_response`` with the returned ``seq``."""
        seq = next(self._seq)

        def run() -> None:
            error = self._cancel(account, order_id)
            response = XtCancelOrderResponse(account.account_id, 0 if not error else -1, order_id, seq, error)
            self._tell("on_cancel_order_stock_async_response", response)

        self._worker.submit(run)
        return seq

    # ------------------------------------------------------------------ queries
    def query_stock_asset(self, account: _Account) -> XtAsset | None:
        """Cash, frozen cash, market value and total asset (``None`` when the desk cannot answer)."""
        data = self._query(lambda c: c.account(), account)
        return XtAsset(data) if data is not None else None

    def query_stock_orders(self, account: _Account, cancelable_only: bool = False) -> list[XtOrder]:
        """Today's orders (only those that can still be cancelled, when asked)."""
        client = self._for(account)
        day = self._query(lambda c: c.status(), account)
        if day is None:
            return []
        orders = client.orders(trading_day=day["trading_day"])
        return [XtOrder(o) for o in reversed(orders) if not cancelable_only or o["status"] in xc.CANCELABLE]

    def query_stock_order(self, account: _Account, order_id: int) -> XtOrder | None:
        """One order by its id."""
        data = self._query(lambda c: c.get_order(order_id), account)
        return XtOrder(data) if data is not None else None

    def query_stock_trades(self, account: _Account) -> list[XtTrade]:
        """Today's fills."""
        client = self._for(account)
        day = self._query(lambda c: c.status(), account)
        if day is None:
            return []
        return [XtTrade(t, account.account_id) for t in reversed(client.trades(trading_day=day["trading_day"]))]

    def query_stock_positions(self, account: _Account) -> list[XtPosition]:
        """Every holding."""
        data = self._query(lambda c: c.positions(), account) or []
        return [XtPosition(p, account.account_id) for p in data]

    def query_stock_position(self, account: _Account, stock_code: str) -> XtPosition | None:
        """One holding, or ``None``."""
        data = self._query(lambda c: c.position(stock_code), account)
        return XtPosition(data, account.account_id) if data is not None else None

    def query_account_status(self) -> list[XtAccountStatus]:
        """The link state of each followed account (the desk's broker link)."""
        out = []
        for account_id, client in list(self._accounts.items()) or [("", self.client)]:
            try:
                up = client.status()["connected"]
            except (DeskAPIError, OSError):
                up = False
            out.append(XtAccountStatus(account_id, xc.ACCOUNT_STATUS_OK if up else xc.ACCOUNT_STATUS_FAIL))
        return out

    # ------------------------------------------------------------------ inside
    def _for(self, account: _Account) -> Client:
        with self._lock:
            client = self._accounts.get(account.account_id)
            if client is None:
                client = self._accounts[account.account_id] = self.client.with_account(account.account_id)
            return client

    def _query(self, ask: Callable[[Client], Any], account: _Account) -> Any:
        try:
            return ask(self._for(account))
        except DeskAPIError as refused:
            if refused.status != 404:
                log.warning("query refused: %s", refused)
            return None

    def _place(
        self,
        account: _Account,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str,
        order_remark: str,
        seq: int,
    ) -> tuple[int, str]:
        side = xc.SIDE_BY_ORDER_TYPE.get(order_type)
        name = xc.PRICE_TYPE_NAME.get(price_type)
        if side is None or name is None:
            message = f"不支持的委托类型 {order_type} 或报价类型 {price_type}"
            self._order_error(account.account_id, -1, message, strategy_name, order_remark, seq)
            return -1, message
        try:
            placed = self._for(account).place_order(
                stock_code,
                side,
                int(order_volume),
                name,
                Decimal(str(price)) if name == "limit" or price > 0 else None,
                strategy_name=strategy_name,
                remark=order_remark,
            )
        except DeskAPIError as refused:
            stored = (refused.data or {}).get("order") if isinstance(refused.data, dict) else None
            message = f"{refused.code}: {refused.message}"
            if stored is not None and refused.code != "DUPLICATE_CLIENT_ORDER_ID":
                # Stored as a refused order: the push of it tells on_order_error (once).
                return int(stored["order_id"]), message
            self._order_error(account.account_id, -1, message, strategy_name, order_remark, seq)
            return -1, message
        except OSError as failure:
            message = f"desk unreachable: {failure}"
            self._order_error(account.account_id, -1, message, strategy_name, order_remark, seq)
            return -1, message
        return int(placed["order"]["order_id"]), ""

    def _cancel(self, account: _Account, order_id: int) -> str:
        try:
            self._for(account).cancel_order(order_id)
        except DeskAPIError as refused:
            message = f"{refused.code}: {refused.message}"
            self._tell("on_cancel_error", XtCancelError(account.account_id, order_id, -1, message))
            return message
        except OSError as failure:
            message = f"desk unreachable: {failure}"
            self._tell("on_cancel_error", XtCancelError(account.account_id, order_id, -1, message))
            return message
        return ""

    def _order_error(self, account_id: str, order_id: int, message: str, strategy: str, remark: str, seq: int) -> None:
        self._tell("on_order_error", XtOrderError(account_id, order_id, -1, message, strategy, remark, seq))

    def _push_loop(self) -> None:
        for message in sync_stream(
            self.client, ["orders", "trades"], None, stop=self._stop, on_drop=lambda: self._tell("on_disconnected")
        ):
            try:
                self._push(message)
            except Exception:  # a script's callback raised: keep the pushes flowing, as xtquant does
                log.exception("callback failed on %s", message.get("stream"))

    def _push(self, message: dict[str, Any]) -> None:
        data = message["data"]
        if message["stream"] == "trades":
            self._tell("on_stock_trade", XtTrade(data))
            return
        if message["stream"] != "orders":
            return
        order = XtOrder(data)
        self._tell("on_stock_order", order)
        if data["status"] in xc.REFUSED and order.order_id not in self._errors_told:
            self._errors_told.add(order.order_id)
            reason = f"{data.get('error') or ''}: {data.get('error_message') or data.get('status_msg') or ''}"
            self._order_error(order.account_id, order.order_id, reason, order.strategy_name, order.order_remark, -1)

    def _tell(self, name: str, *args: Any) -> None:
        handler = getattr(self._callback, name, None)
        if handler is not None:
            handler(*args)
