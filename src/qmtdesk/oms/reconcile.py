"""Reconciliation: make the ledger agree with the broker after a start, restart or reconnect.

The broker's orders and fills are replayed through the engine as if they had been pushed, so the
ledger generates exactly the events it missed (fills are de-duplicated by broker trade id, stale
statuses are refused by the transition table). Orders the broker has never heard of are settled:
never-sent ones are cancelled, sent-but-unknown ones become ``unknown`` for a human to check.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from qmtdesk.domain.orders import OrderEvent, OrderStatus
from qmtdesk.oms import ledger
from qmtdesk.oms.bus import Event
from qmtdesk.oms.engine import Engine
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)

#: A sent order the broker does not list yet is only called lost after this long.
SUBMIT_GRACE = timedelta(seconds=30)


async def reconcile(engine: Engine) -> dict[str, int]:
    """Replay the broker's state into the ledger; returns counts of what was seen and settled."""
    trades = await engine.broker.query_trades()
    orders = await engine.broker.query_orders()
    for trade in trades:
        engine.on_trade(trade)
    for order in orders:
        engine.on_order(order)
    await engine.barrier()
    known_ids = {o.broker_order_id for o in orders}
    known_refs = {o.ref for o in orders if o.ref}
    settled = await engine.call(lambda: _settle_orphans(engine, known_ids, known_refs, engine.clock.now()))
    result = {"broker_orders": len(orders), "broker_trades": len(trades), "settled": settled}
    log.info("reconciliation done: %s", result)
    return result


def _settle_orphans(engine: Engine, known_ids: set[str], known_refs: set[str], now: datetime) -> int:
    events: list[Event | None] = []
    with unit_of_work(engine.session_factory) as session:
        rows = session.scalars(
            select(OrderRow).where(
                OrderRow.account_id == engine.account_id,
                OrderRow.status.in_([OrderStatus.PENDING_NEW.value, OrderStatus.SUBMITTED.value]),
            )
        ).all()
        for row in rows:
            if row.broker_order_id in known_ids or row.ref in known_refs:
                continue
            if row.status == OrderStatus.PENDING_NEW.value:
                # Only orders an earlier process left behind: a new one may be queued to send right now.
                if row.id not in engine.created_here:
                    events.append(ledger.cancel_unsent(session, row, "启动时发现未发送的委托，已取消（未报）", now))
            elif row.id in engine.created_here and row.updated_at > now - SUBMIT_GRACE:
                continue  # sent moments ago: the broker may not list it yet
            elif row.id not in engine.created_here and getattr(engine.broker, "freezes_synchronously", False):
                # The paper counter saves an order before it answers: one it never saved was never sent.
                events.append(ledger.cancel_unsent(session, row, "重启前未送达交易所的委托，已取消（未报）", now))
            elif ledger.apply_event(row, OrderEvent.LOST, now):
                row.status_msg = "券商无此委托记录，状态未知，请核对"
                events.append(ledger.append_event(session, row, "unknown", now))
    engine.publish_threadsafe(events)
    return sum(e is not None for e in events)
