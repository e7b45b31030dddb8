"""The desk's background work for one account: reconciliation, the equity curve, the account stream.

- Reconciliation after the start, after every reconnect, when a report asks for it, and every minute
  while the market trades with a live broker (pushes can be lost).
- Equity-curve points every minute of continuous trading, at each paper close, and a baseline.
- ``account`` / ``positions`` stream messages after fills (coalesced) and every 15 s, only while a
  WebSocket client reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk import gctune
from qmtdesk.brokers.base import AccountReport, Broker, ConnectionReport, ConnectionState
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.rules import Phase
from qmtdesk.market.service import MarketService
from qmtdesk.market.universe import Universe
from qmtdesk.oms.bus import Event, EventBus, Published
from qmtdesk.oms.engine import Engine
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.orders import AccountSnapshotRow

log = logging.getLogger(__name__)

#: Equity-curve points: every minute while the market trades, and at each close.
SNAPSHOT_SECONDS = 60
RECONCILE_SECONDS = 60
#: Equity points that start a new base for today's P&L: the first start of an account and a paper reset.
BASELINE_NOTES = ("baseline", "reset")
LIVE_PHASES = frozenset(
    {Phase.OPENING_AUCTION, Phase.OPENING_AUCTION_NO_CANCEL, Phase.CONTINUOUS, Phase.CLOSING_AUCTION}
)
#: Phases in which nobody waits for an order: the time for a full garbage collection.
IDLE_PHASES = frozenset({Phase.AFTER_HOURS, Phase.CLOSED})
ACCOUNT_REFRESH_SECONDS = 15
#: Fills within this long share one account/positions push.
ACCOUNT_COALESCE_SECONDS = 0.25


def day_start_asset(session_factory: sessionmaker[Session], account_id: str, day: date) -> Decimal | None:
    """Total asset at the last close before ``day``, or at a reset during it (the base of today's P&L)."""
    start = datetime.combine(day, time(0), SHANGHAI)
    with session_factory() as session:
        row = session.scalars(
            select(AccountSnapshotRow)
            .where(
                AccountSnapshotRow.account_id == account_id,
                (AccountSnapshotRow.time < start) | AccountSnapshotRow.note.in_(BASELINE_NOTES),
            )
            .order_by(AccountSnapshotRow.time.desc())
            .limit(1)
        ).first()
        return row.total_asset if row else None


class DeskJobs:
    """Reconciliation, equity points and the account stream of one account."""

    def __init__(
        self,
        *,
        engine: Engine,
        broker: Broker,
        risk: RiskEngine,
        bus: EventBus,
        market: MarketService,
        universe: Universe,
        calendar: TradingCalendar,
        clock: Clock,
        session_factory: sessionmaker[Session],
        live_broker: bool,
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.risk = risk
        self.bus = bus
        self.market = market
        self.universe = universe
        self.calendar = calendar
        self.clock = clock
        self.session_factory = session_factory
        self.account_id = engine.account_id
        #: Periodic reconciliation only makes sense with a broker whose pushes can be lost.
        self.live_broker = live_broker
        self._reconcile_lock = asyncio.Lock()
        self._tasks: list[asyncio.Future[Any]] = []
        self._started = False
        self._account_dirty: asyncio.Event | None = None
        self._unsubscribe: Callable[[], None] | None = None
        #: Run a full garbage collection once a day while the market is closed (the server sets this).
        self.idle_collection = False
        self._collected_on: date | None = None
        engine.connection_listeners.append(self._on_connection)
        engine.followups.append(self._request_reconcile)

    # ------------------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Reconcile, record a baseline when the account has no equity curve, begin the periodic jobs."""
        if self.broker.state is ConnectionState.CONNECTED:
            await self.reconcile("start")
        if self.broker.state is ConnectionState.CONNECTED and await asyncio.to_thread(self._no_equity_yet):
            await self.snapshot_equity(note="baseline")
        self._started = True
        self._tasks.append(asyncio.create_task(self._reconcile_forever(), name="periodic-reconciliation"))
        self._tasks.append(asyncio.create_task(self._snapshot_forever(), name="equity-snapshots"))
        self._account_dirty = asyncio.Event()
        dirty = self._account_dirty

        def on_event(event: Published) -> None:
            if event.stream == "trades":
                dirty.set()

        self._unsubscribe = self.bus.subscribe(on_event)
        self._tasks.append(asyncio.create_task(self._publish_account_forever(), name="account-stream"))

    async def stop(self) -> None:
        """Stop every job."""
        self._started = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    # ------------------------------------------------------------------------------ reconciliation
    async def reconcile(self, why: str) -> dict[str, int] | None:
        """Make the ledger agree with the broker (one run at a time)."""
        async with self._reconcile_lock:
            if self.broker.state is not ConnectionState.CONNECTED:
                return None
            try:
                result = (await self.engine.reconcile()).as_dict()
            except DeskError as exc:
                log.warning("reconciliation (%s) failed: %s", why, exc.message_en)
                return None
            log.info("reconciliation (%s): %s", why, result)
            return result

    def _on_connection(self, report: ConnectionReport) -> None:
        # Every reconnect reconciles: fills that happened during the gap are found by query.
        if report.state is ConnectionState.CONNECTED and self._started:
            self._tasks.append(asyncio.ensure_future(self.reconcile("reconnect")))

    def _request_reconcile(self, reason: str) -> None:
        if self._started:
            self._tasks.append(asyncio.ensure_future(self.reconcile(reason)))

    async def _reconcile_forever(self) -> None:
        """While the market trades, reconcile with a live broker every minute (pushes can be lost)."""
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            self._tasks = [t for t in self._tasks if not t.done()]
            if not self.live_broker:
                continue
            if self.calendar.phase(self.clock.now()) in LIVE_PHASES:
                await self.reconcile("periodic")

    # ------------------------------------------------------------------------------ the equity curve
    def record_close(self, day: date, account: AccountReport) -> None:
        """A paper close: its equity point goes into the journal with the close's other changes."""
        self._record_snapshot(account, datetime.combine(day, time(15, 0), SHANGHAI), "close")

    def _record_snapshot(self, account: AccountReport, moment: datetime, note: str) -> None:
        self.engine.ledger.snapshot(
            moment, account.total_asset, account.cash + account.frozen_cash, account.market_value, note
        )
        self.risk.forget_day_base()

    async def snapshot_equity(self, moment: datetime | None = None, note: str = "") -> None:
        """Record a point of the equity curve (committed when this returns)."""
        account = await self.broker.query_account()
        self._record_snapshot(account, moment or self.clock.now(), note)
        await self.engine.journal.flush()

    async def _snapshot_forever(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_SECONDS)
            try:
                now = self.clock.now()
                phase = self.calendar.phase(now)
                if phase in (Phase.CONTINUOUS, Phase.CLOSING_AUCTION):
                    await self.snapshot_equity(note="intraday")
                elif self.idle_collection and phase in IDLE_PHASES and self._collected_on != now.date():
                    self._collected_on = now.date()
                    gctune.settle("market closed")
            except Exception:
                log.exception("equity snapshot failed")

    def _no_equity_yet(self) -> bool:
        with self.session_factory() as session:
            return (
                session.scalar(
                    select(AccountSnapshotRow.id).where(AccountSnapshotRow.account_id == self.account_id).limit(1)
                )
                is None
            )

    async def restart_equity_curve(self, note: str) -> None:
        """A fresh account (paper reset): drop the old curve and start a new one from now."""
        await self.engine.journal.flush()  # points still on their way land before they are dropped

        def drop() -> None:
            with unit_of_work(self.session_factory) as session:
                session.execute(delete(AccountSnapshotRow).where(AccountSnapshotRow.account_id == self.account_id))

        await asyncio.to_thread(drop)
        await self.snapshot_equity(note=note)

    def day_start_asset(self, day: date) -> Decimal | None:
        """Total asset at the last close before ``day``, or at a reset during it (the base of today's P&L)."""
        return day_start_asset(self.session_factory, self.account_id, day)

    # ------------------------------------------------------------------------------ the account stream
    async def _publish_account_forever(self) -> None:
        """Push ``account`` and ``positions`` after fills (at most every 0.25 s) and every 15 s while trading.

        Only WebSocket clients read these streams, so nothing is built while none subscribed to them.
        """
        assert self._account_dirty is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._account_dirty.wait(), ACCOUNT_REFRESH_SECONDS)
            await asyncio.sleep(ACCOUNT_COALESCE_SECONDS)  # let a burst of fills land first
            self._account_dirty.clear()
            if not (self.bus.wants("account") or self.bus.wants("positions")):
                continue
            try:
                await self.publish_account()
            except Exception:
                log.exception("account stream update failed")

    async def publish_account(self) -> None:
        """Publish the ``account`` and ``positions`` stream messages as they stand now."""
        from qmtdesk.oms.account_views import account_view, floating_profit, position_views

        now = self.clock.now()
        account = await self.broker.query_account()
        positions = await self.broker.query_positions()
        trades = await self.broker.query_trades()

        def holding_days(opened: datetime | None) -> int | None:
            return self.calendar.trading_days_between(opened.date(), now.date()) if opened else None

        views = position_views(positions, trades, self.market, self.universe, holding_days)
        base = await asyncio.to_thread(self.day_start_asset, self.calendar.trading_day_of(now.date()))
        floating = floating_profit(positions, self.market.last_price)
        self.bus.publish(Event("account", account_view(account, floating, base), now, account_id=self.account_id))
        self.bus.publish(Event("positions", {"items": views}, now, account_id=self.account_id))
