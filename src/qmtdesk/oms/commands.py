"""What callers ask of the engine and what they get back: orders to place, audit notes, answers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import Side
from qmtdesk.domain.rules import PriceType

#: Where orders come from.
SOURCES = frozenset({"api", "ui", "signal", "strategy", "external", "conditional", "algo"})
#: Refusals that mean the order never left the desk for a passing reason: a retry may send it.
RETRYABLE = frozenset({"BROKER_UNAVAILABLE"})


@dataclass(frozen=True)
class AuditNote:
    """Who asked, from where, and what to record with the order in the audit trail."""

    actor: str
    ip: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderPayload:
    """An order request as clients send it (validated for shape by the API layer)."""

    stock_code: str
    side: Side
    quantity: int
    price_type: PriceType
    price: Decimal | None = None
    client_order_id: str | None = None
    strategy_name: str = ""
    remark: str = ""


@dataclass(frozen=True)
class PlaceOrder:
    """One order to place: the request, where it came from, who asked."""

    payload: OrderPayload
    source: str
    user_id: int | None = None
    audit: AuditNote | None = None


@dataclass(frozen=True)
class Placed:
    """The answer to a placement: the order object, and whether this call created it."""

    order: dict[str, Any]
    created: bool


class DuplicateClientOrderId(DeskError):
    """A ``client_order_id`` reused for a different order."""

    http_status = 409

    def __init__(self, client_order_id: str, existing: dict[str, Any]) -> None:
        super().__init__(
            "DUPLICATE_CLIENT_ORDER_ID",
            f"client_order_id {client_order_id!r} 已用于另一笔不同的委托",
            f"client_order_id {client_order_id!r} was already used for a different order",
            data={"order": existing},
        )


def norm_price(price: Decimal | None) -> str | None:
    """A price as text for comparing requests (``11.50`` and ``11.5`` are the same price)."""
    if price is None:
        return None
    try:
        return str(price.normalize())
    except InvalidOperation:
        return str(price)


def payload_hash(fields: dict[str, Any]) -> str:
    """A stable digest of an order request, to tell a retry from a different order."""
    canonical = json.dumps({k: None if v is None else str(v) for k, v in sorted(fields.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
