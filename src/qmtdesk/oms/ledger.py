"""The order ledger: every change to an order or fill is written with its event in one transaction.

Functions here take a SQLAlchemy session and return what the event bus should publish. Status
changes go through the transition table; anything the table refuses (a duplicate or out-of-order
report) is ignored and logged, never applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qmtdesk.brokers.base import OrderReport, TradeReport
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.orders import TERMINAL, InvalidTransition, OrderEvent, OrderStatus, transition
from qmtdesk.oms.bus import Event
from qmtdesk.oms.views import order_view, trade_view
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow, TradeRow

log = logging.getLogger(__name__)

#: The event a reported status announces.
EVENT_FOR_STATUS: dict[OrderStatus, OrderEvent] = {
    OrderStatus.SUBMITTED: OrderEvent.SUBMIT,
    OrderStatus.ACCEPTED: OrderEvent.ACCEPT,
    OrderStatus.PARTIALLY_FILLED: OrderEvent.PARTIAL_FILL,
    OrderStatus.FILLED: OrderEvent.FILL,
    OrderStatus.PENDING_CANCEL: OrderEvent.CANCEL_REQUEST,
    OrderStatus.CANCELED: OrderEvent.CANCEL,
    OrderStatus.PARTIALLY_CANCELED: OrderEvent.PARTIAL_CANCEL,
    OrderStatus.REJECTED: OrderEvent.REJECT,
    OrderStatus.EXPIRED: OrderEvent.EXPIRE,
    OrderStatus.UNKNOWN: OrderEvent.LOST,
}


def payload_hash(fields: dict[str, Any]) -> str:
    """A stable digest of an order request, to tell a retry from a different order."""
    canonical = json.dumps({k: None if v is None else str(v) for k, v in sorted(fields.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


#: ``session.info`` key of the events whose rows await their sequence number from the next flush.
_UNNUMBERED = "qmtdesk.unnumbered_events"


@orm_event.listens_for(Session, "after_flush_postexec")
def _number_events(session: Session, _context: Any) -> None:
    # The rows of one transaction are flushed together; each bus event then takes its row's seq.
    pending = session.info.pop(_UNNUMBERED, None)
    if pending:
        for bus_event, record in pending:
            bus_event.seq = record.seq


def append_event(
    session: Session,
    row: OrderRow,
    event: str,
    now: datetime,
    stream: str = "orders",
    data: dict[str, Any] | None = None,
) -> Event:
    """Add one ``order_events`` row and return the bus event for it.

    The event's ``seq`` is its row's sequence number, filled in when the session flushes (at the
    latest at commit), so the changes of one transaction reach the database in one flush.
    """
    payload = data if data is not None else order_view(row)
    record = OrderEventRow(
        account_id=row.account_id,
        stream=stream,
        order_id=row.id,
        event=event,
        status=row.status if stream == "orders" else None,
        payload=json.dumps(payload, ensure_ascii=False),
        time=now,
    )
    session.add(record)
    bus_event = Event(stream=stream, data=payload, time=now)
    session.info.setdefault(_UNNUMBERED, []).append((bus_event, record))
    return bus_event


def apply_event(row: OrderRow, event: OrderEvent, now: datetime) -> bool:
    """Move ``row`` through the transition table; False (and unchanged) when the table refuses."""
    try:
        new_status = transition(OrderStatus(row.status), event)
    except InvalidTransition:
        return False
    row.status = new_status.value
    row.updated_at = now
    if new_status in TERMINAL:
        row.finished_at = now
        row.frozen_amount = Decimal(0)
    return True


@dataclass
class NewOrder:
    """What the order service persists before anything is sent."""

    account_id: str
    client_order_id: str | None
    stock_code: str
    stock_name: str
    side: str
    price_type: str
    price: Decimal | None
    quantity: int
    strategy_name: str
    remark: str
    source: str
    user_id: int | None
    trading_day: date
    payload_hash: str


def create_order(session: Session, new: NewOrder, ref_prefix: str, now: datetime) -> tuple[OrderRow, Event]:
    """Persist an order in ``pending_new`` with its first event."""
    row = OrderRow(
        account_id=new.account_id,
        client_order_id=new.client_order_id,
        ref=f"tmp-{uuid.uuid4().hex[:24]}",  # replaced by the id-based reference below
        payload_hash=new.payload_hash,
        stock_code=new.stock_code,
        stock_name=new.stock_name,
        side=new.side,
        price_type=new.price_type,
        price=new.price,
        quantity=new.quantity,
        filled_quantity=0,
        filled_amount=Decimal(0),
        status=OrderStatus.PENDING_NEW.value,
        status_code=None,
        status_msg="",
        strategy_name=new.strategy_name,
        remark=new.remark,
        source=new.source,
        fees=Decimal(0),
        frozen_amount=Decimal(0),
        user_id=new.user_id,
        trading_day=new.trading_day,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    # The broker-side reference (xtquant order_remark): short ASCII, unique per desk database.
    row.ref = f"{ref_prefix}{row.id:x}"
    return row, append_event(session, row, "created", now)


def find_by_client_id(session: Session, account_id: str, client_order_id: str) -> OrderRow | None:
    """The order with this client id in this account."""
    return session.scalar(
        select(OrderRow).where(OrderRow.account_id == account_id, OrderRow.client_order_id == client_order_id)
    )


def find_for_report(
    session: Session, account_id: str, broker_order_id: str | None, ref: str | None, order_id: int | None = None
) -> OrderRow | None:
    """The ledger order a broker report is about: by broker order id, else by our reference.

    ``order_id`` is the id our reference encodes, when it is one of ours: a primary-key lookup, which
    the session answers from memory for the second and later reports of the order in one batch.
    """
    if order_id is not None:
        row = session.get(OrderRow, order_id)
        if (
            row is not None
            and row.account_id == account_id
            and row.ref == ref
            and (not broker_order_id or row.broker_order_id in (None, broker_order_id))
        ):
            return row
    if broker_order_id:
        row = session.scalar(
            select(OrderRow).where(OrderRow.account_id == account_id, OrderRow.broker_order_id == broker_order_id)
        )
        if row is not None:
            return row
    if ref:
        return session.scalar(select(OrderRow).where(OrderRow.account_id == account_id, OrderRow.ref == ref))
    return None


def deny(session: Session, row: OrderRow, error: DeskError, now: datetime) -> Event | None:
    """Refused by validation or risk: ``denied`` with the error code; never sent."""
    if not apply_event(row, OrderEvent.DENY, now):
        return None
    row.error = error.code
    row.error_message = error.message_zh[:255]
    row.status_msg = error.message_zh[:255]
    return append_event(session, row, "denied", now)


def mark_submitted(session: Session, row: OrderRow, frozen: Decimal, now: datetime) -> Event | None:
    """Approved and about to be sent."""
    if not apply_event(row, OrderEvent.SUBMIT, now):
        return None
    row.frozen_amount = frozen
    return append_event(session, row, "submitted", now)


def cancel_unsent(session: Session, row: OrderRow, reason: str, now: datetime) -> Event | None:
    """Cancel an order that never reached the broker."""
    if not apply_event(row, OrderEvent.CANCEL, now):
        return None
    row.status_msg = reason[:255]
    return append_event(session, row, "canceled", now)


def apply_order_report(session: Session, row: OrderRow, report: OrderReport, now: datetime) -> list[Event]:
    """Apply a broker status report; returns the events written (none for duplicates)."""
    events: list[Event] = []
    if report.broker_order_id and not row.broker_order_id:
        row.broker_order_id = report.broker_order_id
    if report.broker_sysid and row.broker_sysid != report.broker_sysid:
        row.broker_sysid = report.broker_sysid
    if row.status == report.status.value:
        if row.status_code == report.status_code:
            return events  # a duplicate push
        # Same desk status, new broker code (48 -> 49, 51 -> 52): record it without a transition.
        row.status_code, row.status_msg = report.status_code, report.status_msg[:255]
        row.updated_at = now
        events.append(append_event(session, row, "broker_status", now))
        return events
    if not apply_event(row, EVENT_FOR_STATUS[report.status], now):
        log.info(
            "order %s: ignoring report %s (%s) in status %s",
            row.id,
            report.status.value,
            report.status_code,
            row.status,
        )
        return events
    row.status_code = report.status_code
    row.status_msg = report.status_msg[:255]
    if report.status is OrderStatus.REJECTED:
        row.error = report.error_code or "BROKER_REJECTED"
        row.error_message = report.status_msg[:255]
    events.append(append_event(session, row, report.status.value, now))
    return events


#: ``session.info`` key of the broker trade ids added in this transaction.
_NEW_TRADES = "qmtdesk.new_trades"


def trade_exists(session: Session, account_id: str, broker_trade_id: str) -> bool:
    """Whether this fill is already in the ledger (or added earlier in this transaction)."""
    if (account_id, broker_trade_id) in session.info.get(_NEW_TRADES, ()):
        return True
    with session.no_autoflush:  # what this transaction added is known above; no flush needed to ask
        found = session.scalar(
            select(func.count())
            .select_from(TradeRow)
            .where(TradeRow.account_id == account_id, TradeRow.broker_trade_id == broker_trade_id)
        )
    return bool(found)


def record_trade(
    session: Session, account_id: str, row: OrderRow | None, report: TradeReport, trading_day: date, now: datetime
) -> list[Event]:
    """Insert a fill and add it to its order; duplicates (same broker trade id) are ignored."""
    if trade_exists(session, account_id, report.broker_trade_id):
        return []
    trade = TradeRow(
        account_id=account_id,
        broker_trade_id=report.broker_trade_id,
        order_id=row.id if row else None,
        broker_order_id=report.broker_order_id,
        stock_code=report.stock_code,
        stock_name=row.stock_name if row else "",
        side=report.side.value,
        price=report.price,
        quantity=report.quantity,
        amount=report.amount,
        commission=report.commission,
        stamp_duty=report.stamp_duty,
        transfer_fee=report.transfer_fee,
        strategy_name=row.strategy_name if row else report.strategy_name,
        traded_at=report.time,
        trading_day=trading_day,
    )
    session.add(trade)
    session.info.setdefault(_NEW_TRADES, set()).add((account_id, report.broker_trade_id))
    session.flush()
    events: list[Event] = []
    if row is not None:
        row.filled_quantity += report.quantity
        row.filled_amount += report.amount
        row.fees += report.fees
        row.updated_at = now
        events.append(append_event(session, row, "trade", now, stream="trades", data=trade_view(trade)))
        events.append(append_event(session, row, "filled_quantity", now))
    return events


def import_external(
    session: Session, account_id: str, report: OrderReport, trading_day: date, now: datetime
) -> tuple[OrderRow, list[Event]]:
    """An order placed outside the desk (e.g. in the QMT client): add it with source ``external``."""
    new = NewOrder(
        account_id=account_id,
        client_order_id=None,
        stock_code=report.stock_code,
        stock_name="",
        side=report.side.value,
        price_type=(report.price_type.value if report.price_type else "limit"),
        price=report.price,
        quantity=report.quantity,
        strategy_name=report.strategy_name,
        remark=report.ref or "",
        source="external",
        user_id=None,
        trading_day=trading_day,
        payload_hash="",
    )
    row, created = create_order(session, new, "ext", now)
    row.broker_order_id = report.broker_order_id
    row.broker_sysid = report.broker_sysid
    row.status = OrderStatus.SUBMITTED.value
    events = [created, *apply_order_report(session, row, report, now)]
    return row, events
