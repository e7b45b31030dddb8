"""The engine's memory of one account's orders: authoritative while the desk runs, rebuilt at start.

It holds every open order and every order of the current trading day as domain objects, with the
indexes that find an order for a client request (``client_order_id``) and for a broker report
(broker order id, our reference), plus the broker trade ids of recent days (fills are applied once).
Older finished orders live only in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OPEN, Order, OrderStatus
from qmtdesk.domain.rules import PriceType
from qmtdesk.store.tables.orders import OrderRow, TradeRow

#: How long a ``client_order_id`` is remembered in memory; an older one is caught by the ledger's
#: unique constraint when the order is first committed (see the journal).
CLIENT_ID_MEMORY = timedelta(days=7)
#: Broker trade ids of this many recent days are kept (a broker may replay yesterday's fills until it
#: rolls its own day).
TRADE_ID_DAYS = 3


def order_from_row(row: OrderRow) -> Order:
    """The domain order of a ledger row."""
    return Order(
        id=row.id,
        account_id=row.account_id,
        client_order_id=row.client_order_id,
        ref=row.ref,
        payload_hash=row.payload_hash,
        stock_code=row.stock_code,
        stock_name=row.stock_name,
        side=Side(row.side),
        price_type=PriceType(row.price_type),
        price=row.price,
        quantity=row.quantity,
        source=row.source,
        trading_day=row.trading_day,
        created_at=row.created_at,
        updated_at=row.updated_at,
        strategy_name=row.strategy_name,
        remark=row.remark,
        user_id=row.user_id,
        status=OrderStatus(row.status),
        status_code=row.status_code,
        status_msg=row.status_msg,
        error=row.error,
        error_message=row.error_message,
        broker_order_id=row.broker_order_id,
        broker_sysid=row.broker_sysid,
        filled_quantity=row.filled_quantity,
        filled_amount=row.filled_amount or Decimal(0),
        fees=row.fees or Decimal(0),
        frozen_amount=row.frozen_amount or Decimal(0),
        finished_at=row.finished_at,
    )


class OrderBook:
    """Orders of one account in memory, with their lookup indexes."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.orders: dict[int, Order] = {}
        self.by_client_id: dict[str, tuple[int, datetime]] = {}  # -> (order id, created at)
        self.by_ref: dict[str, int] = {}
        self.by_broker_id: dict[str, int] = {}
        self.trade_ids: dict[str, date] = {}

    # ------------------------------------------------------------------------------ loading
    def load(
        self, session_factory: sessionmaker[Session], trading_day: date, previous_day: date, now: datetime
    ) -> None:
        """Rebuild from the ledger: open orders, orders of ``trading_day`` and ``previous_day`` (a broker
        lists yesterday's orders until it rolls its own day), recent client and trade ids."""
        since = now - CLIENT_ID_MEMORY
        with session_factory() as session:
            rows = session.scalars(
                select(OrderRow).where(
                    OrderRow.account_id == self.account_id,
                    or_(OrderRow.trading_day >= previous_day, OrderRow.status.in_([s.value for s in OPEN])),
                )
            )
            for row in rows:
                self.add(order_from_row(row))
            for client_id, order_id, created_at in session.execute(
                select(OrderRow.client_order_id, OrderRow.id, OrderRow.created_at).where(
                    OrderRow.account_id == self.account_id,
                    OrderRow.client_order_id.is_not(None),
                    OrderRow.created_at >= since,
                )
            ):
                if client_id is not None:
                    self.by_client_id.setdefault(client_id, (order_id, created_at))
            oldest_fill = trading_day - timedelta(days=TRADE_ID_DAYS + 4)  # a weekend and a holiday or two
            for trade_id, day in session.execute(
                select(TradeRow.broker_trade_id, TradeRow.trading_day).where(
                    TradeRow.account_id == self.account_id, TradeRow.trading_day >= oldest_fill
                )
            ):
                self.trade_ids[trade_id] = day

    # ------------------------------------------------------------------------------ orders
    def add(self, order: Order) -> None:
        """Hold ``order`` and index it."""
        self.orders[order.id] = order
        if order.client_order_id:
            self.by_client_id[order.client_order_id] = (order.id, order.created_at)
        self.by_ref[order.ref] = order.id
        if order.broker_order_id:
            self.by_broker_id[order.broker_order_id] = order.id

    def remove(self, order: Order) -> None:
        """Forget ``order`` entirely (an order the ledger refused)."""
        self.orders.pop(order.id, None)
        self._unindex_client_id(order)
        if self.by_ref.get(order.ref) == order.id:
            del self.by_ref[order.ref]
        if order.broker_order_id and self.by_broker_id.get(order.broker_order_id) == order.id:
            del self.by_broker_id[order.broker_order_id]

    def _unindex_client_id(self, order: Order) -> None:
        held = self.by_client_id.get(order.client_order_id) if order.client_order_id else None
        if held is not None and held[0] == order.id:
            del self.by_client_id[order.client_order_id]  # type: ignore[arg-type]

    def get(self, order_id: int) -> Order | None:
        """The order in memory (open, or of the current trading day)."""
        return self.orders.get(order_id)

    def client_id_owner(self, client_order_id: str) -> int | None:
        """The id of the order holding this client id, as far as memory knows."""
        held = self.by_client_id.get(client_order_id)
        return held[0] if held is not None else None

    def index_client_id(self, order: Order) -> None:
        """Make ``order`` the holder of its client id again (the ledger says it is)."""
        if order.client_order_id:
            self.by_client_id[order.client_order_id] = (order.id, order.created_at)

    def release_client_id(self, order: Order, new_client_id: str) -> None:
        """``order`` gave its client id away (see ``OrderClientIdReleased``); index the new name."""
        self._unindex_client_id(order)
        self.by_client_id[new_client_id] = (order.id, order.created_at)

    def index_broker_id(self, order: Order) -> None:
        """Index the broker's id of ``order`` once it is known."""
        if order.broker_order_id:
            self.by_broker_id[order.broker_order_id] = order.id

    def find_for_report(self, broker_order_id: str | None, ref: str | None) -> Order | None:
        """The order a broker report is about: by broker order id, else by our reference."""
        if broker_order_id:
            order_id = self.by_broker_id.get(broker_order_id)
            if order_id is not None:
                return self.orders.get(order_id)
        if ref:
            order_id = self.by_ref.get(ref)
            if order_id is not None:
                order = self.orders.get(order_id)
                # A reference names one order; a report with another broker id is about someone else's.
                if order is not None and (not broker_order_id or order.broker_order_id in (None, broker_order_id)):
                    return order
        return None

    def open_orders(self) -> Iterator[Order]:
        """Orders not final, oldest first."""
        return (o for o in sorted(self.orders.values(), key=lambda o: o.id) if o.is_open)

    def __iter__(self) -> Iterator[Order]:
        return iter(self.orders.values())

    def __len__(self) -> int:
        return len(self.orders)

    # ------------------------------------------------------------------------------ fills
    def has_trade(self, broker_trade_id: str) -> bool:
        """Whether this fill was applied already."""
        return broker_trade_id in self.trade_ids

    def add_trade(self, broker_trade_id: str, day: date) -> None:
        """Remember an applied fill."""
        self.trade_ids[broker_trade_id] = day

    # ------------------------------------------------------------------------------ the day roll
    def prune(self, keep_from: date, now: datetime) -> list[Order]:
        """Forget finished orders of days before ``keep_from``, old client and trade ids; returns the orders
        dropped."""
        trading_day = keep_from
        dropped = [o for o in self.orders.values() if not o.is_open and o.trading_day < trading_day]
        for order in dropped:
            self.orders.pop(order.id, None)
            if self.by_ref.get(order.ref) == order.id:
                del self.by_ref[order.ref]
            if order.broker_order_id and self.by_broker_id.get(order.broker_order_id) == order.id:
                del self.by_broker_id[order.broker_order_id]
        forget_before = now - CLIENT_ID_MEMORY
        for client_id in [c for c, (_, created) in self.by_client_id.items() if created < forget_before]:
            del self.by_client_id[client_id]
        oldest_fill = trading_day - timedelta(days=TRADE_ID_DAYS + 4)
        for trade_id in [t for t, day in self.trade_ids.items() if day < oldest_fill]:
            del self.trade_ids[trade_id]
        return dropped


def ids(orders: Iterable[Order]) -> list[int]:
    """Order ids (for logs)."""
    return [o.id for o in orders]
