"""The one way in for orders: API, UI, signals and strategies all call :class:`OrderService`.

It turns requests into engine commands (with the caller's audit note) and nothing else: creation,
idempotency (``client_order_id``), validation, risk, persistence and sending all happen in
:meth:`Engine.place <qmtdesk.oms.engine.Engine.place>`, one way for every source.
"""

from __future__ import annotations

from typing import Any

from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import Side
from qmtdesk.oms.commands import SOURCES, AuditNote, OrderPayload, Placed, PlaceOrder, SpecialTerms
from qmtdesk.oms.engine import Engine

#: The result of a submission (kept under its older name for callers).
Submitted = Placed
#: Sources whose orders are subscriptions or repo lending, placed with special terms.
SPECIAL_SOURCES = frozenset({"ipo", "repo"})


class OrderService:
    """Submits and cancels orders for one account."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.account_id = engine.account_id
        #: An account an admin disabled takes no new orders (cancels still go through).
        self.enabled = True

    async def submit(
        self,
        payload: OrderPayload,
        *,
        source: str,
        user_id: int | None,
        audit: AuditNote | None = None,
        special: SpecialTerms | None = None,
    ) -> Placed:
        """Place an order. Raises the refusal (422/503, ``data.order`` holds the stored order) or 409.

        ``special`` marks a subscription or repo lending (sources ``ipo`` / ``repo`` only): checked by
        the rules that apply to it instead of the secondary-market validator (see :class:`SpecialTerms`)."""
        if source not in SOURCES:
            raise ValueError(f"unknown order source {source!r}")
        if not self.enabled:
            raise DeskError(
                "ACCOUNT_DISABLED",
                f"账户 {self.account_id} 已停用，不接受新委托（撤单仍可进行）",
                f"Account {self.account_id} is disabled: no new orders (cancels still work)",
                http_status=409,
            )
        if (special is not None) != (source in SPECIAL_SOURCES):
            raise ValueError(f"orders from {source!r} {'need' if special is None else 'take no'} special terms")
        return await self.engine.place(PlaceOrder(payload, source, user_id, audit, special))

    async def cancel(self, order_id: int, audit: AuditNote | None = None) -> dict[str, Any]:
        """Request a cancel; returns the order (``pending_cancel`` or final)."""
        return await self.engine.cancel(order_id, audit)

    async def cancel_all(
        self, stock_code: str | None = None, side: Side | None = None, audit: AuditNote | None = None
    ) -> dict[str, Any]:
        """Cancel every open order, optionally of one code or side; refusals are reported per order."""
        return await self.engine.cancel_all(stock_code, side, audit)


__all__ = ["AuditNote", "OrderPayload", "OrderService", "SpecialTerms", "Submitted"]
