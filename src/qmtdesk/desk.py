"""The composition root: builds every part of the desk from the settings and starts/stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.auth.service import AuthService
from qmtdesk.brokers.base import AccountReport, ConnectionReport, ConnectionState
from qmtdesk.brokers.paper.broker import PaperBroker
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.store import SqlPaperStore
from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig
from qmtdesk.config import Settings, with_db_config
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock, SimulatedClock, SystemClock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import FeeSchedule
from qmtdesk.domain.rules import Phase
from qmtdesk.market.paper_market import PaperMarket
from qmtdesk.market.service import MarketService
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, load_universe
from qmtdesk.market.xtdata import XtDataMarket
from qmtdesk.market.xtdata_paper import XtDataPaperMarket
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.oms.engine import Engine, TradingBroker
from qmtdesk.oms.service import OrderService, new_ref_prefix
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.store.db import make_engine, make_session_factory, unit_of_work
from qmtdesk.store.migrate import upgrade
from qmtdesk.store.tables.app_config import read_app_config, write_app_config
from qmtdesk.store.tables.orders import AccountSnapshotRow

log = logging.getLogger(__name__)

REF_PREFIX_KEY = "desk.ref_prefix"
PAPER_ACCOUNT_ID = "PAPER"
#: Equity-curve points: every minute while the market trades, and at each close.
SNAPSHOT_SECONDS = 60
RECONCILE_SECONDS = 60
#: Equity points that start a new base for today's P&L: the first start of an account and a paper reset.
BASELINE_NOTES = ("baseline", "reset")
LIVE_PHASES = frozenset(
    {Phase.OPENING_AUCTION, Phase.OPENING_AUCTION_NO_CANCEL, Phase.CONTINUOUS, Phase.CLOSING_AUCTION}
)
ACCOUNT_REFRESH_SECONDS = 15
#: Fills within this long share one account/positions push.
ACCOUNT_COALESCE_SECONDS = 0.25


@dataclass
class Desk:
    """Everything one running desk holds."""

    settings: Settings
    db: SqlEngine
    session_factory: sessionmaker[Session]
    auth: AuthService
    calendar: TradingCalendar
    clock: Clock
    universe: Universe
    market: MarketService
    broker: TradingBroker
    bus: EventBus
    engine: Engine
    orders: OrderService
    fees: FeeSchedule
    risk: RiskEngine
    bootstrap_password: str | None = None
    runtime: Any = None
    notifier: Any = None
    tasks: list[asyncio.Future[Any]] = field(default_factory=list)
    _reconcile_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def paper(self) -> PaperBroker | None:
        """The paper broker when the desk runs on paper."""
        return self.broker if isinstance(self.broker, PaperBroker) else None

    # ------------------------------------------------------------------------------ build
    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> Desk:
        """Migrate the database, bootstrap the admin and wire the parts (nothing runs yet).

        ``clock`` replaces the wall clock of a live desk (tests of the MiniQMT adapter at fixed times).
        """
        _private_dir(settings.data_dir)
        db = make_engine(settings.database_url)
        upgrade(db)
        _private_files(settings.data_dir)
        session_factory = make_session_factory(db)
        auth = AuthService.from_settings(session_factory, settings)
        bootstrap_password = auth.bootstrap_admin(settings)
        calendar = TradingCalendar.load(settings.data_dir / "holidays.csv")
        fees = FeeSchedule(commission_rate=settings.commission_rate, commission_min=settings.commission_min)
        universe = Universe(load_universe(settings.paper_universe))
        bus = EventBus()
        broker: TradingBroker
        if settings.broker == "xtquant":
            clock = clock or SystemClock()
            broker = XtQuantBroker(lambda: _miniqmt_config(settings, session_factory), clock)
            quotes: Any = XtDataMarket(clock, universe)
        else:
            if clock is None:
                clock = SystemClock() if settings.paper_clock == "realtime" else SimulatedClock(settings.paper_clock)
            paper_market: PaperMarket
            if settings.quotes == "xtdata":
                # Paper trading on MiniQMT's live quotes: orders match the real book and last prices.
                paper_market = XtDataPaperMarket(XtDataMarket(clock, universe), calendar)
            else:
                paper_market = SimulatedMarket(
                    universe, calendar, volatility=settings.paper_volatility, seed=settings.paper_seed
                )
            exchange = PaperExchange(
                market=paper_market,
                calendar=calendar,
                clock=clock,
                fees=fees,
                account_id=PAPER_ACCOUNT_ID,
                initial_cash=settings.paper_cash,
                store=SqlPaperStore(session_factory),
                # Simulated quotes take a snapshot per tick; live ones are xtdata's own snapshots.
                snapshot_seconds=0.0 if settings.quotes == "xtdata" else settings.paper_tick_seconds,
            )
            if isinstance(clock, SimulatedClock) and exchange.cursor is not None and exchange.cursor > clock.now():
                # A simulated clock resumes where the paper exchange stopped; it never runs backwards.
                clock.set(exchange.cursor)
            broker = PaperBroker(exchange, tick_seconds=settings.paper_tick_seconds)
            quotes = paper_market
        market = MarketService(universe, quotes)
        risk = RiskEngine(
            session_factory=session_factory,
            account_id=broker.account_id,
            clock=clock,
            bus=bus,
            broker=broker,
            market=market,
            trading_day=lambda now: calendar.trading_day_of(now.date()),
            day_start_asset=lambda day: day_start_asset(session_factory, broker.account_id, day),
        )
        engine = Engine(
            session_factory=session_factory,
            broker=broker,
            market=market,
            calendar=calendar,
            clock=clock,
            fees=fees,
            bus=bus,
            risk=risk,
        )
        orders = OrderService(
            session_factory=session_factory,
            engine=engine,
            market=market,
            calendar=calendar,
            clock=clock,
            ref_prefix=_ref_prefix(session_factory, clock),
        )
        desk = cls(
            settings=settings,
            db=db,
            session_factory=session_factory,
            auth=auth,
            calendar=calendar,
            clock=clock,
            universe=universe,
            market=market,
            broker=broker,
            bus=bus,
            engine=engine,
            orders=orders,
            fees=fees,
            risk=risk,
            bootstrap_password=bootstrap_password,
        )
        quotes.add_listener(desk._publish_quote)
        if isinstance(broker, PaperBroker):
            broker.close_hooks.append(desk._on_close)
        engine.connection_listeners.append(desk._on_connection)
        engine.reconcile_requests.append(desk._request_reconcile)
        return desk

    # ------------------------------------------------------------------------------ run
    async def start(self) -> None:
        """Start the engine, connect the broker, reconcile, and begin the periodic jobs."""
        self._loop = asyncio.get_running_loop()
        self.risk.bind_loop(self._loop)
        await self.engine.start()
        await self.broker.connect()
        if self.broker.state is ConnectionState.CONNECTED:
            await self.reconcile("start")
        if self.broker.state is ConnectionState.CONNECTED and await asyncio.to_thread(self._no_equity_yet):
            await self.snapshot_equity(note="baseline")
        self._started = True
        self.tasks.append(asyncio.create_task(self._reconcile_forever(), name="periodic-reconciliation"))
        from qmtdesk.strategies.runtime import StrategyRuntime
        from qmtdesk.strategies.signals import signal_service

        self.runtime = StrategyRuntime(self, signal_service(self))
        await self.runtime.start()
        if self.settings.webhook_url is not None:
            from qmtdesk.notify import Notifier

            self.notifier = Notifier(self.settings.webhook_url.get_secret_value(), self.settings.webhook_format)
            self.notifier.subscribe(self.bus)
        self.tasks.append(asyncio.create_task(self._snapshot_forever(), name="equity-snapshots"))
        self._account_dirty = asyncio.Event()
        self.bus.subscribe(lambda e: self._account_dirty.set() if e.stream == "trades" else None)
        self.tasks.append(asyncio.create_task(self._publish_account_forever(), name="account-stream"))

    async def stop(self) -> None:
        """Stop jobs, the broker and the engine; release the database."""
        if self.runtime is not None:
            await self.runtime.stop()
        if self.notifier is not None:
            await self.notifier.close()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        close = getattr(self.broker, "close", None)
        if close is not None:
            await close()
        else:
            await self.broker.disconnect()
        close_quotes = getattr(self.market.quotes, "close", None)
        if close_quotes is not None:  # after the broker: a paper exchange on live quotes has stopped polling
            close_quotes()
        await self.engine.stop()
        self.db.dispose()

    # ------------------------------------------------------------------------------ reconciliation
    async def reconcile(self, why: str) -> dict[str, int] | None:
        """Make the ledger agree with the broker (one run at a time)."""
        from qmtdesk.oms.reconcile import reconcile

        async with self._reconcile_lock:
            if self.broker.state is not ConnectionState.CONNECTED:
                return None
            try:
                result = await reconcile(self.engine)
            except DeskError as exc:
                log.warning("reconciliation (%s) failed: %s", why, exc.message_en)
                return None
            log.info("reconciliation (%s): %s", why, result)
            return result

    def _on_connection(self, report: ConnectionReport) -> None:
        # Every reconnect reconciles: fills that happened during the gap are found by query.
        if report.state is ConnectionState.CONNECTED and getattr(self, "_started", False):
            self.tasks.append(asyncio.ensure_future(self.reconcile("reconnect")))

    def _request_reconcile(self, reason: str) -> None:
        if getattr(self, "_started", False):
            self.tasks.append(asyncio.ensure_future(self.reconcile(reason)))

    async def _reconcile_forever(self) -> None:
        """While the market trades, reconcile with a live broker every minute (pushes can be lost)."""
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            if self.paper is not None:
                continue
            if self.calendar.phase(self.clock.now()) in LIVE_PHASES:
                await self.reconcile("periodic")

    # ------------------------------------------------------------------------------ quotes and equity
    def _publish_quote(self, quote: Any) -> None:
        # Quotes arrive on the broker thread; the bus lives on the loop.
        loop = getattr(self, "_loop", None)
        if loop is None or loop.is_closed() or not self.bus.wants(f"quotes:{quote.stock_code}"):
            return  # only WebSocket subscribers read quote messages
        from qmtdesk.api.views import quote_view

        event = Event(f"quotes:{quote.stock_code}", quote_view(quote), quote.time)
        loop.call_soon_threadsafe(self.bus.publish, event)

    def _on_close(self, day: date, account: AccountReport) -> None:
        """A paper close: record the equity point synchronously, so a clock advance returns with it written."""
        self._write_snapshot(account, datetime.combine(day, time(15, 0), SHANGHAI), "close")

    def _write_snapshot(self, account: AccountReport, moment: datetime, note: str) -> None:
        with unit_of_work(self.session_factory) as session:
            session.add(
                AccountSnapshotRow(
                    account_id=self.broker.account_id,
                    time=moment,
                    total_asset=account.total_asset,
                    cash=account.cash + account.frozen_cash,
                    market_value=account.market_value,
                    note=note,
                )
            )

    async def snapshot_equity(self, moment: datetime | None = None, note: str = "") -> None:
        """Record a point of the equity curve."""
        account = await self.broker.query_account()
        await asyncio.to_thread(self._write_snapshot, account, moment or self.clock.now(), note)

    async def _snapshot_forever(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_SECONDS)
            try:
                if self.calendar.phase(self.clock.now()) in (Phase.CONTINUOUS, Phase.CLOSING_AUCTION):
                    await self.snapshot_equity(note="intraday")
            except Exception:
                log.exception("equity snapshot failed")

    async def _publish_account_forever(self) -> None:
        """Push ``account`` and ``positions`` after fills (at most every 0.25 s) and every 15 s while trading.

        Only WebSocket clients read these streams, so nothing is built while none subscribed to them.
        """
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
        from qmtdesk.api.views import account_view, position_view

        now = self.clock.now()
        account = await self.broker.query_account()
        positions = await self.broker.query_positions()
        views, floating = [], Decimal(0)
        for p in positions:
            quote = self.market.quote(p.stock_code)
            last = quote.last_price if quote else p.avg_price
            floating += (last - p.avg_price) * p.volume
            instrument = self.universe.find(p.stock_code)
            days = self.calendar.trading_days_between(p.opened_on.date(), now.date()) if p.opened_on else None
            views.append(position_view(p, instrument.name if instrument else "", last, days))
        base = await asyncio.to_thread(self.day_start_asset, self.calendar.trading_day_of(now.date()))
        today = account.total_asset - base if base is not None else None
        self.bus.publish(Event("account", account_view(account, floating, today), now))
        self.bus.publish(Event("positions", {"items": views}, now))

    def _no_equity_yet(self) -> bool:
        with self.session_factory() as session:
            return (
                session.scalar(
                    select(AccountSnapshotRow.id)
                    .where(AccountSnapshotRow.account_id == self.broker.account_id)
                    .limit(1)
                )
                is None
            )

    async def restart_equity_curve(self, note: str) -> None:
        """A fresh account (paper reset): drop the old curve and start a new one from now."""

        def drop() -> None:
            with unit_of_work(self.session_factory) as session:
                session.execute(
                    delete(AccountSnapshotRow).where(AccountSnapshotRow.account_id == self.broker.account_id)
                )

        await asyncio.to_thread(drop)
        await self.snapshot_equity(note=note)

    def day_start_asset(self, day: date) -> Decimal | None:
        """Total asset at the last close before ``day``, or at a reset during it (the base of today's P&L)."""
        return day_start_asset(self.session_factory, self.broker.account_id, day)


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


def _private_dir(path: Path) -> None:
    """The data directory holds password hashes, orders and the audit trail: owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)


def _private_files(data_dir: Path) -> None:
    for name in ("qmtdesk.db", "qmtdesk.db-wal", "qmtdesk.db-shm"):
        with contextlib.suppress(OSError):
            os.chmod(data_dir / name, 0o600)


def _miniqmt_config(settings: Settings, session_factory: sessionmaker[Session]) -> XtQuantConfig:
    """MiniQMT settings as they are now: environment first, then what the UI stored."""
    with session_factory() as session:
        effective = with_db_config(settings, read_app_config(session))
    return XtQuantConfig(
        userdata_path=effective.miniqmt_userdata_path or "",
        account_id=effective.miniqmt_account_id or "",
        account_type=effective.miniqmt_account_type or "STOCK",
    )


def _ref_prefix(session_factory: sessionmaker[Session], clock: Clock) -> str:
    """The desk's broker-reference tag, generated once per database."""
    with unit_of_work(session_factory) as session:
        values = read_app_config(session)
        prefix = values.get(REF_PREFIX_KEY)
        if not prefix:
            prefix = new_ref_prefix()
            write_app_config(session, {REF_PREFIX_KEY: prefix}, clock.now())
        return prefix
