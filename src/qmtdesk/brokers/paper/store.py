"""Saves and restores the paper exchange through SQLAlchemy, one transaction per operation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.paper.models import PaperOrder, PaperTrade
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Fees, Side
from qmtdesk.domain.orders import TERMINAL, OrderStatus
from qmtdesk.domain.portfolio import Cash, Portfolio, Position
from qmtdesk.domain.rules import PriceType
from qmtdesk.market.simulator import DayState
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.paper import (
    PaperAccountRow,
    PaperMarketRow,
    PaperOrderRow,
    PaperPositionRow,
    PaperTradeRow,
)

if TYPE_CHECKING:
    from qmtdesk.brokers.paper.exchange import Changes, PaperExchange, PaperState


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SHANGHAI) if moment is not None else None


_UPSERTS: dict[tuple[str, str], Any] = {}


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows`` or update them where their primary key exists (SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt = _UPSERTS.get((dialect, table.name))
    if stmt is None:
        # Building ON CONFLICT statements is costly; each table needs one per dialect.
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(table)
        updates = {c.name: base.excluded[c.name] for c in table.columns if c.name not in keys}
        stmt = _UPSERTS[(dialect, table.name)] = base.on_conflict_do_update(index_elements=list(keys), set_=updates)
    session.execute(stmt, list(rows))


def _order_row(account_id: str, o: PaperOrder) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "order_id": o.order_id,
        "ref": o.ref,
        "stock_code": o.stock_code,
        "side": o.side.value,
        "price_type": o.price_type.value,
        "quantity": o.quantity,
        "price": o.price,
        "limit_price": o.limit_price,
        "protect": o.protect,
        "trading_day": o.trading_day,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "strategy_name": o.strategy_name,
        "filled": o.filled,
        "filled_amount": o.filled_amount,
        "commission": o.fees.commission,
        "stamp_duty": o.fees.stamp_duty,
        "transfer_fee": o.fees.transfer_fee,
        "frozen_cash": o.frozen_cash,
        "status": o.status.value,
        "status_code": o.status_code,
        "status_msg": o.status_msg[:255],
        "error_code": o.error_code,
        "queued": o.queued,
        "cancel_pending": o.cancel_pending,
    }


def _order_from(row: PaperOrderRow) -> PaperOrder:
    return PaperOrder(
        order_id=row.order_id,
        ref=row.ref,
        stock_code=row.stock_code,
        side=Side(row.side),
        price_type=PriceType(row.price_type),
        quantity=row.quantity,
        price=row.price,
        limit_price=row.limit_price,
        protect=row.protect,
        trading_day=row.trading_day,
        created_at=_local(row.created_at) or row.created_at,
        updated_at=_local(row.updated_at) or row.updated_at,
        strategy_name=row.strategy_name,
        filled=row.filled,
        filled_amount=row.filled_amount,
        fees=Fees(row.commission, row.stamp_duty, row.transfer_fee),
        frozen_cash=row.frozen_cash,
        status=OrderStatus(row.status),
        status_code=row.status_code,
        status_msg=row.status_msg,
        error_code=row.error_code,
        queued=row.queued,
        cancel_pending=row.cancel_pending,
    )


def _trade_row(account_id: str, t: PaperTrade) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "trade_id": t.trade_id,
        "order_id": t.order_id,
        "ref": t.ref,
        "stock_code": t.stock_code,
        "side": t.side.value,
        "price": t.price,
        "quantity": t.quantity,
        "commission": t.fees.commission,
        "stamp_duty": t.fees.stamp_duty,
        "transfer_fee": t.fees.transfer_fee,
        "realized_pnl": t.realized_pnl,
        "time": t.time,
        "trading_day": t.trading_day,
        "strategy_name": t.strategy_name,
    }


def _trade_from(row: PaperTradeRow) -> PaperTrade:
    return PaperTrade(
        trade_id=row.trade_id,
        order_id=row.order_id,
        ref=row.ref,
        stock_code=row.stock_code,
        side=Side(row.side),
        price=row.price,
        quantity=row.quantity,
        fees=Fees(row.commission, row.stamp_duty, row.transfer_fee),
        time=_local(row.time) or row.time,
        trading_day=row.trading_day,
        strategy_name=row.strategy_name,
        realized_pnl=row.realized_pnl,
    )


class SqlPaperStore:
    """The paper exchange's persistence in the desk's database."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def load(self, account_id: str) -> PaperState | None:
        """The saved account, or ``None`` when it has never been saved."""
        from qmtdesk.brokers.paper.exchange import PaperState

        with self.session_factory() as session:
            account = session.get(PaperAccountRow, account_id)
            if account is None:
                return None
            day = account.current_day
            order_rows = session.scalars(
                select(PaperOrderRow).where(
                    PaperOrderRow.account_id == account_id,
                    (PaperOrderRow.trading_day == day) | PaperOrderRow.status.not_in([s.value for s in TERMINAL]),
                )
            ).all()
            trade_rows = session.scalars(
                select(PaperTradeRow).where(PaperTradeRow.account_id == account_id, PaperTradeRow.trading_day == day)
            ).all()
            positions = {
                row.stock_code: Position(
                    stock_code=row.stock_code,
                    volume=row.volume,
                    yesterday_volume=row.yesterday_volume,
                    can_use_volume=row.can_use_volume,
                    frozen_volume=row.frozen_volume,
                    cost=row.cost,
                    realized_pnl=row.realized_pnl,
                    opened_on=row.opened_on,
                )
                for row in session.scalars(select(PaperPositionRow).where(PaperPositionRow.account_id == account_id))
            }
            market_rows = session.scalars(select(PaperMarketRow).where(PaperMarketRow.account_id == account_id)).all()
            return PaperState(
                initial_cash=account.initial_cash,
                portfolio=Portfolio(
                    Cash(account.cash_available, account.cash_frozen, account.cash_unsettled),
                    positions,
                    account.fees_paid,
                ),
                orders=[_order_from(r) for r in order_rows],
                trades=[_trade_from(r) for r in trade_rows],
                cursor=_local(account.cursor),
                current_day=day,
                next_order_id=account.next_order_id,
                next_trade_id=account.next_trade_id,
                prev_closes={r.stock_code: r.prev_close for r in market_rows},
                market={
                    r.stock_code: DayState(
                        day=r.day,
                        fair=float(r.fair),
                        last=r.last,
                        open=r.open,
                        high=r.high,
                        low=r.low,
                        volume=r.volume,
                        amount=r.amount,
                        bid_side=r.bid_side,
                    )
                    for r in market_rows
                },
            )

    def save(self, account_id: str, exchange: PaperExchange, changes: Changes) -> None:
        """Write what changed in one transaction."""
        with unit_of_work(self.session_factory) as session:
            if changes.account:
                cash = exchange.portfolio.cash
                upsert(
                    session,
                    PaperAccountRow.__table__,  # type: ignore[arg-type]
                    [
                        {
                            "account_id": account_id,
                            "initial_cash": exchange.initial_cash,
                            "cash_available": cash.available,
                            "cash_frozen": cash.frozen,
                            "cash_unsettled": cash.unsettled,
                            "fees_paid": exchange.portfolio.fees_paid,
                            "cursor": exchange.cursor,
                            "current_day": exchange.current_day,
                            "next_order_id": exchange.next_order_id,
                            "next_trade_id": exchange.next_trade_id,
                        }
                    ],
                    ["account_id"],
                )
            upsert(
                session,
                PaperOrderRow.__table__,  # type: ignore[arg-type]
                [_order_row(account_id, o) for o in changes.orders.values()],
                ["account_id", "order_id"],
            )
            if changes.trades:
                session.execute(
                    PaperTradeRow.__table__.insert(),  # type: ignore[attr-defined]
                    [_trade_row(account_id, t) for t in changes.trades],
                )
            if changes.positions:
                self._save_positions(session, account_id, exchange, changes.positions)
            if changes.market:
                self._save_market(session, account_id, exchange, changes.market)

    def _save_positions(self, session: Session, account_id: str, exchange: PaperExchange, codes: set[str]) -> None:
        rows, gone = [], []
        for code in codes:
            pos = exchange.portfolio.positions.get(code)
            if pos is None:
                gone.append(code)
                continue
            rows.append(
                {
                    "account_id": account_id,
                    "stock_code": code,
                    "volume": pos.volume,
                    "yesterday_volume": pos.yesterday_volume,
                    "can_use_volume": pos.can_use_volume,
                    "frozen_volume": pos.frozen_volume,
                    "cost": pos.cost,
                    "realized_pnl": pos.realized_pnl,
                    "opened_on": pos.opened_on,
                }
            )
        upsert(session, PaperPositionRow.__table__, rows, ["account_id", "stock_code"])  # type: ignore[arg-type]
        if gone:
            session.execute(
                delete(PaperPositionRow).where(
                    PaperPositionRow.account_id == account_id, PaperPositionRow.stock_code.in_(gone)
                )
            )

    def _save_market(self, session: Session, account_id: str, exchange: PaperExchange, codes: set[str]) -> None:
        rows = []
        states = exchange.market.states()
        for code in codes:
            inst, state = exchange.universe.find(code), states.get(code)
            if inst is None or state is None:
                continue
            rows.append(
                {
                    "account_id": account_id,
                    "stock_code": code,
                    "prev_close": inst.prev_close,
                    "day": state.day,
                    "fair": repr(state.fair),
                    "last": state.last,
                    "open": state.open,
                    "high": state.high,
                    "low": state.low,
                    "volume": state.volume,
                    "amount": state.amount,
                    "bid_side": state.bid_side,
                }
            )
        upsert(session, PaperMarketRow.__table__, rows, ["account_id", "stock_code"])  # type: ignore[arg-type]

    def reset(self, account_id: str) -> None:
        """Delete every row of the account."""
        with unit_of_work(self.session_factory) as session:
            for model in (PaperOrderRow, PaperTradeRow, PaperPositionRow, PaperMarketRow, PaperAccountRow):
                session.execute(delete(model).where(model.account_id == account_id))
