"""The order engine of one account: the one way in for orders, and the one place broker reports land.

It runs on the event loop and owns the account's orders in memory (:class:`~qmtdesk.oms.book.OrderBook`).
:meth:`Engine.place` takes an order from request to broker in one go::

    create (pending_new) -> check (validation + risk) and reserve -> record -> commit -> send
    -> apply the broker's immediate reports -> commit -> answer

The check and the reservation happen in one step on the loop (no await between them), so orders are
judged one after another against everything approved before them. Nothing is sent before the order's
intent is committed, and nobody hears about a change before it is committed: the journal commits the
changes of many orders and reports at once (group commit), which is what makes this cheap.

Broker reports arrive through one inbox — from the broker's own threads (MiniQMT) or, for the paper
exchange, on the loop during ``submit`` — and are applied in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk import failpoints
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
from qmtdesk.domain.errors import (
    BrokerUnavailable,
    DeskError,
    InvalidStockCode,
    OrderDenied,
    OrderNotCancelable,
    OrderNotFound,
    UnknownInstrument,
)
from qmtdesk.domain.fees import FeeSchedule, Side
from qmtdesk.domain.instruments import classify, normalize_code
from qmtdesk.domain.order_events import (
    OrderAcknowledged,
    OrderCanceledUnsent,
    OrderCancelRequested,
    OrderClientIdReleased,
    OrderLost,
    OrderNotSent,
    OrderSubmitted,
)
from qmtdesk.domain.order_events import (
    OrderDenied as OrderDeniedEvent,
)
from qmtdesk.domain.orders import CANCELABLE, STATUS_LABELS_ZH, TERMINAL, Order, OrderStatus
from qmtdesk.domain.rules import PriceType
from qmtdesk.oms.book import OrderBook, order_from_row
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.oms.commands import (
    RETRYABLE,
    AuditNote,
    DuplicateClientOrderId,
    OrderPayload,
    Placed,
    PlaceOrder,
    SpecialTerms,
    norm_price,
    payload_hash,
)
from qmtdesk.oms.ledger import Ledger
from qmtdesk.oms.pretrade import MarketData, PreTrade, Refused, Reservations
from qmtdesk.oms.recorder import Recorder
from qmtdesk.oms.reports import ReportApplier
from qmtdesk.oms.views import order_view
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.store.journal import Journal
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)

#: A sent order the broker does not list yet is only called lost after this long.
SUBMIT_GRACE = timedelta(seconds=30)
Report = OrderReport | TradeReport | OrderAckReport | OrderErrorReport | CancelErrorReport | ConnectionReport


@dataclass(frozen=True)
class Settled:
    """What a reconciliation found and settled."""

    broker_orders: int
    broker_trades: int
    settled: int

    def as_dict(self) -> dict[str, int]:
        return {"broker_orders": self.broker_orders, "broker_trades": self.broker_trades, "settled": self.settled}


class Engine:
    """The order engine of one account."""

    def __init__(
        self,
        *,
        account_id: str,
        session_factory: sessionmaker[Session],
        journal: Journal,
        broker: Broker,
        market: MarketData,
        calendar: TradingCalendar,
        clock: Clock,
        fees: FeeSchedule,
        bus: EventBus,
        risk: RiskEngine,
        ref_prefix: str,
    ) -> None:
        self.account_id = account_id
        self.session_factory = session_factory
        self.journal = journal
        self.broker = broker
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.bus = bus
        self.risk = risk
        self.ref_prefix = ref_prefix
        self.book = OrderBook(account_id)
        self.ledger = Ledger(journal, account_id, bus)
        self.reservations = Reservations()
        self.recorder = Recorder(self.book, self.ledger, risk.counters, self.reservations)
        self.pretrade = PreTrade(
            broker=broker,
            market=market,
            calendar=calendar,
            fees=fees,
            risk=risk,
            reservations=self.reservations,
            bought_today=self.bought_today,
        )
        self.reports = ReportApplier(
            account_id=account_id,
            recorder=self.recorder,
            calendar=calendar,
            next_order_id=lambda: journal.next_id("orders"),
            next_trade_id=lambda: journal.next_id("trades"),
        )
        #: Called (on the loop) with every change of the link state.
        self.connection_listeners: list[Callable[[ConnectionReport], None]] = []
        self._inbox: deque[Report] = deque()
        # Reports about orders memory does not hold, kept back (by broker order id) while the ledger is asked.
        self._unresolved: dict[str, list[OrderReport | TradeReport]] = {}
        self.reports.unknown = self._hold_unknown
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._wake: asyncio.Event | None = None
        self._pump: asyncio.Task[None] | None = None
        # Orders between their committed intent and the broker's answer to ``submit``.
        self._sending: set[int] = set()
        # Orders this process sent (a reconciliation gives the broker time to list them).
        self._sent_here: set[int] = set()
        self._day: date | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def followups(self) -> list[Callable[[str], None]]:
        """Called when a report shows the broker must be queried (see :class:`ReportApplier`)."""
        return self.reports.followups

    # ------------------------------------------------------------------------------ lifecycle
    def load(self) -> None:
        """Rebuild the account's orders from the ledger (before the engine starts)."""
        now = self.clock.now()
        self._day = self.calendar.trading_day_of(now.date())
        self.book.load(self.session_factory, self._day, self.calendar.previous_trading_day(self._day), now)
        self.risk.start(now)

    async def start(self) -> None:
        """Receive broker reports; the broker's pushes now reach the engine."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self.broker.set_listener(self)
        # Reports that arrived on the loop (the paper exchange's) are applied before each batch is sealed,
        # so a fill at the broker and its record in the ledger are always committed together.
        self.journal.before_seal(self.drain)
        if self._pump is None:
            self._pump = asyncio.create_task(self._run_pump(), name=f"oms-reports-{self.account_id}")

    async def stop(self) -> None:
        """Apply what arrived and commit it."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        self.drain()
        await self.journal.flush()

    # ------------------------------------------------------------------------------ placing
    async def place(self, command: PlaceOrder) -> Placed:
        """Create, check, record, send and answer one order (see the module docstring).

        Raises the refusal (``data.order`` holds the stored order) when validation or risk deny it
        (422) or the link is down (503); ``DUPLICATE_CLIENT_ORDER_ID`` (409) for a client id already
        used by a different order. A retry with the same ``client_order_id`` answers with the order
        the first attempt created (``created=False``), or places it anew when that one never left.

        A subscription or repo loan (``command.special``) is created, recorded and sent the same way;
        only its check differs: ``PreTrade.check_special`` instead of the A-share validator and the
        per-order risk rules (see :class:`~qmtdesk.oms.commands.SpecialTerms`).
        """
        cid = command.payload.client_order_id
        for _attempt in range(3):
            placed = await self._place_once(command)
            if placed is not None:
                return placed
            if cid:  # concurrent retries of a client id only the ledger held: read its owner before trying again
                await self._adopt_client_id_owner(cid)
        # The ledger kept refusing the client id although memory now knows its owner: never place it.
        owner_id = self.book.client_id_owner(cid) if cid else None
        owner = self.book.get(owner_id) if owner_id is not None else None
        raise DuplicateClientOrderId(cid or "", order_view(owner) if owner is not None else {})

    async def _place_once(self, command: PlaceOrder) -> Placed | None:
        if self.journal.failed is not None:
            raise self.journal.failed
        payload = command.payload
        special = command.special
        if special is None:
            code, name, code_error = self._resolve(payload.stock_code)
        else:
            code, name, code_error = self._resolve_special(payload.stock_code, special)
        fields = {
            "stock_code": code,
            "side": payload.side.value,
            "quantity": payload.quantity,
            "price_type": payload.price_type.value,
            "price": norm_price(payload.price),
            "strategy_name": payload.strategy_name,
            "remark": payload.remark,
        }
        if special is not None:
            fields["source"] = command.source  # a subscription never replays as an ordinary order
        digest = payload_hash(fields)
        await self.risk.prepare(self.clock.now())
        cid = payload.client_order_id
        if cid:
            owner = self.book.client_id_owner(cid)
            if owner is not None and self.book.get(owner) is None:
                await self._adopt(owner)  # an older order: read it into memory first
        # From here until the order is recorded there is no await: the client-id decision, the check and
        # the reservation are one step, so the next order is judged with this one counted.
        now = self.clock.now()
        day = self._roll(now)
        if cid:
            replay = self._replay(cid, digest, command.audit)
            if replay is not None:
                view, error = replay
                held_by = view["order_id"]
                # The client hears about an order only once it is committed — and only if it was: the
                # ledger may still refuse a new order whose client id an older order holds.
                for _ in range(1000):
                    await self.journal.flush()
                    if held_by not in self.ledger.unconfirmed:
                        break
                if held_by in self.ledger.refused:
                    # The placing call forgets it too, but it may not have run yet: forget it here, so the
                    # next attempt (after place() reads the older owner) answers with that one.
                    refused_order = self.book.get(held_by)
                    if refused_order is not None:
                        self._forget_refused(refused_order)
                    return None
                if error is not None:
                    raise error
                return Placed(view, created=False)
        order_id = self.journal.next_id("orders")
        order = Order(
            id=order_id,
            account_id=self.account_id,
            client_order_id=payload.client_order_id,
            ref=f"{self.ref_prefix}{order_id:x}",  # the broker-side reference: short ASCII, unique per database
            payload_hash=digest,
            stock_code=code,
            stock_name=name,
            side=payload.side,
            price_type=payload.price_type,
            price=(
                self._latest_price(code)
                if payload.price_type is PriceType.LATEST and not special and code_error is None
                else payload.price
            ),
            quantity=payload.quantity,
            source=command.source,
            trading_day=day,
            created_at=now,
            updated_at=now,
            strategy_name=payload.strategy_name,
            remark=payload.remark,
            user_id=command.user_id,
        )
        self.recorder.create(order, now)
        try:
            if code_error is not None:
                raise Refused(code_error)
            if special is None:
                approval = self.pretrade.check(order, now, day)
            else:
                approval = self.pretrade.check_special(order, special)
        except Refused as refused:
            return await self._deny(order, refused, command.audit, now)
        if special is None:
            self.reservations.hold(order, approval)
        elif approval.freeze_amount > 0:
            self.reservations.hold_cash(order.id, approval.freeze_amount)
        self.recorder.apply(order, OrderSubmitted(now, approval.freeze_amount))
        self._audit(command.audit, "order.submit", order, {})
        self._sending.add(order.id)
        try:
            result = await self.ledger.touch()
            if order.id in result.conflicts:
                self._sending.discard(order.id)
                self._forget_refused(order)
                return None
            failpoints.hit("before_send")
            return await self._send(order)
        finally:
            self._sending.discard(order.id)

    def _latest_price(self, code: str) -> Decimal | None:
        """A ``latest`` order is a limit at the last price: it is recorded (and shown) with that price,
        the one the checks judge and the cash is frozen at; any price sent with it is not used."""
        quote = self.market.quote(code)
        if quote is None:
            return None  # refused as MARKET_CLOSED by the checks
        last = quote.book_view().last_price  # as the checks read it: the last trade, else the reference
        return last if last > 0 else None

    def _resolve(self, raw: str) -> tuple[str, str, OrderDenied | None]:
        """Normalised code and name, or the raw text and the refusal to store with it."""
        try:
            info = classify(raw)
        except InvalidStockCode as exc:
            return str(raw)[:32], "", exc
        try:
            instrument = self.market.instrument(info.code)
        except UnknownInstrument as exc:
            return info.code, "", exc
        return instrument.code, instrument.name, None

    @staticmethod
    def _resolve_special(raw: str, special: SpecialTerms) -> tuple[str, str, OrderDenied | None]:
        """A subscription or repo code: normalised only (subscription codes are no listed instrument)."""
        try:
            return normalize_code(raw), special.stock_name[:64], None
        except InvalidStockCode as exc:
            return str(raw)[:32], "", exc

    async def _deny(self, order: Order, refused: Refused, audit: AuditNote | None, now: datetime) -> Placed | None:
        error = refused.error
        self.recorder.apply(order, OrderDeniedEvent(now, error.code, error.message_zh))
        if refused.risk is not None:
            self.risk.record_denial(self.ledger, order, refused.risk, now)
        self._audit(audit, "order.denied", order, {"error": error.code})
        view = order_view(order)
        result = await self.ledger.touch()
        if order.id in result.conflicts:
            self._forget_refused(order)
            return None
        error.data = {"order": view, **(error.data or {})}
        raise error

    async def _send(self, order: Order) -> Placed:
        request = OrderRequest(
            ref=order.ref,
            stock_code=order.stock_code,
            side=order.side,
            quantity=order.quantity,
            price_type=order.price_type,
            price=order.price,
            strategy_name=order.strategy_name,
        )
        try:
            broker_order_id = await self.broker.submit(request)
        except BrokerUnavailable as unsent:
            # Refused before anything left the desk (the link dropped after the check): final, and
            # the client hears 503 at once; a retry with the same client id may place it anew.
            self.reservations.release(order.id)
            self.recorder.apply(order, OrderNotSent(self.clock.now(), unsent.code, unsent.message_zh))
            unsent.data = {"order": order_view(order)}
            await self.ledger.touch()
            raise
        except Exception:
            # The outcome is unknown (e.g. the link dropped mid-call); reconciliation settles it.
            log.exception("order %s: broker submit failed; left in flight for reconciliation", order.id)
            broker_order_id = None
        self._sending.discard(order.id)
        self._sent_here.add(order.id)
        if self.broker.freezes_synchronously:
            self.reservations.release(order.id)
        self.drain()  # the broker's immediate reports (the paper exchange's acceptance and fills)
        if broker_order_id and not order.broker_order_id:
            self.recorder.apply(order, OrderAcknowledged(self.clock.now(), broker_order_id))
        log.info(
            "order %s sent: %s %s x%d ref=%s broker_id=%s",
            order.id,
            order.side.value,
            order.stock_code,
            order.quantity,
            order.ref,
            order.broker_order_id,
        )
        view = order_view(order)  # as recorded so far: all of it is in the batch the flush waits for
        await self.journal.flush()
        return Placed(view, created=True)

    def _replay(
        self, client_order_id: str, digest: str, audit: AuditNote | None
    ) -> tuple[dict[str, Any], DeskError | None] | None:
        """The order a client id already names: the same request gets it back, another one a 409.

        ``None`` when the id is free — unknown, or held by an order that never left the desk and now
        hands it over to this retry. Otherwise the order's view as it is now and the refusal, if any."""
        owner_id = self.book.client_id_owner(client_order_id)
        order = self.book.get(owner_id) if owner_id is not None else None
        if order is None:
            return None
        if order.error in RETRYABLE and order.payload_hash == digest and not order.is_open:
            renamed = f"{client_order_id[:48]}#{order.id}"
            self.book.release_client_id(order, renamed)
            self.recorder.apply(order, OrderClientIdReleased(self.clock.now(), renamed))
            log.info("order %s was never sent; its client_order_id is reused by a retry", order.id)
            return None
        view = order_view(order)
        if order.payload_hash == digest:
            return view, None
        duplicate = DuplicateClientOrderId(client_order_id, view)
        if audit is not None:
            self.ledger.audit(
                audit.actor,
                "order.denied",
                str(order.id),
                {**audit.detail, "error": duplicate.code},
                audit.ip,
                self.clock.now(),
            )
        return view, duplicate

    async def _adopt(self, order_id: int) -> Order | None:
        """An older order of this account, read from the ledger into memory."""

        def read() -> OrderRow | None:
            with self.session_factory() as session:
                row = session.get(OrderRow, order_id)
                return row if row is not None and row.account_id == self.account_id else None

        row = await asyncio.to_thread(read)
        if row is None:
            return None
        order = self.book.get(order_id)  # it may have arrived while we read
        if order is None:
            order = order_from_row(row)
            self.book.add(order)
        else:
            self.book.index_client_id(order)
        return order

    def bought_today(self, stock_code: str, day: date, placing: Order | None = None) -> int:
        """Shares of ``stock_code`` bought (filled) or being bought (working) on ``day``, ``placing`` aside.

        Walks the book, which holds the day's orders; asked only for risk-warning stocks."""
        return sum(
            o.quantity if o.is_open else o.filled_quantity
            for o in self.book
            if o.stock_code == stock_code and o.side is Side.BUY and o.trading_day == day and o is not placing
        )

    def _forget_refused(self, order: Order) -> None:
        """The ledger refused ``order``: its client id belongs to an order memory did not hold.

        Both the call that placed it and a concurrent retry replaying it may get here: only the first
        forgets it (counters and reservations are released once). Reading the older owner is left to
        :meth:`place`, which does it before its next attempt."""
        if self.book.get(order.id) is order:
            self.recorder.forget(order)

    async def _adopt_client_id_owner(self, client_order_id: str) -> None:
        """Read the order that holds ``client_order_id`` in the ledger into memory (when memory lacks it)."""
        if self.book.client_id_owner(client_order_id) is not None:
            return

        def find() -> int | None:
            with self.session_factory() as session:
                return session.scalar(
                    select(OrderRow.id).where(
                        OrderRow.account_id == self.account_id, OrderRow.client_order_id == client_order_id
                    )
                )

        owner = await asyncio.to_thread(find)
        if owner is not None:
            await self._adopt(owner)

    def _audit(self, audit: AuditNote | None, action: str, order: Order, extra: dict[str, Any]) -> None:
        if audit is not None:
            self.ledger.audit(
                audit.actor,
                action,
                str(order.id),
                {**audit.detail, **extra},
                audit.ip,
                self.clock.now(),
                order_id=order.id,
            )

    # ------------------------------------------------------------------------------ cancelling
    async def cancel(self, order_id: int, audit: AuditNote | None = None) -> dict[str, Any]:
        """Ask the broker to cancel; returns the order (``pending_cancel`` or final). A refusal is audited."""
        try:
            return await self._cancel(order_id, audit)
        except DeskError as refused:
            if audit is not None:
                self.ledger.audit(
                    audit.actor,
                    "order.cancel_refused",
                    str(order_id),
                    {**audit.detail, "error": refused.code},
                    audit.ip,
                    self.clock.now(),
                )
            raise

    async def _cancel(self, order_id: int, audit: AuditNote | None) -> dict[str, Any]:
        order = self.book.get(order_id) or await self._adopt(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        now = self.clock.now()
        status = order.status
        if status in TERMINAL:
            raise OrderNotCancelable(
                f"委托已是终态（{STATUS_LABELS_ZH[status]}），不能撤单",
                f"The order is final ({status.value}); it cannot be cancelled",
            )
        if status is OrderStatus.PENDING_CANCEL:
            return order_view(order)
        if status is OrderStatus.PENDING_NEW:
            self.recorder.apply(order, OrderCanceledUnsent(now, "未发送即撤销"))
            self._audit(audit, "order.cancel", order, {"status": order.status.value})
            view = order_view(order)
            await self.ledger.touch()
            return view
        if status not in CANCELABLE or not order.broker_order_id:
            raise OrderNotCancelable(
                "委托尚未被券商确认，请稍后再撤", "The broker has not acknowledged the order yet; retry shortly"
            )
        if self.broker.state is not ConnectionState.CONNECTED:
            raise BrokerUnavailable(self.broker.state.value)
        # Recorded before it is sent: cancel-rate limits count requests, whatever the broker answers.
        self.recorder.apply(order, OrderCancelRequested(now))
        await self.ledger.touch()
        try:
            await self.broker.cancel(order.broker_order_id)
        except DeskError:
            self.drain()
            raise
        log.info("order %s: cancel sent (broker id %s)", order.id, order.broker_order_id)
        self.drain()
        self._audit(audit, "order.cancel", order, {"status": order.status.value})
        view = order_view(order)
        await self.journal.flush()
        return view

    async def cancel_all(
        self, stock_code: str | None = None, side: Side | None = None, audit: AuditNote | None = None
    ) -> dict[str, Any]:
        """Cancel every open order, optionally of one code or side; refusals are reported per order."""
        code = classify(stock_code).code if stock_code else None
        targets = [
            o.id
            for o in self.book.open_orders()
            if (code is None or o.stock_code == code) and (side is None or o.side is side)
        ]
        orders, refused = [], []
        for order_id in targets:
            try:
                orders.append(await self.cancel(order_id))
            except DeskError as exc:
                refused.append({"order_id": order_id, "error": exc.code, "message": exc.message_zh})
                order = self.book.get(order_id)
                if order is not None:
                    orders.append(order_view(order))
        if audit is not None:
            self.ledger.audit(
                audit.actor,
                "order.cancel_all",
                stock_code,
                {**audit.detail, "requested": len(targets)},
                audit.ip,
                self.clock.now(),
            )
            await self.ledger.touch()
        return {"requested": len(targets), "orders": orders, "refused": refused}

    # ------------------------------------------------------------------------------ reading
    def order(self, order_id: int) -> dict[str, Any] | None:
        """An order in memory (open, or of the current trading day), as the API shows it."""
        order = self.book.get(order_id)
        return order_view(order) if order is not None else None

    def open_orders(self) -> list[Order]:
        """Open orders, oldest first."""
        return list(self.book.open_orders())

    def open_quantities(self, stock_code: str) -> tuple[int, int]:
        """Unfilled shares of open buy and open sell orders in ``stock_code``."""
        buy = sell = 0
        for order in self.book.open_orders():
            if order.stock_code == stock_code:
                if order.side is Side.BUY:
                    buy += order.remaining
                else:
                    sell += order.remaining
        return buy, sell

    # ------------------------------------------------------------------------------ broker reports
    def _push(self, report: Report) -> None:
        # Brokers call from their own threads (MiniQMT) or from the loop (the paper exchange).
        if threading.get_ident() == self._loop_thread:
            self._inbox.append(report)
            if self._wake is not None:
                self._wake.set()
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._arrive, report)

    def _arrive(self, report: Report) -> None:
        self._inbox.append(report)
        if self._wake is not None:
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

    async def _run_pump(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                self.drain()
            except Exception:
                log.exception("engine failed applying broker reports")

    def drain(self) -> None:
        """Apply every report that arrived, in order (on the loop)."""
        inbox = self._inbox
        if not inbox:
            return
        now = self.clock.now()
        self._roll(now)
        while inbox:
            report = inbox.popleft()
            try:
                self._apply(report, now)
            except Exception:
                # One bad report must not sink the others.
                log.exception("applying %s failed: %r", type(report).__name__, report)

    def _apply(self, report: Report, now: datetime) -> None:
        if isinstance(report, OrderReport | TradeReport):
            held = self._unresolved.get(report.broker_order_id)
            if held is not None:
                held.append(report)  # after the ones before it, once the ledger has answered
            elif isinstance(report, OrderReport):
                self.reports.order_report(report, now)
            else:
                self.reports.trade_report(report, now)
        elif isinstance(report, OrderAckReport):
            self.reports.ack(report, now)
        elif isinstance(report, OrderErrorReport):
            self.reports.order_error(report, now)
        elif isinstance(report, CancelErrorReport):
            log.info(
                "cancel refused for broker order %s: %s %s", report.broker_order_id, report.error_code, report.error_msg
            )
        else:
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
                    account_id=self.account_id,
                )
            )
            for listener in self.connection_listeners:
                listener(report)

    def _hold_unknown(self, report: OrderReport | TradeReport) -> bool:
        """A report about an order memory does not hold (an older one, say a broker still listing
        yesterday's): ask the ledger before taking it for an order placed outside the desk."""
        if not report.broker_order_id or self._loop is None:
            return False
        self._unresolved[report.broker_order_id] = [report]
        task = self._loop.create_task(self._resolve_unknown(report.broker_order_id, report.ref))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return True

    async def _resolve_unknown(self, broker_order_id: str, ref: str | None) -> None:
        def find() -> int | None:
            with self.session_factory() as session:
                query = select(OrderRow.id).where(OrderRow.account_id == self.account_id)
                match = OrderRow.broker_order_id == broker_order_id
                if ref:
                    match = match | (OrderRow.ref == ref)
                return session.scalar(query.where(match).order_by(OrderRow.id.desc()).limit(1))

        try:
            order_id = await asyncio.to_thread(find)
            if order_id is not None:
                await self._adopt(order_id)
                log.info("broker order %s is ledger order %s (from an earlier day)", broker_order_id, order_id)
        except Exception:
            log.exception("looking up broker order %s failed; taking it as placed outside the desk", broker_order_id)
        held = self._unresolved.pop(broker_order_id, [])
        now = self.clock.now()
        for report in held:
            try:
                if isinstance(report, OrderReport):
                    self.reports.order_report(report, now, known_unknown=True)
                else:
                    self.reports.trade_report(report, now, known_unknown=True)
            except Exception:
                log.exception("applying %s failed: %r", type(report).__name__, report)

    # ------------------------------------------------------------------------------ reconciliation
    async def reconcile(self) -> Settled:
        """Make the ledger agree with the broker: replay its orders and fills, settle what it never saw."""
        trades = await self.broker.query_trades()
        orders = await self.broker.query_orders()
        self.drain()  # pushes that arrived meanwhile come first
        now = self.clock.now()
        self._roll(now)
        by_broker_id = {o.broker_order_id: o for o in orders}
        for trade in trades:
            # A fill of an order placed outside the desk: import the order first, so the fill is its.
            if self.book.find_for_report(trade.broker_order_id, trade.ref) is None:
                known = by_broker_id.get(trade.broker_order_id)
                if known is not None:
                    self._apply(known, now)
            self._apply(trade, now)
        for order_report in orders:
            self._apply(order_report, now)
        while self._background:  # orders looked up in the ledger are settled before orphans are
            await asyncio.gather(*self._background, return_exceptions=True)
        known_ids = {o.broker_order_id for o in orders}
        known_refs = {o.ref for o in orders if o.ref}
        settled = self._settle_orphans(known_ids, known_refs, self.clock.now())
        await self.journal.flush()
        result = Settled(len(orders), len(trades), settled)
        log.info("reconciliation done: %s", result.as_dict())
        return result

    def _settle_orphans(self, known_ids: set[str], known_refs: set[str], now: datetime) -> int:
        """Orders the broker does not list: never sent ones are cancelled, sent ones become ``unknown``."""
        settled = 0
        for order in list(self.book.open_orders()):
            if order.status not in (OrderStatus.PENDING_NEW, OrderStatus.SUBMITTED):
                continue
            if order.broker_order_id in known_ids or order.ref in known_refs or order.id in self._sending:
                continue
            if order.status is OrderStatus.PENDING_NEW:
                change: Any = OrderCanceledUnsent(now, "启动时发现未发送的委托，已取消（未报）")
            elif order.id in self._sent_here and order.updated_at > now - SUBMIT_GRACE:
                continue  # sent moments ago: the broker may not list it yet
            elif order.id not in self._sent_here and self.broker.freezes_synchronously:
                # The paper counter saves an order before it answers: one it never saved was never sent.
                change = OrderCanceledUnsent(now, "重启前未送达交易所的委托，已取消（未报）")
            elif self._past_placement(order, now):
                # A gateway places nothing after the command's deadline: long past it, an order its
                # broker does not list was never placed.
                change = OrderCanceledUnsent(now, "网关在期限内未下达该委托，已取消（未报）")
            else:
                change = OrderLost(now, order.status_code, "券商无此委托记录，状态未知，请核对")
            self.reservations.release(order.id)
            if self.recorder.apply(order, change):
                settled += 1
        return settled

    def _past_placement(self, order: Order, now: datetime) -> bool:
        deadline = self.broker.placement_deadline
        if deadline is None:
            return False
        return order.updated_at <= now - timedelta(seconds=deadline) - SUBMIT_GRACE

    def apply_reports(self, reports: Iterable[Report]) -> None:
        """Apply reports at once, as if pushed (tests and tools)."""
        self._inbox.extend(reports)
        self.drain()

    # ------------------------------------------------------------------------------ the day
    def _roll(self, now: datetime) -> date:
        day = self.calendar.trading_day_of(now.date())
        if day != self._day:
            if self._day is not None:
                dropped = self.book.prune(self.calendar.previous_trading_day(day), now)
                self._sent_here.difference_update(o.id for o in dropped)
                self.ledger.refused.clear()
                self.risk.counters.prune(now)
                log.info("trading day %s: %d finished orders of earlier days leave memory", day, len(dropped))
            self._day = day
        return day


__all__ = ["Engine", "OrderPayload", "Settled"]
