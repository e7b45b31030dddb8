"""The desk's side of a remote gateway: the broker port over NATS.

- Commands are NATS requests. A place command carries the order's reference (the gateway answers a
  reference it has seen with its first outcome) and a deadline a few seconds ahead: the gateway
  refuses a command that reaches it later, so an order is never placed late. An order whose answer
  was lost (a timeout) is neither placed again nor given up: the gateway's reports, or the
  reconciliation that follows every reconnect, settle it.
- Reports come from a durable JetStream consumer with explicit acks: each is acknowledged once the
  engine has it, so reports published while the desk was down or the link was cut arrive afterwards,
  and the engine applies each once (ids de-duplicate).
- The link is up when NATS is connected and the gateway's heartbeat is fresh and says its MiniQMT
  session is up; otherwise orders are refused at once (``503 BROKER_UNAVAILABLE``). Every change of
  that state reaches the engine as a connection report, and a return to ``connected`` reconciles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from qmtdesk.brokers.base import (
    AccountReport,
    BrokerListener,
    ConnectionReport,
    ConnectionState,
    OrderReport,
    OrderRequest,
    PositionReport,
    TradeReport,
)
from qmtdesk.brokers.gateway import wire
from qmtdesk.brokers.gateway.streams import connect_nats, ensure_report_stream
from qmtdesk.domain.errors import BrokerUnavailable
from qmtdesk.domain.portfolio import Position

log = logging.getLogger(__name__)


class GatewayBroker:
    """One account traded through a remote gateway."""

    name = "gateway"
    freezes_synchronously = False  # the gateway's broker (MiniQMT) freezes once it accepts the order

    def __init__(
        self,
        account_id: str,
        nats_url: str,
        *,
        connect_options: dict[str, Any] | None = None,
        command_timeout: float = 5.0,
        order_deadline: float = 5.0,
        stale_after: float = 5.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.account_id = account_id
        self.account_type = "STOCK"
        self.nats_url = nats_url
        self.connect_options = dict(connect_options or {})
        self.command_timeout = command_timeout
        self.order_deadline = order_deadline
        self.placement_deadline: float | None = order_deadline
        self.stale_after = stale_after
        self._wall = wall
        self._listener: BrokerListener | None = None
        self._nc: NatsClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._wanted = False
        self._state = ConnectionState.DISCONNECTED
        self._error = ""
        self._health: dict[str, Any] | None = None
        self._health_at: float | None = None
        self._account: AccountReport | None = None
        self._positions: dict[str, PositionReport] = {}

    # ------------------------------------------------------------------ port: link
    def set_listener(self, listener: BrokerListener) -> None:
        """Where reports go."""
        self._listener = listener

    @property
    def state(self) -> ConnectionState:
        """The link to the account's MiniQMT, through NATS and the gateway."""
        return self._state

    @property
    def last_error(self) -> str:
        """Why the link is not up."""
        return self._error

    @property
    def session_id(self) -> int | None:
        """The gateway's MiniQMT session."""
        value = (self._health or {}).get("session_id")
        return value if isinstance(value, int) else None

    @property
    def health(self) -> dict[str, Any] | None:
        """The gateway's last heartbeat (its MiniQMT link, the age of its last push), if any."""
        return self._health

    async def connect(self) -> None:
        """Start linking (NATS reconnects by itself); waits briefly for the first heartbeat."""
        self._wanted = True
        linked = self._nc is not None and not self._nc.is_closed  # NATS reconnects a link by itself
        if not linked and (self._runner is None or self._runner.done()):
            self._set_state(ConnectionState.CONNECTING, "正在连接 NATS")
            self._runner = asyncio.create_task(self._run(), name=f"gateway-link-{self.account_id}")
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name=f"gateway-watch-{self.account_id}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=3.0)

    async def disconnect(self) -> None:
        """Stop using the link (reports stay in JetStream for the next connect)."""
        self._wanted = False
        for task in (self._runner, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._runner = self._watcher = None
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await nc.close()
        self._ready.clear()
        self._set_state(ConnectionState.DISCONNECTED, "已断开")

    async def close(self) -> None:
        """Disconnect and release the link."""
        await self.disconnect()

    async def _run(self) -> None:
        delay = 0.5
        while self._wanted:
            try:
                nc = await connect_nats(self.nats_url, f"qmtdesk-desk-{self.account_id}", self.connect_options)
            except PermissionError as exc:  # wrong token or credentials: say so, try again now and then
                self._error = f"NATS 拒绝了凭证：{exc}"
                await asyncio.sleep(10.0)
                continue
            except Exception as exc:  # the NATS server is not reachable yet
                self._error = f"NATS 不可达：{exc}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._nc = nc
            js = nc.jetstream()
            await ensure_report_stream(js, self.account_id)
            await nc.subscribe(wire.health_subject(self.account_id), cb=self._on_health)
            await js.subscribe(
                wire.report_subject(self.account_id),
                durable=wire.consumer_name(self.account_id),
                stream=wire.report_stream(self.account_id),
                cb=self._on_report,
                manual_ack=True,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=30,
                    max_ack_pending=10_000,
                ),
            )
            await self._refresh_health()
            return

    async def _watch(self) -> None:
        """Recompute the link state twice a second: a silent gateway counts as down."""
        while True:
            self._assess()
            await asyncio.sleep(0.5)

    def _assess(self) -> None:
        nc = self._nc
        if nc is None or not nc.is_connected:
            if self._state is not ConnectionState.CONNECTING or nc is not None:
                self._set_state(ConnectionState.RECONNECTING, "NATS 连接中断")
            return
        health, at = self._health, self._health_at
        if health is None or at is None or time.monotonic() - at > self.stale_after:
            self._set_state(ConnectionState.RECONNECTING, "网关无响应（心跳超时）")
            return
        if not health.get("connected"):
            self._set_state(ConnectionState.RECONNECTING, f"网关的 MiniQMT 未连接：{health.get('last_error') or ''}")
            return
        self._set_state(ConnectionState.CONNECTED, "")
        self._ready.set()

    def _set_state(self, state: ConnectionState, message: str) -> None:
        if state is self._state and message == self._error:
            return
        changed = state is not self._state
        self._state, self._error = state, message
        if changed and self._listener is not None:
            self._listener.on_connection(ConnectionReport(state, message))

    async def _on_health(self, msg: Msg) -> None:
        with contextlib.suppress(Exception):
            self._take_health(wire.loads(msg.data))

    def _take_health(self, health: dict[str, Any]) -> None:
        self._health, self._health_at = health, time.monotonic()
        self.account_type = str(health.get("account_type") or self.account_type)
        if health.get("account"):
            self._account = wire.decode(AccountReport, health["account"])
        if isinstance(health.get("positions"), list):
            reports = [wire.decode(PositionReport, p) for p in health["positions"]]
            self._positions = {p.stock_code: p for p in reports}
        self._assess()

    async def _refresh_health(self) -> None:
        with contextlib.suppress(Exception):
            self._take_health(await self._ask({"op": "health"}, check_link=False))

    async def _on_report(self, msg: Msg) -> None:
        listener = self._listener
        if listener is None:
            await msg.nak(delay=1)
            return
        try:
            method, report = wire.decode_report(wire.loads(msg.data))
        except Exception:
            log.exception("an unreadable report from the gateway of %s: dropped", self.account_id)
            await msg.term()
            return
        getattr(listener, method)(report)
        await msg.ack()

    # ------------------------------------------------------------------ port: commands
    async def _ask(self, command: dict[str, Any], *, check_link: bool = True, timeout: float | None = None) -> Any:
        nc = self._nc
        if nc is None or not nc.is_connected or (check_link and self._state is not ConnectionState.CONNECTED):
            raise BrokerUnavailable(self._state.value, self._error)
        try:
            msg = await nc.request(
                wire.command_subject(self.account_id), wire.dumps(command), timeout=timeout or self.command_timeout
            )
        except NoRespondersError:
            raise BrokerUnavailable(self._state.value, "网关未在线") from None
        reply = wire.loads(msg.data)
        if not reply.get("ok"):
            error, message = reply.get("error", "GATEWAY_ERROR"), reply.get("message", "")
            raise BrokerUnavailable(self._state.value, f"{error} {message}".strip())
        return reply.get("result")

    async def submit(self, request: OrderRequest) -> str | None:
        """Send an order with its reference as idempotency key and a deadline.

        ``BrokerUnavailable`` means the gateway did not place it (link down, refused, too late). A
        lost answer returns ``None``: the reports or the next reconciliation tell what happened."""
        command = {
            "op": "submit",
            "request": wire.encode_request(request),
            "deadline": self._wall() + self.order_deadline,
        }
        try:
            result = await self._ask(command)
        except (NatsTimeout, TimeoutError):
            log.warning("no answer from the gateway for order %s: left to its reports", request.ref)
            return None
        broker_order_id = result.get("broker_order_id")
        return str(broker_order_id) if broker_order_id is not None else None

    async def cancel(self, broker_order_id: str) -> None:
        """Ask the gateway to cancel (the outcome comes as a report)."""
        command = {"op": "cancel", "broker_order_id": broker_order_id, "deadline": self._wall() + self.order_deadline}
        try:
            await self._ask(command)
        except (NatsTimeout, TimeoutError):
            raise BrokerUnavailable(self._state.value, "网关未应答撤单请求") from None

    async def _query(self, what: str) -> Any:
        try:
            return await self._ask({"op": "query", "what": what}, check_link=False)
        except (NatsTimeout, TimeoutError):
            raise BrokerUnavailable(self._state.value, "网关查询超时") from None

    async def query_orders(self) -> list[OrderReport]:
        """Today's orders, as the gateway's MiniQMT has them."""
        return [wire.decode(OrderReport, o) for o in await self._query("orders")]

    async def query_trades(self) -> list[TradeReport]:
        """Today's fills."""
        return [wire.decode(TradeReport, t) for t in await self._query("trades")]

    async def query_positions(self) -> list[PositionReport]:
        """Current holdings (and the positions view with them)."""
        reports = [wire.decode(PositionReport, p) for p in await self._query("positions")]
        self._positions = {p.stock_code: p for p in reports}
        return reports

    async def query_account(self) -> AccountReport:
        """Cash and totals (and the account view with them)."""
        report: AccountReport = wire.decode(AccountReport, await self._query("account"))
        self._account = report
        return report

    # ------------------------------------------------------------------ port: views
    def account_view(self) -> AccountReport | None:
        """Cash and totals as last heard."""
        return self._account

    def positions_view(self) -> list[PositionReport]:
        """Holdings as last heard."""
        return list(self._positions.values())

    def buying_view(self, stock_code: str) -> tuple[Decimal, Position | None]:
        """Cash and the position in ``stock_code`` as last heard."""
        account = self._account
        cash = account.cash if account is not None else Decimal(0)
        pos = self._positions.get(stock_code)
        if pos is None:
            return cash, None
        return cash, Position(
            stock_code=pos.stock_code,
            volume=pos.volume,
            yesterday_volume=pos.yesterday_volume,
            can_use_volume=pos.can_use_volume,
            frozen_volume=pos.frozen_volume,
        )
