"""XtQuantBroker: MiniQMT behind the broker port.

- Every SDK call runs on one dedicated thread: ``XtQuantTrader`` replaces the event loop of the
  thread that builds it, and its sync calls must never run inside its callbacks.
- Callbacks only convert the native objects and hand them to the listener (which moves them to the
  app's loop); they never call the SDK back.
- The link is one-shot in MiniQMT: on ``on_disconnected`` or a failed connect the adapter stops the
  old trader and retries with a fresh session id, backing off from 1 s to 60 s.
- Queries use the asynchronous SDK calls with a timeout (the sync ones can wait forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from qmtdesk.brokers.base import (
    AccountReport,
    BrokerListener,
    CancelErrorReport,
    ConnectionReport,
    ConnectionState,
    IpoIssue,
    OrderAckReport,
    OrderErrorReport,
    OrderReport,
    OrderRequest,
    PositionReport,
    TradeReport,
)
from qmtdesk.brokers.xtquant import sdk
from qmtdesk.brokers.xtquant.mapping import ACCOUNT_STATUS, ORDER_TYPE, xt_price_type
from qmtdesk.domain.clock import Clock
from qmtdesk.domain.errors import BrokerUnavailable, DeskError
from qmtdesk.domain.instruments import Exchange, classify
from qmtdesk.domain.portfolio import Position

log = logging.getLogger(__name__)
T = TypeVar("T")

QUERY_TIMEOUT = 10.0
SUBSCRIBE_TIMEOUT = 10.0
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
#: Session ids stay in a bounded window: every connect makes a session file in MiniQMT's folder.
SESSION_WINDOW = 1000


@dataclass(frozen=True)
class XtQuantConfig:
    """Where MiniQMT is and which account to trade."""

    userdata_path: str
    account_id: str
    account_type: str = "STOCK"
    session_base: int | None = None


class _Callback:
    """The SDK callback object: converts and forwards, never calls the SDK."""

    def __init__(self, broker: XtQuantBroker, generation: int) -> None:
        self.broker = broker
        self.generation = generation

    def _forward(self, what: str, fn: Callable[[], None]) -> None:
        # Exceptions inside SDK callbacks vanish silently; log them here instead.
        try:
            if self.generation == self.broker.generation:
                fn()
        except Exception:
            log.exception("xtquant callback %s failed", what)

    def on_connected(self) -> None:  # never called by the SDK; kept for completeness
        pass

    def on_disconnected(self) -> None:
        self._forward("on_disconnected", lambda: self.broker._lost_link(self.generation))

    def on_account_status(self, status: Any) -> None:
        self._forward("on_account_status", lambda: self.broker._account_status(status))

    def on_stock_asset(self, asset: Any) -> None:
        self._forward("on_stock_asset", lambda: self.broker._asset_push(asset))

    def on_stock_order(self, order: Any) -> None:
        self._forward("on_stock_order", lambda: self.broker._emit("order", sdk.order_report(order, self.broker.now())))

    def on_stock_trade(self, trade: Any) -> None:
        self._forward("on_stock_trade", lambda: self.broker._emit("trade", sdk.trade_report(trade, self.broker.now())))

    def on_stock_position(self, position: Any) -> None:
        self._forward("on_stock_position", lambda: self.broker._position_push(position))

    def on_order_error(self, error: Any) -> None:
        self._forward("on_order_error", lambda: self.broker._order_error(error))

    def on_cancel_error(self, error: Any) -> None:
        self._forward("on_cancel_error", lambda: self.broker._cancel_error(error))

    def on_order_stock_async_response(self, response: Any) -> None:
        self._forward("on_order_stock_async_response", lambda: self.broker._order_ack(response))

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        def log_cancel() -> None:
            result = getattr(response, "cancel_result", 0)
            if result != 0:
                log.info("cancel of order %s answered %s", getattr(response, "order_id", "?"), result)

        self._forward("on_cancel_order_stock_async_response", log_cancel)

    def on_smt_appointment_async_response(self, response: Any) -> None:
        pass

    def on_bank_transfer_async_response(self, response: Any) -> None:
        pass

    def on_ctp_internal_transfer_async_response(self, response: Any) -> None:
        pass

    def on_smart_algo_order_async_response(self, response: Any) -> None:
        pass

    def on_operate_smart_task_async_response(self, response: Any) -> None:
        pass


_QUIET: dict[int, type] = {}


def _quiet_trader_class(xttrader: Any) -> type:
    """``XtQuantTrader`` without its finaliser.

    The SDK's ``__del__`` restores the event loop it found when built on the main thread; built on
    the SDK thread it has nothing to restore and raises whenever the garbage collector happens to
    run it elsewhere (and a raise inside a collection can break unrelated code). Our traders are
    built and stopped on the SDK thread, so the finaliser has nothing to do.
    """
    base = xttrader.XtQuantTrader
    quiet = _QUIET.get(id(base))
    if quiet is None:
        quiet = _QUIET[id(base)] = type("QuietXtQuantTrader", (base,), {"__del__": lambda self: None})
    return quiet


class XtQuantBroker:
    """The broker port over MiniQMT."""

    name = "xtquant"
    #: MiniQMT reports frozen cash only after it accepts an order; the engine reserves until then.
    freezes_synchronously = False
    placement_deadline: float | None = None  # MiniQMT may list an order it accepted long after: no promise
    #: MiniQMT lists today's new issues and takes subscription and repo orders.
    supports_subscriptions = True

    def __init__(self, config: Callable[[], XtQuantConfig], clock: Clock) -> None:
        # Read again at every connect: the UI can change MiniQMT settings while the desk runs.
        self._config_source = config
        self.config = config()
        self.account_id = self.config.account_id
        self.account_type = self.config.account_type.upper()
        self.clock = clock
        self.listener: BrokerListener | None = None
        self.connection_hooks: list[Callable[[ConnectionState], None]] = []
        self.generation = 0
        self.session_id: int | None = None
        self._state = ConnectionState.DISCONNECTED
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="xtquant")
        self._trader: Any = None
        self._account: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._wanted = False
        self._attempt = 0
        self._session_base = self.config.session_base or (int(self.clock.now().timestamp()) % 90_000) + 10_000
        self._lock = threading.Lock()
        self._account_report: AccountReport | None = None
        self._positions: dict[str, PositionReport] = {}
        self._refs_by_seq: dict[int, str] = {}
        self._last_error = ""
        self._lost_generations: set[int] = set()

    # ------------------------------------------------------------------------------ port basics
    def now(self) -> datetime:
        """The desk's clock."""
        return self.clock.now()

    def set_listener(self, listener: BrokerListener) -> None:
        """Where pushes go."""
        self.listener = listener

    @property
    def state(self) -> ConnectionState:
        """connected / connecting / reconnecting / disconnected."""
        return self._state

    @property
    def last_error(self) -> str:
        """Why the last connection attempt failed (empty when connected)."""
        return self._last_error

    def _set_state(self, state: ConnectionState, message: str = "") -> None:
        if state is self._state and not message:
            return
        self._state = state
        log.info("xtquant link %s %s (session %s)", state.value, message, self.session_id)
        if self.listener is not None:
            details = {"session_id": str(self.session_id or ""), "account_id": self.account_id}
            self.listener.on_connection(ConnectionReport(state, message, details))
        for hook in self.connection_hooks:
            hook(state)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    # ------------------------------------------------------------------------------ connection life
    async def connect(self) -> None:
        """Connect now, or keep trying in the background with backoff; returns after the first attempt."""
        self._loop = asyncio.get_running_loop()
        self._wanted = True
        if self._state is ConnectionState.CONNECTED:
            return
        self._set_state(ConnectionState.CONNECTING)
        if await self._try_open():
            return
        self._schedule_reconnect()

    async def disconnect(self) -> None:
        """Stop trying and close the session."""
        self._wanted = False
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
            self._reconnect_task = None
        await self._call(self._close_session)
        self._set_state(ConnectionState.DISCONNECTED, "disconnected on request")

    async def close(self) -> None:
        """Disconnect and release the SDK thread (waited for off the loop)."""
        await self.disconnect()
        await asyncio.to_thread(self._executor.shutdown, True)

    def _schedule_reconnect(self) -> None:
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.create_task(self._reconnect_forever(), name="xtquant-reconnect")

    async def _reconnect_forever(self) -> None:
        delay = BACKOFF_START
        while self._wanted and self._state is not ConnectionState.CONNECTED:
            self._set_state(ConnectionState.RECONNECTING, self._last_error)
            await asyncio.sleep(delay)
            if not self._wanted:
                return
            if await self._try_open():
                return
            delay = min(delay * 2, BACKOFF_MAX)

    async def _try_open(self) -> bool:
        try:
            await self._call(self._open_session)
        except Exception as exc:
            self._last_error = str(exc)
            log.warning("xtquant connect failed: %s", exc)
            return False
        if self.generation in self._lost_generations:
            # MiniQMT dropped the new session while it was still being opened: it is not usable.
            self._last_error = "MiniQMT disconnected while the session was opening"
            log.warning("xtquant session %s dropped while opening", self.session_id)
            return False
        self._last_error = ""
        self._attempt = 0
        self._set_state(ConnectionState.CONNECTED, "MiniQMT")
        return True

    def _next_session(self) -> int:
        self._attempt += 1
        self.generation += 1
        return self._session_base + (self.generation % SESSION_WINDOW)

    def _open_session(self) -> None:
        """Runs on the SDK thread: a fresh trader, started, connected and subscribed."""
        self._close_session()
        self.config = self._config_source()
        if not self.config.userdata_path or not self.config.account_id:
            raise RuntimeError("MiniQMT is not configured: set MINIQMT_USERDATA_PATH and MINIQMT_ACCOUNT_ID")
        self.account_id = self.config.account_id
        self.account_type = self.config.account_type.upper()
        xttrader, xttype = sdk.load_sdk()
        session = self._next_session()
        self.session_id = session
        account = xttype.StockAccount(self.account_id, self.account_type)
        if isinstance(account, str):  # StockAccount returns an error text for bad input
            raise RuntimeError(f"invalid account: {account}")
        trader = _quiet_trader_class(xttrader)(self.config.userdata_path, session, _Callback(self, self.generation))
        trader.start()
        self._trader, self._account = trader, account
        result = trader.connect()
        if result != 0:
            raise RuntimeError(
                f"connect() returned {result}: MiniQMT must run, logged in (极简模式), at {self.config.userdata_path}"
            )
        subscribed = self._wait(lambda cb: self._subscribe_async(trader, account, cb), SUBSCRIBE_TIMEOUT)
        if subscribed != 0:
            raise RuntimeError(f"subscribe({self.account_id}) returned {subscribed}")
        self._refresh_cache()

    def _subscribe_async(self, trader: Any, account: Any, callback: Callable[[Any], None]) -> None:
        # xttrader.subscribe() waits without a timeout; the same request through the SDK's async path.
        from xtquant import xtpythonclient  # type: ignore[import-not-found,attr-defined,unused-ignore]

        req = xtpythonclient.SubscribeReq()
        req.m_nAccountType = account.account_type
        req.m_strAccountID = account.account_id
        seq = trader.async_client.nextSeq()
        trader.common_op_async_with_seq(seq, (trader.async_client.subscribeWithSeq, seq, req), callback)

    def _close_session(self) -> None:
        trader, self._trader = self._trader, None
        if trader is None:
            return
        self.generation += 1  # late callbacks of the old trader are ignored
        try:
            trader.stop()
        except Exception:
            log.debug("stopping the old trader failed", exc_info=True)
        with contextlib.suppress(Exception):
            trader.loop.close()
        # XtQuantTrader.__del__ resets the event loop when it runs on the main thread (and fails when
        # built elsewhere); collect it here, on the SDK thread, where its __del__ does nothing.
        del trader
        gc.collect()

    def _lost_link(self, generation: int) -> None:
        """``on_disconnected`` (SDK thread): hand over to the loop to reconnect."""
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._on_lost_link, generation)

    def _on_lost_link(self, generation: int) -> None:
        if generation != self.generation:
            return
        self._lost_generations.add(generation)
        self._last_error = "MiniQMT disconnected"
        self._set_state(ConnectionState.RECONNECTING, "MiniQMT disconnected")
        if self._wanted:
            self._schedule_reconnect()

    # ------------------------------------------------------------------------------ pushes
    def _emit(self, kind: str, report: Any) -> None:
        if self.listener is None:
            return
        if kind == "order":
            self.listener.on_order(report)
        elif kind == "trade":
            self.listener.on_trade(report)

    def _account_status(self, status: Any) -> None:
        code = int(getattr(status, "status", 0))
        log.info("MiniQMT account %s status %s", getattr(status, "account_id", "?"), ACCOUNT_STATUS.get(code, code))

    def _asset_push(self, asset: Any) -> None:
        report = sdk.account_report(asset, self.account_id, self.account_type, self.now())
        with self._lock:
            self._account_report = report

    def _position_push(self, position: Any) -> None:
        report = sdk.position_report(position)
        with self._lock:
            self._positions[report.stock_code] = report

    def _order_ack(self, response: Any) -> None:
        seq = int(getattr(response, "seq", 0) or 0)
        with self._lock:
            ref = self._refs_by_seq.pop(seq, None)
        order_id = int(getattr(response, "order_id", 0) or 0)
        if self.listener is not None:
            self.listener.on_order_ack(
                OrderAckReport(
                    ref=ref or (str(getattr(response, "order_remark", "")) or None),
                    broker_order_id=str(order_id) if order_id > 0 else None,
                    error_msg=str(getattr(response, "error_msg", "") or ""),
                )
            )

    def _order_error(self, error: Any) -> None:
        seq = int(getattr(error, "seq", 0) or 0)
        with self._lock:
            ref = self._refs_by_seq.pop(seq, None)
        order_id = int(getattr(error, "order_id", 0) or 0)
        if self.listener is not None:
            self.listener.on_order_error(
                OrderErrorReport(
                    ref=ref or (str(getattr(error, "order_remark", "")) or None),
                    broker_order_id=str(order_id) if order_id > 0 else None,
                    error_code=f"XT_{getattr(error, 'error_id', '')}",
                    error_msg=str(getattr(error, "error_msg", "") or "委托失败"),
                )
            )

    def _cancel_error(self, error: Any) -> None:
        if self.listener is not None:
            self.listener.on_cancel_error(
                CancelErrorReport(
                    broker_order_id=str(getattr(error, "order_id", "")),
                    error_code=f"XT_{getattr(error, 'error_id', '')}",
                    error_msg=str(getattr(error, "error_msg", "") or "撤单失败"),
                )
            )

    # ------------------------------------------------------------------------------ orders
    def _require_link(self, opening: bool = False) -> Any:
        # While a session is being opened its own cache queries may run before the state says connected.
        if self._trader is None or (not opening and self._state is not ConnectionState.CONNECTED):
            raise BrokerUnavailable(self._state.value, self._last_error)
        return self._trader

    async def submit(self, request: OrderRequest) -> str | None:
        """``order_stock_async``; the broker order id arrives with the async response."""
        return await self._call(self._submit, request)

    def _submit(self, request: OrderRequest) -> str | None:
        trader = self._require_link()
        exchange = _exchange_of(request.stock_code)
        price = float(request.price) if request.price is not None else 0.0
        ref = request.ref.encode("ascii", "ignore")[:24].decode()
        seq = trader.order_stock_async(
            self._account,
            request.stock_code,
            ORDER_TYPE[request.side],
            int(request.quantity),
            xt_price_type(exchange, request.price_type),
            price,
            (request.strategy_name or "")[:24],
            ref,
        )
        with self._lock:
            self._refs_by_seq[int(seq)] = request.ref
        log.info(
            "order_stock_async seq=%s ref=%s %s %s x%d",
            seq,
            ref,
            request.side.value,
            request.stock_code,
            request.quantity,
        )
        return None

    async def cancel(self, broker_order_id: str) -> None:
        """``cancel_order_stock_async``; the outcome arrives as status pushes or a cancel error."""
        await self._call(self._cancel, broker_order_id)

    def _cancel(self, broker_order_id: str) -> None:
        trader = self._require_link()
        seq = trader.cancel_order_stock_async(self._account, int(broker_order_id))
        log.info("cancel_order_stock_async seq=%s order_id=%s", seq, broker_order_id)

    # ------------------------------------------------------------------------------ queries
    def _wait(self, start: Callable[[Callable[[Any], None]], None], timeout: float) -> Any:
        """Start an async SDK call with a callback and wait for its answer, at most ``timeout`` s."""
        done: Future[Any] = Future()

        def answer(resp: Any) -> None:
            if not done.done():
                done.set_result(resp)

        start(answer)
        try:
            return done.result(timeout=timeout)
        except TimeoutError:
            raise BrokerUnavailable(self._state.value, "MiniQMT 未在时限内应答") from None

    def _query(self, name: str, *args: Any, opening: bool = False) -> list[Any]:
        trader = self._require_link(opening)
        method = getattr(trader, name)
        result = self._wait(lambda cb: method(self._account, cb, *args), QUERY_TIMEOUT)
        if result is None:
            return []
        return list(result) if isinstance(result, list | tuple) else [result]

    def _refresh_cache(self) -> None:
        assets = self._query("query_stock_asset_async", opening=True)
        positions = self._query("query_stock_positions_async", opening=True)
        with self._lock:
            if assets:
                self._account_report = sdk.account_report(assets[0], self.account_id, self.account_type, self.now())
            self._positions = {p.stock_code: p for p in (sdk.position_report(x) for x in positions)}

    async def query_ipo_data(self) -> list[IpoIssue]:
        """Today's new stocks and bonds open for subscription (``query_ipo_data``), off the loop."""
        rows = await self._call(self._query_ipo_data)
        return [sdk.ipo_issue(item) for item in rows]

    def _query_ipo_data(self) -> list[Any]:
        # xttrader.query_ipo_data() waits without a timeout; the same request through the SDK's async path.
        trader = self._require_link()
        result = self._wait(lambda cb: trader.query_ipo_data_async(cb), QUERY_TIMEOUT)
        return list(result) if isinstance(result, list | tuple) else []

    async def query_new_purchase_limit(self) -> dict[str, int]:
        """The account's subscription quota by market key (``query_new_purchase_limit``), off the loop."""
        rows = await self._call(self._query, "query_new_purchase_limit_async")
        return sdk.purchase_limits(rows)

    async def query_orders(self) -> list[OrderReport]:
        """Today's orders at MiniQMT."""
        rows = await self._call(self._query, "query_stock_orders_async")
        now = self.now()
        return [sdk.order_report(o, now) for o in rows]

    async def query_trades(self) -> list[TradeReport]:
        """Today's fills at MiniQMT."""
        rows = await self._call(self._query, "query_stock_trades_async")
        now = self.now()
        return [sdk.trade_report(t, now) for t in rows]

    async def query_positions(self) -> list[PositionReport]:
        """Holdings at MiniQMT (they are what the desk shows in live mode)."""
        rows = await self._call(self._query, "query_stock_positions_async")
        reports = [sdk.position_report(p) for p in rows]
        with self._lock:
            self._positions = {p.stock_code: p for p in reports}
        return [p for p in reports if p.volume or p.frozen_volume]

    async def query_account(self) -> AccountReport:
        """Cash and totals at MiniQMT."""
        rows = await self._call(self._query, "query_stock_asset_async")
        if not rows:
            raise BrokerUnavailable(self._state.value, "MiniQMT 未返回账户资产")
        report = sdk.account_report(rows[0], self.account_id, self.account_type, self.now())
        with self._lock:
            self._account_report = report
        return report

    def account_view(self) -> AccountReport | None:
        """Cash and totals as MiniQMT last pushed or answered (read at every connect)."""
        with self._lock:
            return self._account_report

    def positions_view(self) -> list[PositionReport]:
        """Holdings as MiniQMT last pushed or answered."""
        with self._lock:
            return [p for p in self._positions.values() if p.volume or p.frozen_volume]

    def buying_view(self, stock_code: str) -> tuple[Decimal, Position | None]:
        """Cash and sellable shares as last pushed or queried (no cash before the first answer)."""
        with self._lock:
            account = self._account_report
            pos = self._positions.get(stock_code)
        cash = account.cash if account is not None else Decimal(0)
        if pos is None:
            return cash, None
        position = Position(
            stock_code=pos.stock_code,
            volume=pos.volume,
            yesterday_volume=pos.yesterday_volume,
            can_use_volume=pos.can_use_volume,
            frozen_volume=pos.frozen_volume,
        )
        return cash, position


def _exchange_of(stock_code: str) -> Exchange:
    """The exchange of a normalised code; subscription codes (``370xxx.SZ``) classify by their suffix."""
    try:
        return classify(stock_code).exchange
    except DeskError:
        suffix = stock_code.rpartition(".")[2].upper()
        if suffix in Exchange.__members__:
            return Exchange(suffix)
        raise
