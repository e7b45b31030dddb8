"""The one way in for orders: API, UI, signals and strategies all call :class:`OrderService`.

It normalises the request, applies ``client_order_id`` idempotency (same payload → the same order,
a different payload → 409), persists the order in ``pending_new`` before anything is sent, then
hands it to the engine and returns the order once the broker's immediate answer is applied.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import Clock
from qmtdesk.domain.errors import DeskError, InvalidStockCode, OrderDenied, UnknownInstrument
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import classify
from qmtdesk.domain.orders import OPEN
from qmtdesk.domain.rules import PriceType
from qmtdesk.oms import ledger
from qmtdesk.oms.bus import Event
from qmtdesk.oms.engine import Engine, MarketData
from qmtdesk.oms.views import order_view
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)

SOURCES = frozenset({"api", "ui", "signal", "strategy", "external"})
#: Refusals that mean the order never left the desk for a passing reason: a retry may send it.
RETRYABLE = frozenset({"BROKER_UNAVAILABLE"})


class _Retry(Exception):
    """The client id belongs to an order that was never sent; the retry may place a new one."""

    def __init__(self, order_id: int) -> None:
        super().__init__(order_id)
        self.order_id = order_id


class DuplicateClientOrderId(DeskError):
    """A ``client_order_id`` reused for a different order."""

    def __init__(self, client_order_id: str, existing: dict[str, Any]) -> None:
        super().__init__(
            "DUPLICATE_CLIENT_ORDER_ID",
            f"client_order_id {client_order_id!r} 已用于另一笔不同的委托",
            f"client_order_id {client_order_id!r} was already used for a different order",
            http_status=409,
            data={"order": existing},
        )


@dataclass(frozen=True)
class OrderPayload:
    """An order request as clients send it (validated for shape by the API layer)."""

    stock_code: str
    side: Side
    quantity: int
    price_type: PriceType
    price: Decimal | None = None
    client_order_id: str | None = None
    strategy_name: str = ""
    remark: str = ""


@dataclass(frozen=True)
class Submitted:
    """The result of a submission: the order, and whether this call created it."""

    order: dict[str, Any]
    created: bool


def new_ref_prefix() -> str:
    """A short per-database tag so our broker references never collide with another desk's."""
    return "qd" + secrets.token_hex(2)


class OrderService:
    """Submits and cancels orders for one account."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        engine: Engine,
        market: MarketData,
        calendar: TradingCalendar,
        clock: Clock,
        ref_prefix: str,
    ) -> None:
        self.session_factory = session_factory
        self.engine = engine
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.ref_prefix = ref_prefix
        self.account_id = engine.account_id
        engine.ref_prefix = ref_prefix

    async def submit(self, payload: OrderPayload, *, source: str, user_id: int | None) -> Submitted:
        """Persist, validate and send an order. Raises OrderDenied (422) with ``data.order`` when refused."""
        code, name, code_error = self._resolve(payload.stock_code)
        fields = {
            "stock_code": code,
            "side": payload.side.value,
            "quantity": payload.quantity,
            "price_type": payload.price_type.value,
            "price": _norm_price(payload.price),
            "strategy_name": payload.strategy_name,
            "remark": payload.remark,
        }
        digest = ledger.payload_hash(fields)
        now = self.clock.now()
        new = ledger.NewOrder(
            account_id=self.account_id,
            client_order_id=payload.client_order_id,
            stock_code=code,
            stock_name=name,
            side=payload.side.value,
            price_type=payload.price_type.value,
            price=payload.price,
            quantity=payload.quantity,
            strategy_name=payload.strategy_name,
            remark=payload.remark,
            source=source,
            user_id=user_id,
            trading_day=self.calendar.trading_day_of(now.date()),
            payload_hash=digest,
        )
        existing, row = await self.engine.run_db(self._create, new, code_error)
        if existing is not None:
            return Submitted(existing, created=False)
        assert row is not None
        if code_error is not None:
            code_error.data = {"order": order_view(row)}
            raise code_error
        self.engine.watch(row.id)
        try:
            order = await self.engine.submit(row.id, row)
            # Let the broker's immediate reports (acceptance, fills) land before answering.
            await self.engine.barrier()
        finally:
            latest = self.engine.take_view(row.id)
        return Submitted(latest if latest is not None else order, created=True)

    async def cancel(self, order_id: int) -> dict[str, Any]:
        """Request a cancel; returns the order (``pending_cancel`` or final)."""
        await self.engine.cancel(order_id)
        await self.engine.barrier()
        view = await asyncio.to_thread(self._load_view, order_id)
        assert view is not None
        return view

    async def cancel_all(self, stock_code: str | None = None, side: Side | None = None) -> dict[str, Any]:
        """Cancel every open order, optionally of one code or side; refusals are reported per order."""
        code = classify(stock_code).code if stock_code else None
        ids = await asyncio.to_thread(self._open_ids, code, side)
        orders, refused = [], []
        for order_id in ids:
            try:
                await self.engine.cancel(order_id)
            except DeskError as exc:
                refused.append({"order_id": order_id, "error": exc.code, "message": exc.message_zh})
        await self.engine.barrier()
        for order_id in ids:
            view = await asyncio.to_thread(self._load_view, order_id)
            if view is not None:
                orders.append(view)
        return {"requested": len(ids), "orders": orders, "refused": refused}

    # ------------------------------------------------------------------------------ helpers
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

    def _create(
        self, new: ledger.NewOrder, code_error: OrderDenied | None
    ) -> tuple[dict[str, Any] | None, OrderRow | None]:
        """Insert the order (or find the one this client id already made); the new row comes back detached.

        The insert comes first and the unique ``client_order_id`` decides: a new id (the usual case)
        costs no lookup, a reused one finds the order that holds it.
        """
        for attempt in (1, 2):
            try:
                return None, self._insert(new, code_error)
            except IntegrityError:
                if not new.client_order_id:
                    raise
                with self.session_factory() as session:
                    found = ledger.find_by_client_id(session, self.account_id, new.client_order_id)
                if found is None:
                    raise
                try:
                    return self._same_or_conflict(found, new), None
                except _Retry as retry:
                    if attempt == 2:
                        return order_view(found), None  # the retry of it was placed just now
                    self._release_client_id(retry.order_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert(self, new: ledger.NewOrder, code_error: OrderDenied | None) -> OrderRow:
        with unit_of_work(self.session_factory) as session:
            row, created = ledger.create_order(session, new, self.ref_prefix, self.clock.now())
            events: list[Event | None] = [created]
            if code_error is not None:
                events.append(ledger.deny(session, row, code_error, self.clock.now()))
            # Known as ours before it commits, so a reconciliation never takes it for an orphan.
            self.engine.created_here.add(row.id)
        self.engine.publish_threadsafe(events)
        return row

    def _same_or_conflict(self, found: OrderRow, new: ledger.NewOrder) -> dict[str, Any]:
        if found.error in RETRYABLE and found.payload_hash == new.payload_hash:
            raise _Retry(found.id)
        if found.payload_hash != new.payload_hash:
            raise DuplicateClientOrderId(new.client_order_id or "", order_view(found))
        return order_view(found)

    def _release_client_id(self, order_id: int) -> None:
        """A retry of an order that never left the desk (broker unavailable): the new attempt takes
        over the client id; the refused one stays in the history under ``<id>#<order id>``."""
        with unit_of_work(self.session_factory) as session:
            row = session.get(OrderRow, order_id)
            if row is not None and row.client_order_id:
                row.client_order_id = f"{row.client_order_id[:48]}#{row.id}"
        log.info("order %s was never sent; its client_order_id is reused by a retry", order_id)

    def _load_view(self, order_id: int) -> dict[str, Any] | None:
        with self.session_factory() as session:
            row = session.get(OrderRow, order_id)
            return order_view(row) if row is not None and row.account_id == self.account_id else None

    def _open_ids(self, code: str | None, side: Side | None) -> list[int]:
        with self.session_factory() as session:
            query = select(OrderRow.id).where(
                OrderRow.account_id == self.account_id, OrderRow.status.in_([s.value for s in OPEN])
            )
            if code:
                query = query.where(OrderRow.stock_code == code)
            if side:
                query = query.where(OrderRow.side == side.value)
            return list(session.scalars(query.order_by(OrderRow.id)))


def _norm_price(price: Decimal | None) -> str | None:
    if price is None:
        return None
    try:
        return str(price.normalize())
    except InvalidOperation:
        return str(price)
