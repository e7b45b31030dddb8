"""One place where an order changes: in memory, in the ledger, in the risk counters, in the indexes.

Every change of every order goes through :meth:`Recorder.apply` (or :meth:`Recorder.create` for a new
one): the event is applied to the order through the transition table; if the table accepts it, the
ledger records it, the risk counters count the order as it now stands, the book indexes a broker id
it just learned, and a promise of cash or shares ends once the broker holds the order.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from qmtdesk.domain.order_events import OrderCancelRequested, OrderChange, OrderCreated
from qmtdesk.domain.orders import Order, OrderStatus, Trade
from qmtdesk.oms.book import OrderBook
from qmtdesk.oms.ledger import Ledger
from qmtdesk.oms.pretrade import Reservations
from qmtdesk.risk.counters import OrderCounters

log = logging.getLogger(__name__)

#: While an order is in one of these, the broker may not have frozen its cash or shares yet.
_NOT_YET_AT_BROKER = frozenset({OrderStatus.PENDING_NEW, OrderStatus.SUBMITTED})


class Recorder:
    """Applies and records order changes for one account."""

    def __init__(self, book: OrderBook, ledger: Ledger, counters: OrderCounters, reservations: Reservations) -> None:
        self.book = book
        self.ledger = ledger
        self.counters = counters
        self.reservations = reservations

    def create(self, order: Order, now: datetime) -> Any:
        """A new order: held, indexed, counted, recorded whole."""
        self.book.add(order)
        self.counters.observe(order)
        return self.ledger.created(order, now)

    def apply(self, order: Order, change: OrderChange) -> bool:
        """Apply ``change`` to ``order``; ``False`` (nothing recorded) when the transition table refuses it."""
        before = order.status
        if not order.apply(change):
            log.info("order %s: %s refused in status %s", order.id, change.kind, before.value)
            return False
        self.ledger.changed(order, change)
        if isinstance(change, OrderCancelRequested):
            self.counters.observe_cancel(order, change.time)
        elif change.counted:
            self.counters.observe(order)
        if order.broker_order_id and order.broker_order_id not in self.book.by_broker_id:
            self.book.index_broker_id(order)
        if order.status not in _NOT_YET_AT_BROKER and self.reservations.holds(order.id):
            self.reservations.release(order.id)
        return True

    def trade(self, trade: Trade, now: datetime) -> Any:
        """A fill: remembered (so it is applied once) and recorded."""
        self.book.add_trade(trade.broker_trade_id, trade.trading_day)
        return self.ledger.trade(trade, now)

    def forget(self, order: Order) -> None:
        """The ledger refused ``order`` (its client id is taken): it never existed."""
        self.book.remove(order)
        self.counters.forget(order)
        self.reservations.release(order.id)
        self.ledger.forget(order.id)


__all__ = ["OrderCreated", "Recorder"]
