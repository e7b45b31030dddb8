"""Signals: the decision on a signal and the decision log."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qmtdesk.api.schemas.common import Dec, Model, Time
from qmtdesk.api.schemas.orders import Order
from qmtdesk.domain.sizing import SignalAction, SizingMethod


class SignalSizing(Model):
    """How much a signal asked to trade."""

    method: SizingMethod
    value: Dec


class SignalResult(Model):
    """The decision on a signal (201), or a replay of a known ``signal_id`` (200, ``duplicate``)."""

    signal_id: str
    decision: Literal["executed", "skipped", "denied", "expired", "duplicate"]
    reason: str = Field(description="why, in the caller's language (Accept-Language)")
    error: str | None = Field(description="a denial's error code")
    stock_code: str
    action: SignalAction
    side: Literal["buy", "sell"] | None = Field(description="the sized order's side; null when not sized")
    quantity: int | None = Field(description="the sized quantity (0 when skipped); null when not sized")
    order: Order | None = Field(description="the order placed (or the denied order); null when none was stored")
    original_decision: Literal["executed", "skipped", "denied", "expired", "pending"] | None = Field(
        None, description="only on a replay: the stored decision"
    )


class SignalRecord(Model):
    """A stored signal with its decision and order (the decision log)."""

    id: int
    signal_id: str
    account_id: str
    stock_code: str
    action: SignalAction
    strategy_name: str
    confidence: Dec | None
    price: Dec | None
    sizing: SignalSizing | None
    expires_at: Time | None
    reason: str = Field(description="the signal's own reason")
    source: Literal["api", "ui", "strategy"]
    decision: Literal["pending", "executed", "skipped", "denied", "expired"]
    decision_reason: str
    decision_reason_en: str
    error: str | None
    side: Literal["buy", "sell"] | None
    quantity: int | None
    order_id: int | None
    order: Order | None
    replays: int = Field(description="how many times the signal was sent again")
    created_at: Time
    decided_at: Time | None
