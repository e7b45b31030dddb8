"""A tiny in-process event bus: the engine publishes after commit, WebSocket clients and others listen.

Order and trade changes travel as typed objects (:class:`OrderUpdate`, :class:`TradeUpdate`) holding
the domain objects as they were at that change; they become the API's dicts only at the edge that
needs them (``message()`` / ``data``, built once and only when asked for). Other streams carry
ready-made dicts in :class:`Event`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from qmtdesk.domain.orders import Order, Trade

log = logging.getLogger(__name__)

#: Streams whose events carry a durable ``seq`` from ``order_events`` and can be replayed.
DURABLE_STREAMS = frozenset({"orders", "trades"})


class Published(Protocol):
    """What travels on the bus."""

    @property
    def stream(self) -> str: ...

    @property
    def seq(self) -> int | None: ...

    @property
    def time(self) -> datetime: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def account_id(self) -> str | None:
        """The account the change is of; None for what every account shares (quotes)."""
        ...

    def message(self) -> dict[str, Any]: ...


@dataclass(slots=True)
class Event:
    """One published change of a stream that carries plain data (``seq`` only on durable streams)."""

    stream: str
    data: dict[str, Any]
    time: datetime
    seq: int | None = None
    #: The account the change is of (None: shared by every account, as quotes are).
    account_id: str | None = None

    def message(self) -> dict[str, Any]:
        """The WebSocket message of API.md."""
        return {"stream": self.stream, "seq": self.seq, "time": self.time.isoformat(), "data": self.data}


@dataclass(slots=True)
class OrderUpdate:
    """An order after one committed change (``order`` is a copy taken at that change)."""

    order: Order
    event: str
    seq: int
    time: datetime
    _view: dict[str, Any] | None = None

    stream: ClassVar[str] = "orders"

    @property
    def account_id(self) -> str:
        """The order's account."""
        return self.order.account_id

    @property
    def data(self) -> dict[str, Any]:
        """The order object of API.md."""
        if self._view is None:
            from qmtdesk.oms.views import order_view

            self._view = order_view(self.order)
        return self._view

    def message(self) -> dict[str, Any]:
        """The WebSocket message of API.md."""
        return {"stream": "orders", "seq": self.seq, "time": self.time.isoformat(), "data": self.data}


@dataclass(slots=True)
class TradeUpdate:
    """A committed fill."""

    trade: Trade
    seq: int
    time: datetime
    _view: dict[str, Any] | None = None

    stream: ClassVar[str] = "trades"

    @property
    def account_id(self) -> str:
        """The fill's account."""
        return self.trade.account_id

    @property
    def data(self) -> dict[str, Any]:
        """The trade object of API.md."""
        if self._view is None:
            from qmtdesk.oms.views import trade_view

            self._view = trade_view(self.trade)
        return self._view

    def message(self) -> dict[str, Any]:
        """The WebSocket message of API.md."""
        return {"stream": "trades", "seq": self.seq, "time": self.time.isoformat(), "data": self.data}


Handler = Callable[[Published], None]


@dataclass
class EventBus:
    """Synchronous fan-out on the event loop. Handlers must not block; slow consumers queue."""

    handlers: list[Handler] = field(default_factory=list)
    #: Streams some consumer subscribed to (name -> consumers), quotes as ``quotes:<code>``: streams
    #: only some consumers read (quotes, ``orders``, ``account``, ``positions``) are built only while wanted.
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

    def publish(self, event: Published) -> None:
        """Deliver ``event`` to every handler; a failing handler is logged, never fatal."""
        for handler in tuple(self.handlers):  # a handler may unsubscribe itself
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed on %s", event.stream)

    def queue(self, maxsize: int = 10_000) -> tuple[asyncio.Queue[Published], Callable[[], None]]:
        """A bounded queue of events for one consumer (a WebSocket), and its unsubscribe function.

        When the consumer falls behind by ``maxsize`` events the oldest are dropped; durable
        streams can be recovered with ``since_seq``.
        """
        q: asyncio.Queue[Published] = asyncio.Queue(maxsize)

        def put(event: Published) -> None:
            if q.full():
                q.get_nowait()
            q.put_nowait(event)

        return q, self.subscribe(put)
