"""In-memory risk counters of one account: order and cancel rates, active orders, turnover, duplicates.

The rate, active-order, turnover and duplicate rules ask their questions on every order, so the
answers live in memory. The engine feeds every change of every order (and every cancel request) as
it applies it; at start the counters are seeded from the ledger. They hold what happened in the last
:attr:`OrderCounters.horizon` (two days, or the longest window a rule is configured with); a longer
window extends them backwards from the ledger first (:meth:`OrderCounters.extend`).
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.domain.orders import ACTIVE, NOT_SENT, Order, OrderStatus
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow

log = logging.getLogger(__name__)

#: How far back the counters reach at least.
HORIZON = timedelta(days=2)
CANCEL_EVENT = "cancel_requested"
#: New orders between two prunes of what fell out of the horizon.
PRUNE_EVERY = 20_000

#: Scope keys: ``None`` is the whole account, a string is one strategy.
Scope = str | None
SameKey = tuple[Scope, str, str, int, str, Decimal | None]


#: What the counters remember of one sent order: what changes (status, remaining, filled, frozen) ...
_State = tuple[OrderStatus, int, Decimal, Decimal]
#: ... and what does not (strategy, is a buy counted in the turnover, price, quantity, trading day).
_Static = tuple[str, bool, Decimal | None, int, date]


def _commitment(static: _Static, state: _State | None) -> Decimal:
    if state is None or not static[1]:
        return Decimal(0)
    status, remaining, filled, frozen = state
    return buy_commitment(status in ACTIVE, static[2], static[3], remaining, filled, frozen)


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
    """Counters for one account. Fed on the engine's loop; questions may come from any thread."""

    def __init__(self, account_id: str, horizon: timedelta = HORIZON) -> None:
        self.account_id = account_id
        self.horizon = max(horizon, HORIZON)
        self._lock = threading.Lock()
        self._states: dict[int, _State] = {}
        self._statics: dict[int, _Static] = {}
        self._created: dict[int, datetime] = {}
        self._same_keys: dict[int, SameKey] = {}
        self._sent: dict[Scope, list[datetime]] = defaultdict(list)
        self._cancels: dict[Scope, list[datetime]] = defaultdict(list)
        self._same: dict[SameKey, list[datetime]] = defaultdict(list)
        self._active: dict[Scope, int] = defaultdict(int)
        self._turnover: dict[tuple[date, Scope], Decimal] = defaultdict(Decimal)
        self._new_since_prune = 0
        #: The counters hold every order and cancel request created at or after this moment.
        self.covers_since: datetime | None = None

    # ------------------------------------------------------------------------------ seeding
    def seed(self, session_factory: sessionmaker[Session], now: datetime) -> None:
        """Load the orders and cancel requests of the horizon (and every active order) from the ledger."""
        self._load(session_factory, now - self.horizon, None)

    def extend(self, session_factory: sessionmaker[Session], window: timedelta, now: datetime) -> None:
        """Reach back ``window`` from ``now`` (a rule got a longer window): what is older than the
        counters is long committed, so it is read from the ledger without racing the engine."""
        with self._lock:
            covered = self.covers_since
            self.horizon = max(self.horizon, window)
        since = now - window
        if covered is None or since >= covered:
            return
        self._load(session_factory, since, covered)

    def _load(self, session_factory: sessionmaker[Session], since: datetime, until: datetime | None) -> None:
        from qmtdesk.oms.book import order_from_row

        with session_factory() as session:
            created = OrderRow.created_at >= since
            if until is not None:
                created = created & (OrderRow.created_at < until)
            orders = [
                order_from_row(r)
                for r in session.scalars(
                    select(OrderRow).where(
                        OrderRow.account_id == self.account_id,
                        or_(created, OrderRow.status.in_([s.value for s in ACTIVE])) if until is None else created,
                    )
                )
            ]
            query = select(OrderEventRow.order_id, OrderEventRow.time).where(
                OrderEventRow.account_id == self.account_id,
                OrderEventRow.event == CANCEL_EVENT,
                OrderEventRow.time >= since,
            )
            if until is not None:
                query = query.where(OrderEventRow.time < until)
            cancels = list(session.execute(query))
        with self._lock:
            for order in orders:
                self._observe(order)
            for order_id, time in cancels:
                self._cancel(order_id, time)
            self.covers_since = since if self.covers_since is None else min(since, self.covers_since)

    # ------------------------------------------------------------------------------ feeding (the engine)
    def observe(self, order: Order) -> None:
        """Count ``order`` as it stands now (called after every change the engine applies)."""
        with self._lock:
            self._observe(order)

    def observe_cancel(self, order: Order, time: datetime) -> None:
        """The desk asked the broker to cancel ``order``."""
        with self._lock:
            self._cancel(order.id, time)

    def forget(self, order: Order) -> None:
        """Uncount an order the ledger refused (it never existed)."""
        with self._lock:
            before = self._states.pop(order.id, None)
            static = self._statics.pop(order.id, None)
            created = self._created.pop(order.id, None)
            key = self._same_keys.pop(order.id, None)
            if before is None or static is None:
                return
            scopes = _scopes(static[0])
            if before[0] in ACTIVE:
                for scope in scopes:
                    self._active[scope] -= 1
            weight = _commitment(static, before)
            if weight:
                for scope in scopes:
                    self._turnover[(static[4], scope)] -= weight
            if created is not None:
                for scope in scopes:
                    _remove(self._sent[scope], created)
                if key is not None:
                    for scope in scopes:
                        _remove(self._same[(scope, *key[1:])], created)  # type: ignore[arg-type]

    def _observe(self, order: Order) -> None:
        status = order.status
        if status in NOT_SENT:
            return
        order_id = order.id
        state: _State = (status, order.quantity - order.filled_quantity, order.filled_amount, order.frozen_amount)
        before = self._states.get(order_id)
        if before == state:
            return
        self._states[order_id] = state
        static = self._statics.get(order_id)
        if static is None:
            static = (
                order.strategy_name or "",
                # A subscription is no purchase: it is paid only if allotted, outside the day's buying.
                order.side.value == "buy" and order.source != "ipo",
                order.price,
                order.quantity,
                order.trading_day,
            )
            self._statics[order_id] = static
            self._new_since_prune += 1
            if self._new_since_prune >= PRUNE_EVERY:
                self._prune(order.created_at)
            key: SameKey = (
                None,
                order.stock_code,
                order.side.value,
                order.quantity,
                order.price_type.value,
                order.price,
            )
            self._created[order_id] = order.created_at
            self._same_keys[order_id] = key
            for scope in _scopes(static[0]):
                insort(self._sent[scope], order.created_at)
                insort(self._same[(scope, *key[1:])], order.created_at)  # type: ignore[index]
        scopes = _scopes(static[0])
        was_active = before is not None and before[0] in ACTIVE
        if was_active != (status in ACTIVE):
            for scope in scopes:
                self._active[scope] += -1 if was_active else 1
        if static[1]:
            change = _commitment(static, state) - _commitment(static, before)
            if change:
                for scope in scopes:
                    self._turnover[(static[4], scope)] += change

    def _cancel(self, order_id: int, time: datetime) -> None:
        static = self._statics.get(order_id)
        strategy = static[0] if static is not None else ""
        for scope in _scopes(strategy):
            insort(self._cancels[scope], time)

    # ------------------------------------------------------------------------------ questions
    def covers(self, since: datetime) -> bool:
        """Whether a window starting at ``since`` lies inside what the counters hold."""
        return self.covers_since is not None and since >= self.covers_since

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
        since = now - self.horizon
        self._new_since_prune = 0
        for times in (*self._sent.values(), *self._cancels.values(), *self._same.values()):
            del times[: bisect_left(times, since)]
        for same_key in [k for k, v in self._same.items() if not v]:
            del self._same[same_key]
        finished = [
            order_id
            for order_id, state in self._states.items()
            if state[0] not in ACTIVE and self._statics[order_id][4] < since.date()
        ]
        for order_id in finished:
            del self._states[order_id]
            del self._statics[order_id]
            self._created.pop(order_id, None)
            self._same_keys.pop(order_id, None)
        for day_key in [k for k in self._turnover if k[0] < since.date()]:
            del self._turnover[day_key]
        self.covers_since = max(since, self.covers_since or since)


def _remove(times: list[datetime], moment: datetime) -> None:
    index = bisect_left(times, moment)
    if index < len(times) and times[index] == moment:
        del times[index]


def statuses(values: Iterable[OrderStatus]) -> list[str]:
    """Status values for a query."""
    return [s.value for s in values]
