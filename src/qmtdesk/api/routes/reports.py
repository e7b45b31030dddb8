"""Reports: the daily statement (交割单) as JSON, CSV or an Excel workbook, and performance by strategy."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from qmtdesk.api.deps import AccountDep, DeskDep, Reader, account_scope
from qmtdesk.api.envelope import ok
from qmtdesk.api.schemas.common import Envelope, answers
from qmtdesk.api.schemas.reports import Performance, Statement
from qmtdesk.desk import Desk
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError
from qmtdesk.oms.performance import equity_figures, strategy_figures
from qmtdesk.oms.statements import build_statement, statement_csv, statement_xlsx
from qmtdesk.oms.views import money
from qmtdesk.store.tables.orders import AccountSnapshotRow, TradeRow

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[Depends(account_scope)])

#: A statement covers at most this many calendar days (a year and a bit).
MAX_DAYS = 400
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/statement",
    summary="Daily statement: every fill with fees and net cash, holdings balanced",
    response_model=None,
    responses={200: {"model": Envelope[Statement], "content": {"text/csv": {}, XLSX: {}}}},
)
async def statement(
    principal: Reader,
    desk: DeskDep,
    account: AccountDep,
    trading_day: date | None = Query(None, description="one day (default: the current trading day)"),
    first: date | None = Query(None, alias="from", description="first day of a range"),
    last: date | None = Query(None, alias="to", description="last day of a range"),
    format: Literal["json", "csv", "xlsx"] = Query("json"),
) -> Any:
    today = desk.calendar.trading_day_of(desk.clock.now().astimezone(SHANGHAI).date())
    if trading_day is not None and (first is not None or last is not None):
        raise DeskError(
            "VALIDATION_ERROR", "trading_day 与 from/to 只能二选一", "give trading_day or from/to", http_status=422
        )
    first = trading_day or first or last or today
    last = trading_day or last or max(first, today)
    if last < first or (last - first).days > MAX_DAYS:
        raise DeskError(
            "VALIDATION_ERROR",
            f"日期范围无效：from 不能晚于 to，且不超过 {MAX_DAYS} 天",
            f"bad range: from after to, or longer than {MAX_DAYS} days",
            http_status=422,
        )
    holdings = {p.stock_code: p.volume for p in await account.broker.query_positions()}
    built = await asyncio.to_thread(build_statement, desk.session_factory, account.account_id, first, last, holdings)
    name = f"statement-{account.account_id}-{first:%Y%m%d}-{last:%Y%m%d}"
    if format == "csv":
        return Response(
            statement_csv(built).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        body = await asyncio.to_thread(statement_xlsx, built)
        return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return ok(built.view())


def _read_performance(desk: Desk, account_id: str, first: date | None, last: date | None) -> dict[str, Any]:
    with desk.session_factory() as session:
        trades = select(TradeRow).where(TradeRow.account_id == account_id)
        snaps = select(AccountSnapshotRow).where(AccountSnapshotRow.account_id == account_id)
        if first is not None:
            trades = trades.where(TradeRow.trading_day >= first)
            snaps = snaps.where(AccountSnapshotRow.time >= datetime.combine(first, time(0), SHANGHAI))
        if last is not None:
            trades = trades.where(TradeRow.trading_day <= last)
            snaps = snaps.where(AccountSnapshotRow.time < datetime.combine(last + timedelta(days=1), time(0), SHANGHAI))
        trade_rows = list(session.scalars(trades))
        snapshot_rows = list(session.scalars(snaps))

    def last_price(code: str) -> Decimal | None:
        quote = desk.market.quote(code)
        return quote.last_price if quote is not None else None

    strategies = strategy_figures(trade_rows, last_price)
    fees = sum((Decimal(s["fees"]) for s in strategies), Decimal(0))
    turnover = sum((Decimal(s["turnover"]) for s in strategies), Decimal(0))
    return {
        "account_id": account_id,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        **equity_figures(snapshot_rows),
        "fees": money(fees),
        "turnover": money(turnover),
        "strategies": strategies,
    }


@router.get(
    "/performance",
    summary="Equity curve, returns, drawdown, and P&L by strategy (manual apart)",
    **answers(Performance),
)
async def performance(
    principal: Reader,
    desk: DeskDep,
    account: AccountDep,
    first: date | None = Query(None, alias="from"),
    last: date | None = Query(None, alias="to"),
) -> dict[str, Any]:
    if first is not None and last is not None and last < first:
        raise DeskError("VALIDATION_ERROR", "from 不能晚于 to", "from is after to", http_status=422)
    return ok(await asyncio.to_thread(_read_performance, desk, account.account_id, first, last))
