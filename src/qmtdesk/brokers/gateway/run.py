"""``qmtdesk gateway``: build the broker beside this MiniQMT and serve it to the desk until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from decimal import Decimal

from qmtdesk.brokers.base import Broker
from qmtdesk.brokers.gateway.options import nats_options
from qmtdesk.brokers.gateway.server import GatewayServer
from qmtdesk.config import Settings
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock, SimulatedClock, SystemClock
from qmtdesk.domain.fees import FeeSchedule

log = logging.getLogger(__name__)


def gateway_broker(settings: Settings, kind: str, account_id: str | None) -> Broker:
    """The broker a gateway serves: this PC's MiniQMT (``xtquant``), or a practice paper counter."""
    if kind == "xtquant":
        from qmtdesk.brokers.xtquant.broker import XtQuantBroker, XtQuantConfig

        config = XtQuantConfig(
            userdata_path=settings.miniqmt_userdata_path or "",
            account_id=account_id or settings.miniqmt_account_id or "",
            account_type=settings.miniqmt_account_type,
        )
        if not config.userdata_path or not config.account_id:
            raise SystemExit("qmtdesk gateway: set MINIQMT_USERDATA_PATH and MINIQMT_ACCOUNT_ID (or --account-id)")
        return XtQuantBroker(lambda: config, SystemClock())
    from qmtdesk.brokers.paper.broker import PaperBroker
    from qmtdesk.brokers.paper.exchange import PaperExchange
    from qmtdesk.market.simulator import SimulatedMarket
    from qmtdesk.market.universe import Universe, load_universe

    if not account_id:
        raise SystemExit("qmtdesk gateway --broker paper: give --account-id")
    calendar = TradingCalendar.load(settings.data_dir / "holidays.csv")
    clock: Clock = SystemClock() if settings.paper_clock == "realtime" else SimulatedClock(settings.paper_clock)
    market = SimulatedMarket(
        Universe(load_universe(settings.paper_universe)),
        calendar,
        volatility=settings.paper_volatility,
        seed=settings.paper_seed,
    )
    exchange = PaperExchange(
        market=market,
        calendar=calendar,
        clock=clock,
        fees=FeeSchedule(commission_rate=settings.commission_rate, commission_min=settings.commission_min),
        account_id=account_id,
        initial_cash=Decimal(settings.paper_cash),
        store=None,  # a practice counter: it starts afresh with the gateway
        snapshot_seconds=settings.paper_tick_seconds,
    )
    return PaperBroker(exchange, tick_seconds=settings.paper_tick_seconds)


async def serve_gateway(settings: Settings, broker: Broker) -> None:
    """Serve ``broker`` over the NATS server of ``QMTDESK_NATS_URL`` until SIGINT or SIGTERM."""
    if not settings.nats_url:
        raise SystemExit("qmtdesk gateway: set QMTDESK_NATS_URL (or --nats-url)")
    server = GatewayServer(broker, settings.nats_url, connect_options=nats_options(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C raises KeyboardInterrupt instead
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"qmtdesk gateway: account {broker.account_id} ({broker.name}) on {settings.nats_url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
