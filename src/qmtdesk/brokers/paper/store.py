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
from qmtdesk.store.journal import Journal, Op
from qmtdesk.store.sql import RowWriter, delete_sql
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


_PAPER_TABLES = (PaperOrderRow, PaperTradeRow, PaperPositionRow, PaperMarketRow, PaperAccountRow)


def _account_row(account_id: str, exchange: PaperExchange) -> dict[str, Any]:
    cash = exchange.portfolio.cash
    return {
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


def _position_rows(account_id: str, exchange: PaperExchange, codes: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of the positions held among ``codes``, and the codes no longer held."""
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
    return rows, gone


def _market_rows(account_id: str, exchange: PaperExchange, codes: set[str]) -> list[dict[str, Any]]:
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
    return rows


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
                upsert(session, PaperAccountRow.__table__, [_account_row(account_id, exchange)], ["account_id"])  # type: ignore[arg-type]
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
                held, gone = _position_rows(account_id, exchange, changes.positions)
                upsert(session, PaperPositionRow.__table__, held, ["account_id", "stock_code"])  # type: ignore[arg-type]
                if gone:
                    session.execute(
                        delete(PaperPositionRow).where(
                            PaperPositionRow.account_id == account_id, PaperPositionRow.stock_code.in_(gone)
                        )
                    )
            if changes.market:
                upsert(
                    session,
                    PaperMarketRow.__table__,  # type: ignore[arg-type]
                    _market_rows(account_id, exchange, changes.market),
                    ["account_id", "stock_code"],
                )

    def reset(self, account_id: str) -> None:
        """Delete every row of the account."""
        with unit_of_work(self.session_factory) as session:
            for model in _PAPER_TABLES:
                session.execute(delete(model).where(model.account_id == account_id))


class JournalPaperStore(SqlPaperStore):
    """The paper exchange's persistence through the desk's journal (group commit, on the loop).

    ``save`` only notes what changed; when the journal seals its batch the rows are built from the
    exchange as it stands then and written in the same transaction as the ledger changes of the same
    moment — so the paper account and the desk's ledger never disagree about what was committed.
    """

    def __init__(self, session_factory: sessionmaker[Session], journal: Journal) -> None:
        super().__init__(session_factory)
        self.journal = journal
        codec = journal.codec
        self._accounts = RowWriter(PaperAccountRow.__table__, codec, ["account_id"])  # type: ignore[arg-type]
        self._orders = RowWriter(PaperOrderRow.__table__, codec, ["account_id", "order_id"])  # type: ignore[arg-type]
        self._trades = RowWriter(PaperTradeRow.__table__, codec, ["account_id", "trade_id"])  # type: ignore[arg-type]
        self._positions = RowWriter(PaperPositionRow.__table__, codec, ["account_id", "stock_code"])  # type: ignore[arg-type]
        self._market = RowWriter(PaperMarketRow.__table__, codec, ["account_id", "stock_code"])  # type: ignore[arg-type]
        self._delete_positions = delete_sql(PaperPositionRow.__table__, codec, ["account_id", "stock_code"])  # type: ignore[arg-type]
        self._reset_sql = [delete_sql(m.__table__, codec, ["account_id"]) for m in _PAPER_TABLES]  # type: ignore[arg-type]
        self._pending: dict[str, tuple[PaperExchange, Changes]] = {}
        self._resets: list[str] = []

    # Orders and fills are the rows of every order: built straight as tuples in the tables' column order.
    def _order_values(self, account_id: str, o: PaperOrder) -> tuple[Any, ...]:
        c = self.journal.codec
        return (
            account_id,
            o.order_id,
            o.ref,
            o.stock_code,
            o.side.value,
            o.price_type.value,
            o.quantity,
            c.money(o.price),
            c.money(o.limit_price),
            c.money(o.protect),
            c.day(o.trading_day),
            c.instant(o.created_at),
            c.instant(o.updated_at),
            o.strategy_name,
            o.filled,
            c.money(o.filled_amount),
            c.money(o.fees.commission),
            c.money(o.fees.stamp_duty),
            c.money(o.fees.transfer_fee),
            c.money(o.frozen_cash),
            o.status.value,
            o.status_code,
            o.status_msg[:255],
            o.error_code,
            c.flag(o.queued),
            c.flag(o.cancel_pending),
        )

    def _trade_values(self, account_id: str, t: PaperTrade) -> tuple[Any, ...]:
        c = self.journal.codec
        return (
            account_id,
            t.trade_id,
            t.order_id,
            t.ref,
            t.stock_code,
            t.side.value,
            c.money(t.price),
            t.quantity,
            c.money(t.fees.commission),
            c.money(t.fees.stamp_duty),
            c.money(t.fees.transfer_fee),
            c.money(t.realized_pnl),
            c.instant(t.time),
            c.day(t.trading_day),
            t.strategy_name,
        )

    def _account_values(self, account_id: str, exchange: PaperExchange) -> tuple[Any, ...]:
        c = self.journal.codec
        cash = exchange.portfolio.cash
        return (
            account_id,
            c.money(exchange.initial_cash),
            c.money(cash.available),
            c.money(cash.frozen),
            c.money(cash.unsettled),
            c.money(exchange.portfolio.fees_paid),
            c.instant(exchange.cursor),
            c.day(exchange.current_day),
            exchange.next_order_id,
            exchange.next_trade_id,
        )

    def _position_values(
        self, account_id: str, exchange: PaperExchange, codes: set[str]
    ) -> tuple[list[tuple[Any, ...]], list[str]]:
        c = self.journal.codec
        held, gone = [], []
        for code in codes:
            pos = exchange.portfolio.positions.get(code)
            if pos is None:
                gone.append(code)
                continue
            held.append(
                (
                    account_id,
                    code,
                    pos.volume,
                    pos.yesterday_volume,
                    pos.can_use_volume,
                    pos.frozen_volume,
                    c.money(pos.cost),
                    c.money(pos.realized_pnl),
                    c.day(pos.opened_on),
                )
            )
        return held, gone

    def save(self, account_id: str, exchange: PaperExchange, changes: Changes) -> None:
        """Note what changed; it is written when the journal seals its batch."""
        held = self._pending.get(account_id)
        if held is None:
            self._pending[account_id] = (exchange, changes)
        else:
            merged = held[1]
            merged.orders.update(changes.orders)
            merged.trades.extend(changes.trades)
            merged.positions |= changes.positions
            merged.account = merged.account or changes.account
            merged.market |= changes.market
        self.journal.touch(self)

    def reset(self, account_id: str) -> None:
        """Delete every row of the account (in the next batch, before what the fresh account writes)."""
        self._pending.pop(account_id, None)
        self._resets.append(account_id)
        self.journal.touch(self)

    def collect(self) -> tuple[list[Op], None]:
        """The batch's operations, built from the exchanges as they stand now."""
        ops: list[Op] = []
        for account_id in self._resets:
            ops.extend(Op(sql, [(account_id,)]) for sql in self._reset_sql)
        for account_id, (exchange, changes) in self._pending.items():
            if changes.account:
                ops.append(Op(self._accounts.upsert, [self._account_values(account_id, exchange)]))
            if changes.orders:
                rows = [self._order_values(account_id, o) for o in changes.orders.values()]
                ops.append(Op(self._orders.upsert, rows))
            if changes.trades:
                ops.append(Op(self._trades.insert, [self._trade_values(account_id, t) for t in changes.trades]))
            if changes.positions:
                held, gone = self._position_values(account_id, exchange, changes.positions)
                if held:
                    ops.append(Op(self._positions.upsert, held))
                if gone:
                    ops.append(Op(self._delete_positions, [(account_id, code) for code in gone]))
            if changes.market:
                market = _market_rows(account_id, exchange, changes.market)
                if market:
                    ops.append(Op(self._market.upsert, [self._market.values(r) for r in market]))
        self._pending, self._resets = {}, []
        return ops, None
