"""Market data: quotes with the five-level book, and instrument search."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from qmtdesk.api.deps import DeskDep, Reader
from qmtdesk.api.envelope import ok
from qmtdesk.api.schemas.common import answers
from qmtdesk.api.schemas.market import Bar, InstrumentInfo, Quote
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError
from qmtdesk.oms.account_views import candle_view, instrument_view, quote_view

router = APIRouter(prefix="/market", tags=["market"])


@router.get("/quote/{stock_code}", summary="One quote with the five-level book", **answers(Quote))
def quote(stock_code: str, principal: Reader, desk: DeskDep) -> dict[str, Any]:
    quote = desk.market.quote_for(stock_code)
    return ok(quote_view(quote, desk.market.cage(quote)))


@router.get("/quotes", summary="Several quotes: ?codes=600000.SH,000001.SZ", **answers(list[Quote]))
def quotes(principal: Reader, desk: DeskDep, codes: str = Query(..., max_length=4000)) -> dict[str, Any]:
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    if len(wanted) > 200:
        raise DeskError("VALIDATION_ERROR", "一次最多查询200个代码", "At most 200 codes per request", http_status=422)
    found = [desk.market.quote_for(c) for c in wanted]
    return ok([quote_view(q, desk.market.cage(q)) for q in found])


@router.get(
    "/bars/{stock_code}",
    summary="Bars for the charts: today's minutes (1m) or the daily K-line (1d)",
    **answers(list[Bar]),
)
def bars(
    stock_code: str,
    principal: Reader,
    desk: DeskDep,
    period: Literal["1m", "1d"] = Query("1m"),
    count: int = Query(0, ge=0, le=500, description="how many bars, newest last (default: 1m 240, 1d 120)"),
) -> dict[str, Any]:
    code = desk.market.instrument(stock_code).code
    today = desk.calendar.trading_day_of(desk.clock.now().astimezone(SHANGHAI).date())
    if period == "1m":
        candles = desk.history.minutes(code, today, count or 240)
    else:
        candles = desk.history.days(code, today, count or 120)
    return ok([candle_view(c, code) for c in candles])


@router.get("/instruments", summary="Search instruments by code or name", **answers(list[InstrumentInfo]))
def instruments(
    principal: Reader,
    desk: DeskDep,
    q: str = Query("", max_length=32),
    limit: int = Query(20, ge=1, le=500),
) -> dict[str, Any]:
    day = desk.calendar.trading_day_of(desk.clock.now().astimezone(SHANGHAI).date())
    return ok(
        [
            instrument_view(i, day, desk.calendar.listing_day_number(i.list_date, day))
            for i in desk.market.search(q, limit)
        ]
    )
