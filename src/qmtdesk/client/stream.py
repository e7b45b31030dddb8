"""The desk's WebSocket as an iterator: sign in, subscribe, and resume with ``since_seq`` after a drop.

Only stream messages are yielded (``{stream, seq, time, data}``); pings are answered by the library
and the desk's own control messages (``auth_ok``, ``subscribed``, ``ping``) are read and skipped.
After a dropped connection the iterator reconnects and subscribes with the last ``seq`` it yielded, so
the durable streams (orders, trades) deliver what was missed, once.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect

if TYPE_CHECKING:
    from qmtdesk.client.http import AsyncClient, Client

#: The desk closes a connection whose credentials it refuses with this code.
UNAUTHORIZED_CLOSE = 4401
#: Seconds between reconnection attempts (growing up to the last).
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)


def ws_url(base_url: str, account_id: str | None) -> str:
    """``ws://host/api/v1/ws`` from the client's HTTP base (``?account_id=`` when set)."""
    url = base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/ws"
    return url + ("?" + urlencode({"account_id": account_id}) if account_id else "")


def _hello(token: str, streams: list[str], since_seq: int | None) -> tuple[str, str]:
    auth = json.dumps({"action": "auth", "token": token})
    subscribe: dict[str, Any] = {"action": "subscribe", "streams": streams}
    if since_seq is not None:
        subscribe["since_seq"] = since_seq
    return auth, json.dumps(subscribe)


def _is_event(message: dict[str, Any]) -> bool:
    return "stream" in message


def _refused(closed: ConnectionClosed) -> None:
    """A close for bad credentials ends the stream with the desk's refusal; any other close reconnects."""
    from qmtdesk.client.http import DeskAPIError

    code = closed.rcvd.code if closed.rcvd is not None else None
    if code == UNAUTHORIZED_CLOSE:
        raise DeskAPIError(401, "UNAUTHORIZED", closed.rcvd.reason if closed.rcvd else "") from closed


def sync_stream(
    client: Client,
    streams: list[str],
    since_seq: int | None,
    *,
    stop: threading.Event | None = None,
    on_drop: Callable[[], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Messages of ``streams`` from a blocking connection, reconnecting on drops (``on_drop`` hears of
    each), until ``stop`` is set or the consumer stops iterating."""
    last = since_seq
    failures = 0
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            with sync_connect(ws_url(client.base_url, client.account_id), open_timeout=10) as ws:
                token = client._creds.access or ""
                for text in _hello(token, streams, last):
                    ws.send(text)
                while not stop.is_set():
                    try:
                        raw = ws.recv(timeout=0.5)
                    except TimeoutError:
                        continue
                    message = json.loads(raw)
                    if not _is_event(message):
                        continue
                    failures = 0
                    if message.get("seq") is not None:
                        last = message["seq"]
                    yield message
                return
        except ConnectionClosed as closed:
            _refused(closed)
        except OSError:
            pass
        if on_drop is not None:
            on_drop()
        stop.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])
        failures += 1


async def async_stream(client: AsyncClient, streams: list[str], since_seq: int | None) -> AsyncIterator[dict[str, Any]]:
    """Messages of ``streams`` from an asyncio connection, reconnecting on drops."""
    last = since_seq
    failures = 0
    while True:
        try:
            async with async_connect(ws_url(client.base_url, client.account_id), open_timeout=10) as ws:
                token = client._creds.access or ""
                for text in _hello(token, streams, last):
                    await ws.send(text)
                async for raw in ws:
                    message = json.loads(raw)
                    if not _is_event(message):
                        continue
                    failures = 0
                    if message.get("seq") is not None:
                        last = message["seq"]
                    yield message
        except ConnectionClosed as closed:
            _refused(closed)
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])
        failures += 1
