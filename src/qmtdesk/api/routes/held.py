"""Held orders (条件单): create, list, read and cancel orders the desk holds until a trigger fires."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictInt, field_validator, model_validator

from qmtdesk.api.deps import AccountDep, Reader, TradeGuard, account_scope, audit_note
from qmtdesk.api.envelope import IdPath, Page, ok, page_params, paged
from qmtdesk.api.schemas.common import PageOf, answers
from qmtdesk.api.schemas.held import Bracket, HeldOrder
from qmtdesk.domain.errors import InvalidValue
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import classify
from qmtdesk.domain.rules import PriceType
from qmtdesk.domain.triggers import Trigger, TriggerKind
from qmtdesk.oms.held import HeldOrders, HeldRequest, held_error

router = APIRouter(prefix="/trading/conditional-orders", tags=["held orders"], dependencies=[Depends(account_scope)])

_BIG = Decimal("1e9")


def _positive(value: Decimal | None, name: str) -> Decimal | None:
    if value is not None and (not value.is_finite() or value <= 0 or value >= _BIG):
        raise InvalidValue(f"{name} 须为正的有限数字", f"{name} must be a positive finite number")
    return value


class TriggerBody(BaseModel):
    """``{type: price, direction: above|below, price}`` | ``{type: trailing, percent | amount}`` |
    ``{type: time, at}`` | ``{type: limit_open, which: up|down}``."""

    type: TriggerKind
    direction: Literal["above", "below"] | None = None
    price: Decimal | None = None
    percent: Decimal | None = Field(None, description="trailing retreat as a fraction: 0.05 = 5%")
    amount: Decimal | None = Field(None, description="trailing retreat in CNY per share")
    at: datetime | None = Field(None, description="ISO time with offset")
    which: Literal["up", "down"] | None = None

    @field_validator("price", "percent", "amount")
    @classmethod
    def _finite(cls, value: Decimal | None) -> Decimal | None:
        return _positive(value, "触发参数")

    def trigger(self) -> Trigger:
        return Trigger(self.type, self.direction, self.price, self.percent, self.amount, self.at, self.which)


class HeldBody(BaseModel):
    """A held order: the order to place when ``trigger`` fires."""

    stock_code: str = Field(min_length=1, max_length=32, examples=["600000.SH"])
    side: Side
    quantity: StrictInt | None = Field(
        None, gt=0, le=10**9, description="shares; a bracket leg without it is sized to what its entry filled"
    )
    price_type: PriceType = PriceType.LIMIT
    price: Decimal | None = Field(None, description="limit price of the order placed (stop-limit); none for market")
    trigger: TriggerBody
    expires: date | None = Field(None, description="good till this trading day's close (default: today's close)")
    parent_order_id: StrictInt | None = Field(None, gt=0, description="entry order a bracket leg waits on")
    oco_group: str | None = Field(None, min_length=1, max_length=64, description="legs that cancel each other")
    strategy_name: str = Field("", max_length=64)
    remark: str = Field("", max_length=255)
    account_id: str | None = Field(None, max_length=32)

    @field_validator("price")
    @classmethod
    def _finite(cls, value: Decimal | None) -> Decimal | None:
        return _positive(value, "价格")

    def request(self) -> HeldRequest:
        return HeldRequest(
            stock_code=classify(self.stock_code).code,
            side=self.side,
            quantity=self.quantity,
            price_type=self.price_type,
            price=self.price,
            trigger=self.trigger.trigger(),
            expires=self.expires,
            parent_order_id=self.parent_order_id,
            oco_group=self.oco_group,
            strategy_name=self.strategy_name,
            remark=self.remark,
        )


class LegBody(BaseModel):
    """One leg of a bracket: the trigger price and the order it places."""

    trigger_price: Decimal
    price_type: PriceType = PriceType.LIMIT
    price: Decimal | None = Field(None, description="limit price (default: the trigger price)")

    @field_validator("trigger_price", "price")
    @classmethod
    def _finite(cls, value: Decimal | None) -> Decimal | None:
        return _positive(value, "价格")


class BracketBody(BaseModel):
    """Take-profit and stop-loss on an entry order: one-cancels-other, sized to what the entry filled."""

    parent_order_id: StrictInt = Field(gt=0)
    take_profit: LegBody | None = None
    stop_loss: LegBody | None = None
    expires: date | None = None
    account_id: str | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _some_leg(self) -> BracketBody:
        if self.take_profit is None and self.stop_loss is None:
            raise InvalidValue("须给出 take_profit 或 stop_loss", "give take_profit or stop_loss")
        return self


def _held(account: AccountDep, request: Request, principal: Any, account_id: str | None) -> HeldOrders:
    if account_id:
        return request.app.state.desk.accounts.for_principal(principal, account_id).held  # type: ignore[no-any-return]
    return account.held


@router.post(
    "",
    status_code=201,
    summary="Hold an order until its trigger fires (stop, trailing, time, limit open)",
    **answers(HeldOrder, 201),
)
async def create(body: HeldBody, principal: TradeGuard, account: AccountDep, request: Request) -> dict[str, Any]:
    held = _held(account, request, principal, body.account_id)
    view = await held.create(body.request(), user_id=principal.user_id, audit=audit_note(principal, request))
    return ok(view)


@router.post(
    "/bracket",
    status_code=201,
    summary="Take-profit and stop-loss on an entry order (one cancels other)",
    **answers(Bracket, 201),
)
async def bracket(body: BracketBody, principal: TradeGuard, account: AccountDep, request: Request) -> dict[str, Any]:
    held = _held(account, request, principal, body.account_id)
    stored = await held.entry(body.parent_order_id)
    if stored is None:
        raise held_error(
            "ORDER_NOT_FOUND", f"主单 {body.parent_order_id} 不存在", f"No order {body.parent_order_id}", 404
        )
    exit_side = Side.SELL if stored.side is Side.BUY else Side.BUY
    group = f"bracket-{body.parent_order_id}-{uuid.uuid4().hex[:8]}"
    legs = []
    # Take-profit fires when the price moves in the entry's favour, the stop when it moves against it.
    favour, against = ("above", "below") if stored.side is Side.BUY else ("below", "above")
    for leg, direction, name in ((body.take_profit, favour, "止盈"), (body.stop_loss, against, "止损")):
        if leg is None:
            continue
        req = HeldRequest(
            stock_code=stored.stock_code,
            side=exit_side,
            quantity=None,
            price_type=leg.price_type,
            price=(leg.price or leg.trigger_price) if leg.price_type is PriceType.LIMIT else leg.price,
            trigger=Trigger(TriggerKind.PRICE, direction, leg.trigger_price),
            expires=body.expires,
            parent_order_id=body.parent_order_id,
            oco_group=group,
            strategy_name=stored.strategy_name,
            remark=f"{name}（主单 {body.parent_order_id}）",
        )
        legs.append(await held.create(req, user_id=principal.user_id, audit=audit_note(principal, request)))
    return ok({"oco_group": group, "legs": legs})


@router.get(
    "", summary="Held orders, newest first: ?state=live|final|<comma list>&stock_code=", **answers(PageOf[HeldOrder])
)
def listing(
    principal: Reader,
    account: AccountDep,
    page: Annotated[Page, Depends(page_params)],
    state: str | None = Query(None, max_length=100),
    stock_code: str | None = Query(None, max_length=32),
) -> dict[str, Any]:
    code = classify(stock_code).code if stock_code else None
    items, total = account.held.page(state=state, stock_code=code, page=page.page, page_size=page.page_size)
    return paged(items, total, page)


@router.get("/{held_id}", summary="One held order", **answers(HeldOrder))
def one(held_id: IdPath, principal: Reader, account: AccountDep) -> dict[str, Any]:
    view = account.held.get(held_id)
    if view is None:
        raise held_error("HELD_ORDER_NOT_FOUND", f"条件单 {held_id} 不存在", f"No held order {held_id}", 404)
    return ok(view)


@router.post("/{held_id}/cancel", summary="Cancel a held order that has not fired", **answers(HeldOrder))
async def cancel(held_id: IdPath, principal: TradeGuard, account: AccountDep, request: Request) -> dict[str, Any]:
    return ok(await account.held.cancel(held_id, audit=audit_note(principal, request)))
