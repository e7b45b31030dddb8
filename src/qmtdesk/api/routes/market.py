"""Market data: quotes with the five-level book, and instrument search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from qmtdesk.api.deps import DeskDep, Reader
from qmtdesk.api.envelope import ok
from qmtdesk.api.views import instrument_view, quote_view
from qmtdesk.domain.errors import DeskError

router = APIRouter(prefix="/market", tags=["market"])


@router.get("/quote/{stock_code}", summary="One quote with the five-level book")
def quote(stock_code: str, principal: Reader, desk: DeskDep) -> dict[str, Any]:
    return ok(quote_view(desk.market.quote_for(stock_code)))


@router.get("/quotes", summary="Several quotes: ?codes=600000.SH,000001.SZ")
def quotes(principal: Reader, desk: DeskDep, codes: str = Query(..., max_length=4000)) -> dict[str, Any]:
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    if len(wanted) > 200:
        raise DeskError("VALIDATION_ERROR", "一次最多查询200个代码", "At most 200 codes per request", http_status=422)
    return ok([quote_view(desk.market.quote_for(c)) for c in wanted])


@router.get("/instruments", summary="Search instruments by code or name")
def instruments(
    principal: Reader,
    desk: DeskDep,
    q: str = Query("", max_length=32),
    limit: int = Query(20, ge=1, le=500),
) -> dict[str, Any]:
    day = desk.calendar.trading_day_of(desk.clock.now().date())
    return ok([instrument_view(i, day) for i in desk.market.search(q, limit)])
