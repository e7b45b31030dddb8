"""Signals: execute a trading signal (sized, validated and risk-checked like any order) and list decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from qmtdesk.accounts import Account
from qmtdesk.api.deps import AccountDep, DeskDep, Reader, Signals, TradeGuard, account_scope, client_ip
from qmtdesk.api.envelope import Page, ok, page_params, paged
from qmtdesk.api.errors import lang_of
from qmtdesk.api.schemas.common import PageOf, answers
from qmtdesk.api.schemas.signals import SignalRecord, SignalResult
from qmtdesk.desk import Desk
from qmtdesk.domain.errors import DeskError, InvalidValue
from qmtdesk.domain.sizing import SignalAction, SizingMethod, check_sizing
from qmtdesk.strategies.signals import MAX_SIGNAL_ID, SignalRequest

# Every route takes ``?account_id=`` (the default account without it; 404 for an unknown one).
router = APIRouter(tags=["signals"], dependencies=[Depends(account_scope)])

_BIG = Decimal("1e12")


def _finite(value: Decimal | None, name: str) -> Decimal | None:
    if value is not None and (not value.is_finite() or abs(value) >= _BIG):
        raise InvalidValue(f"{name} 须为小于 1e12 的有限数字", f"{name} must be a finite number below 1e12")
    return value


class SizingBody(BaseModel):
    """How much to trade: ``quantity`` (shares), ``amount`` (CNY of trade value), ``equity_pct``
    (fraction of total asset), ``target_pct`` (target weight of the holding), ``position_pct``
    (fraction of the sellable holding; sells only)."""

    method: SizingMethod
    value: Decimal = Field(description="shares, CNY, or a fraction (0.1 = 10%) as a decimal string or number")

    @field_validator("value")
    @classmethod
    def _value_finite(cls, value: Decimal) -> Decimal:
        _finite(value, "value")
        return value


class SignalBody(BaseModel):
    """A trading signal. ``signal_id`` is the idempotency key."""

    signal_id: str = Field(min_length=1, max_length=MAX_SIGNAL_ID, pattern=r"^\S+$", examples=["ma-600000-20261125"])
    stock_code: str = Field(min_length=1, max_length=32, examples=["600000.SH"])
    action: SignalAction
    strategy_name: str = Field(min_length=1, max_length=64, examples=["ma_cross"])
    confidence: Decimal | None = Field(None, description="the strategy's confidence, e.g. 0.8 (recorded only)")
    price: Decimal | None = Field(
        None, gt=0, description="limit price; default: best ask for buys, best bid for sells (inside the price cage)"
    )
    sizing: SizingBody | None = Field(
        None, validate_default=True, description="required for buys; a sell without it sells all sellable"
    )
    expires_at: datetime | None = Field(None, description="after this moment the signal is `expired` (no order)")
    reason: str = Field("", max_length=1000)

    @field_validator("confidence", "price")
    @classmethod
    def _decimals_finite(cls, value: Decimal | None) -> Decimal | None:
        return _finite(value, "number")

    @field_validator("sizing")
    @classmethod
    def _sizing_fits_action(cls, sizing: SizingBody | None, info: ValidationInfo) -> SizingBody | None:
        action = info.data.get("action")
        # an invalid action is reported on its own field; no sizing is the service's to settle (a
        # buy may take its stock's watchlist sizing)
        if action is not None and sizing is not None:
            check_sizing(action, sizing.method, sizing.value)
        return sizing

    def to_request(self) -> SignalRequest:
        """The service's view of the body."""
        return SignalRequest(
            signal_id=self.signal_id,
            stock_code=self.stock_code,
            action=self.action,
            strategy_name=self.strategy_name,
            confidence=self.confidence,
            price=self.price,
            sizing_method=self.sizing.method if self.sizing else None,
            sizing_value=self.sizing.value if self.sizing else None,
            expires_at=self.expires_at,
            reason=self.reason,
        )


async def _execute(
    body: SignalBody, principal: TradeGuard, desk: Desk, account: Account, request: Request, response: Response
) -> Any:
    source = "ui" if request.headers.get("x-client", "").lower() == "ui" else "api"
    result = await account.signals.execute(
        body.to_request(), source=source, user_id=principal.user_id, lang=lang_of(request)
    )
    if result["decision"] == "duplicate":
        response.status_code = 200
        return ok(result)
    order = result.get("order") or {}
    detail = {
        "stock_code": result["stock_code"],
        "action": body.action.value,
        "strategy_name": body.strategy_name,
        "decision": result["decision"],
        "error": result.get("error"),
        "order_id": order.get("order_id"),
        "quantity": result.get("quantity"),
    }
    # Through the journal, as the order's own rows: no database round trip on the event loop.
    account.engine.ledger.audit(
        principal.username, "signal.execute", body.signal_id, detail, client_ip(request), desk.clock.now()
    )
    await desk.journal.flush()
    response.status_code = 201
    return ok(result)


_EXECUTE_DOC = (
    "Decide on a signal: `executed` (with the order), `skipped` (sizing gave no shares), `denied` (validation "
    "or risk refused; with `error`), `expired`, or `duplicate` for a replay of a known `signal_id` (200, with "
    "`original_decision` and the same order). A new decision answers 201. A known `signal_id` with a different "
    "payload → 409 `DUPLICATE_SIGNAL_ID`. Needs a trade token or a trade-scoped API token."
)


@router.post(
    "/trading/execute",
    status_code=201,
    summary="Execute a trading signal",
    description=_EXECUTE_DOC,
    **answers(SignalResult, 201, 200),
)
async def execute_signal(
    body: SignalBody, principal: TradeGuard, desk: DeskDep, account: AccountDep, request: Request, response: Response
) -> Any:
    return await _execute(body, principal, desk, account, request, response)


@router.post(
    "/signals",
    status_code=201,
    summary="Execute a trading signal (alias of /trading/execute)",
    **answers(SignalResult, 201, 200),
)
async def post_signal(
    body: SignalBody, principal: TradeGuard, desk: DeskDep, account: AccountDep, request: Request, response: Response
) -> Any:
    return await _execute(body, principal, desk, account, request, response)


@router.get("/signals", summary="Signals and their decisions, newest first", **answers(PageOf[SignalRecord]))
def list_signals(
    principal: Reader,
    signals: Signals,
    page: Annotated[Page, Depends(page_params)],
    strategy_name: str | None = Query(None, max_length=64),
    stock_code: str | None = Query(None, max_length=32),
    decision: str | None = Query(None, description="comma list: executed, skipped, denied, expired, pending"),
    source: Literal["api", "ui", "strategy"] | None = None,
) -> dict[str, Any]:
    decisions = [d.strip() for d in decision.split(",") if d.strip()] if decision else None
    items, total = signals.list(
        page.page,
        page.page_size,
        strategy_name=strategy_name,
        stock_code=stock_code,
        decisions=decisions,
        source=source,
    )
    return paged(items, total, page)


@router.get("/signals/{signal_id}", summary="One signal with its decision and order", **answers(SignalRecord))
def get_signal(signal_id: str, principal: Reader, signals: Signals) -> dict[str, Any]:
    view = signals.get(signal_id)
    if view is None:
        raise DeskError("SIGNAL_NOT_FOUND", f"信号 {signal_id!r} 不存在", f"No signal {signal_id!r}", http_status=404)
    return ok(view)
