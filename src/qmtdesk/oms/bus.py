"""A tiny in-process event bus: the engine publishes, WebSocket clients and strategies listen."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

#: Streams whose events carry a durable ``seq`` from ``order_events`` and can be replayed.
DURABLE_STREAMS = frozenset({"orders", "trades"})


@dataclass(slots=True)
class Event:
    """One published change. ``seq`` is set for durable streams only (once its row is flushed)."""

    stream: str
    data: dict[str, Any]
    time: datetime
    seq: int | None = None

    def message(self) -> dict[str, Any]:
        """The WebSocket message of API.md."""
        return {"stream": self.stream, "seq": self.seq, "time": self.time.isoformat(), "data": self.data}


Handler = Callable[[Event], None]


@dataclass
class EventBus:
    """Synchronous fan-out on the event loop. Handlers must not block; slow consumers queue."""

    handlers: list[Handler] = field(default_factory=list)
    #: Streams some consumer subscribed to (name -> consumers), quotes as ``quotes:<code>``: streams
    #: only WebSocket clients read (quotes, ``account``, ``positions``) are built only while wanted.
    interest: Counter[str] = field(default_factory=Counter)

    def watch(self, names: Iterable[str]) -> None:
        """A consumer subscribed to these streams."""
        self.interest.update(names)

    def unwatch(self, names: Iterable[str]) -> None:
        """A consumer dropped these streams."""
        self.interest.subtract(names)
        for name in [n for n, k in self.interest.items() if k <= 0]:
            del self.interest[name]

    def wants(self, name: str) -> bool:
        """Whether some consumer subscribed to stream ``name``."""
        return self.interest.get(name, 0) > 0

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for every event; returns a function that unsubscribes."""
        self.handlers.append(handler)
        return lambda: self.handlers.remove(handler) if handler in self.handlers else None

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every handler; a failing handler is logged, never fatal."""
        for handler in list(self.handlers):
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed on %s", event.stream)

    def queue(self, maxsize: int = 10_000) -> tuple[asyncio.Queue[Event], Callable[[], None]]:
        """A bounded queue of events for one consumer (a WebSocket), and its unsubscribe function.

        When the consumer falls behind by ``maxsize`` events the oldest are dropped; durable
        streams can be recovered with ``since_seq``.
        """
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize)

        def put(event: Event) -> None:
            if q.full():
                q.get_nowait()
            q.put_nowait(event)

        return q, self.subscribe(put)
