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

#: Where orders come from (``ipo``: new-issue subscriptions, ``repo``: reverse-repo lending).
SOURCES = frozenset({"api", "ui", "signal", "strategy", "external", "conditional", "algo", "ipo", "repo"})
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
class SpecialTerms:
    """An order outside the secondary market's rules: a subscription (新股/新债申购) or repo lending (逆回购).

    The A-share validator describes trading listed securities (lots, limits, cage, quotes), which a
    subscription code (``732xxx.SH``, ``370xxx.SZ``) or a repo sell does not fit; the subscription
    service has judged the order against the issue's or the repo's own rules instead. The engine still
    creates, records and commits it before sending, like every order, and checks what applies to any
    order: the link, the trading state (kill switch, reduce-only), the quantity step and the cash.
    """

    #: The security's name as the broker listed it.
    stock_name: str
    #: The quantity must be a positive multiple of this (the issue's unit, or 10 repo units).
    lot: int
    #: Cash the order takes until the broker freezes it: 0 for an SH/SZ subscription (paid only when
    #: allotted), the amount for a BSE one or for repo lending.
    reserve_cash: Decimal = Decimal(0)


@dataclass(frozen=True)
class PlaceOrder:
    """One order to place: the request, where it came from, who asked."""

    payload: OrderPayload
    source: str
    user_id: int | None = None
    audit: AuditNote | None = None
    #: Set for subscriptions and repo lending, which skip the secondary-market validator (see SpecialTerms).
    special: SpecialTerms | None = None


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
