"""The composition root: builds every part of the desk from the settings, and starts and stops them in order.

Nothing here does the work; each part does its own: the engine (orders), the journal (the ledger's
writes), the broker, the risk engine, the signal service and strategy runtime, the background jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.accounts import Account, AccountRegistry
from qmtdesk.assembly import DeskParts
from qmtdesk.auth.service import AuthService
from qmtdesk.brokers.base import Broker
from qmtdesk.brokers.paper.broker import PaperBroker
from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig
from qmtdesk.config import Settings, with_db_config
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock, SimulatedClock, SystemClock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import FeeSchedule
from qmtdesk.jobs import DeskJobs
from qmtdesk.market.history import BarHistory, Candle, MinuteRecorder, closed_day_candles
from qmtdesk.market.paper_market import PaperMarket
from qmtdesk.market.quotes import Quote
from qmtdesk.market.service import MarketService
from qmtdesk.market.shared import SharedPaperMarket
from qmtdesk.market.simulator import DayState, SimulatedMarket
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
from qmtdesk.store.tables.accounts import AccountRow
from qmtdesk.store.tables.app_config import read_app_config, write_app_config
from qmtdesk.store.tables.market import DailyBarRow, load_daily_bars, save_daily_bars
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
    #: Bars for the charts (today's minutes, the daily K-line).
    history: BarHistory
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
    #: The parts the accounts share, and the builder of new accounts' own parts.
    parts: DeskParts
    bootstrap_password: str | None = None
    notifier: Any = None
    #: Run at the end of :meth:`start` (the server settles the garbage collector there).
    after_start: list[Callable[[], None]] = field(default_factory=list)

    @property
    def paper(self) -> PaperBroker | None:
        """The default account's paper broker when the desk runs on paper."""
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
        shared_market: SharedPaperMarket | None = None
        live_data: XtDataMarket | None = None
        if settings.broker == "xtquant":
            clock = clock or SystemClock()
            broker = XtQuantBroker(lambda: _miniqmt_config(settings, session_factory), clock)
            live_data = XtDataMarket(clock, universe)
            quotes: Any = live_data
        else:
            if clock is None:
                clock = SystemClock() if settings.paper_clock == "realtime" else SimulatedClock(settings.paper_clock)
            paper_market: PaperMarket
            if settings.quotes == "xtdata":
                # Paper trading on MiniQMT's live quotes: orders match the real book and last prices.
                live_data = XtDataMarket(clock, universe)
                paper_market = XtDataPaperMarket(live_data, calendar)
            else:
                paper_market = SimulatedMarket(
                    universe, calendar, volatility=settings.paper_volatility, seed=settings.paper_seed
                )
            shared_market = SharedPaperMarket(paper_market)
            quotes = paper_market
        market = MarketService(universe, quotes)
        history = _bar_history(market, calendar, session_factory, quotes, live_data, shared_market)
        parts = DeskParts(
            settings=settings,
            session_factory=session_factory,
            journal=journal,
            bus=bus,
            market=market,
            quotes=quotes,
            universe=universe,
            calendar=calendar,
            clock=clock,
            fees=fees,
            ref_prefix=_ref_prefix(session_factory, clock),
            paper_market=shared_market,
        )
        if settings.broker == "xtquant":
            first = parts.account("xtquant", broker)
        else:
            first = parts.paper_account(PAPER_ACCOUNT_ID, settings.paper_cash)
        # Extra paper accounts an admin added live on beside the first; the first one names the desk.
        extra = _extra_accounts(parts, first)
        # Token lifetimes run on the wall clock; audit and user rows carry the desk's (maybe simulated) time.
        auth = AuthService.from_settings(session_factory, settings, record_clock=clock.now)
        bootstrap_password = auth.bootstrap_admin(settings)
        accounts = AccountRegistry([first, *extra], default_id=first.account_id)
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
            history=history,
            broker=first.broker,
            bus=bus,
            risk=first.risk,
            engine=first.engine,
            orders=first.orders,
            fees=fees,
            signals=first.signals,
            runtime=first.runtime,
            jobs=first.jobs,
            accounts=accounts,
            parts=parts,
            bootstrap_password=bootstrap_password,
        )
        quotes.add_listener(desk._publish_quote)
        return desk

    # ------------------------------------------------------------------------------ run
    async def start(self) -> None:
        """Start the journal and the engine, connect the broker, reconcile, begin the background work."""
        self._loop = asyncio.get_running_loop()
        self.journal.start(self._loop)
        for account in self.accounts.all():
            await self.start_account(account)
        if self.settings.webhook_url is not None:
            from qmtdesk.notify import Notifier

            self.notifier = Notifier(self.settings.webhook_url.get_secret_value(), self.settings.webhook_format)
            self.notifier.subscribe(self.bus)
        for hook in self.after_start:
            hook()

    async def stop(self) -> None:
        """Stop the background work, the broker and the engine; commit what is left; release the database."""
        accounts = self.accounts.all()
        for account in accounts:
            await account.ipo.stop()
            await account.algos.stop()
            await account.held.stop()
            await account.runtime.stop()
        if self.notifier is not None:
            await self.notifier.close()
        for account in accounts:
            await account.jobs.stop()
            await account.broker.close()
        self.market.quotes.close()  # after the brokers: a paper exchange on live quotes has stopped polling
        for account in accounts:
            await account.engine.stop()
        await self.journal.stop()
        self.db.dispose()

    async def start_account(self, account: Account) -> None:
        """Load an account's open orders, start its engine, connect its broker, begin its jobs and strategies."""
        loop = asyncio.get_running_loop()
        account.risk.bind_loop(loop)
        await asyncio.to_thread(account.engine.load)
        await account.engine.start()
        await account.broker.connect()
        await account.jobs.start()
        await account.runtime.start()
        await account.held.start()
        await account.algos.start()
        await account.ipo.start()

    async def stop_account(self, account: Account) -> None:
        """Stop one account's strategies, jobs, broker and engine (what it committed stays in the ledger)."""
        await account.ipo.stop()
        await account.algos.stop()
        await account.held.stop()
        await account.runtime.stop()
        await account.jobs.stop()
        await account.broker.close()
        await account.engine.stop()

    async def add_account(self, kind: str, account_id: str, name: str, cash: Decimal) -> Account:
        """Build, record and start one more account (admins, live): ``paper`` on the desk's paper
        market with ``cash``, or ``gateway`` through the desk's NATS server.

        ``409 PAPER_ONLY`` for a paper account on a desk without the paper market, ``409
        NATS_NOT_CONFIGURED`` for a gateway without ``QMTDESK_NATS_URL``, ``409 ACCOUNT_EXISTS`` for an
        id the desk serves or has recorded for another broker. An id removed before resumes its books."""
        if kind == "paper" and self.parts.paper_market is None:
            raise DeskError(
                "PAPER_ONLY", "只有模拟盘可以添加模拟账户", "Paper accounts need a paper desk", http_status=409
            )
        if kind == "gateway" and not self.settings.nats_url:
            raise DeskError(
                "NATS_NOT_CONFIGURED",
                "未配置 NATS（QMTDESK_NATS_URL），不能添加远程网关账户",
                "Gateway accounts need QMTDESK_NATS_URL",
                http_status=409,
            )
        if account_id in self.accounts:
            raise _account_exists(account_id)
        with self.session_factory() as session:
            row = session.get(AccountRow, account_id)
            if row is not None and row.broker != kind:
                raise _account_exists(account_id)
        if kind == "paper":
            account = await asyncio.to_thread(self.parts.paper_account, account_id, cash, name)
        else:
            account = self.parts.gateway_account(account_id, name)
        self.accounts.add(account)
        await asyncio.to_thread(self.accounts.record, self.session_factory, self.clock.now())
        account.name = name  # the admin's name wins over one stored when the id was served before
        await asyncio.to_thread(self._store_name, account)
        await self.start_account(account)
        return account

    async def remove_account(self, account_id: str) -> Account:
        """Stop serving an account: never the default one, nor one with open orders (cancel them first).

        Its orders, fills and paper books stay in the ledger; adding the id again takes them back."""
        account = self.accounts.get(account_id)
        if account.account_id == self.accounts.default_id:
            raise DeskError(
                "ACCOUNT_IS_DEFAULT",
                "默认账户不能删除",
                "The default account cannot be removed",
                http_status=409,
            )
        open_orders = sum(1 for _ in account.engine.book.open_orders())
        if open_orders:
            raise DeskError(
                "ACCOUNT_HAS_OPEN_ORDERS",
                f"账户还有 {open_orders} 笔未完成委托，请先撤单",
                f"The account has {open_orders} open orders; cancel them first",
                http_status=409,
                data={"open_orders": open_orders},
            )
        self.accounts.remove(account.account_id)
        await self.stop_account(account)
        await asyncio.to_thread(self._forget, account)
        return account

    def _store_name(self, account: Account) -> None:
        with unit_of_work(self.session_factory) as session:
            row = session.get(AccountRow, account.account_id)
            if row is not None:
                row.name = account.name
                row.updated_at = self.clock.now()

    def _forget(self, account: Account) -> None:
        with unit_of_work(self.session_factory) as session:
            row = session.get(AccountRow, account.account_id)
            if row is not None:
                session.delete(row)

    def paper_accounts(self) -> list[Account]:
        """The accounts traded on the paper exchange."""
        return [a for a in self.accounts.all() if isinstance(a.broker, PaperBroker)]

    # ------------------------------------------------------------------------------ helpers for routes
    async def reconcile(self, why: str) -> dict[str, int] | None:
        """Make the ledger agree with the broker (one run at a time)."""
        return await self.jobs.reconcile(why)

    def _publish_quote(self, quote: Quote) -> None:
        # Quotes may arrive on a quote source's own thread; the bus lives on the loop.
        loop = getattr(self, "_loop", None)
        if loop is None or loop.is_closed() or not self.bus.wants(f"quotes:{quote.stock_code}"):
            return  # only WebSocket subscribers read quote messages
        from qmtdesk.oms.account_views import quote_view

        event = Event(f"quotes:{quote.stock_code}", quote_view(quote, self.market.cage(quote)), quote.time)
        loop.call_soon_threadsafe(self.bus.publish, event)


def _bar_history(
    market: MarketService,
    calendar: TradingCalendar,
    session_factory: sessionmaker[Session],
    quotes: Any,
    live: XtDataMarket | None,
    shared: SharedPaperMarket | None,
) -> BarHistory:
    """The charts' bars: MiniQMT's history when xtdata is there, else what the simulated market made."""
    recorder = MinuteRecorder()
    quotes.add_listener(recorder)
    simulated = live is None
    if shared is not None and simulated:

        def keep_day(day: date, states: Mapping[str, DayState]) -> None:
            candles = closed_day_candles(states, day, market.quote)
            save_daily_bars(session_factory, day, [DailyBarRow.of(code, c) for code, c in candles])

        shared.day_closed.append(keep_day)

    def stored(code: str, count: int) -> list[Candle]:
        return [
            Candle(r.day, r.open, r.high, r.low, r.close, r.volume, r.amount, r.prev_close)
            for r in load_daily_bars(session_factory, code, count)
        ]

    return BarHistory(market, calendar, recorder, stored, live=live, simulate_history=simulated)


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


def _extra_accounts(parts: DeskParts, first: Account) -> list[Account]:
    """The accounts an admin added beside the desk's first one: paper accounts (on a paper desk) and
    remote gateways (with ``QMTDESK_NATS_URL``); an account this desk cannot trade is left unserved."""
    with parts.session_factory() as session:
        rows = list(session.scalars(select(AccountRow).order_by(AccountRow.account_id)))
    accounts = []
    for row in rows:
        if row.account_id == first.account_id:
            continue
        if row.broker == "paper" and parts.paper_market is not None:
            accounts.append(parts.paper_account(row.account_id, parts.settings.paper_cash, row.name))
        elif row.broker == "gateway" and parts.settings.nats_url:
            accounts.append(parts.gateway_account(row.account_id, row.name))
        else:
            log.warning("account %s (%s) is not served by this desk's settings", row.account_id, row.broker)
    return accounts


def _account_exists(account_id: str) -> DeskError:
    return DeskError(
        "ACCOUNT_EXISTS",
        f"账户 {account_id} 已存在",
        f"Account {account_id} already exists",
        http_status=409,
    )
