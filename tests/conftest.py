"""Shared fixtures: the real trading calendar, paper exchanges on a stopped simulated clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from qmtdesk.brokers.paper.exchange import PaperExchange
from qmtdesk.brokers.paper.store import SqlPaperStore
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, SimulatedClock
from qmtdesk.domain.fees import FeeSchedule
from qmtdesk.market.simulator import SimulatedMarket
from qmtdesk.market.universe import Universe, bundled_universe
from qmtdesk.store.db import make_engine, make_session_factory
from qmtdesk.store.migrate import upgrade

#: A Wednesday in continuous trading, long after every 2026 revision.
TRADING_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def calendar() -> TradingCalendar:
    return TradingCalendar.load()


def at(text: str) -> datetime:
    """An Asia/Shanghai moment from ``YYYY-MM-DD HH:MM[:SS]``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


ExchangeFactory = Callable[..., PaperExchange]


@pytest.fixture
def make_exchange(calendar: TradingCalendar) -> ExchangeFactory:
    """Build a paper exchange on a clock that stands still until the test moves it."""

    def build(
        start: datetime = TRADING_MORNING,
        *,
        volatility: str = "0",
        cash: str = "1000000",
        universe: Universe | None = None,
        store: SqlPaperStore | None = None,
        clock: SimulatedClock | None = None,
        fees: FeeSchedule | None = None,
    ) -> PaperExchange:
        clock = clock or SimulatedClock(start, running=False)
        market = SimulatedMarket(
            universe or Universe(bundled_universe()), calendar, volatility=Decimal(volatility), seed=7
        )
        exchange = PaperExchange(
            market=market,
            calendar=calendar,
            clock=clock,
            fees=fees or FeeSchedule(),
            initial_cash=Decimal(cash),
            store=store,
        )
        exchange.sync()
        return exchange

    return build


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'qmtdesk.db'}"


@pytest.fixture
def paper_store(sqlite_url: str) -> Iterator[SqlPaperStore]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield SqlPaperStore(make_session_factory(engine))
    engine.dispose()
