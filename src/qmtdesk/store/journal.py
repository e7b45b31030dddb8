"""The journal: one writer thread that commits what the desk changed, many changes per transaction.

The engine (and the paper exchange) change their state in memory on the event loop and tell the
journal they did (:meth:`Journal.touch`, which returns the future of the batch those changes will be
committed in). At the end of the loop iteration the batch is *sealed*: every touched source turns
what changed into SQL operations, built from its state at that moment, and the batch goes to the
writer. The writer takes every sealed batch waiting, writes them in one transaction with
``executemany`` and, after the commit, hands the outcome back to the loop, where each batch's
after-commit callbacks run (publishing its events) and its future resolves.

That is group commit: whatever arrived while the last transaction ran goes into the next, so the
cost of a commit is shared by everything that waited for it, and nothing is reported before it is
durable. Ids of the journaled tables are assigned here, in memory, so rows need no round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import Table, func, select

from qmtdesk.domain.errors import DeskError
from qmtdesk.store.sql import Codec

log = logging.getLogger(__name__)

#: Pause between two attempts at a transaction that failed (the database is down or locked).
RETRY_SECONDS = (0.05, 0.2, 1.0, 2.0, 5.0)


class JournalFailed(DeskError):
    """The ledger could not be written: nothing more is accepted until the desk is restarted."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "JOURNAL_FAILED",
            f"账本写入失败，已停止接受委托，请检查数据库后重启：{detail}",
            f"The ledger could not be written; no more orders are accepted until a restart: {detail}",
            http_status=503,
        )


@dataclass(slots=True)
class Op:
    """One statement and the parameter rows it runs with (``executemany``).

    ``owner``: the index, in each row, of the order id the row belongs to; rows of orders whose
    insert was refused as a ``client_order_id`` conflict are dropped. ``conflicts_on``: for the
    order insert itself, the id column whose missing rows name those conflicts.
    """

    sql: str
    rows: list[tuple[Any, ...]]
    owner: int | None = None
    conflicts_on: tuple[Table, str] | None = None


@dataclass(frozen=True, slots=True)
class CommitResult:
    """What the writer tells the loop about a committed transaction."""

    #: Orders whose insert the database refused: their ``client_order_id`` belongs to an older order.
    conflicts: frozenset[int] = frozenset()


class JournalSource(Protocol):
    """Something whose changes the journal commits."""

    def collect(self) -> tuple[list[Op], Callable[[CommitResult], None] | None]:
        """On the loop, at seal time: the operations for what changed since the last call, and a
        callback to run on the loop once they are committed."""
        ...


@dataclass(slots=True)
class _Batch:
    future: asyncio.Future[CommitResult]
    sources: list[JournalSource] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    after: list[Callable[[CommitResult], None]] = field(default_factory=list)


class Journal:
    """Group commit for one database."""

    def __init__(self, db: SqlEngine) -> None:
        self.db = db
        self.codec = Codec(db.dialect.name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open: _Batch | None = None
        self._last: asyncio.Future[CommitResult] | None = None
        self._queue: list[_Batch] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._conn: Any = None  # the writer's connection (the writer thread only)
        self._stopped_by: JournalFailed | None = None  # the writer's own record of a failure
        self._ids: dict[str, itertools.count[int]] = {}
        #: Set when a transaction can never succeed (a constraint the desk did not expect): fail fast.
        self.failed: JournalFailed | None = None
        #: Transactions committed and batches they held (for the benchmarks and the logs).
        self.transactions = 0
        self.batches = 0

    # ------------------------------------------------------------------------------ ids
    def seed_ids(self, table: Table, column: str) -> None:
        """Continue ``table.column`` after the largest value stored (before anything is written)."""
        with self.db.connect() as conn:
            largest = conn.execute(select(func.max(table.c[column]))).scalar()
        self._ids[table.name] = itertools.count(int(largest or 0) + 1)

    def next_id(self, table: str) -> int:
        """The next id of a journaled table (``orders``, ``order_events``, ``trades``)."""
        return next(self._ids[table])

    # ------------------------------------------------------------------------------ lifecycle
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start the writer; batches are sealed on ``loop`` (the running loop by default)."""
        self._loop = loop or asyncio.get_running_loop()
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
            self._thread.start()

    async def stop(self) -> None:
        """Commit everything touched so far, then stop the writer."""
        await self.flush()
        with self._cond:
            self._stopping = True
            self._cond.notify()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join)

    @property
    def running(self) -> bool:
        """Whether the writer thread is up."""
        return self._thread is not None

    # ------------------------------------------------------------------------------ the loop side
    def touch(self, source: JournalSource) -> asyncio.Future[CommitResult]:
        """``source`` changed: its changes go into the open batch; returns the future of that batch's commit."""
        if self.failed is not None:
            raise self.failed
        batch = self._open
        if batch is None:
            loop = self._loop
            if loop is None:
                raise RuntimeError("the journal is not started")
            batch = self._open = _Batch(loop.create_future())
            loop.call_soon(self._seal)
        if source not in batch.sources:
            batch.sources.append(source)
        return batch.future

    async def flush(self) -> CommitResult | None:
        """Wait until everything touched so far is committed."""
        if self._open is not None:
            return await asyncio.shield(self._open.future)
        if self._last is not None and not self._last.done():
            return await asyncio.shield(self._last)
        return None

    def _seal(self) -> None:
        batch, self._open = self._open, None
        if batch is None:
            return
        for source in batch.sources:
            try:
                ops, after = source.collect()
            except Exception:  # a source that cannot say what changed must not lose the others' changes
                log.exception("journal source %s failed to collect its changes", type(source).__name__)
                continue
            batch.ops.extend(ops)
            if after is not None:
                batch.after.append(after)
        self._last = batch.future
        with self._cond:
            self._queue.append(batch)
            self._cond.notify()

    def _committed(self, batches: list[_Batch], result: CommitResult | JournalFailed) -> None:
        if isinstance(result, JournalFailed):
            self.failed = result
            for batch in batches:
                if not batch.future.done():
                    batch.future.set_exception(result)
            return
        for batch in batches:
            for callback in batch.after:
                try:
                    callback(result)
                except Exception:
                    log.exception("after-commit callback failed")
            if not batch.future.done():
                batch.future.set_result(result)

    # ------------------------------------------------------------------------------ the writer thread
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    self._release()
                    return
                batches, self._queue = self._queue, []
            # After a failure nothing more is written: a later batch committed on top of a rolled-back one
            # would leave the ledger with a hole and publish changes that depend on the lost ones.
            result = self._stopped_by if self._stopped_by is not None else self._write_with_retries(batches)
            if isinstance(result, JournalFailed):
                self._stopped_by = result
            else:
                self.transactions += 1
                self.batches += len(batches)
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._committed, batches, result)

    def _write_with_retries(self, batches: list[_Batch]) -> CommitResult | JournalFailed:
        ops = _merge(op for batch in batches for op in batch.ops)
        dbapi: Any = self.db.dialect.dbapi
        for attempt in itertools.count():
            conn = self._connection()
            try:
                result = self._write(conn, ops)
                conn.commit()
                return result
            except dbapi.IntegrityError as exc:
                # Retrying cannot help: the in-memory state and the ledger disagree about a key.
                self._rollback(conn)
                log.critical("journal transaction violates a constraint; the desk stops writing: %s", exc)
                return JournalFailed(str(exc)[:200])
            except (dbapi.OperationalError, dbapi.InterfaceError):  # down, locked or unreachable: wait
                self._rollback(conn, invalidate=True)
                pause = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                log.exception("journal transaction failed (attempt %d); retrying in %.2fs", attempt + 1, pause)
                time.sleep(pause)
            except Exception as exc:  # a value the database cannot take: a defect, never retried
                self._rollback(conn)
                log.critical("journal transaction failed; the desk stops writing", exc_info=True)
                return JournalFailed(f"{type(exc).__name__}: {exc}"[:200])
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> Any:
        # The writer keeps one connection of the pool for its life and runs the statements on its
        # DBAPI cursor: SQLAlchemy's per-statement execution machinery cost more than the SQL itself.
        if self._conn is None:
            self._conn = self.db.raw_connection()
        return self._conn

    def _rollback(self, conn: Any, *, invalidate: bool = False) -> None:
        try:
            conn.rollback()
        except Exception:
            invalidate = True
        if invalidate:
            with contextlib.suppress(Exception):
                conn.invalidate()
            self._conn = None

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _write(self, conn: Any, ops: Sequence[Op]) -> CommitResult:
        conflicts: set[int] = set()
        cursor = conn.cursor()
        try:
            for op in ops:
                rows = op.rows
                if conflicts and op.owner is not None:
                    owner = op.owner
                    rows = [r for r in rows if r[owner] not in conflicts]
                if not rows:
                    continue
                cursor.executemany(op.sql, rows)
                if op.conflicts_on is not None and cursor.rowcount != len(rows):
                    conflicts |= self._missing(cursor, op.conflicts_on, rows)
        finally:
            cursor.close()
        if conflicts:
            log.warning("orders %s refused: their client_order_id belongs to an older order", sorted(conflicts))
        return CommitResult(frozenset(conflicts))

    def _missing(self, cursor: Any, key: tuple[Table, str], rows: list[tuple[Any, ...]]) -> set[int]:
        """Ids (the first column of each row) that the insert did not store."""
        table, column = key
        ids = [r[0] for r in rows]
        marks = ", ".join([self.codec.placeholder] * len(ids))
        cursor.execute(f"SELECT {column} FROM {table.name} WHERE {column} IN ({marks})", ids)
        found = {row[0] for row in cursor.fetchall()}
        return {i for i in ids if i not in found}


def _merge(ops: Any) -> list[Op]:
    """Consecutive operations with the same statement become one ``executemany``."""
    merged: list[Op] = []
    for op in ops:
        last = merged[-1] if merged else None
        if last is not None and last.sql == op.sql and last.owner == op.owner and last.conflicts_on == op.conflicts_on:
            if last.rows is not op.rows:
                last.rows = [*last.rows, *op.rows]
            continue
        merged.append(Op(op.sql, op.rows, op.owner, op.conflicts_on))
    return merged
