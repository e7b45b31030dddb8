"""NATS for desk and gateway alike: connecting, and the JetStream stream every gateway publishes its
reports to (created by whichever side starts first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

import nats
from nats.aio.client import Client as NatsClient
from nats.errors import AuthorizationError
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from qmtdesk.brokers.gateway import wire

log = logging.getLogger(__name__)


async def ensure_report_stream(js: JetStreamContext, account_id: str) -> None:
    """Create an account's report stream if it is missing (file storage: it outlives a NATS restart).

    A gateway whose NATS credentials may not create streams relies on the desk having made it."""
    config = StreamConfig(
        name=wire.report_stream(account_id),
        subjects=[wire.report_subject(account_id)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=wire.REPORT_MAX_AGE,
        duplicate_window=wire.DUPLICATE_WINDOW,
        discard=DiscardPolicy.OLD,
    )
    try:
        await js.stream_info(wire.report_stream(account_id))
        return
    except Exception:  # not found (or not allowed to look): try to create it
        pass
    try:
        await js.add_stream(config)
    except BadRequestError as exc:  # created meanwhile by the other side, or no permission
        log.info("report stream not created here: %s", exc)


async def connect_nats(url: str, name: str, options: dict[str, Any]) -> NatsClient:
    """Connect, retrying for ever while the server is unreachable, but not when it refuses the
    credentials: a gateway with a wrong token or credentials file stops with that reason."""
    loop = asyncio.get_running_loop()
    refused: asyncio.Future[Any] = loop.create_future()

    async def on_error(exc: Exception) -> None:
        # nats-py reports the server's "Authorization Violation" as a plain error with that text.
        denied = isinstance(exc, AuthorizationError) or "authorization violation" in str(exc).lower()
        if denied and not refused.done():
            refused.set_result(exc)
        log.warning("NATS: %s", exc or type(exc).__name__)

    connecting: asyncio.Future[Any] = asyncio.ensure_future(
        nats.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5, error_cb=on_error, **options)
    )
    done, _ = await asyncio.wait({connecting, refused}, return_when=asyncio.FIRST_COMPLETED)
    if connecting in done:
        return cast(NatsClient, connecting.result())
    connecting.cancel()
    with contextlib.suppress(BaseException):
        await connecting
    raise PermissionError(f"NATS at {url} refused the credentials (authorization violation)")
