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
from sqlalchemy import exc as sa_exc

from qmtdesk.domain.errors import DeskError
from qmtdesk.store.db import BUSY_TIMEOUT_MS
from qmtdesk.store.sql import Codec

log = logging.getLogger(__name__)

#: How often the SQLite WAL is copied into the database (when something was committed since).
CHECKPOINT_SECONDS = 1.0
#: A WAL longer than this after the copy (4 KB frames: 16 MB) is started over.
RESTART_FRAMES = 4096
#: How long that restart may wait for the writer and readers to let go (ms); it is retried next time.
RESTART_WAIT_MS = 100
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

    ``owner``: the index, in each row, of the order id the row belongs to (or ``None``); rows of
    orders whose insert was refused as a ``client_order_id`` conflict are dropped. ``conflicts_on``:
    for the order insert itself, the id column whose missing rows name those conflicts.
    """

    sql: str
    rows: list[tuple[Any, ...]]
    owner: int | None = None
    conflicts_on: tuple[Table, str] | None = None
    #: The owner is an extra last element of each row, not a column: removed before the rows are written.
    strip_owner: bool = False
    #: (table, id column) when each row's first value is an id the desk assigned: finding the first row
    #: tells whether a transaction whose COMMIT went unanswered was committed.
    marker: tuple[Table, str] | None = None


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
        self._checkpointer: threading.Thread | None = None
        self._wake_checkpointer = threading.Event()
        self._stopped_by: JournalFailed | None = None  # the writer's own record of a failure
        self._before_seal: list[Callable[[], None]] = []
        self._ids: dict[str, itertools.count[int]] = {}
        self._seeded: list[tuple[str, str]] = []
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
        self._seeded.append((table.name, column))

    def next_id(self, table: str) -> int:
        """The next id of a journaled table (``orders``, ``order_events``, ``trades``)."""
        return next(self._ids[table])

    # ------------------------------------------------------------------------------ lifecycle
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start the writer; batches are sealed on ``loop`` (the running loop by default)."""
        self._loop = loop or asyncio.get_running_loop()
        if self._thread is None:
            self._stopping = False
            self._wake_checkpointer.clear()
            self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
            self._thread.start()
            if self.codec.sqlite:
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_forever, name="journal-checkpoint", daemon=True
                )
                self._checkpointer.start()

    def _checkpoint_forever(self) -> None:
        """SQLite: copy the WAL into the database every second there were commits, beside the writer
        (a passive checkpoint never blocks it), so that no commit stalls on a checkpoint.

        A passive copy alone lets the WAL grow for ever while commits never pause: it stops at the
        last frame committed when it began, so it never reaches the end, and SQLite starts a WAL over
        only after a copy that did. A long WAL slows every read (each page is looked up in the WAL's
        index first: serial orders ran 30% slower after 50,000) and fills the disk. So a WAL still
        longer than ``RESTART_FRAMES`` after the copy is restarted: that copies the few frames
        committed meanwhile, waits at most ``RESTART_WAIT_MS`` for the writer and readers (else the
        next round retries), and the next commit starts the WAL from its beginning."""
        done = 0
        while not self._wake_checkpointer.wait(CHECKPOINT_SECONDS):
            if self.transactions == done:
                continue
            done = self.transactions
            try:
                conn = self.db.raw_connection()
                try:
                    cursor = conn.cursor()
                    try:
                        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        _busy, frames, _copied = cursor.fetchone()
                        if frames > RESTART_FRAMES:
                            cursor.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
                            try:
                                cursor.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                            finally:
                                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                    finally:
                        cursor.close()
                finally:
                    conn.close()
            except Exception:
                log.warning("WAL checkpoint failed; the next one retries", exc_info=True)

    async def stop(self) -> None:
        """Commit everything touched so far, then stop the writer."""
        with contextlib.suppress(JournalFailed):
            await self.flush()
        with self._cond:
            self._stopping = True
            self._cond.notify()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join)
        checkpointer, self._checkpointer = self._checkpointer, None
        self._wake_checkpointer.set()
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.join)
        if self.db.dialect.name == "postgresql" and self._seeded and self.failed is None:
            await asyncio.to_thread(self._advance_sequences)

    def _advance_sequences(self) -> None:
        """PostgreSQL: move each journaled table's id sequence past the ids the desk assigned, so that
        anything else inserting rows (a tool, an older version) does not collide with them."""
        try:
            with self.db.begin() as conn:
                for table, column in self._seeded:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
                    )
        except Exception:
            log.warning("could not advance the id sequences", exc_info=True)

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

    def before_seal(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` on the loop before each batch is sealed (the engine applies the broker reports that
        arrived meanwhile, so a paper fill and its ledger record share one transaction)."""
        self._before_seal.append(hook)

    def _seal(self) -> None:
        for hook in self._before_seal:
            try:
                hook()
            except Exception:
                log.exception("journal pre-seal hook failed")
        batch, self._open = self._open, None
        if batch is None:
            return
        for source in batch.sources:
            try:
                ops, after = source.collect()
            except Exception as exc:
                # What that source changed would be missing from a batch its callers take as committed:
                # stop writing rather than commit a partial state.
                log.critical("journal source %s failed to collect its changes", type(source).__name__, exc_info=True)
                self._fail([batch], JournalFailed(f"{type(source).__name__}: {type(exc).__name__}: {exc}"[:200]))
                return
            batch.ops.extend(ops)
            if after is not None:
                batch.after.append(after)
        self._last = batch.future
        with self._cond:
            self._queue.append(batch)
            self._cond.notify()

    def _fail(self, batches: list[_Batch], failure: JournalFailed) -> None:
        self.failed = failure
        self._stopped_by = failure
        for batch in batches:
            if not batch.future.done():
                batch.future.set_exception(failure)

    def _committed(self, batches: list[_Batch], result: CommitResult | JournalFailed) -> None:
        if isinstance(result, JournalFailed):
            self._fail(batches, result)
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
        try:
            self._write_forever()
        except BaseException as exc:  # never die silently: whoever waits must hear that nothing is written
            log.critical("the journal writer stopped", exc_info=True)
            failure = JournalFailed(f"writer stopped: {type(exc).__name__}: {exc}"[:200])
            self._stopped_by = failure
            with self._cond:
                batches, self._queue = self._queue, []
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._fail, batches, failure)
            raise

    def _write_forever(self) -> None:
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
        retrying = False
        for attempt in itertools.count():
            conn = None
            try:
                conn = self._connection()
                if retrying and self._already_committed(conn, ops):
                    # The link dropped during COMMIT, after the database had committed: do not write twice.
                    log.warning("journal transaction found committed after a lost connection")
                    return CommitResult()
                result = self._write(conn, ops)
                conn.commit()
                return result
            except dbapi.IntegrityError as exc:
                # Retrying cannot help: the in-memory state and the ledger disagree about a key.
                if conn is not None:
                    self._rollback(conn)
                log.critical("journal transaction violates a constraint; the desk stops writing: %s", exc)
                return JournalFailed(str(exc)[:200])
            except (dbapi.OperationalError, dbapi.InterfaceError, sa_exc.OperationalError, sa_exc.InterfaceError):
                # Down, locked or unreachable (also while connecting again): wait and try again.
                retrying = True
                if conn is not None:
                    self._rollback(conn, invalidate=True)
                pause = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                log.exception("journal transaction failed (attempt %d); retrying in %.2fs", attempt + 1, pause)
                time.sleep(pause)
            except Exception as exc:  # a value the database cannot take: a defect, never retried
                if conn is not None:
                    self._rollback(conn)
                log.critical("journal transaction failed; the desk stops writing", exc_info=True)
                return JournalFailed(f"{type(exc).__name__}: {exc}"[:200])
        raise AssertionError("unreachable")  # pragma: no cover

    def _already_committed(self, conn: Any, ops: Sequence[Op]) -> bool:
        """Whether the batch's rows are there already: the first row of any op with ids the desk assigned
        (a refused order's row is missing, its events are not)."""
        found = False
        cursor = conn.cursor()
        try:
            for op in ops:
                if op.marker is None or not op.rows:
                    continue
                table, column = op.marker
                cursor.execute(
                    f"SELECT 1 FROM {table.name} WHERE {column} = {self.codec.placeholder}", (op.rows[0][0],)
                )
                if cursor.fetchone() is not None:
                    found = True
                    break
        finally:
            cursor.close()
        conn.rollback()
        return found

    def _connection(self) -> Any:
        # The writer keeps one connection of the pool for its life and runs the statements on its
        # DBAPI cursor: SQLAlchemy's per-statement execution machinery cost more than the SQL itself.
        if self._conn is None:
            conn = self.db.raw_connection()
            if self.codec.sqlite:
                # Checkpoints (copying the WAL into the database, with an fsync) are the checkpointer
                # thread's job, not the commit's: a commit that runs one stalls every order waiting for it.
                cursor = conn.cursor()
                cursor.execute("PRAGMA wal_autocheckpoint=0")
                cursor.close()
            self._conn = conn
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
                if op.strip_owner:
                    rows = [r[:-1] for r in rows]
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
        """Ids (the first column of each row) whose row the insert did not store. A row counts as ours only
        if it is the whole row we wrote the first columns of (id and the columns after it up to the
        account and client id), so a row someone else inserted under the same id is not taken for it."""
        table, column = key
        ids = [r[0] for r in rows]
        marks = ", ".join([self.codec.placeholder] * len(ids))
        names = [c.name for c in table.columns][:4]  # id, account_id, client_order_id, ref
        cursor.execute(f"SELECT {', '.join(names)} FROM {table.name} WHERE {column} IN ({marks})", ids)
        found = {tuple(row) for row in cursor.fetchall()}
        return {r[0] for r in rows if tuple(r[:4]) not in found}


def _merge(ops: Any) -> list[Op]:
    """Consecutive operations with the same statement become one ``executemany``."""
    merged: list[Op] = []
    for op in ops:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.sql == op.sql
            and last.owner == op.owner
            and last.conflicts_on == op.conflicts_on
            and last.strip_owner == op.strip_owner
        ):
            last.rows = [*last.rows, *op.rows]
            continue
        merged.append(Op(op.sql, op.rows, op.owner, op.conflicts_on, op.strip_owner, op.marker))
    return merged
