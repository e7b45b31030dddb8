"""What the desk's order services (held orders, algos) share: a timer, spawned work, paged listings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")


class Background:
    """A service's background work: one timer calling ``tick`` every ``seconds``, and spawned tasks.

    :meth:`stop` cancels the timer and waits for what was spawned, so nothing is left half done."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._timer: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    def start(self, seconds: float, tick: Callable[[], Awaitable[None]]) -> None:
        """Call ``tick`` every ``seconds`` until :meth:`stop` (a failing tick is logged, the timer goes on)."""

        async def run() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await tick()
                except Exception:
                    log.exception("%s timer failed", self.name)

        self._timer = asyncio.create_task(run(), name=self.name)

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run ``work`` now, without waiting for it (it is awaited at :meth:`stop`)."""
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def stop(self) -> None:
        """Cancel the timer, then wait for every spawned task."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None
        for task in list(self._pending):
            with contextlib.suppress(Exception):
                await task


def page_rows(
    session_factory: sessionmaker[Session],
    table: Any,
    account_id: str,
    *,
    groups: Mapping[str, Collection[str]],
    state: str | None,
    stock_code: str | None,
    page: int,
    page_size: int,
    view: Callable[[Any], T],
) -> tuple[list[T], int]:
    """One page of an account's rows of ``table``, newest first, and the total.

    ``state`` is a comma list of states or a group name of ``groups`` (``live``, ``final``)."""
    query = select(table).where(table.account_id == account_id)
    if state:
        wanted = groups.get(state) or set(state.split(","))
        query = query.where(table.state.in_(sorted(wanted)))
    if stock_code:
        query = query.where(table.stock_code == stock_code)
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(table.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
        return [view(r) for r in rows], total
