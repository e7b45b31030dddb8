"""Wiring one account: the parts every account of a desk shares, and the ones each account owns.

A desk shares its database, journal, event bus, market data, calendar, clock and fee schedule; each
account owns its broker, engine, risk engine, signal service, strategy runtime, held orders and
background jobs.
:class:`DeskParts` builds an account's own parts on the shared ones, at start and when an admin adds
an account to a running desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.accounts import Account
from qmtdesk.brokers.base import Broker
from qmtdesk.brokers.gateway.client import GatewayBroker
from qmtdesk.brokers.gateway.options import nats_options
from qmtdesk.brokers.paper.broker import PaperBroker
from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.store import JournalPaperStore
from qmtdesk.config import Settings
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock, SimulatedClock
from qmtdesk.domain.fees import FeeSchedule
from qmtdesk.jobs import DeskJobs, day_start_asset
from qmtdesk.market.service import MarketService
from qmtdesk.market.shared import SharedPaperMarket
from qmtdesk.market.universe import Universe
from qmtdesk.oms.algos import AlgoOrders
from qmtdesk.oms.bus import EventBus
from qmtdesk.oms.engine import Engine
from qmtdesk.oms.held import HeldOrders
from qmtdesk.oms.ipo import IpoSettings, Subscriptions
from qmtdesk.oms.service import OrderService
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.store.journal import Journal
from qmtdesk.strategies.runtime import StrategyRuntime
from qmtdesk.strategies.signals import SignalService


@dataclass(frozen=True)
class DeskParts:
    """What the accounts of one desk share, and how an account's own parts are built on it."""

    settings: Settings
    session_factory: sessionmaker[Session]
    journal: Journal
    bus: EventBus
    market: MarketService
    #: The quote source strategies listen to (the paper market, or xtdata).
    quotes: Any
    universe: Universe
    calendar: TradingCalendar
    clock: Clock
    fees: FeeSchedule
    #: The desk's broker-reference tag (one per database).
    ref_prefix: str
    #: The one simulated market every paper account trades on (None on a live desk).
    paper_market: SharedPaperMarket | None

    def paper_account(self, account_id: str, cash: Decimal, name: str = "") -> Account:
        """A paper account: its own exchange (books, cash, positions) on the desk's shared market.

        ``cash`` is the starting cash of an account the ledger has never seen; one it has resumes."""
        if self.paper_market is None:
            raise RuntimeError("paper accounts need the paper market of a paper desk")
        settings = self.settings
        exchange = PaperExchange(
            market=self.paper_market.view(),
            calendar=self.calendar,
            clock=self.clock,
            fees=self.fees,
            account_id=account_id,
            initial_cash=cash,
            store=JournalPaperStore(self.session_factory, self.journal),
            # Simulated quotes take a snapshot per tick; live ones are xtdata's own snapshots.
            snapshot_seconds=0.0 if settings.quotes == "xtdata" else settings.paper_tick_seconds,
        )
        clock = self.clock
        if isinstance(clock, SimulatedClock) and exchange.cursor is not None and exchange.cursor > clock.now():
            # A simulated clock resumes where the paper exchange stopped; it never runs backwards.
            clock.set(exchange.cursor)
        broker = PaperBroker(exchange, tick_seconds=settings.paper_tick_seconds)
        account = self.account("paper", broker, name)
        broker.close_hooks.append(account.jobs.record_close)
        return account

    def gateway_account(self, account_id: str, name: str = "") -> Account:
        """An account traded through a remote gateway over the desk's NATS server."""
        url = self.settings.nats_url
        if not url:
            raise RuntimeError("gateway accounts need QMTDESK_NATS_URL")
        broker = GatewayBroker(account_id, url, connect_options=nats_options(self.settings))
        return self.account("gateway", broker, name)

    def account(self, kind: str, broker: Broker, name: str = "") -> Account:
        """The engine, risk engine, signal service, strategy runtime and jobs that trade ``broker``."""
        account_id = broker.account_id
        session_factory, clock, calendar, bus, market = (
            self.session_factory,
            self.clock,
            self.calendar,
            self.bus,
            self.market,
        )
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
            journal=self.journal,
            broker=broker,
            market=market,
            calendar=calendar,
            clock=clock,
            fees=self.fees,
            bus=bus,
            risk=risk,
            ref_prefix=self.ref_prefix,
        )
        orders = OrderService(engine)
        signals = SignalService(
            orders=orders,
            engine=engine,
            broker=broker,
            market=market,
            calendar=calendar,
            fees=self.fees,
            bus=bus,
            clock=clock,
            session_factory=session_factory,
        )
        runtime = StrategyRuntime(
            signals=signals,
            quotes=self.quotes,
            broker=broker,
            universe=self.universe,
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
            universe=self.universe,
            calendar=calendar,
            clock=clock,
            session_factory=session_factory,
            live_broker=not isinstance(broker, PaperBroker),
        )
        held = HeldOrders(
            orders=orders,
            market=market,
            calendar=calendar,
            clock=clock,
            bus=bus,
            session_factory=session_factory,
            quotes=self.quotes,
        )
        algos = AlgoOrders(
            orders=orders,
            market=market,
            calendar=calendar,
            clock=clock,
            bus=bus,
            session_factory=session_factory,
        )
        ipo = Subscriptions(
            orders=orders,
            broker=broker,
            market=market,
            calendar=calendar,
            clock=clock,
            session_factory=session_factory,
            settings=IpoSettings.from_settings(self.settings),
        )
        return Account(
            broker_kind=kind,
            broker=broker,
            engine=engine,
            orders=orders,
            risk=risk,
            signals=signals,
            runtime=runtime,
            jobs=jobs,
            held=held,
            algos=algos,
            ipo=ipo,
            name=name,
        )
