"""The JetStream stream every gateway publishes its reports to, created by whichever side starts first."""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from qmtdesk.brokers.gateway import wire

log = logging.getLogger(__name__)


async def ensure_report_stream(js: JetStreamContext) -> None:
    """Create the report stream if it is missing (file storage: it outlives a NATS restart).

    A gateway whose NATS credentials may not create streams relies on the desk having made it."""
    config = StreamConfig(
        name=wire.REPORT_STREAM,
        subjects=[wire.REPORT_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=wire.REPORT_MAX_AGE,
        duplicate_window=wire.DUPLICATE_WINDOW,
        discard=DiscardPolicy.OLD,
    )
    try:
        await js.stream_info(wire.REPORT_STREAM)
        return
    except Exception:  # not found (or not allowed to look): try to create it
        pass
    try:
        await js.add_stream(config)
    except BadRequestError as exc:  # created meanwhile by the other side, or no permission
        log.info("report stream not created here: %s", exc)
