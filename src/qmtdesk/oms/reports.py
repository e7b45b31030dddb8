"""Broker reports applied to the desk's orders: statuses, fills, acknowledgements, refusals.

Each report becomes typed events applied through the recorder (so through the transition table): a
duplicate or out-of-order status is refused by the table and ignored; a fill is applied once, by its
broker trade id; a status report of an order the desk never placed imports it (``source: external``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from qmtdesk import failpoints
from qmtdesk.brokers.base import OrderAckReport, OrderErrorReport, OrderReport, TradeReport
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.order_events import (
    REPORTED_EVENT,
    OrderAcknowledged,
    OrderBrokerStatus,
    OrderErrorDetailed,
    OrderFillApplied,
    OrderRejected,
    ReportedStatus,
)
from qmtdesk.domain.orders import OPEN, Order, OrderStatus, Trade
from qmtdesk.domain.rules import PriceType
from qmtdesk.oms.recorder import Recorder

log = logging.getLogger(__name__)


class ReportApplier:
    """Applies one account's broker reports."""

    def __init__(
        self,
        *,
        account_id: str,
        recorder: Recorder,
        calendar: TradingCalendar,
        next_order_id: Callable[[], int],
        next_trade_id: Callable[[], int],
    ) -> None:
        self.account_id = account_id
        self.recorder = recorder
        self.book = recorder.book
        self.calendar = calendar
        self.next_order_id = next_order_id
        self.next_trade_id = next_trade_id
        #: Called when a report shows the ledger must ask the broker: status 255, or an order reported
        #: filled whose fills have not all arrived. Fills are never inferred from a status.
        self.followups: list[Callable[[str], None]] = []
        #: Given a report about an order memory does not hold: True when it is kept back while the ledger
        #: is asked about the order (it comes back with ``known_unknown=True``).
        self.unknown: Callable[[OrderReport | TradeReport], bool] = lambda report: False

    # ------------------------------------------------------------------------------ statuses
    def order_report(self, report: OrderReport, now: datetime, *, known_unknown: bool = False) -> Order | None:
        """A status report; returns the order it was about (imported when neither memory nor the ledger
        knows it), or ``None`` while the ledger is asked."""
        order = self.book.find_for_report(report.broker_order_id, report.ref)
        if order is None:
            if not known_unknown and self.unknown(report):
                return None
            return self._import_external(report, now)
        self._apply_status(order, report, now)
        return order

    def _apply_status(self, order: Order, report: OrderReport, now: datetime) -> None:
        if order.status is report.status:
            if order.status_code == report.status_code and (
                not report.broker_sysid or report.broker_sysid == order.broker_sysid
            ):
                return  # a duplicate push
            # The same desk status with a new broker code (48 -> 49, 51 -> 52).
            self.recorder.apply(
                order,
                OrderBrokerStatus(
                    now, report.status_code, report.status_msg, report.broker_order_id, report.broker_sysid
                ),
            )
            return
        event_type = REPORTED_EVENT[report.status]
        change: ReportedStatus
        if event_type is OrderRejected:
            change = OrderRejected(
                now,
                report.status_code,
                report.status_msg,
                report.broker_order_id,
                report.broker_sysid,
                error_code=report.error_code,
            )
        else:
            change = event_type(now, report.status_code, report.status_msg, report.broker_order_id, report.broker_sysid)
        if self.recorder.apply(order, change):
            self._followup(order, report)
        elif report.broker_order_id and not order.broker_order_id:
            # Refused as a status, but it tells us the broker's id for the order: keep that.
            self.recorder.apply(order, OrderAcknowledged(now, report.broker_order_id))

    def _followup(self, order: Order, report: OrderReport) -> None:
        reason = None
        if report.status is OrderStatus.UNKNOWN:
            reason = f"order {report.broker_order_id} reported status 255"
        elif order.status is OrderStatus.FILLED and order.filled_quantity < order.quantity:
            reason = f"order {report.broker_order_id} filled but fills are missing"
        if reason is not None:
            log.info("querying the broker: %s", reason)
            for request in self.followups:
                request(reason)

    def _import_external(self, report: OrderReport, now: datetime) -> Order:
        """An order placed outside the desk (e.g. in the QMT client): added with source ``external``."""
        order_id = self.next_order_id()
        order = Order(
            id=order_id,
            account_id=self.account_id,
            client_order_id=None,
            ref=f"ext{order_id:x}",
            payload_hash="",
            stock_code=report.stock_code,
            stock_name="",
            side=report.side,
            price_type=report.price_type or PriceType.LIMIT,
            price=report.price,
            quantity=report.quantity,
            source="external",
            trading_day=self.calendar.trading_day_of(now.date()),
            created_at=now,
            updated_at=now,
            strategy_name=report.strategy_name,
            remark=report.ref or "",
            status=OrderStatus.SUBMITTED,  # learned of at the broker: it never was ours to send
            broker_order_id=report.broker_order_id,
            broker_sysid=report.broker_sysid,
        )
        self.recorder.create(order, now)
        log.info("imported external order %s (%s)", report.broker_order_id, report.stock_code)
        self._apply_status(order, report, now)
        return order

    # ------------------------------------------------------------------------------ fills
    def trade_report(self, report: TradeReport, now: datetime, *, known_unknown: bool = False) -> Trade | None:
        """A fill, applied once by its broker trade id; ``None`` for a duplicate (or while its order is
        looked up in the ledger)."""
        if self.book.has_trade(report.broker_trade_id):
            return None
        order = self.book.find_for_report(report.broker_order_id, report.ref)
        if order is None and not known_unknown and self.unknown(report):
            return None
        trade = Trade(
            id=self.next_trade_id(),
            account_id=self.account_id,
            broker_trade_id=report.broker_trade_id,
            order_id=order.id if order is not None else None,
            broker_order_id=report.broker_order_id,
            stock_code=report.stock_code,
            stock_name=order.stock_name if order is not None else "",
            side=report.side,
            price=report.price,
            quantity=report.quantity,
            amount=report.amount,
            commission=report.commission,
            stamp_duty=report.stamp_duty,
            transfer_fee=report.transfer_fee,
            strategy_name=order.strategy_name if order is not None else report.strategy_name,
            traded_at=report.time,
            trading_day=self.calendar.trading_day_of(report.time.date()),
        )
        self.recorder.trade(trade, now)
        if order is not None:
            self.recorder.apply(order, OrderFillApplied(now, report.quantity, report.amount, report.fees))
        failpoints.hit("fill_applied")
        log.info(
            "fill %s: order %s %s %s x%d @ %s",
            report.broker_trade_id,
            order.id if order is not None else "?",
            report.side.value,
            report.stock_code,
            report.quantity,
            report.price,
        )
        return trade

    # ------------------------------------------------------------------------------ answers and refusals
    def ack(self, report: OrderAckReport, now: datetime) -> None:
        """The broker's order id for one of our references."""
        if not report.broker_order_id:
            return  # a failed submission: its order error follows
        order = self.book.find_for_report(None, report.ref)
        if order is None or order.broker_order_id == report.broker_order_id:
            return
        self.recorder.apply(order, OrderAcknowledged(now, report.broker_order_id))

    def order_error(self, report: OrderErrorReport, now: datetime) -> None:
        """An order the broker refused outright (or the precise reason after its 57)."""
        order = self.book.find_for_report(report.broker_order_id, report.ref)
        if order is None:
            return
        if order.status is OrderStatus.REJECTED and order.error == "BROKER_REJECTED":
            # The 57 status came first; the error push carries the counter's precise code.
            self.recorder.apply(order, OrderErrorDetailed(now, report.error_code, report.error_msg))
            return
        if order.status not in OPEN:
            return
        rejected = OrderRejected(
            now,
            order.status_code,
            report.error_msg,
            report.broker_order_id,
            None,
            error_code=report.error_code or "BROKER_REJECTED",
            error_message=report.error_msg,
        )
        if self.recorder.apply(order, rejected):
            log.info("order %s rejected by broker: %s %s", order.id, report.error_code, report.error_msg)
