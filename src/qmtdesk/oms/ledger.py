"""The ledger of one account: the engine's changes as journal rows, published on the bus after commit.

The engine tells the ledger what happened (an order created or changed by an event, a fill, an audit
or risk entry); the ledger buffers it and, when the journal seals the batch, turns it into rows:

* ``orders``: one row per order changed in the batch, as it stands at seal time — an ``INSERT`` for
  an order the database has not seen (refused if its ``client_order_id`` is taken: see the journal),
  else an ``UPDATE`` (the table is the orders' current state; history is in ``order_events``);
* ``order_events``: one row per event, numbered by ``seq``, its payload the fields the event changed
  (the whole order for its creation, the whole trade for a fill);
* ``trades``, ``audit_log``, ``risk_events``, ``account_snapshots``: appended.

After the commit the buffered bus events are published, in order.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table

from qmtdesk.domain.order_events import OrderChange
from qmtdesk.domain.orders import Order, Trade
from qmtdesk.oms.bus import Event, EventBus, OrderUpdate, Published, TradeUpdate
from qmtdesk.oms.views import order_delta, order_view, trade_view
from qmtdesk.store.journal import CommitResult, Journal, Op
from qmtdesk.store.sql import insert_sql, update_sql
from qmtdesk.store.tables.audit import AuditLog, redact
from qmtdesk.store.tables.orders import AccountSnapshotRow, OrderEventRow, OrderRow, TradeRow
from qmtdesk.store.tables.risk import RiskEventRow

log = logging.getLogger(__name__)

ORDERS = cast(Table, OrderRow.__table__)
EVENTS = cast(Table, OrderEventRow.__table__)
TRADES = cast(Table, TradeRow.__table__)
#: Columns of ``orders`` in the order the rows below are built (every column but the key comes second).
ORDER_COLUMNS = [c.name for c in ORDERS.columns]
_UPDATED_COLUMNS = [c for c in ORDER_COLUMNS if c != "id"]
EVENT_COLUMNS = ["seq", "account_id", "stream", "order_id", "event", "status", "payload", "time"]
TRADE_COLUMNS = [
    "id",
    "account_id",
    "broker_trade_id",
    "order_id",
    "broker_order_id",
    "stock_code",
    "stock_name",
    "side",
    "price",
    "quantity",
    "amount",
    "commission",
    "stamp_duty",
    "transfer_fee",
    "strategy_name",
    "traded_at",
    "trading_day",
]
AUDIT_COLUMNS = ["time", "actor", "action", "target", "detail", "ip"]
RISK_COLUMNS = [
    "account_id",
    "time",
    "kind",
    "rule",
    "code",
    "scope",
    "order_id",
    "stock_code",
    "side",
    "strategy_name",
    "message",
    "detail",
]
SNAPSHOT_COLUMNS = ["account_id", "time", "total_asset", "cash", "market_value", "note"]


def _dumps(value: Any) -> str:
    # orjson: several times the speed of json for the payload of every journal entry.
    return orjson.dumps(value, default=str).decode()


class Ledger:
    """The journal source of one account's orders, fills, audit and risk entries."""

    def __init__(self, journal: Journal, account_id: str, bus: EventBus) -> None:
        self.journal = journal
        self.account_id = account_id
        self.bus = bus
        codec = self.codec = journal.codec
        self._insert_order = insert_sql(ORDERS, codec, ignore_conflict_on=["account_id", "client_order_id"])
        self._update_order = update_sql(ORDERS, codec, _UPDATED_COLUMNS, ["id"])
        self._insert_event = insert_sql(EVENTS, codec, EVENT_COLUMNS)
        # A fill the ledger already holds (a replay beyond what memory remembers) is skipped, never doubled.
        self._insert_trade = insert_sql(
            TRADES, codec, TRADE_COLUMNS, ignore_conflict_on=["account_id", "broker_trade_id"]
        )
        self._insert_audit = insert_sql(cast(Table, AuditLog.__table__), codec, AUDIT_COLUMNS)
        self._insert_risk = insert_sql(cast(Table, RiskEventRow.__table__), codec, RISK_COLUMNS)
        self._insert_snapshot = insert_sql(cast(Table, AccountSnapshotRow.__table__), codec, SNAPSHOT_COLUMNS)
        self._reset()
        #: New orders whose first commit has not been confirmed yet, and those the database refused
        #: (their client id belongs to an older order): a replay answers only with a confirmed order.
        self.unconfirmed: set[int] = set()
        self.refused: set[int] = set()

    def _reset(self) -> None:
        self._dirty: dict[int, Order] = {}
        # Orders created since the last seal: their first row is an INSERT, every later one an UPDATE.
        self._new: set[int] = set()
        self._events: list[tuple[Any, ...]] = []
        self._trades: list[tuple[Any, ...]] = []
        self._audit: list[tuple[Any, ...]] = []
        self._risk: list[tuple[Any, ...]] = []
        self._snapshots: list[tuple[Any, ...]] = []
        self._published: list[tuple[int | None, Published]] = []
        self._after: list[Callable[[CommitResult], None]] = []

    # ------------------------------------------------------------------------------ recording (the loop)
    def touch(self) -> Any:
        """The future of the commit of what was recorded (see :meth:`Journal.touch`)."""
        return self.journal.touch(self)

    def _event_row(self, order: Order, stream: str, kind: str, payload: dict[str, Any], time: datetime) -> int:
        seq = self.journal.next_id("order_events")
        codec = self.codec
        self._events.append(
            (
                seq,
                order.account_id,
                stream,
                order.id,
                kind,
                order.status.value if stream == "orders" else None,
                _dumps(payload),
                codec.instant(time),
            )
        )
        return seq

    def created(self, order: Order, time: datetime) -> Any:
        """A new order: its row and its ``created`` entry holding the whole order."""
        self._dirty[order.id] = order
        self._new.add(order.id)
        self.unconfirmed.add(order.id)
        view = order_view(order)
        seq = self._event_row(order, "orders", "created", view, time)
        self._publish_order(order, "created", seq, time)
        return self.touch()

    def changed(self, order: Order, change: OrderChange) -> Any:
        """An event applied to ``order``: its row changes and the entry records the fields it changed."""
        self._dirty[order.id] = order
        seq = self._event_row(order, "orders", change.kind, order_delta(order, change.fields), change.time)
        self._publish_order(order, change.kind, seq, change.time)
        return self.touch()

    def _publish_order(self, order: Order, kind: str, seq: int, time: datetime) -> None:
        # A copy only while someone reads the orders stream (WebSocket clients, notifications).
        if self.bus.wants("orders"):
            self._published.append((order.id, OrderUpdate(dataclasses.replace(order), kind, seq, time)))

    def trade(self, trade: Trade, time: datetime) -> Any:
        """A fill: the ``trades`` row and its entry on the trades stream."""
        codec = self.codec
        self._trades.append(
            (
                trade.id,
                trade.account_id,
                trade.broker_trade_id,
                trade.order_id,
                trade.broker_order_id,
                trade.stock_code,
                trade.stock_name,
                trade.side.value,
                codec.money(trade.price),
                trade.quantity,
                codec.money(trade.amount),
                codec.money(trade.commission),
                codec.money(trade.stamp_duty),
                codec.money(trade.transfer_fee),
                trade.strategy_name,
                codec.instant(trade.traded_at),
                codec.day(trade.trading_day),
            )
        )
        if trade.order_id is None:
            return self.touch()  # a fill of no order we know: recorded, but no order stream to put it on
        seq = self.journal.next_id("order_events")
        self._events.append(
            (
                seq,
                trade.account_id,
                "trades",
                trade.order_id,
                "trade",
                None,
                _dumps(trade_view(trade)),
                codec.instant(time),
            )
        )
        self._published.append((trade.order_id, TradeUpdate(trade, seq, time)))
        return self.touch()

    def audit(
        self,
        actor: str | None,
        action: str,
        target: str | None,
        detail: Mapping[str, Any] | None,
        ip: str | None,
        time: datetime,
        *,
        order_id: int | None = None,
    ) -> Any:
        """An audit row, in the same transaction as the change it describes (dropped with the order
        ``order_id`` should the database refuse that order)."""
        self._audit.append(
            (
                self.codec.instant(time),
                (actor or "system")[:64],
                action[:64],
                None if target is None else str(target)[:128],
                json.dumps(redact(dict(detail or {})), ensure_ascii=False, sort_keys=True, default=str),
                None if ip is None else ip[:64],
                order_id,
            )
        )
        return self.touch()

    def risk_event(
        self,
        kind: str,
        time: datetime,
        *,
        message: str,
        detail: Mapping[str, Any] | None = None,
        rule: str | None = None,
        code: str | None = None,
        scope: str | None = None,
        order_id: int | None = None,
        stock_code: str | None = None,
        side: str | None = None,
        strategy_name: str | None = None,
        publish: Mapping[str, Any] | None = None,
    ) -> Any:
        """A ``risk_events`` row; ``publish`` is the ``risk`` stream message sent after the commit."""
        self._risk.append(
            (
                self.account_id,
                self.codec.instant(time),
                kind,
                rule,
                code,
                scope,
                order_id,
                stock_code,
                side,
                strategy_name,
                message,
                _dumps(detail or {}),
                order_id,
            )
        )
        if publish is not None:
            self._published.append(
                (order_id, Event("risk", {**publish, "time": time.isoformat()}, time, account_id=self.account_id))
            )
        return self.touch()

    def snapshot(self, time: datetime, total_asset: Any, cash: Any, market_value: Any, note: str) -> Any:
        """A point of the equity curve."""
        codec = self.codec
        self._snapshots.append(
            (
                self.account_id,
                codec.instant(time),
                codec.money(total_asset),
                codec.money(cash),
                codec.money(market_value),
                note,
            )
        )
        return self.touch()

    def after_commit(self, callback: Callable[[CommitResult], None]) -> Any:
        """Run ``callback`` on the loop once what was recorded so far is committed."""
        self._after.append(callback)
        return self.touch()

    def forget(self, order_id: int) -> None:
        """The database refused this order (its client id is taken): nothing more is written for it."""
        self._dirty.pop(order_id, None)
        self._new.discard(order_id)
        self.unconfirmed.discard(order_id)

    # ------------------------------------------------------------------------------ the journal's side
    def _order_row(self, o: Order) -> tuple[Any, ...]:
        c = self.codec
        return (
            o.id,
            o.account_id,
            o.client_order_id,
            o.ref,
            o.payload_hash,
            o.broker_order_id,
            o.broker_sysid,
            o.stock_code,
            o.stock_name,
            o.side.value,
            o.price_type.value,
            c.money(o.price),
            o.quantity,
            o.filled_quantity,
            c.money(o.filled_amount),
            o.status.value,
            o.status_code,
            o.status_msg,
            o.error,
            o.error_message,
            o.strategy_name,
            o.remark,
            o.source,
            c.money(o.fees),
            c.money(o.frozen_amount),
            o.user_id,
            c.day(o.trading_day),
            c.instant(o.created_at),
            c.instant(o.updated_at),
            c.instant(o.finished_at),
        )

    def collect(self) -> tuple[list[Op], Callable[[CommitResult], None] | None]:
        """The batch's operations: order updates first (a retry takes over a released client id), then
        inserts, events, fills, audit, risk, equity points."""
        ops: list[Op] = []
        inserts, updates = [], []
        new = self._new
        for order in self._dirty.values():
            row = self._order_row(order)
            if order.id in new:
                inserts.append(row)
            else:
                updates.append((*row[1:], order.id))
        if updates:
            ops.append(Op(self._update_order, updates))
        if inserts:
            ops.append(Op(self._insert_order, inserts, owner=0, conflicts_on=(ORDERS, "id"), marker=(ORDERS, "id")))
        if self._events:
            ops.append(Op(self._insert_event, self._events, owner=3, marker=(EVENTS, "seq")))
        if self._trades:
            ops.append(Op(self._insert_trade, self._trades, owner=3, marker=(TRADES, "id")))
        if self._audit:
            ops.append(Op(self._insert_audit, self._audit, owner=-1, strip_owner=True))
        if self._risk:
            ops.append(Op(self._insert_risk, self._risk, owner=-1, strip_owner=True))
        if self._snapshots:
            ops.append(Op(self._insert_snapshot, self._snapshots))
        published, after = self._published, self._after
        self._reset()

        inserted = [row[0] for row in inserts]

        def committed(result: CommitResult) -> None:
            conflicts = result.conflicts
            self.unconfirmed.difference_update(inserted)
            if conflicts:
                self.refused.update(conflicts)
            for owner, event in published:
                if owner is None or owner not in conflicts:
                    self.bus.publish(event)
            for callback in after:
                callback(result)

        return ops, committed
