"""In-memory risk counters of one account, kept equal to the committed ledger.

The rate, active-order, turnover and duplicate rules ask their questions on every order. Counting
them in the database costs a query each and grows with the ledger, so the counters live here: seeded
from the ledger at start, then fed every committed change of an order (and every cancel request) by
SQLAlchemy session events — whatever writes the ledger, the counters follow the commit, and a rolled
back change never counts. Windows longer than :data:`HORIZON` are answered from the ledger instead.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.domain.orders import OPEN, OrderStatus
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow

log = logging.getLogger(__name__)

#: Statuses of orders that never reached the broker: they count for nothing.
NOT_SENT = frozenset({OrderStatus.DENIED.value, OrderStatus.PENDING_NEW.value})
#: Orders at the broker and not final.
ACTIVE = frozenset(s.value for s in OPEN if s is not OrderStatus.PENDING_NEW)
#: How far back the time-window counters reach; longer windows are counted in the ledger.
HORIZON = timedelta(days=2)
CANCEL_EVENT = "cancel_requested"
#: New orders between two prunes of what fell out of the horizon.
PRUNE_EVERY = 20_000

#: Scope keys: ``None`` is the whole account, a string is one strategy.
Scope = str | None
SameKey = tuple[Scope, str, str, int, str, Decimal | None]


@dataclass(frozen=True, slots=True)
class _Counted:
    """What the counters remember of one sent order."""

    strategy: str
    status: str
    side: str
    price: Decimal | None
    quantity: int
    remaining: int
    filled_amount: Decimal
    frozen_amount: Decimal
    trading_day: date

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def buy_commitment(self) -> Decimal:
        """What this order adds to the day's buy turnover (see :func:`buy_commitment`)."""
        if self.side != "buy":
            return Decimal(0)
        return buy_commitment(
            self.active, self.price, self.quantity, self.remaining, self.filled_amount, self.frozen_amount
        )


def buy_commitment(
    active: bool, price: Decimal | None, quantity: int, remaining: int, filled: Decimal, frozen: Decimal
) -> Decimal:
    """A buy's weight in the day's turnover: what filled, plus the open rest at its price — or, for a
    market order (no price), at the cash frozen for it."""
    if not active or remaining <= 0:
        return filled
    if price is not None:
        return filled + price * remaining
    return filled + (frozen * remaining / quantity if quantity else Decimal(0))


def _scopes(strategy: str) -> tuple[Scope, ...]:
    return (None, strategy) if strategy else (None,)


def _count_since(times: list[datetime], since: datetime) -> int:
    return len(times) - bisect_left(times, since)


class OrderCounters:
    """Counters for one account; thread-safe (commits happen on several threads)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self._lock = threading.Lock()
        self._orders: dict[int, _Counted] = {}
        self._sent: dict[Scope, list[datetime]] = defaultdict(list)
        self._cancels: dict[Scope, list[datetime]] = defaultdict(list)
        self._same: dict[SameKey, list[datetime]] = defaultdict(list)
        self._active: dict[Scope, int] = defaultdict(int)
        self._turnover: dict[tuple[date, Scope], Decimal] = defaultdict(Decimal)
        self._new_since_prune = 0
        #: The counters hold every order and cancel request created at or after this moment.
        self.covers_since: datetime | None = None
        #: Set when a commit could not be followed: every question then goes to the ledger.
        self.degraded = False

    # ------------------------------------------------------------------------------ wiring
    def attach(self, session_factory: sessionmaker[Session], now: datetime) -> None:
        """Seed from the ledger, then follow every commit made through ``session_factory``."""
        key = f"risk-counters:{self.account_id}:{id(self)}"

        def after_flush(session: Session, _context: Any) -> None:
            changed = session.info.setdefault(key, [])
            for obj in (*session.new, *session.dirty):
                if isinstance(obj, OrderRow | OrderEventRow) and obj.account_id == self.account_id:
                    changed.append(obj)

        def after_commit(session: Session) -> None:
            if session.in_nested_transaction():
                return  # a savepoint: the outer transaction has not committed yet
            changed = session.info.pop(key, None)
            if changed:
                try:
                    self.observe(changed)
                except Exception:
                    # The commit stands; the counters cannot be trusted any more: the ledger answers.
                    log.exception("risk counters lost track of a commit; counting in the ledger from now on")
                    self.degraded = True

        def after_soft_rollback(session: Session, previous: Any) -> None:
            changed = session.info.pop(key, None)
            if previous.nested and changed:
                # What the savepoint undid is mixed with what the outer transaction keeps.
                log.warning("a savepoint rolled back order changes; risk counters count in the ledger from now on")
                self.degraded = True

        event.listen(session_factory, "after_flush", after_flush)
        event.listen(session_factory, "after_commit", after_commit)
        event.listen(session_factory, "after_soft_rollback", after_soft_rollback)
        self.seed(session_factory, now)

    def seed(self, session_factory: sessionmaker[Session], now: datetime) -> None:
        """Load the orders and cancel requests the counters must know of."""
        since = now - HORIZON
        with session_factory() as session:
            orders = list(
                session.scalars(
                    select(OrderRow).where(
                        OrderRow.account_id == self.account_id,
                        or_(
                            OrderRow.created_at >= since,
                            OrderRow.status.in_(ACTIVE),
                            OrderRow.trading_day >= since.date(),
                        ),
                    )
                )
            )
            cancels = list(
                session.scalars(
                    select(OrderEventRow).where(
                        OrderEventRow.account_id == self.account_id,
                        OrderEventRow.event == CANCEL_EVENT,
                        OrderEventRow.time >= since,
                    )
                )
            )
            with self._lock:
                self.covers_since = since
            self.observe([*orders, *cancels])

    # ------------------------------------------------------------------------------ feeding
    def observe(self, rows: Iterable[object]) -> None:
        """Count committed order rows (their state now) and new cancel-request events."""
        with self._lock:
            for row in rows:
                if isinstance(row, OrderRow):
                    self._observe_order(row)
                elif isinstance(row, OrderEventRow) and row.event == CANCEL_EVENT and row.seq is not None:
                    self._observe_cancel(row)

    def _observe_order(self, row: OrderRow) -> None:
        if row.status in NOT_SENT or row.id is None:
            return
        now = _Counted(
            strategy=row.strategy_name or "",
            status=row.status,
            side=row.side,
            price=row.price,
            quantity=row.quantity,
            remaining=row.quantity - row.filled_quantity,
            filled_amount=row.filled_amount or Decimal(0),
            frozen_amount=row.frozen_amount or Decimal(0),
            trading_day=row.trading_day,
        )
        before = self._orders.get(row.id)
        if before == now:
            return
        self._orders[row.id] = now
        scopes = _scopes(now.strategy)
        if before is None:
            self._new_since_prune += 1
            if self._new_since_prune >= PRUNE_EVERY:
                self._prune(row.created_at)
            for scope in scopes:
                insort(self._sent[scope], row.created_at)
                key = (scope, row.stock_code, row.side, row.quantity, row.price_type, row.price)
                insort(self._same[key], row.created_at)
        if (before is not None and before.active) != now.active:
            for scope in scopes:
                self._active[scope] += 1 if now.active else -1
        change = now.buy_commitment - (before.buy_commitment if before is not None else Decimal(0))
        if change:
            for scope in scopes:
                self._turnover[(now.trading_day, scope)] += change

    def _observe_cancel(self, row: OrderEventRow) -> None:
        counted = self._orders.get(row.order_id) if row.order_id is not None else None
        strategy = counted.strategy if counted is not None else ""
        for scope in _scopes(strategy):
            insort(self._cancels[scope], row.time)

    # ------------------------------------------------------------------------------ questions
    @property
    def usable(self) -> bool:
        """Whether the counters follow the ledger (else ask the ledger)."""
        return not self.degraded and self.covers_since is not None

    def covers(self, since: datetime) -> bool:
        """Whether a window starting at ``since`` lies inside what the counters hold."""
        return self.usable and self.covers_since is not None and since >= self.covers_since

    def covers_day(self, day: date) -> bool:
        """Whether the counters hold every order of trading day ``day``."""
        return self.usable and self.covers_since is not None and day >= self.covers_since.date()

    def orders_since(self, since: datetime, strategy: str | None) -> int:
        """Orders sent (created at or after ``since``), not counting ones refused before sending."""
        with self._lock:
            return _count_since(self._sent.get(strategy or None, []), since)

    def cancels_since(self, since: datetime, strategy: str | None) -> int:
        """Cancel requests at or after ``since``."""
        with self._lock:
            return _count_since(self._cancels.get(strategy or None, []), since)

    def active_orders(self, strategy: str | None) -> int:
        """Orders at the broker and not final."""
        with self._lock:
            return self._active.get(strategy or None, 0)

    def buy_turnover(self, day: date, strategy: str | None) -> Decimal:
        """The day's buys: what filled, plus what is still open at its price."""
        with self._lock:
            return self._turnover.get((day, strategy or None), Decimal(0))

    def same_orders_since(
        self,
        since: datetime,
        *,
        strategy: str | None,
        stock_code: str,
        side: str,
        quantity: int,
        price_type: str,
        price: Decimal | None,
    ) -> int:
        """Orders with this stock, side, quantity, price type and price sent at or after ``since``."""
        key = (strategy or None, stock_code, side, quantity, price_type, price)
        with self._lock:
            return _count_since(self._same.get(key, []), since)

    def prune(self, now: datetime) -> None:
        """Forget what fell out of the horizon (finished orders of earlier days, old times)."""
        with self._lock:
            self._prune(now)

    def _prune(self, now: datetime) -> None:
        since = now - HORIZON
        self._new_since_prune = 0
        for times in (*self._sent.values(), *self._cancels.values(), *self._same.values()):
            del times[: bisect_left(times, since)]
        for same_key in [k for k, v in self._same.items() if not v]:
            del self._same[same_key]
        finished = [order_id for order_id, c in self._orders.items() if not c.active and c.trading_day < since.date()]
        for order_id in finished:
            del self._orders[order_id]
        for day_key in [k for k in self._turnover if k[0] < since.date()]:
            del self._turnover[day_key]
        self.covers_since = max(since, self.covers_since or since)
