"""The single consumer of order commands and broker reports.

Submissions, cancels and every broker push go through one asyncio queue and are handled one at a
time, so validation, cash checks and state changes never interleave. Database work runs on the
engine's own thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.base import (
    Broker,
    CancelErrorReport,
    ConnectionReport,
    ConnectionState,
    OrderAckReport,
    OrderErrorReport,
    OrderReport,
    OrderRequest,
    TradeReport,
)
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock
from qmtdesk.domain.errors import DeskError, OrderDenied
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.orders import CANCELABLE, OPEN, TERMINAL, OrderEvent, OrderStatus
from qmtdesk.domain.portfolio import Position
from qmtdesk.domain.rules import PriceType
from qmtdesk.domain.validation import DailyLimits, OrderIntent, ValidationContext, validate
from qmtdesk.market.quotes import Quote
from qmtdesk.oms import ledger
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.oms.views import order_view
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Reports applied together in one transaction at most.
REPORT_BATCH = 500
#: Submissions queued back to back may run before the reports of the ones just sent are applied, so
#: those reports share one transaction; at most this many. Any other command (a cancel, a barrier, a
#: reconciliation step) always sees every report that arrived before it applied first. Meanwhile the
#: risk engine's counts can only be too high, never too low: an order counts as active, and its open
#: rest at its price (or at the cash frozen for it) as turnover, from its ``submitted`` commit on.
#: Only for brokers that freeze cash inside ``submit`` (paper): for the others the ledger's in-flight
#: reservations would count cash the broker has already frozen for longer.
MAX_DEFERRED_SUBMITS = 16


@dataclass(frozen=True, slots=True)
class _BrokerId:
    """The broker's id for an order we just sent, written with the next batch of reports.

    It goes to the front of the queue of reports, so it is in the ledger before anything the broker
    says about the order is applied and before the next command runs (a cancel needs it).
    """

    order_id: int
    broker_order_id: str


#: Reports that change the ledger (the rest only log or notify).
LEDGER_REPORTS = (OrderReport, TradeReport, OrderAckReport, OrderErrorReport, _BrokerId)


class BrokerUnavailable(DeskError):
    """The broker link is down: orders fail fast rather than queue silently."""

    def __init__(self, state: str) -> None:
        super().__init__(
            "BROKER_UNAVAILABLE",
            f"券商连接不可用（{state}），委托未发送",
            f"The broker is not connected ({state}); the order was not sent",
            http_status=503,
        )


class OrderNotCancelable(DeskError):
    """A cancel the desk refuses before asking the broker."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("ORDER_NOT_CANCELABLE", zh, en, http_status=409)


class OrderNotFound(DeskError):
    """No such order in this account."""

    def __init__(self, order_id: object) -> None:
        super().__init__("ORDER_NOT_FOUND", f"委托不存在：{order_id}", f"Order not found: {order_id}", http_status=404)


class MarketData(Protocol):
    """What the engine needs to know of the market."""

    def instrument(self, code: str) -> Instrument:
        """The instrument of a normalised code (UNKNOWN_INSTRUMENT when none)."""
        ...

    def quote(self, code: str) -> Quote | None:
        """The latest snapshot."""
        ...


class TradingBroker(Broker, Protocol):
    """A broker that can also say what cash and shares are free for a new order."""

    freezes_synchronously: bool

    async def buying_view(self, stock_code: str) -> tuple[Decimal, Position | None]:
        """Available cash and the position in ``stock_code``."""
        ...


class RiskCheck(Protocol):
    """The pre-trade risk engine: raises OrderDenied with a ``RISK_*`` code."""

    async def check_halted(self, order: OrderRow) -> None:
        """Refuse every order while trading is halted (before any other check)."""

    async def check(self, order: OrderRow, instrument: Instrument, price: Decimal, quote: Quote | None) -> None:
        """Refuse ``order`` when the trading state or a rule forbids it."""


@dataclass
class _Command:
    future: asyncio.Future[Any] | None = field(default=None, kw_only=True)


@dataclass
class _Submit(_Command):
    order_id: int
    row: OrderRow | None = None


@dataclass
class _Cancel(_Command):
    order_id: int


@dataclass
class _Barrier(_Command):
    pass


@dataclass
class _Call(_Command):
    fn: Callable[[], Any]


class Engine:
    """The order engine of one account."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        broker: TradingBroker,
        market: MarketData,
        calendar: TradingCalendar,
        clock: Clock,
        fees: FeeSchedule,
        bus: EventBus,
        risk: RiskCheck | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.broker = broker
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.fees = fees
        self.bus = bus
        self.risk = risk
        self.account_id = broker.account_id
        self._queue: deque[_Command] = deque()
        self._max_deferred = MAX_DEFERRED_SUBMITS if broker.freezes_synchronously else 0
        # Broker reports wait here and are applied before the next command, many per transaction.
        self._reports: deque[object] = deque()
        self._wake = asyncio.Event()
        self._db_executor = ThreadPoolExecutor(1, thread_name_prefix="oms-db")
        self._task: asyncio.Task[None] | None = None
        #: Orders created by this process; pending orders not in it were left by an earlier process.
        self.created_here: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connection_listeners: list[Callable[[ConnectionReport], None]] = []
        #: Called (on the loop) when a report shows the ledger must query the broker: status 255, or
        #: a filled order whose fills have not all arrived. Never infers fills itself.
        self.reconcile_requests: list[Callable[[str], None]] = []
        #: The prefix of our broker references (``<prefix><order id in hex>``), set by the order service.
        self.ref_prefix: str | None = None
        # Orders whose latest view a caller waits for (order id -> the view of its latest event).
        self._watched: dict[int, dict[str, Any] | None] = {}

    # ------------------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start consuming; the broker's pushes now reach the engine."""
        self._loop = asyncio.get_running_loop()
        self.broker.set_listener(self)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="oms-engine")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is not None:
            await self.barrier()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._db_executor.shutdown(wait=True)

    async def _run(self) -> None:
        deferred = 0  # submissions handled since reports were last applied
        while True:
            if self._reports and (deferred >= self._max_deferred or not self._next_is_submit()):
                batch = [self._reports.popleft() for _ in range(min(len(self._reports), REPORT_BATCH))]
                deferred = 0
                try:
                    await self._apply_reports(batch)
                except Exception:
                    log.exception("engine failed applying %d reports", len(batch))
                continue
            if not self._queue:
                self._wake.clear()
                if not self._reports and not self._queue:
                    await self._wake.wait()
                continue
            command = self._queue.popleft()
            if isinstance(command, _Submit):
                deferred += 1
            try:
                result = await self._handle(command)
            except Exception as exc:
                if command.future is not None and not command.future.done():
                    command.future.set_exception(exc)
                elif not isinstance(exc, DeskError):
                    log.exception("engine failed on %s", type(command).__name__)
            else:
                if command.future is not None and not command.future.done():
                    command.future.set_result(result)

    def _next_is_submit(self) -> bool:
        """Whether the next command is a submission (which may run before waiting reports are applied)."""
        return bool(self._queue) and isinstance(self._queue[0], _Submit)

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_executor, partial(fn, *args))

    async def run_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the engine's database thread (ledger writes then never contend for SQLite's lock)."""
        return await self._db(fn, *args)

    def _enqueue(self, command: _Command) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        command.future = loop.create_future()
        self._queue.append(command)
        self._wake.set()
        return command.future

    # ------------------------------------------------------------------------------ commands
    async def submit(self, order_id: int, row: OrderRow | None = None) -> dict[str, Any]:
        """Validate and send a persisted ``pending_new`` order; returns the order after the attempt.

        ``row`` is the order as its creator just committed it (saves reading it back).
        """
        return await self._enqueue(_Submit(order_id, row))  # type: ignore[no-any-return]

    def watch(self, order_id: int) -> None:
        """Remember the latest view of this order as its events are published (see :meth:`take_view`)."""
        self._watched[order_id] = None

    def take_view(self, order_id: int) -> dict[str, Any] | None:
        """The view of the order's latest published change since :meth:`watch`, and stop watching."""
        return self._watched.pop(order_id, None)

    async def cancel(self, order_id: int) -> dict[str, Any]:
        """Ask the broker to cancel an order."""
        return await self._enqueue(_Cancel(order_id))  # type: ignore[no-any-return]

    async def barrier(self) -> None:
        """Wait until everything queued before this call (reports included) has been applied."""
        await self._enqueue(_Barrier())

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` inside the engine's sequence (e.g. reconciliation steps)."""
        return await self._enqueue(_Call(fn))  # type: ignore[no-any-return]

    # ------------------------------------------------------------------------------ broker pushes
    def _push(self, report: object) -> None:
        # Brokers call from their own threads; hand over to the loop.
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._add_report, report)

    def _add_report(self, report: object) -> None:
        self._reports.append(report)
        self._wake.set()

    def on_order(self, report: OrderReport) -> None:
        """An order changed at the broker."""
        self._push(report)

    def on_trade(self, report: TradeReport) -> None:
        """A fill."""
        self._push(report)

    def on_order_ack(self, report: OrderAckReport) -> None:
        """The broker answered a submission with its order id."""
        self._push(report)

    def on_order_error(self, report: OrderErrorReport) -> None:
        """The broker refused an order outright."""
        self._push(report)

    def on_cancel_error(self, report: CancelErrorReport) -> None:
        """The broker refused a cancel."""
        self._push(report)

    def on_connection(self, report: ConnectionReport) -> None:
        """The link changed state."""
        self._push(report)

    # ------------------------------------------------------------------------------ handling
    async def _handle(self, command: _Command) -> Any:
        if isinstance(command, _Submit):
            return await self._submit(command.order_id, command.row)
        if isinstance(command, _Cancel):
            return await self._cancel(command.order_id)
        if isinstance(command, _Call):
            result = command.fn()
            if asyncio.iscoroutine(result):
                return await result
            return result
        return None

    def _publish(self, events: Sequence[Event | None]) -> None:
        for event in events:
            if event is not None:
                if event.stream == "orders" and self._watched:
                    order_id = event.data.get("order_id")
                    if order_id in self._watched:
                        self._watched[order_id] = event.data
                self.bus.publish(event)

    def _trading_day(self, now: datetime) -> date:
        return self.calendar.trading_day_of(now.date())

    async def _submit(self, order_id: int, given: OrderRow | None) -> dict[str, Any]:
        now = self.clock.now()
        row = given if given is not None else await self._db(self._load, order_id)
        if row.status != OrderStatus.PENDING_NEW.value:
            return order_view(row)
        if self.broker.state is not ConnectionState.CONNECTED:
            error: DeskError = BrokerUnavailable(self.broker.state.value)
            await self._db(self._write, order_id, lambda s, r: [ledger.deny(s, r, error, now)])
            raise error
        try:
            if self.risk is not None:
                await self.risk.check_halted(row)
            instrument = self.market.instrument(row.stock_code)
            quote = self.market.quote(instrument.code)
            if quote is None:
                raise OrderDenied(
                    "MARKET_CLOSED", f"{instrument.code} 暂无行情，不能委托", f"No quote for {instrument.code}"
                )
            cash, position = await self.broker.buying_view(instrument.code)
            if not self.broker.freezes_synchronously:
                cash -= await self._db(self._in_flight_reservations)
            intent = OrderIntent(
                instrument.code,
                Side(row.side),
                row.quantity,
                PriceType(row.price_type),
                row.price,
            )
            approval = validate(
                intent,
                ValidationContext(
                    instrument=instrument,
                    day=self._trading_day(now),
                    phase=self.calendar.phase(now, instrument),
                    limits=DailyLimits(quote.limit_up, quote.limit_down),
                    book=quote.book_view(),
                    position=position,
                    available_cash=cash,
                    fees=self.fees,
                ),
            )
            if self.risk is not None:
                await self.risk.check(row, instrument, approval.freeze_price, quote)
        except DeskError as denied:
            # A rule refused it, or the link dropped during the checks (never sent: retryable).
            if not isinstance(denied, OrderDenied) and denied.code != "BROKER_UNAVAILABLE":
                raise
            refusal: DeskError = denied
            updated = await self._db(self._write, order_id, lambda s, r: [ledger.deny(s, r, refusal, now)])
            refusal.data = {"order": order_view(updated), **(refusal.data or {})}
            raise refusal from None
        submitted = await self._db(
            self._write, order_id, lambda s, r: [ledger.mark_submitted(s, r, approval.freeze_amount, now)]
        )
        if submitted.status != OrderStatus.SUBMITTED.value:
            return order_view(submitted)  # changed while it was checked (e.g. cancelled unsent): not sent
        request = OrderRequest(
            ref=row.ref,
            stock_code=row.stock_code,
            side=Side(row.side),
            quantity=row.quantity,
            price_type=PriceType(row.price_type),
            price=row.price,
            strategy_name=row.strategy_name,
        )
        try:
            broker_order_id = await self.broker.submit(request)
        except DeskError as unsent:
            if unsent.code != "BROKER_UNAVAILABLE":
                raise
            # The adapter refused before anything left the desk (the link dropped after our check):
            # the order was never sent, so it is final now and the client sees 503 at once.
            link_down: DeskError = unsent

            def not_sent(session: Session, r: OrderRow) -> list[Event | None]:
                if not ledger.apply_event(r, OrderEvent.REJECT, now):
                    return []
                r.error, r.error_message = link_down.code, link_down.message_zh[:255]
                r.status_msg = link_down.message_zh[:255]
                return [ledger.append_event(session, r, "rejected", now)]

            updated = await self._db(self._write, order_id, not_sent)
            link_down.data = {"order": order_view(updated)}
            raise link_down from None
        except Exception:
            # The outcome is unknown (e.g. the link dropped mid-call); reconciliation settles it.
            log.exception("order %s: broker submit failed; left in flight for reconciliation", order_id)
            broker_order_id = None
        if broker_order_id:
            self._reports.appendleft(_BrokerId(order_id, broker_order_id))
            self._wake.set()
            submitted.broker_order_id = submitted.broker_order_id or broker_order_id
        log.info(
            "order %s sent: %s %s x%d ref=%s broker_id=%s",
            order_id,
            row.side,
            row.stock_code,
            row.quantity,
            row.ref,
            broker_order_id,
        )
        return order_view(submitted)

    async def _cancel(self, order_id: int) -> dict[str, Any]:
        now = self.clock.now()
        row = await self._db(self._load, order_id)
        status = OrderStatus(row.status)
        if status in TERMINAL:
            raise OrderNotCancelable(
                f"委托已是终态（{status.value}），不能撤单",
                f"The order is final ({status.value}); it cannot be cancelled",
            )
        if status is OrderStatus.PENDING_CANCEL:
            return order_view(row)
        if status is OrderStatus.PENDING_NEW:
            updated = await self._db(
                self._write, order_id, lambda s, r: [ledger.cancel_unsent(s, r, "未发送即撤销", now)]
            )
            return order_view(updated)
        if status not in CANCELABLE or not row.broker_order_id:
            raise OrderNotCancelable(
                "委托尚未被券商确认，请稍后再撤", "The broker has not acknowledged the order yet; retry shortly"
            )
        if self.broker.state is not ConnectionState.CONNECTED:
            raise BrokerUnavailable(self.broker.state.value)
        # Recorded before sending: cancel-rate limits count requests, whatever the broker answers.
        await self._db(self._write, order_id, lambda s, r: [ledger.append_event(s, r, "cancel_requested", now)])
        await self.broker.cancel(row.broker_order_id)
        log.info("order %s: cancel sent (broker id %s)", order_id, row.broker_order_id)
        return order_view(await self._db(self._load, order_id))

    async def _apply_reports(self, batch: list[object]) -> None:
        """Apply reports in arrival order; consecutive ledger reports share one transaction."""
        now = self.clock.now()
        ledger_reports: list[object] = []
        for report in batch:
            if isinstance(report, LEDGER_REPORTS):
                ledger_reports.append(report)
                continue
            await self._flush_reports(ledger_reports, now)
            ledger_reports = []
            self._apply_other(report, now)
        await self._flush_reports(ledger_reports, now)

    async def _flush_reports(self, reports: list[object], now: datetime) -> None:
        if not reports:
            return
        try:
            results = await self._db(self._apply_batch, reports, now)
        except Exception:
            # One bad report must not sink the others: apply them one transaction each.
            log.exception("applying %d reports together failed; applying one by one", len(reports))
            results = []
            for report in reports:
                try:
                    results.extend(await self._db(self._apply_batch, [report], now))
                except Exception:
                    log.exception("applying %s failed", type(report).__name__)
        for report, events in results:
            if isinstance(report, _BrokerId):
                if report.order_id in self._watched and events:
                    self._watched[report.order_id] = events[0].data
                continue
            self._publish(events)
            if isinstance(report, OrderReport):
                self._check_followups(report, events)

    def _apply_batch(self, reports: list[object], now: datetime) -> list[tuple[object, list[Event]]]:
        results: list[tuple[object, list[Event]]] = []
        with unit_of_work(self.session_factory) as session:
            for report in reports:
                if isinstance(report, OrderReport):
                    events = self._order_report_in(session, report, now)
                elif isinstance(report, TradeReport):
                    events = self._trade_in(session, report, now)
                elif isinstance(report, OrderAckReport):
                    events = self._ack_in(session, report, now)
                elif isinstance(report, _BrokerId):
                    events = self._broker_id_in(session, report)
                else:
                    assert isinstance(report, OrderErrorReport)
                    events = self._order_error_in(session, report, now)
                results.append((report, events))
        return results

    def _apply_other(self, report: object, now: datetime) -> None:
        if isinstance(report, CancelErrorReport):
            log.info(
                "cancel refused for broker order %s: %s %s", report.broker_order_id, report.error_code, report.error_msg
            )
        elif isinstance(report, ConnectionReport):
            log.info("broker link %s %s", report.state.value, report.message)
            self.bus.publish(
                Event(
                    "status",
                    {
                        "state": report.state.value,
                        "connected": report.state is ConnectionState.CONNECTED,
                        "message": report.message,
                    },
                    now,
                )
            )
            for listener in self.connection_listeners:
                listener(report)

    def _check_followups(self, report: OrderReport, events: Sequence[Event | None]) -> None:
        reason = None
        if report.status is OrderStatus.UNKNOWN:
            reason = f"order {report.broker_order_id} reported status 255"
        elif report.status is OrderStatus.FILLED:
            for event in events:
                data = event.data if event is not None else {}
                if data.get("status") == "filled" and data.get("filled_quantity", 0) < data.get("quantity", 0):
                    reason = f"order {report.broker_order_id} filled but fills are missing"
        if reason is not None:
            log.info("querying the broker: %s", reason)
            for request in self.reconcile_requests:
                request(reason)

    # ------------------------------------------------------------------------------ db helpers (engine thread)
    def _find(self, session: Session, broker_order_id: str | None, ref: str | None) -> OrderRow | None:
        return ledger.find_for_report(session, self.account_id, broker_order_id, ref, self._order_id_of(ref))

    def _order_id_of(self, ref: str | None) -> int | None:
        """The order id one of our references encodes (None for anybody else's)."""
        prefix = self.ref_prefix
        if not ref or not prefix or not ref.startswith(prefix) or len(ref) == len(prefix):
            return None
        try:
            return int(ref[len(prefix) :], 16)
        except ValueError:
            return None

    def _load(self, order_id: int) -> OrderRow:
        with self.session_factory() as session:
            row = session.get(OrderRow, order_id)
            if row is None or row.account_id != self.account_id:
                raise OrderNotFound(order_id)
            session.expunge(row)
            return row

    def _write(self, order_id: int, change: Callable[[Session, OrderRow], list[Event | None]]) -> OrderRow:
        with unit_of_work(self.session_factory) as session:
            row = session.get(OrderRow, order_id)
            if row is None:
                raise OrderNotFound(order_id)
            events = change(session, row)
        self.publish_threadsafe(events)
        return row

    def publish_threadsafe(self, events: Sequence[Event | None]) -> None:
        """Publish events from a worker thread after their transaction committed, in order."""
        if self._loop is not None and any(e is not None for e in events):
            self._loop.call_soon_threadsafe(self._publish, events)

    def _in_flight_reservations(self) -> Decimal:
        """Cash reserved by buys sent but not yet acknowledged by a broker that freezes later."""
        with self.session_factory() as session:
            rows = session.scalars(
                select(OrderRow.frozen_amount).where(
                    OrderRow.account_id == self.account_id,
                    OrderRow.status == OrderStatus.SUBMITTED.value,
                    OrderRow.side == Side.BUY.value,
                )
            ).all()
            return sum(rows, Decimal(0))

    def _order_report_in(self, session: Session, report: OrderReport, now: datetime) -> list[Event]:
        row = self._find(session, report.broker_order_id, report.ref)
        if row is None:
            _, events = ledger.import_external(session, self.account_id, report, self._trading_day(now), now)
            log.info("imported external order %s (%s)", report.broker_order_id, report.stock_code)
            return events
        return ledger.apply_order_report(session, row, report, now)

    def _trade_in(self, session: Session, report: TradeReport, now: datetime) -> list[Event]:
        row = self._find(session, report.broker_order_id, report.ref)
        events = ledger.record_trade(
            session, self.account_id, row, report, self.calendar.trading_day_of(report.time.date()), now
        )
        if events:
            log.info(
                "fill %s: order %s %s %s x%d @ %s",
                report.broker_trade_id,
                row.id if row else "?",
                report.side.value,
                report.stock_code,
                report.quantity,
                report.price,
            )
        return events

    def _ack_in(self, session: Session, report: OrderAckReport, now: datetime) -> list[Event]:
        if not report.broker_order_id:
            return []  # a failed submission: its order error follows
        row = self._find(session, None, report.ref)
        if row is None or row.broker_order_id == report.broker_order_id:
            return []
        row.broker_order_id = report.broker_order_id
        row.updated_at = now
        return [ledger.append_event(session, row, "acknowledged", now)]

    def _broker_id_in(self, session: Session, report: _BrokerId) -> list[Event]:
        """Record the id; the returned event is not published, it only carries the order's view."""
        row = session.get(OrderRow, report.order_id)
        if row is None or row.broker_order_id:
            return []
        row.broker_order_id = report.broker_order_id
        return [Event("orders", order_view(row), self.clock.now())]

    def _order_error_in(self, session: Session, report: OrderErrorReport, now: datetime) -> list[Event]:
        row = self._find(session, report.broker_order_id, report.ref)
        if row is None:
            return []
        if row.status == OrderStatus.REJECTED.value and row.error == "BROKER_REJECTED":
            # The 57 status came first; the error push carries the counter's precise code.
            row.error = report.error_code or row.error
            row.error_message = report.error_msg[:255] or row.error_message
            return [ledger.append_event(session, row, "order_error", now)]
        if OrderStatus(row.status) not in OPEN:
            return []
        if not ledger.apply_event(row, OrderEvent.REJECT, now):
            return []
        row.error = report.error_code or "BROKER_REJECTED"
        row.error_message = row.status_msg = report.error_msg[:255]
        log.info("order %s rejected by broker: %s %s", row.id, report.error_code, report.error_msg)
        return [ledger.append_event(session, row, "rejected", now)]
