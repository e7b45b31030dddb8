"""The envelope, the error body, pages, and the helper routes use to declare their answers."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Dec = str  # a decimal as a string: "11.60", "0.0123"
Time = str  # ISO 8601 with the +08:00 offset
Day = str  # YYYY-MM-DD

#: The market phase the API shows (``API_PHASE``); ``phase_detail`` gives the fine-grained one.
MarketPhase = Literal[
    "closed", "pre_open", "opening_auction", "continuous", "lunch_break", "closing_auction", "after_hours"
]
#: The risk engine's trading state.
TradingState = Literal["active", "reduce_only", "halted"]
#: The broker link's state.
LinkState = Literal["connected", "connecting", "reconnecting", "disconnected"]


class Model(BaseModel):
    """Strict about fields, so a test against a real answer finds any field added or dropped."""

    model_config = ConfigDict(extra="forbid")


class Envelope(Model, Generic[T]):
    """Every success body: ``{code: 0, message: "ok", data}``."""

    code: Literal[0] = 0
    message: Literal["ok"] = "ok"
    data: T


class ErrorBody(Model):
    """Every error body: the HTTP status again, a stable ``error`` code, a zh-CN (or en) message, data."""

    code: int
    error: str = Field(examples=["LOT_SIZE"])
    message: str
    data: Any = None


class PageOf(Model, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    page: int
    page_size: int


#: Error answers every route may give (the body is always :class:`ErrorBody`).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "not signed in (UNAUTHORIZED)"),
        (403, "not allowed (FORBIDDEN, TRADE_LOCKED, …)"),
        (404, "not found"),
        (409, "conflict (a duplicate, a final order, …)"),
        (422, "refused: bad input or an A-share / risk rule (code says which)"),
        (429, "rate limited or locked"),
        (503, "broker unavailable"),
    )
}


def answers(model: Any, *statuses: int) -> dict[str, Any]:
    """Route keyword arguments declaring the success body ``Envelope[model]`` for ``statuses`` (200 by
    default), without validating answers at run time."""
    return {"response_model": None, "responses": {s: {"model": Envelope[model]} for s in statuses or (200,)}}
