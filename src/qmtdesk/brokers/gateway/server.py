"""The gateway: beside a MiniQMT client, it serves the desk's commands and publishes the broker's reports.

It wraps any implementation of the broker port (the xtquant adapter in production, with its
reconnect, backoff and session rules), connects out to the desk's NATS server, and:

- answers commands on ``qmtdesk.<account>.cmd``. A place command carries the order's reference
  (the idempotency key: a reference seen before answers with the first outcome and places nothing)
  and a deadline: a command that arrives after its deadline is refused, never placed late;
- publishes every report the broker pushes to the JetStream stream, with an id JetStream
  de-duplicates by. While NATS is unreachable, reports wait in order in memory and go out when the
  link is back;
- publishes a heartbeat with the broker link's state, the age of its last push and its latest
  account and positions, so the desk can tell a dead MiniQMT from a quiet one and alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from qmtdesk.brokers.base import Broker, ConnectionReport, ConnectionState
from qmtdesk.brokers.gateway import wire
from qmtdesk.brokers.gateway.streams import connect_nats, ensure_report_stream
from qmtdesk.domain.errors import BrokerUnavailable

log = logging.getLogger(__name__)

#: Reports sent to JetStream before waiting for their acknowledgements.
PUBLISH_BATCH = 256
#: How many order outcomes a gateway remembers by reference (a day's orders, with room to spare).
REMEMBERED_ORDERS = 100_000


class CommandRefused(Exception):
    """A command the gateway answers with an error code instead of doing it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayServer:
    """Serves one account's broker to the desk over NATS."""

    def __init__(
        self,
        broker: Broker,
        nats_url: str,
        *,
        connect_options: dict[str, Any] | None = None,
        health_seconds: float = 1.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.broker = broker
        self.account_id = broker.account_id
        self.nats_url = nats_url
        self.connect_options = dict(connect_options or {})
        self.health_seconds = health_seconds
        self._wall = wall  # deadlines are wall-clock instants, set by the desk
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._serving: set[asyncio.Task[None]] = set()
        #: reference -> the broker order id (or None) its place command was answered with.
        self._placed: dict[str, str | None] = {}
        self._placing: dict[str, asyncio.Future[str | None]] = {}
        self._last_push: float | None = None
        self.placed_count = 0
        self.refused_late = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect to NATS, serve commands, publish reports and heartbeats, open the broker session."""
        self._loop = asyncio.get_running_loop()
        self.broker.set_listener(self)
        self._nc = await connect_nats(self.nats_url, f"qmtdesk-gateway-{self.account_id}", self.connect_options)
        self._js = self._nc.jetstream()
        await ensure_report_stream(self._js, self.account_id)
        await self._nc.subscribe(wire.command_subject(self.account_id), queue="gateway", cb=self._on_command)
        self._tasks = [
            asyncio.create_task(self._publish_forever(), name="gateway-reports"),
            asyncio.create_task(self._heartbeat_forever(), name="gateway-health"),
        ]
        await self.broker.connect()
        await self._publish_health()
        log.info("gateway for %s serving on %s", self.account_id, self.nats_url)

    async def stop(self) -> None:
        """Stop serving: close the broker session and the NATS link (reports not yet out are dropped:
        the broker still holds them, and the desk's reconciliation asks for them)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.broker.close()
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.drain()
        self._nc = None

    # ------------------------------------------------------------------ broker pushes (any thread)
    def _push(self, report: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._outbox.put_nowait(report)
        else:
            loop.call_soon_threadsafe(self._outbox.put_nowait, report)

    def on_order(self, report: Any) -> None:
        """An order changed."""
        self._push(report)

    def on_trade(self, report: Any) -> None:
        """A fill."""
        self._push(report)

    def on_order_ack(self, report: Any) -> None:
        """A submission answered with a broker order id."""
        self._push(report)

    def on_order_error(self, report: Any) -> None:
        """An order refused outright."""
        self._push(report)

    def on_cancel_error(self, report: Any) -> None:
        """A cancel refused."""
        self._push(report)

    def on_connection(self, report: ConnectionReport) -> None:
        """The MiniQMT link changed: the heartbeat says so at once (not a stored report: stale news)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._publish_health()))

    async def _publish_forever(self) -> None:
        """Store the broker's reports in JetStream, in order, a batch in flight at a time.

        A batch goes out without waiting on each acknowledgement (one round trip per batch, not per
        report); a report whose storing failed is sent again, alone, until it is stored (its id makes
        a second copy harmless). While NATS is down nothing is lost: the reports wait here."""
        while True:
            batch = [await self._outbox.get()]
            while len(batch) < PUBLISH_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            self._last_push = time.monotonic()
            messages = [self._message(report) for report in batch]
            try:
                assert self._js is not None
                futures = [await self._js.publish_async(subject, data, headers=h) for subject, data, h in messages]
                outcomes = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outcomes = [exc] * len(messages)
            for message, outcome in zip(messages, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    await self._publish_until_stored(*message)

    def _message(self, report: Any) -> tuple[str, bytes, dict[str, str] | None]:
        msg_id = wire.report_id(self.account_id, report)
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        return wire.report_subject(self.account_id), wire.dumps(wire.encode_report(report)), headers

    async def _publish_until_stored(self, subject: str, data: bytes, headers: dict[str, str] | None) -> None:
        while True:
            try:
                assert self._js is not None
                await self._js.publish(subject, data, headers=headers, timeout=2)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS down or JetStream busy: keep it and try again
                log.warning("report for %s not stored yet (%s); retrying", self.account_id, exc)
                await asyncio.sleep(0.5)

    # ------------------------------------------------------------------ health
    def health(self) -> dict[str, Any]:
        """The heartbeat: link state, the age of the last push, and the latest account view."""
        broker = self.broker
        state = broker.state
        age = None if self._last_push is None else round(time.monotonic() - self._last_push, 3)
        return {
            "account_id": self.account_id,
            "account_type": broker.account_type,
            "state": state.value,
            "connected": state is ConnectionState.CONNECTED,
            "last_error": broker.last_error,
            "session_id": broker.session_id,
            "last_push_age": age,
            "time": self._wall(),
            "pending_reports": self._outbox.qsize(),
            "account": wire.encode(broker.account_view()),
            "positions": wire.encode(broker.positions_view()),
        }

    async def _publish_health(self) -> None:
        nc = self._nc
        if nc is None or not nc.is_connected:
            return
        with contextlib.suppress(Exception):
            await nc.publish(wire.health_subject(self.account_id), wire.dumps(self.health()))

    async def _heartbeat_forever(self) -> None:
        while True:
            await self._publish_health()
            await asyncio.sleep(self.health_seconds)

    # ------------------------------------------------------------------ commands
    async def _on_command(self, msg: Msg) -> None:
        # NATS runs a subscription's callbacks one after another: each command gets its own task, so
        # a slow broker call does not hold up the orders behind it.
        task = asyncio.create_task(self._serve(msg))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _serve(self, msg: Msg) -> None:
        try:
            command = wire.loads(msg.data)
            result = await self._handle(command)
            reply: dict[str, Any] = {"ok": True, "result": result}
        except CommandRefused as refused:
            reply = {"ok": False, "error": refused.code, "message": refused.message}
        except BrokerUnavailable as exc:
            reply = {"ok": False, "error": "BROKER_UNAVAILABLE", "message": exc.message_zh}
        except Exception as exc:
            log.exception("gateway command failed")
            reply = {"ok": False, "error": "GATEWAY_ERROR", "message": f"{type(exc).__name__}: {exc}"}
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(wire.dumps(reply))

    async def _handle(self, command: Any) -> Any:
        if not isinstance(command, dict):
            raise CommandRefused("BAD_COMMAND", "命令必须是 JSON 对象")
        op = command.get("op")
        handler = self._HANDLERS.get(str(op))
        if handler is None:
            raise CommandRefused("BAD_COMMAND", f"未知命令：{op}")
        return await handler(self, command)

    def _before_deadline(self, command: dict[str, Any]) -> None:
        deadline = command.get("deadline")
        if isinstance(deadline, int | float) and self._wall() > deadline:
            self.refused_late += 1
            raise CommandRefused("DEADLINE_EXCEEDED", "命令已过期限，网关未执行")

    async def _submit(self, command: dict[str, Any]) -> Any:
        request = wire.decode_request(command["request"])
        ref = request.ref
        if ref in self._placed:
            return {"broker_order_id": self._placed[ref], "duplicate": True}
        pending = self._placing.get(ref)
        if pending is not None:  # the same command again while the first is being placed
            return {"broker_order_id": await asyncio.shield(pending), "duplicate": True}
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._placing[ref] = future
        try:
            if command.get("retry"):
                # A resend may follow a gateway restart: the broker's own orders say whether it was placed.
                for order in await self.broker.query_orders():
                    if order.ref == ref:
                        self._remember(ref, order.broker_order_id)
                        future.set_result(order.broker_order_id)
                        return {"broker_order_id": order.broker_order_id, "duplicate": True}
            self._before_deadline(command)
            broker_order_id = await self.broker.submit(request)
            self.placed_count += 1
            self._remember(ref, broker_order_id)
            future.set_result(broker_order_id)
            return {"broker_order_id": broker_order_id, "duplicate": False}
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved: a duplicate waiting on it gets it; nobody else must
            raise
        finally:
            self._placing.pop(ref, None)

    def _remember(self, ref: str, broker_order_id: str | None) -> None:
        if len(self._placed) >= REMEMBERED_ORDERS:
            self._placed.pop(next(iter(self._placed)))
        self._placed[ref] = broker_order_id

    async def _cancel(self, command: dict[str, Any]) -> Any:
        self._before_deadline(command)
        await self.broker.cancel(str(command["broker_order_id"]))
        return {"requested": True}

    async def _query(self, command: dict[str, Any]) -> Any:
        what = command.get("what")
        queries = {
            "orders": self.broker.query_orders,
            "trades": self.broker.query_trades,
            "positions": self.broker.query_positions,
            "account": self.broker.query_account,
        }
        if what not in queries:
            raise CommandRefused("BAD_COMMAND", f"未知查询：{what}")
        return wire.encode(await queries[what]())

    async def _connect(self, command: dict[str, Any]) -> Any:
        await self.broker.connect()
        return self.health()

    async def _health(self, command: dict[str, Any]) -> Any:
        return self.health()

    _HANDLERS: ClassVar[dict[str, Callable[[GatewayServer, dict[str, Any]], Awaitable[Any]]]] = {
        "submit": _submit,
        "cancel": _cancel,
        "query": _query,
        "connect": _connect,
        "health": _health,
    }
