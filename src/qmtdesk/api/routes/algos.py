"""Execution algorithms: TWAP and iceberg orders the desk slices into child orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictInt, field_validator

from qmtdesk.api.deps import AccountDep, Reader, TradeGuard, account_scope, audit_note
from qmtdesk.api.envelope import IdPath, Page, ok, page_params, paged
from qmtdesk.api.schemas.common import PageOf, answers
from qmtdesk.api.schemas.held import AlgoOrder, AlgoOrderWithChildren
from qmtdesk.domain.errors import InvalidValue
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import classify
from qmtdesk.oms.algos import AlgoKind, AlgoOrders, AlgoRequest, algo_error

router = APIRouter(prefix="/trading/algo-orders", tags=["algo orders"], dependencies=[Depends(account_scope)])

_BIG = Decimal("1e9")


class AlgoBody(BaseModel):
    """A TWAP or iceberg order: the whole quantity and how to slice it."""

    stock_code: str = Field(min_length=1, max_length=32, examples=["600000.SH"])
    side: Side
    quantity: StrictInt = Field(gt=0, le=10**9)
    algo: AlgoKind
    price: Decimal | None = Field(None, description="limit: a buy never pays more, a sell never takes less")
    start_at: datetime | None = Field(None, description="TWAP start (ISO with offset; default now)")
    end_at: datetime | None = Field(None, description="TWAP end (ISO with offset), same trading day")
    interval_seconds: StrictInt = Field(60, ge=10, le=3600, description="TWAP: seconds between slices")
    display_quantity: StrictInt | None = Field(None, gt=0, le=10**9, description="iceberg: shares shown at once")
    strategy_name: str = Field("", max_length=64)
    remark: str = Field("", max_length=255)
    account_id: str | None = Field(None, max_length=32)

    @field_validator("price")
    @classmethod
    def _finite(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and (not value.is_finite() or value <= 0 or value >= _BIG):
            raise InvalidValue("价格须为正的有限数字", "price must be a positive finite number")
        return value

    def request(self) -> AlgoRequest:
        return AlgoRequest(
            stock_code=classify(self.stock_code).code,
            side=self.side,
            quantity=self.quantity,
            algo=self.algo,
            price=self.price,
            start_at=self.start_at,
            end_at=self.end_at,
            interval_seconds=self.interval_seconds,
            display_quantity=self.display_quantity,
            strategy_name=self.strategy_name,
            remark=self.remark,
        )


def _algos(account: AccountDep, request: Request, principal: Any, account_id: str | None) -> AlgoOrders:
    if account_id:
        return request.app.state.desk.accounts.for_principal(principal, account_id).algos  # type: ignore[no-any-return]
    return account.algos


def _not_found(algo_id: int) -> Exception:
    return algo_error("ALGO_ORDER_NOT_FOUND", f"算法单 {algo_id} 不存在", f"No algo order {algo_id}", 404)


@router.post(
    "",
    status_code=201,
    summary="Slice an order over time (TWAP) or show part of it at a time (iceberg)",
    **answers(AlgoOrder, 201),
)
async def create(body: AlgoBody, principal: TradeGuard, account: AccountDep, request: Request) -> dict[str, Any]:
    algos = _algos(account, request, principal, body.account_id)
    view = await algos.create(body.request(), user_id=principal.user_id, audit=audit_note(principal, request))
    return ok(view)


@router.get(
    "", summary="Algo orders, newest first: ?state=live|final|<comma list>&stock_code=", **answers(PageOf[AlgoOrder])
)
def listing(
    principal: Reader,
    account: AccountDep,
    page: Annotated[Page, Depends(page_params)],
    state: str | None = Query(None, max_length=100),
    stock_code: str | None = Query(None, max_length=32),
) -> dict[str, Any]:
    code = classify(stock_code).code if stock_code else None
    items, total = account.algos.page(state=state, stock_code=code, page=page.page, page_size=page.page_size)
    return paged(items, total, page)


@router.get("/{algo_id}", summary="One algo order with its child orders", **answers(AlgoOrderWithChildren))
def one(algo_id: IdPath, principal: Reader, account: AccountDep) -> dict[str, Any]:
    view = account.algos.get(algo_id, children=True)
    if view is None:
        raise _not_found(algo_id)
    return ok(view)


@router.post("/{algo_id}/cancel", summary="Stop an algo order and cancel its working child", **answers(AlgoOrder))
async def cancel(algo_id: IdPath, principal: TradeGuard, account: AccountDep, request: Request) -> dict[str, Any]:
    return ok(await account.algos.cancel(algo_id, audit=audit_note(principal, request)))
