"""Plain SQL for the journal's hot tables, built once from the table metadata, with driver-level values.

The journal writes many rows per transaction with ``executemany``. Going through SQLAlchemy's
statement execution runs every value of every row through the column types' Python bind processors
(``Money``, ``UTCDateTime``): measured at 3x the cost of the write itself. So the statements here are
rendered once per table and dialect, and :class:`Codec` turns values into exactly what those type
processors would have produced — the same storage format, read back by the same ORM models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Table


class Codec:
    """Driver values for one dialect (SQLite stores money and instants as text, PostgreSQL natively)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.sqlite = dialect == "sqlite"
        self.placeholder = "?" if self.sqlite else "%s"

    def money(self, value: Decimal | None) -> Any:
        """``Money``: the exact decimal string on SQLite, a ``Decimal`` elsewhere."""
        if value is None:
            return None
        return str(value) if self.sqlite else value

    def instant(self, value: datetime | None) -> Any:
        """``UTCDateTime``: naive UTC text on SQLite (SQLAlchemy's DATETIME format), aware UTC elsewhere."""
        if value is None:
            return None
        return _sqlite_instant(value) if self.sqlite else _utc(value)

    def day(self, value: date | None) -> Any:
        """``Date``: ISO text on SQLite."""
        if value is None:
            return None
        return value.isoformat() if self.sqlite else value

    def flag(self, value: bool) -> Any:
        """``Boolean``: 0/1 on SQLite."""
        return int(value) if self.sqlite else bool(value)


# The same instants come back again and again (an order's times, the events of one step): remember a few.
@lru_cache(maxsize=512)
def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"an instant must be timezone-aware: {value.isoformat()}")
    return value.astimezone(UTC)


@lru_cache(maxsize=512)
def _sqlite_instant(value: datetime) -> str:
    utc = _utc(value)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


def _names(table: Table, columns: Sequence[str] | None) -> list[str]:
    names = list(columns) if columns is not None else [c.name for c in table.columns]
    unknown = set(names) - {c.name for c in table.columns}
    if unknown:
        raise KeyError(f"{table.name} has no columns {sorted(unknown)}")
    return names


def insert_sql(
    table: Table,
    codec: Codec,
    columns: Sequence[str] | None = None,
    *,
    ignore_conflict_on: Sequence[str] | None = None,
    upsert_on: Sequence[str] | None = None,
) -> str:
    """``INSERT`` of ``columns`` (all by default), optionally ``ON CONFLICT DO NOTHING`` / ``DO UPDATE``.

    Both SQLite (3.24+) and PostgreSQL take the same ``ON CONFLICT`` syntax.
    """
    names = _names(table, columns)
    marks = ", ".join([codec.placeholder] * len(names))
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
    if ignore_conflict_on is not None:
        sql += f" ON CONFLICT ({', '.join(ignore_conflict_on)}) DO NOTHING"
    elif upsert_on is not None:
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in upsert_on)
        sql += f" ON CONFLICT ({', '.join(upsert_on)}) DO UPDATE SET {updates}"
    return sql


def update_sql(table: Table, codec: Codec, columns: Sequence[str], keys: Sequence[str]) -> str:
    """``UPDATE table SET columns... WHERE keys...``: parameters are the columns, then the keys."""
    names = _names(table, columns)
    where = " AND ".join(f"{k} = {codec.placeholder}" for k in _names(table, keys))
    sets = ", ".join(f"{n} = {codec.placeholder}" for n in names)
    return f"UPDATE {table.name} SET {sets} WHERE {where}"


def delete_sql(table: Table, codec: Codec, keys: Sequence[str]) -> str:
    """``DELETE FROM table WHERE keys...``."""
    where = " AND ".join(f"{k} = {codec.placeholder}" for k in _names(table, keys))
    return f"DELETE FROM {table.name} WHERE {where}"


def column_codecs(table: Table, codec: Codec, columns: Sequence[str]) -> list[Any]:
    """For each column, the function giving its driver value (by the column's type)."""
    from sqlalchemy import Boolean, Date

    from qmtdesk.store.base import Money
    from qmtdesk.store.types import UTCDateTime

    out: list[Any] = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, Money):
            out.append(codec.money)
        elif isinstance(kind, UTCDateTime):
            out.append(codec.instant)
        elif isinstance(kind, Boolean):
            out.append(codec.flag)
        elif isinstance(kind, Date):
            out.append(codec.day)
        else:
            out.append(None)
    return out


class RowWriter:
    """Rows of one table as driver tuples, with the statement that writes them (an upsert by ``keys``)."""

    def __init__(self, table: Table, codec: Codec, keys: Sequence[str]) -> None:
        self.table = table
        self.columns = [c.name for c in table.columns]
        self._codecs = list(zip(self.columns, column_codecs(table, codec, self.columns), strict=True))
        self.upsert = insert_sql(table, codec, upsert_on=keys)
        self.insert = insert_sql(table, codec)

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """The driver tuple of a row given as ``{column: value}``."""
        return tuple(row[name] if convert is None else convert(row[name]) for name, convert in self._codecs)
