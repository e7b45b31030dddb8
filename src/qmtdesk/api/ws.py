"""The WebSocket of API.md: auth as the first message, stream subscriptions, ``since_seq`` replay, pings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from qmtdesk.auth import errors as auth_errors
from qmtdesk.auth.service import Principal
from qmtdesk.desk import Desk
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import classify
from qmtdesk.oms.bus import DURABLE_STREAMS, Event, Published
from qmtdesk.oms.views import fold_orders, iso
from qmtdesk.store.tables.orders import OrderEventRow

log = logging.getLogger(__name__)
router = APIRouter()

AUTH_TIMEOUT = 5.0
PING_SECONDS = 15.0
REPLAY_LIMIT = 10_000
PLAIN_STREAMS = frozenset(
    {"orders", "trades", "account", "positions", "status", "risk", "signals", "conditional_orders", "algo_orders"}
)
CLOSE_UNAUTHORIZED = 4401
#: Past the journal's 64-bit sequence: a ``since_seq`` from here on names nothing.
MAX_SEQ = 2**63


class Connection:
    """One client: what it subscribed to and the last durable seq it was sent."""

    def __init__(self, ws: WebSocket, desk: Desk, principal: Principal) -> None:
        self.ws = ws
        self.desk = desk
        self.streams: set[str] = set()
        self.quote_codes: set[str] = set()
        self.last_seq = 0
        self.lock = asyncio.Lock()
        #: The account the streams are for (``account_id`` of the subscription; the caller's default
        #: without it; none at all for credentials that reach no account).
        reachable = desk.accounts.reachable(principal)
        self.account_id = reachable[0].account_id if reachable else ""

    def wants(self, event: Published) -> bool:
        if event.stream.startswith("quotes:"):
            return event.stream[7:] in self.quote_codes
        account_id = event.account_id
        # A change of another account is not this client's (an untagged event is every account's).
        return event.stream in self.streams and (account_id is None or account_id == self.account_id)

    async def send_event(self, event: Published) -> None:
        async with self.lock:
            if event.seq is not None and event.stream in DURABLE_STREAMS:
                if event.seq <= self.last_seq:
                    return  # already sent by a replay
                self.last_seq = event.seq
            await self.ws.send_json(event.message())

    async def subscribe(self, streams: list[Any], since_seq: Any) -> None:
        if isinstance(since_seq, str):  # "12" from a client that sends text
            text = since_seq.strip()
            since_seq = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
        added_plain, added_quotes, unknown = set(), set(), []
        for raw in streams:
            name = str(raw)
            if name.startswith("quotes:"):
                for code in name[7:].split(","):
                    if not code.strip():
                        continue
                    try:
                        added_quotes.add(classify(code).code)
                    except DeskError:
                        unknown.append(f"quotes:{code}")
            elif name in PLAIN_STREAMS:
                added_plain.add(name)
            else:
                unknown.append(name)
        async with self.lock:
            self.desk.bus.watch([*(added_plain - self.streams), *_quote_streams(added_quotes - self.quote_codes)])
            self.streams |= added_plain
            self.quote_codes |= added_quotes
            replayed = 0
            # a seq is a database integer: anything past 63 bits cannot name one
            if isinstance(since_seq, int) and not isinstance(since_seq, bool) and 0 <= since_seq < MAX_SEQ:
                durable = sorted(self.streams & DURABLE_STREAMS)
                messages = await run_in_threadpool(self._events_after, since_seq, durable)
                for message in messages:
                    await self.ws.send_json(message)
                    self.last_seq = max(self.last_seq, message["seq"])
                    replayed += 1
                self.last_seq = max(self.last_seq, since_seq)
            await self.ws.send_json(
                {
                    "type": "subscribed",
                    "account_id": self.account_id,
                    "streams": sorted(self.streams) + [f"quotes:{c}" for c in sorted(self.quote_codes)],
                    "replayed": replayed,
                    "unknown": unknown,
                }
            )
        for code in added_quotes:
            quote = self.desk.market.quote(code)
            if quote is not None:
                from qmtdesk.oms.account_views import quote_view

                view = quote_view(quote, self.desk.market.cage(quote))
                await self.send_event(Event(f"quotes:{code}", view, quote.time))

    def _events_after(self, since_seq: int, streams: list[str]) -> list[dict[str, Any]]:
        """The messages a client missed after ``since_seq``. The journal records what each change of an
        order changed; the order object after each change is rebuilt by folding its history."""
        if not streams:
            return []
        with self.desk.session_factory() as session:
            rows = list(
                session.scalars(
                    select(OrderEventRow)
                    .where(
                        OrderEventRow.account_id == self.account_id,
                        OrderEventRow.seq > since_seq,
                        OrderEventRow.stream.in_(streams),
                    )
                    .order_by(OrderEventRow.seq)
                    .limit(REPLAY_LIMIT)
                )
            )
            order_ids = {r.order_id for r in rows if r.stream == "orders"}
            states: dict[int, dict[str, Any]] = {}
            if order_ids:
                last = rows[-1].seq
                history = session.execute(
                    select(OrderEventRow.seq, OrderEventRow.order_id, OrderEventRow.payload)
                    .where(
                        OrderEventRow.order_id.in_(order_ids),
                        OrderEventRow.stream == "orders",
                        OrderEventRow.seq <= last,
                    )
                    .order_by(OrderEventRow.seq)
                ).all()
                folded = fold_orders((order_id, json.loads(payload)) for _, order_id, payload in history)
                states = {seq: state for (seq, _, _), state in zip(history, folded, strict=True)}
        return [
            {
                "stream": r.stream,
                "seq": r.seq,
                "time": iso(r.time),
                "data": states[r.seq] if r.stream == "orders" else json.loads(r.payload),
            }
            for r in rows
        ]


def _quote_streams(codes: Iterable[str]) -> list[str]:
    return [f"quotes:{code}" for code in codes]


async def _authenticate(ws: WebSocket, desk: Desk) -> Principal | None:
    try:
        first = await asyncio.wait_for(ws.receive_json(), AUTH_TIMEOUT)
    except (TimeoutError, ValueError, KeyError):
        await ws.close(CLOSE_UNAUTHORIZED, "auth required")
        return None
    if not isinstance(first, dict) or first.get("action") != "auth" or not isinstance(first.get("token"), str):
        await ws.close(CLOSE_UNAUTHORIZED, "auth required")
        return None
    try:
        principal = await run_in_threadpool(desk.auth.authenticate, first["token"])
        principal.require_scope("read")
        if principal.must_change_password:
            raise auth_errors.password_change_required()
    except DeskError as refused:
        await ws.send_json({"type": "error", "error": refused.code, "message": refused.message_zh})
        await ws.close(CLOSE_UNAUTHORIZED, refused.code)
        return None
    await ws.send_json({"type": "auth_ok", "user": principal.username, "role": principal.role})
    return principal


@router.websocket("/ws")
async def stream(ws: WebSocket) -> None:
    """Live orders, trades, account, positions, status, risk, signals and quotes."""
    desk: Desk = ws.app.state.desk
    await ws.accept()
    try:
        principal = await _authenticate(ws, desk)
        if principal is None:
            return
    except WebSocketDisconnect:
        return
    conn = Connection(ws, desk, principal)
    queue, unsubscribe = desk.bus.queue()

    async def pump() -> None:
        while True:
            event = await queue.get()
            if conn.wants(event):
                await conn.send_event(event)

    async def ping() -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            async with conn.lock:
                await ws.send_json({"type": "ping", "time": desk.clock.now().isoformat()})

    tasks = [asyncio.create_task(pump()), asyncio.create_task(ping())]
    try:
        while True:
            try:
                message = await ws.receive_json()
            except (ValueError, KeyError):
                await ws.send_json({"type": "error", "error": "VALIDATION_ERROR", "message": "消息必须是 JSON 对象"})
                continue
            if not isinstance(message, dict):
                await ws.send_json({"type": "error", "error": "VALIDATION_ERROR", "message": "消息必须是 JSON 对象"})
                continue
            action = message.get("action")
            if action == "ping":
                async with conn.lock:
                    await ws.send_json({"type": "pong"})
            elif action == "subscribe":
                account_id = message.get("account_id")
                if account_id is not None and not isinstance(account_id, str):
                    invalid = {"type": "error", "error": "VALIDATION_ERROR", "message": "account_id 必须是字符串"}
                    await ws.send_json(invalid)
                    continue
                try:
                    conn.account_id = desk.accounts.for_principal(principal, account_id).account_id
                except DeskError as refused:  # an account this desk does not serve: nothing is subscribed
                    await ws.send_json({"type": "error", "error": refused.code, "message": refused.message_zh})
                    continue
                streams = message.get("streams")
                await conn.subscribe(streams if isinstance(streams, list) else [], message.get("since_seq"))
            elif action == "unsubscribe":
                for name in message.get("streams") or []:
                    if str(name) in conn.streams:
                        conn.streams.discard(str(name))
                        desk.bus.unwatch([str(name)])
                    if str(name).startswith("quotes:"):
                        dropped = set()
                        for code in str(name)[7:].split(","):
                            with contextlib.suppress(DeskError):
                                dropped.add(classify(code).code)
                        desk.bus.unwatch(_quote_streams(dropped & conn.quote_codes))
                        conn.quote_codes -= dropped
            else:
                await ws.send_json({"type": "error", "error": "VALIDATION_ERROR", "message": f"未知操作：{action}"})
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket failed")
    finally:
        unsubscribe()
        desk.bus.unwatch([*conn.streams, *_quote_streams(conn.quote_codes)])
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
