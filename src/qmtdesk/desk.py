"""The composition root: builds every part of the desk from the settings, and starts and stops them in order.

Nothing here does the work; each part does its own: the engine (orders), the journal (the ledger's
writes), the broker, the risk engine, the signal service and strategy runtime, the background jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.accounts import Account, AccountRegistry
from qmtdesk.auth.service import AuthService
from qmtdesk.brokers.base import Broker
from qmtdesk.brokers.paper.broker import PaperBroker
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.store import JournalPaperStore
from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig
from qmtdesk.config import Settings, with_db_config
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock, SimulatedClock, SystemClock
from qmtdesk.domain.fees import FeeSchedule
from qmtdesk.jobs import DeskJobs, day_start_asset
from qmtdesk.market.paper_market import PaperMarket
from qmtdesk.market.quotes import Quote
from qmtdesk.market.service import MarketService
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, load_universe
from qmtdesk.market.xtdata import XtDataMarket
from qmtdesk.market.xtdata_paper import XtDataPaperMarket
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.oms.engine import Engine
from qmtdesk.oms.service import OrderService
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.store.db import make_engine, make_session_factory, unit_of_work
from qmtdesk.store.journal import Journal
from qmtdesk.store.migrate import upgrade
from qmtdesk.store.tables.app_config import read_app_config, write_app_config
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow, TradeRow
from qmtdesk.strategies.runtime import StrategyRuntime
from qmtdesk.strategies.signals import SignalService

log = logging.getLogger(__name__)

REF_PREFIX_KEY = "desk.ref_prefix"
PAPER_ACCOUNT_ID = "PAPER"


def new_ref_prefix() -> str:
    """A short per-database tag so our broker references never collide with another desk's."""
    import secrets

    return "qd" + secrets.token_hex(2)


@dataclass
class Desk:
    """Everything one running desk holds."""

    settings: Settings
    db: SqlEngine
    session_factory: sessionmaker[Session]
    journal: Journal
    auth: AuthService
    calendar: TradingCalendar
    clock: Clock
    universe: Universe
    market: MarketService
    broker: Broker
    bus: EventBus
    risk: RiskEngine
    engine: Engine
    orders: OrderService
    fees: FeeSchedule
    signals: SignalService
    runtime: StrategyRuntime
    jobs: DeskJobs
    #: The accounts served (one today: ``broker``, ``engine``, ``risk``… are its parts).
    accounts: AccountRegistry
    bootstrap_password: str | None = None
    notifier: Any = None
    #: Run at the end of :meth:`start` (the server settles the garbage collector there).
    after_start: list[Callable[[], None]] = field(default_factory=list)

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
        journal = Journal(db)
        journal.seed_ids(OrderRow.__table__, "id")  # type: ignore[arg-type]
        journal.seed_ids(OrderEventRow.__table__, "seq")  # type: ignore[arg-type]
        journal.seed_ids(TradeRow.__table__, "id")  # type: ignore[arg-type]
        calendar = TradingCalendar.load(settings.data_dir / "holidays.csv")
        fees = FeeSchedule(commission_rate=settings.commission_rate, commission_min=settings.commission_min)
        universe = Universe(load_universe(settings.paper_universe))
        bus = EventBus()
        broker: Broker
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
                store=JournalPaperStore(session_factory, journal),
                # Simulated quotes take a snapshot per tick; live ones are xtdata's own snapshots.
                snapshot_seconds=0.0 if settings.quotes == "xtdata" else settings.paper_tick_seconds,
            )
            if isinstance(clock, SimulatedClock) and exchange.cursor is not None and exchange.cursor > clock.now():
                # A simulated clock resumes where the paper exchange stopped; it never runs backwards.
                clock.set(exchange.cursor)
            broker = PaperBroker(exchange, tick_seconds=settings.paper_tick_seconds)
            quotes = paper_market
        market = MarketService(universe, quotes)
        # Token lifetimes run on the wall clock; audit and user rows carry the desk's (maybe simulated) time.
        auth = AuthService.from_settings(session_factory, settings, record_clock=clock.now)
        bootstrap_password = auth.bootstrap_admin(settings)
        account_id = broker.account_id
        risk = RiskEngine(
            session_factory=session_factory,
            account_id=account_id,
            clock=clock,
            bus=bus,
            account_view=broker.account_view,
            positions_view=broker.positions_view,
            quote=market.quote,
            trading_day=lambda now: calendar.trading_day_of(now.date()),
            day_start_asset=lambda day: day_start_asset(session_factory, account_id, day),
        )
        engine = Engine(
            account_id=account_id,
            session_factory=session_factory,
            journal=journal,
            broker=broker,
            market=market,
            calendar=calendar,
            clock=clock,
            fees=fees,
            bus=bus,
            risk=risk,
            ref_prefix=_ref_prefix(session_factory, clock),
        )
        orders = OrderService(engine)
        signals = SignalService(
            orders=orders,
            engine=engine,
            broker=broker,
            market=market,
            calendar=calendar,
            fees=fees,
            bus=bus,
            clock=clock,
            session_factory=session_factory,
        )
        runtime = StrategyRuntime(
            signals=signals,
            quotes=quotes,
            broker=broker,
            universe=universe,
            calendar=calendar,
            clock=clock,
            bus=bus,
            session_factory=session_factory,
        )
        jobs = DeskJobs(
            engine=engine,
            broker=broker,
            risk=risk,
            bus=bus,
            market=market,
            universe=universe,
            calendar=calendar,
            clock=clock,
            session_factory=session_factory,
            live_broker=not isinstance(broker, PaperBroker),
        )
        accounts = AccountRegistry(
            [
                Account(
                    broker_kind="xtquant" if settings.broker == "xtquant" else "paper",
                    broker=broker,
                    engine=engine,
                    orders=orders,
                    risk=risk,
                    signals=signals,
                )
            ],
            default_id=account_id,
        )
        accounts.record(session_factory, clock.now())
        desk = cls(
            settings=settings,
            db=db,
            session_factory=session_factory,
            journal=journal,
            auth=auth,
            calendar=calendar,
            clock=clock,
            universe=universe,
            market=market,
            broker=broker,
            bus=bus,
            risk=risk,
            engine=engine,
            orders=orders,
            fees=fees,
            signals=signals,
            runtime=runtime,
            jobs=jobs,
            accounts=accounts,
            bootstrap_password=bootstrap_password,
        )
        quotes.add_listener(desk._publish_quote)
        if isinstance(broker, PaperBroker):
            broker.close_hooks.append(jobs.record_close)
        return desk

    # ------------------------------------------------------------------------------ run
    async def start(self) -> None:
        """Start the journal and the engine, connect the broker, reconcile, begin the background work."""
        self._loop = asyncio.get_running_loop()
        self.journal.start(self._loop)
        self.risk.bind_loop(self._loop)
        await asyncio.to_thread(self.engine.load)
        await self.engine.start()
        await self.broker.connect()
        await self.jobs.start()
        await self.runtime.start()
        if self.settings.webhook_url is not None:
            from qmtdesk.notify import Notifier

            self.notifier = Notifier(self.settings.webhook_url.get_secret_value(), self.settings.webhook_format)
            self.notifier.subscribe(self.bus)
        for hook in self.after_start:
            hook()

    async def stop(self) -> None:
        """Stop the background work, the broker and the engine; commit what is left; release the database."""
        await self.runtime.stop()
        if self.notifier is not None:
            await self.notifier.close()
        await self.jobs.stop()
        await self.broker.close()
        self.market.quotes.close()  # after the broker: a paper exchange on live quotes has stopped polling
        await self.engine.stop()
        await self.journal.stop()
        self.db.dispose()

    # ------------------------------------------------------------------------------ helpers for routes
    async def reconcile(self, why: str) -> dict[str, int] | None:
        """Make the ledger agree with the broker (one run at a time)."""
        return await self.jobs.reconcile(why)

    def day_start_asset(self, day: date) -> Decimal | None:
        """Total asset at the last close before ``day``, or at a reset during it (the base of today's P&L)."""
        return self.jobs.day_start_asset(day)

    def _publish_quote(self, quote: Quote) -> None:
        # Quotes may arrive on a quote source's own thread; the bus lives on the loop.
        loop = getattr(self, "_loop", None)
        if loop is None or loop.is_closed() or not self.bus.wants(f"quotes:{quote.stock_code}"):
            return  # only WebSocket subscribers read quote messages
        from qmtdesk.api.views import quote_view

        event = Event(f"quotes:{quote.stock_code}", quote_view(quote), quote.time)
        loop.call_soon_threadsafe(self.bus.publish, event)


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
