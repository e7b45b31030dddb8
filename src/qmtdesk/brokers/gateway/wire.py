"""What travels between the desk and a gateway: subjects, and the broker port's objects as JSON.

Subjects, per account (ids are letters, digits, ``_ . -``; dots are replaced so an id is one token):

- ``qmtdesk.<account>.cmd`` — requests from the desk (place, cancel, query, connect, health);
- ``qmtdesk.<account>.reports`` — the gateway's pushes, kept by the account's JetStream stream
  ``QMTDESK_REPORTS_<account>``;
- ``qmtdesk.<account>.health`` — the gateway's heartbeat with its link state and latest account view.

Reports and query answers are the broker port's dataclasses, encoded field by field: decimals as
strings (never floats), instants as ISO 8601 with offset, enums as their values.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from qmtdesk.brokers.base import (
    AccountReport,
    CancelErrorReport,
    ConnectionReport,
    OrderAckReport,
    OrderErrorReport,
    OrderReport,
    OrderRequest,
    PositionReport,
    TradeReport,
)

#: How long a report is kept for a desk that has not read it (seconds).
REPORT_MAX_AGE = 7 * 24 * 3600
#: JetStream drops a report published twice under one id within this window (seconds).
DUPLICATE_WINDOW = 600

#: The kinds of message on the report subject, and the listener method each one goes to.
REPORT_KINDS: dict[str, tuple[type[Any], str]] = {
    "order": (OrderReport, "on_order"),
    "trade": (TradeReport, "on_trade"),
    "ack": (OrderAckReport, "on_order_ack"),
    "order_error": (OrderErrorReport, "on_order_error"),
    "cancel_error": (CancelErrorReport, "on_cancel_error"),
    "connection": (ConnectionReport, "on_connection"),
}
KIND_OF: dict[type[Any], str] = {cls: kind for kind, (cls, _) in REPORT_KINDS.items()}

#: Query answers by what was asked.
QUERY_TYPES: dict[str, type[Any]] = {
    "orders": OrderReport,
    "trades": TradeReport,
    "positions": PositionReport,
    "account": AccountReport,
}


def _token(account_id: str) -> str:
    return account_id.replace(".", "_")


def command_subject(account_id: str) -> str:
    """Where the desk sends an account's commands."""
    return f"qmtdesk.{_token(account_id)}.cmd"


def report_subject(account_id: str) -> str:
    """Where an account's gateway publishes its reports (kept by JetStream)."""
    return f"qmtdesk.{_token(account_id)}.reports"


def report_stream(account_id: str) -> str:
    """The JetStream stream that keeps one account's reports (one per account: its own limits,
    de-duplication and permissions)."""
    return f"QMTDESK_REPORTS_{_token(account_id)}"


def health_subject(account_id: str) -> str:
    """Where an account's gateway publishes its heartbeat."""
    return f"qmtdesk.{_token(account_id)}.health"


def consumer_name(account_id: str) -> str:
    """The desk's durable consumer of an account's reports."""
    return f"desk_{_token(account_id)}"


def dumps(value: Any) -> bytes:
    """JSON bytes of plain data (already encoded with :func:`encode`)."""
    return orjson.dumps(value)


def loads(data: bytes) -> Any:
    """Plain data of JSON bytes."""
    return orjson.loads(data)


def encode(obj: Any) -> Any:
    """A port dataclass (or a list of them, or plain data) as JSON-ready data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    return obj


def decode(cls: type[Any], data: dict[str, Any]) -> Any:
    """The dataclass ``cls`` from :func:`encode`'s data (unknown keys are ignored: newer peers)."""
    values = {name: _value(hint, data[name]) for name, hint in _fields(cls) if name in data}
    return cls(**values)


_FIELDS: dict[type[Any], tuple[tuple[str, Any], ...]] = {}


def _fields(cls: type[Any]) -> tuple[tuple[str, Any], ...]:
    # Resolving the annotations (strings under ``from __future__ import annotations``) is slow: once per class.
    known = _FIELDS.get(cls)
    if known is None:
        hints = typing.get_type_hints(cls)
        known = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return known


def _value(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(inner[0], raw) if len(inner) == 1 else raw
    if origin in (list, tuple):
        (item,) = typing.get_args(hint)[:1]
        return [_value(item, v) for v in raw]
    if origin is dict:
        return dict(raw)
    if hint is Decimal:
        return Decimal(str(raw))
    if hint is datetime:
        return datetime.fromisoformat(raw)
    if hint is date:
        return date.fromisoformat(raw)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(raw)
    if dataclasses.is_dataclass(hint):
        return decode(hint, raw)  # type: ignore[arg-type]
    return raw


def encode_report(report: Any) -> dict[str, Any]:
    """A listener push as a report message."""
    return {"kind": KIND_OF[type(report)], "report": encode(report)}


def decode_report(message: dict[str, Any]) -> tuple[str, Any]:
    """The listener method and the report of a report message."""
    cls, method = REPORT_KINDS[message["kind"]]
    return method, decode(cls, message["report"])


def report_id(account_id: str, report: Any) -> str | None:
    """The id JetStream de-duplicates a report by: the same change published twice is kept once.

    Brokers number orders per account, so the id starts with the account (ids stay unique should
    streams ever be merged). Cancel refusals and link changes have none (each one is news)."""
    key = _REPORT_KEYS.get(type(report))
    return f"{account_id}:{key(report)}" if key is not None else None


_REPORT_KEYS: dict[type[Any], Any] = {
    TradeReport: lambda r: f"trade:{r.broker_trade_id}",
    OrderReport: lambda r: f"order:{r.broker_order_id}:{r.status_code}:{r.filled_quantity}",
    OrderAckReport: lambda r: f"ack:{r.ref}:{r.broker_order_id}",
    OrderErrorReport: lambda r: f"order_error:{r.ref}:{r.broker_order_id}:{r.error_code}",
}


def encode_request(request: OrderRequest) -> dict[str, Any]:
    """An order request as a place command's payload."""
    return dict(encode(request))


def decode_request(data: dict[str, Any]) -> OrderRequest:
    """The order request of a place command."""
    return typing.cast(OrderRequest, decode(OrderRequest, data))
