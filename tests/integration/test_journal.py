"""The journal on a real migrated database: what the ledger records is what the desk holds in memory.

Runs on SQLite and, when ``QMTDESK_TEST_DATABASE_URL`` is set, on PostgreSQL (the ``database_url``
fixture of ``tests/api/conftest.py``). The journal seals its batches on an asyncio loop, so each test
runs its scenario with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session
from tests.api.conftest import database_url  # noqa: F401  (the fixture: SQLite, and PostgreSQL when configured)

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Side
from qmtdesk.domain.order_events import (
    OrderAccepted,
    OrderAcknowledged,
    OrderBrokerStatus,
    OrderCanceledUnsent,
    OrderCancelRequested,
    OrderChange,
    OrderClientIdReleased,
    OrderFillApplied,
    OrderPartiallyCanceled,
    OrderPartiallyFilled,
    OrderPendingCancel,
    OrderSubmitted,
)
from qmtdesk.domain.orders import Order, OrderStatus, Trade
from qmtdesk.domain.rules import PriceType
from qmtdesk.oms.bus import EventBus, OrderUpdate, Published, TradeUpdate
from qmtdesk.oms.ledger import EVENT_COLUMNS, Ledger
from qmtdesk.oms.views import fold_orders, order_view, trade_view
from qmtdesk.store.db import make_engine, make_session_factory
from qmtdesk.store.journal import CommitResult, Journal, JournalFailed, Op
from qmtdesk.store.migrate import upgrade
from qmtdesk.store.sql import insert_sql
from qmtdesk.store.tables.orders import OrderEventRow, OrderRow, TradeRow

D = Decimal
ORDERS = cast(Table, OrderRow.__table__)
EVENTS = cast(Table, OrderEventRow.__table__)
TRADES = cast(Table, TradeRow.__table__)

#: Wednesday 2026-11-25, 10:00:00.123456 in Shanghai (microseconds: instants must come back exactly).
T0 = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=SHANGHAI)
TRADING_DAY = date(2026, 11, 25)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_order(order_id: int, client_order_id: str | None = None, *, account_id: str = "ACC") -> Order:
    """A new limit buy of 1000 600000.SH at 11.51 (``pending_new``)."""
    return Order(
        id=order_id,
        account_id=account_id,
        client_order_id=client_order_id,
        ref=f"dk{order_id:x}",
        payload_hash=f"{order_id:064x}",
        stock_code="600000.SH",
        stock_name="浦发银行",
        side=Side.BUY,
        price_type=PriceType.LIMIT,
        price=D("11.51"),
        quantity=1000,
        source="api",
        trading_day=TRADING_DAY,
        created_at=T0,
        updated_at=T0,
        strategy_name="grid",
        remark="journal test",
        user_id=1,
    )


def make_trade(trade_id: int, order: Order, quantity: int, price: Decimal, time: datetime) -> Trade:
    return Trade(
        id=trade_id,
        account_id=order.account_id,
        broker_trade_id=f"T{trade_id:06d}",
        order_id=order.id,
        broker_order_id=order.broker_order_id,
        stock_code=order.stock_code,
        stock_name=order.stock_name,
        side=order.side,
        price=price,
        quantity=quantity,
        amount=price * quantity,
        commission=D("5.00"),
        stamp_duty=D("0"),
        transfer_fee=D("0.0345"),
        strategy_name=order.strategy_name,
        traded_at=time,
        trading_day=TRADING_DAY,
    )


def migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def publishing_ledger(journal: Journal) -> tuple[Ledger, list[Published]]:
    """A ledger of account ``ACC`` whose bus appends every ``orders`` message it publishes to a list."""
    bus = EventBus()
    bus.watch(["orders"])
    published: list[Published] = []
    bus.subscribe(published.append)
    return Ledger(journal, "ACC", bus), published


def run(url: str, scenario: Callable[[Engine], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` on a migrated database in a loop of its own."""
    engine = migrated(url)
    try:
        asyncio.run(scenario(engine))
    finally:
        engine.dispose()


@contextlib.asynccontextmanager
async def running_journal(engine: Engine) -> AsyncIterator[Journal]:
    """A started journal whose ids continue after what the database holds; stopped at the end."""
    journal = Journal(engine)
    journal.seed_ids(ORDERS, "id")
    journal.seed_ids(EVENTS, "seq")
    journal.seed_ids(TRADES, "id")
    journal.start()
    try:
        yield journal
    finally:
        await journal.stop()


def plain(value: Any) -> Any:
    """What a column stores for a domain value (enums as their text)."""
    return value.value if isinstance(value, Enum) else value


def stored_row(engine: Engine, model: type[Any], key: int) -> Any:
    with Session(engine) as session:
        return session.get(model, key)


def columns_of(row: Any, table: Table) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in table.columns}


def expected_columns(obj: Any, table: Table) -> dict[str, Any]:
    return {c.name: plain(getattr(obj, c.name)) for c in table.columns}


def event_rows(engine: Engine, order_id: int) -> list[OrderEventRow]:
    with Session(engine) as session:
        query = select(OrderEventRow).where(OrderEventRow.order_id == order_id).order_by(OrderEventRow.seq)
        return list(session.scalars(query))


def fold(rows: list[OrderEventRow]) -> list[dict[str, Any]]:
    """The order object after each entry of the orders stream."""
    return list(fold_orders((r.order_id, json.loads(r.payload)) for r in rows if r.stream == "orders"))


class RawSource:
    """A journal source that hands over the operations it was given, once."""

    def __init__(self, ops: list[Op]) -> None:
        self.ops = ops

    def collect(self) -> tuple[list[Op], Callable[[CommitResult], None] | None]:
        ops, self.ops = self.ops, []
        return ops, None


class Gate:
    """Holds the writer inside its next statement until the test lets it go (no clock involved)."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def pass_through(self) -> None:
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.release.wait(60), "the test never released the writer"


class _GatedCursor:
    def __init__(self, cursor: Any, gate: Gate) -> None:
        self._cursor, self._gate = cursor, gate

    def executemany(self, sql: str, rows: Any) -> Any:
        self._gate.pass_through()
        return self._cursor.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _GatedConnection:
    def __init__(self, connection: Any, gate: Gate) -> None:
        self._connection, self._gate = connection, gate

    def cursor(self) -> _GatedCursor:
        return _GatedCursor(self._connection.cursor(), self._gate)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class GatedEngine:
    """The engine as the journal uses it, its writer's statements passing through a :class:`Gate`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.gate = Gate()

    def connect(self) -> Any:
        return self.engine.connect()

    def raw_connection(self) -> Any:
        return _GatedConnection(self.engine.raw_connection(), self.gate)


# ------------------------------------------------------------------------------ the tests
def test_the_order_columns_are_the_fields_of_the_order() -> None:
    assert {c.name for c in ORDERS.columns} == {f.name for f in dataclasses.fields(Order)}
    assert {c.name for c in TRADES.columns} == {f.name for f in dataclasses.fields(Trade)}


def test_a_recorded_order_reads_back_as_the_order_in_memory(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            ledger = Ledger(journal, "ACC", EventBus())
            order = make_order(journal.next_id("orders"), "c-1")
            views = [order_view(order)]
            kinds = ["created"]
            ledger.created(order, T0)

            def change(event: OrderChange) -> Any:
                assert order.apply(event), f"{type(event).__name__} refused in {order.status}"
                views.append(order_view(order))
                kinds.append(event.kind)
                return ledger.changed(order, event)

            await change(OrderSubmitted(at(0.01), D("11515.7530")))  # the insert and its first update together
            change(OrderAcknowledged(at(0.2), "800001"))
            await change(OrderAccepted(at(0.5), 50, "已报", broker_sysid="SH0001"))
            trade = make_trade(journal.next_id("trades"), order, 300, D("11.50"), at(1.25))
            ledger.trade(trade, at(1.3))
            change(OrderFillApplied(at(1.3), 300, trade.amount, trade.fees))
            change(OrderPartiallyFilled(at(1.3), 55, "部成"))
            await change(OrderCancelRequested(at(2)))
            change(OrderPendingCancel(at(2.1), 52, "部成待撤"))
            change(OrderBrokerStatus(at(2.2), 52, "部成待撤(已确认)"))
            last = change(OrderPartiallyCanceled(at(3.000001), 53, "部撤"))
            result = await last

            assert result.conflicts == frozenset()
            assert order.status is OrderStatus.PARTIALLY_CANCELED
            assert order.frozen_amount == 0 and order.finished_at == at(3.000001)

            row = stored_row(engine, OrderRow, order.id)
            assert row is not None
            assert columns_of(row, ORDERS) == expected_columns(order, ORDERS)
            assert row.finished_at == at(3.000001) and row.finished_at.utcoffset() == timedelta(0)
            assert row.filled_amount == D("3450.00") and isinstance(row.filled_amount, Decimal)
            assert row.fees == D("5.0345")
            assert row.trading_day == TRADING_DAY

            trade_row = stored_row(engine, TradeRow, trade.id)
            assert trade_row is not None
            assert columns_of(trade_row, TRADES) == expected_columns(trade, TRADES)

            rows = event_rows(engine, order.id)
            assert [r.seq for r in rows] == sorted(r.seq for r in rows)
            assert len({r.seq for r in rows}) == len(rows)
            orders_stream = [r for r in rows if r.stream == "orders"]
            assert [r.event for r in orders_stream] == kinds
            assert orders_stream[-1].status == "partially_canceled"
            assert json.loads(orders_stream[0].payload) == views[0]  # the creation holds the whole order
            assert fold(rows) == views
            assert fold(rows)[-1] == order_view(order)
            [trade_entry] = [r for r in rows if r.stream == "trades"]
            assert trade_entry.event == "trade"
            assert json.loads(trade_entry.payload) == trade_view(trade)
            assert trade_entry.time == at(1.3)

    run(database_url, scenario)


def test_changes_made_in_one_loop_iteration_are_committed_in_one_transaction(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            bus = EventBus()
            ledger, other = Ledger(journal, "ACC", bus), Ledger(journal, "ACC2", bus)
            first = make_order(journal.next_id("orders"), "g-1")
            await ledger.created(first, T0)
            transactions, batches = journal.transactions, journal.batches

            futures = []
            second = make_order(journal.next_id("orders"), "g-2")
            futures.append(ledger.created(second, at(0.1)))
            for event in (
                OrderSubmitted(at(0.2), D("11515.75")),
                OrderAcknowledged(at(0.3), "800002"),
                OrderAccepted(at(0.4), 50, "已报"),
            ):
                for order in (first, second):
                    assert order.apply(event)
                    futures.append(ledger.changed(order, event))
                futures.append(ledger.touch())
                futures.append(journal.touch(ledger))
            elsewhere = make_order(journal.next_id("orders"), "g-1", account_id="ACC2")
            futures.append(other.created(elsewhere, at(0.5)))

            assert all(f is futures[0] for f in futures)  # one batch for the whole iteration
            result = await futures[-1]

            assert result.conflicts == frozenset()
            assert journal.transactions == transactions + 1
            assert journal.batches == batches + 1
            for order in (first, second, elsewhere):
                row = stored_row(engine, OrderRow, order.id)
                assert row is not None and columns_of(row, ORDERS) == expected_columns(order, ORDERS)
                assert fold(event_rows(engine, order.id))[-1] == order_view(order)
            assert len(event_rows(engine, first.id)) == 4

    run(database_url, scenario)


def test_bus_events_are_published_only_after_their_rows_are_committed(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            bus = EventBus()
            bus.watch(["orders"])
            seen: list[tuple[str, int, bool, bool]] = []

            def handler(event: Published) -> None:
                with engine.connect() as conn:  # a connection of its own, not the writer's
                    logged = conn.execute(select(EVENTS.c.seq).where(EVENTS.c.seq == event.seq)).first() is not None
                    if isinstance(event, OrderUpdate):
                        key = event.order.id
                        row = conn.execute(select(ORDERS.c.status).where(ORDERS.c.id == key)).first()
                        stored = row is not None
                    else:
                        assert isinstance(event, TradeUpdate)
                        key = event.trade.id
                        stored = conn.execute(select(TRADES.c.id).where(TRADES.c.id == key)).first() is not None
                seen.append((event.stream, key, logged, stored))

            bus.subscribe(handler)
            ledger = Ledger(journal, "ACC", bus)
            order = make_order(journal.next_id("orders"), "b-1")
            done = ledger.created(order, T0)
            event = OrderSubmitted(at(0.1), D("11515.75"))
            assert order.apply(event)
            ledger.changed(order, event)
            assert seen == []  # recorded, not yet committed: nothing published

            await done

            assert seen == [("orders", order.id, True, True), ("orders", order.id, True, True)]
            accepted = OrderAccepted(at(0.2), 50, "已报", broker_order_id="800003")
            assert order.apply(accepted)
            ledger.changed(order, accepted)
            trade = make_trade(journal.next_id("trades"), order, 1000, D("11.51"), at(0.3))
            pending = ledger.trade(trade, at(0.3))
            assert len(seen) == 2

            await pending

            assert seen[2:] == [("orders", order.id, True, True), ("trades", trade.id, True, True)]

    run(database_url, scenario)


def test_an_order_whose_client_order_id_is_taken_is_refused_and_never_published(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        older = make_order(1, "dup")
        older.status, older.broker_order_id, older.updated_at = OrderStatus.ACCEPTED, "700001", at(-60)
        with make_session_factory(engine).begin() as session:
            session.add(OrderRow(**expected_columns(older, ORDERS)))
        old_row = columns_of(stored_row(engine, OrderRow, older.id), ORDERS)

        async with running_journal(engine) as journal:
            ledger, published = publishing_ledger(journal)

            retry = make_order(journal.next_id("orders"), "dup")
            assert retry.id != older.id
            neighbour = make_order(journal.next_id("orders"), "fresh-1")  # same account, same batch
            ledger.created(retry, T0)
            ledger.created(neighbour, T0)
            for order in (retry, neighbour):
                submitted = OrderSubmitted(at(0.1), D("11515.75"))
                assert order.apply(submitted)
                ledger.changed(order, submitted)
            trade = make_trade(journal.next_id("trades"), retry, 100, D("11.51"), at(0.2))
            result = await ledger.trade(trade, at(0.2))

            assert result.conflicts == frozenset({retry.id})
            assert stored_row(engine, OrderRow, retry.id) is None
            assert event_rows(engine, retry.id) == []
            assert stored_row(engine, TradeRow, trade.id) is None
            assert columns_of(stored_row(engine, OrderRow, older.id), ORDERS) == old_row
            assert event_rows(engine, older.id) == []
            assert all(getattr(p, "order", None) is None or p.order.id != retry.id for p in published)
            assert all(not isinstance(p, TradeUpdate) for p in published)
            # The other order of the batch is committed and published as usual.
            row = stored_row(engine, OrderRow, neighbour.id)
            assert row is not None and columns_of(row, ORDERS) == expected_columns(neighbour, ORDERS)
            assert fold(event_rows(engine, neighbour.id))[-1] == order_view(neighbour)
            assert [(p.order.id, p.event) for p in published if isinstance(p, OrderUpdate)] == [
                (neighbour.id, "created"),
                (neighbour.id, "submitted"),
            ]

            ledger.forget(retry.id)  # what the engine does with a refused order
            later = make_order(journal.next_id("orders"), "fresh-2")
            result = await ledger.created(later, at(1))

            assert result.conflicts == frozenset()
            row = stored_row(engine, OrderRow, later.id)
            assert row is not None and columns_of(row, ORDERS) == expected_columns(later, ORDERS)
            assert [r.event for r in event_rows(engine, later.id)] == ["created"]
            assert isinstance(published[-1], OrderUpdate) and published[-1].order.id == later.id
            assert stored_row(engine, OrderRow, retry.id) is None

    run(database_url, scenario)


def test_a_constraint_the_desk_does_not_expect_stops_the_journal(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            ledger, published = publishing_ledger(journal)
            order = make_order(journal.next_id("orders"), "k-1")
            await ledger.created(order, T0)
            [created] = event_rows(engine, order.id)
            published.clear()

            codec = journal.codec
            duplicate = (created.seq, "ACC", "orders", order.id, "changed", "pending_new", "{}", codec.instant(at(1)))
            source = RawSource([Op(insert_sql(EVENTS, codec, EVENT_COLUMNS), [duplicate])])
            victim = make_order(journal.next_id("orders"), "k-2")
            ledger.created(victim, at(1))  # in the same transaction: rolled back with it
            future = journal.touch(source)

            with pytest.raises(JournalFailed) as failure:
                await future

            assert failure.value.code == "JOURNAL_FAILED"
            assert journal.failed is failure.value
            with pytest.raises(JournalFailed):
                journal.touch(source)
            with pytest.raises(JournalFailed):
                ledger.touch()
            assert stored_row(engine, OrderRow, victim.id) is None
            assert event_rows(engine, victim.id) == []
            assert [r.seq for r in event_rows(engine, order.id)] == [created.seq]
            assert published == []

    run(database_url, scenario)


def test_a_retry_takes_over_a_client_order_id_released_in_the_same_batch(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            ledger = Ledger(journal, "ACC", EventBus())
            first = make_order(journal.next_id("orders"), "again")
            await ledger.created(first, T0)

            for event in (
                OrderCanceledUnsent(at(1), "链路断开，未发送"),
                OrderClientIdReleased(at(1), f"again#{first.id}"),
            ):
                assert first.apply(event)
                ledger.changed(first, event)
            retry = make_order(journal.next_id("orders"), "again")
            result = await ledger.created(retry, at(1))

            assert result.conflicts == frozenset()
            for order in (first, retry):
                row = stored_row(engine, OrderRow, order.id)
                assert row is not None and columns_of(row, ORDERS) == expected_columns(order, ORDERS)
                assert fold(event_rows(engine, order.id))[-1] == order_view(order)

    run(database_url, scenario)


def test_batches_sealed_while_a_failing_transaction_runs_are_not_committed_after_it(database_url: str) -> None:  # noqa: F811
    async def scenario(engine: Engine) -> None:
        gated = GatedEngine(engine)
        async with running_journal(gated) as journal:  # type: ignore[arg-type]
            ledger, published = publishing_ledger(journal)
            order = make_order(journal.next_id("orders"), "h-1")
            await ledger.created(order, T0)
            [created] = event_rows(engine, order.id)
            published.clear()

            # Batch A: a change of the order, and a row the database refuses (a seq it already holds).
            gated.gate.armed = True
            submitted = OrderSubmitted(at(1), D("11515.75"))
            assert order.apply(submitted)
            first = ledger.changed(order, submitted)
            codec = journal.codec
            duplicate = (created.seq, "ACC", "orders", order.id, "changed", "submitted", "{}", codec.instant(at(1)))
            journal.touch(RawSource([Op(insert_sql(EVENTS, codec, EVENT_COLUMNS), [duplicate])]))
            assert await asyncio.to_thread(gated.gate.entered.wait, 60)  # the writer is inside batch A
            # Batch B, sealed while A is being written: the next change of the same order.
            accepted = OrderAccepted(at(2), 50, "已报", broker_order_id="800009")
            assert order.apply(accepted)
            second = ledger.changed(order, accepted)
            assert second is not first
            await asyncio.sleep(0)  # one loop iteration: batch B is sealed and queued
            await asyncio.sleep(0)
            gated.gate.release.set()

            with pytest.raises(JournalFailed):
                await first
            assert journal.failed is not None

            with pytest.raises(JournalFailed):
                await second
            assert [r.seq for r in event_rows(engine, order.id)] == [created.seq]
            assert published == []

    run(database_url, scenario)


def test_sqlite_commits_reach_the_database_file_without_a_commit_running_the_checkpoint(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer never checkpoints (a commit that copies the WAL stalls every order waiting for it);
    the checkpointer thread copies committed rows into the database file beside it."""
    import sqlite3

    from qmtdesk.store import journal as journal_module

    monkeypatch.setattr(journal_module, "CHECKPOINT_SECONDS", 0.05)
    path = tmp_path / "desk.db"

    def rows_in_file() -> int:
        # immutable=1 reads the database file alone, ignoring the WAL beside it.
        with contextlib.closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as conn:
            try:
                return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])
            except sqlite3.OperationalError:  # the migration itself is still in the WAL
                return 0

    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            ledger = Ledger(journal, "ACC", EventBus())
            await ledger.created(make_order(journal.next_id("orders"), "c-1"), T0)
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000  # others keep theirs
            assert journal._conn.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            for _ in range(200):
                if rows_in_file() == 1:
                    break
                await asyncio.sleep(0.02)
            assert rows_in_file() == 1

    run(f"sqlite:///{path}", scenario)


def _wal_length(path: Any) -> int:
    """Frames in the SQLite WAL since it last started over (not the file's size: a WAL that starts
    over keeps its file and writes it again from the beginning)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        for _ in range(500):
            frames = int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
            if frames >= 0:  # -1: another checkpoint (the checkpointer's) was running
                return frames
            time.sleep(0.01)
    raise AssertionError("the WAL could not be checkpointed")


def test_sqlite_wal_starts_over_while_commits_never_pause(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A passive checkpoint never reaches the end of a WAL that commits keep extending, and SQLite
    starts a WAL over only after one that did: without a restart, the WAL of a busy desk grows for
    ever (every read slower, the disk filling). The checkpointer restarts a long one."""
    from qmtdesk.store import journal as journal_module

    monkeypatch.setattr(journal_module, "CHECKPOINT_SECONDS", 0.02)
    monkeypatch.setattr(journal_module, "RESTART_FRAMES", 32)
    path = tmp_path / "desk.db"

    async def scenario(engine: Engine) -> None:
        async with running_journal(engine) as journal:
            ledger = Ledger(journal, "ACC", EventBus())
            commits = 0
            loop = asyncio.get_running_loop()
            until = loop.time() + 1.5
            while loop.time() < until:  # back to back: the writer never waits long for the next commit
                await ledger.created(make_order(journal.next_id("orders"), f"c-{commits}"), T0)
                commits += 1
            assert commits > 200
            # Each commit appends at least one frame: a WAL never started over holds at least one per
            # commit. Where the last restart fell depends on the machine's load (under CI load it can
            # be near the end), so the bound is that count itself.
            assert _wal_length(path) < commits

    run(f"sqlite:///{path}", scenario)
