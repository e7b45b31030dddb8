"""Risk: rules, metrics, events, and the halt switch."""

from __future__ import annotations

import asyncio
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from qmtdesk.accounts import Account
from qmtdesk.api.deps import AccountDep, Admin, DeskDep, Operator, Orders, Reader, RiskDep, account_scope, client_ip
from qmtdesk.api.envelope import Page, ok, page_params, paged
from qmtdesk.api.schemas.common import PageOf, answers
from qmtdesk.api.schemas.risk import (
    HaltAllAnswer,
    HaltAnswer,
    ResumeAllAnswer,
    RiskEvent,
    RiskMetrics,
    RiskRule,
    RiskState,
)
from qmtdesk.desk import Desk
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.orders import OPEN, OrderStatus
from qmtdesk.jobs import day_start_asset
from qmtdesk.oms.account_views import ratio
from qmtdesk.oms.views import money
from qmtdesk.risk.engine import HALTED
from qmtdesk.store.tables.orders import AccountSnapshotRow, OrderEventRow, OrderRow, TradeRow

# Every route takes ``?account_id=`` (the default account without it; 404 for an unknown one).
router = APIRouter(prefix="/risk", tags=["risk"], dependencies=[Depends(account_scope)])


class RuleBody(BaseModel):
    """A rule change; omitted fields keep their current value."""

    enabled: bool | None = None
    params: dict[str, Any] | None = None
    scope: str = Field("account", max_length=80, description="account, or strategy:<strategy_name>")


class HaltBody(BaseModel):
    reason: str = Field("", max_length=500)
    cancel_open_orders: bool = False


class ResumeBody(BaseModel):
    reason: str = Field("", max_length=500)


@router.get("/rules", summary="Every risk rule with its scope, switch and parameters", **answers(list[RiskRule]))
def rules(principal: Reader, risk: RiskDep) -> dict[str, Any]:
    return ok(risk.rules())


@router.put("/rules/{rule}", summary="Change a risk rule (admin)", **answers(RiskRule))
async def put_rule(rule: str, body: RuleBody, principal: Admin, risk: RiskDep, request: Request) -> dict[str, Any]:
    view = await risk.update_rule(
        rule,
        enabled=body.enabled,
        params=body.params,
        scope=body.scope,
        actor=principal.username,
        ip=client_ip(request),
    )
    return ok(view)


@router.get("/events", summary="Denials, halts and rule changes, newest first", **answers(PageOf[RiskEvent]))
def events(principal: Reader, risk: RiskDep, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    items, total = risk.events(page.page, page.page_size)
    return paged(items, total, page)


@router.post(
    "/halt",
    summary="Kill switch: stop every new order now (optionally cancel open orders)",
    **answers(HaltAnswer),
)
async def halt(
    principal: Operator, risk: RiskDep, orders: Orders, request: Request, body: HaltBody | None = None
) -> dict[str, Any]:
    body = body or HaltBody()  # a bare POST halts with the default reason
    state = await run_in_threadpool(
        risk.set_state, HALTED, body.reason or "手动熔断", principal.username, client_ip(request)
    )
    cancelled: dict[str, Any] | None = None
    if body.cancel_open_orders:
        cancelled = await orders.cancel_all()
    return ok({**state, "cancelled": cancelled})


@router.post("/resume", summary="Resume trading after a halt", **answers(RiskState))
def resume(principal: Operator, risk: RiskDep, request: Request, body: ResumeBody | None = None) -> dict[str, Any]:
    reason = body.reason if body else ""
    return ok(risk.set_state("active", reason or "恢复交易", principal.username, client_ip(request)))


@router.post(
    "/halt-all",
    summary="Global kill switch: halt every account the caller reaches at once",
    **answers(HaltAllAnswer),
)
async def halt_all(
    principal: Operator, desk: DeskDep, request: Request, body: HaltBody | None = None
) -> dict[str, Any]:
    body = body or HaltBody()
    reason, ip = body.reason or "全局熔断", client_ip(request)
    accounts = desk.accounts.reachable(principal)
    # Every account stops taking orders first; cancelling (which waits on brokers) comes after.
    states = [await run_in_threadpool(a.risk.set_state, HALTED, reason, principal.username, ip) for a in accounts]
    results = []
    for account, state in zip(accounts, states, strict=True):
        cancelled = await account.orders.cancel_all() if body.cancel_open_orders else None
        results.append({"account_id": account.account_id, **state, "cancelled": cancelled})
    return ok({"accounts": results})


@router.post(
    "/resume-all",
    summary="Resume every account the caller reaches after a halt",
    **answers(ResumeAllAnswer),
)
async def resume_all(
    principal: Operator, desk: DeskDep, request: Request, body: ResumeBody | None = None
) -> dict[str, Any]:
    reason, ip = (body.reason if body else "") or "恢复交易", client_ip(request)
    results = []
    for account in desk.accounts.reachable(principal):
        state = await run_in_threadpool(account.risk.set_state, "active", reason, principal.username, ip)
        results.append({"account_id": account.account_id, **state})
    return ok({"accounts": results})


@router.post("/reduce-only", summary="Only sells of held shares are allowed until resume", **answers(RiskState))
def reduce_only(principal: Operator, risk: RiskDep, request: Request, body: ResumeBody | None = None) -> dict[str, Any]:
    reason = body.reason if body else ""
    return ok(risk.set_state("reduce_only", reason or "只减仓", principal.username, client_ip(request)))


def _drawdowns(points: list[Decimal]) -> tuple[Decimal, Decimal]:
    """(current drawdown, max drawdown) of an equity series, as fractions of the running peak."""
    peak, current, worst = Decimal(0), Decimal(0), Decimal(0)
    for value in points:
        peak = max(peak, value)
        current = (peak - value) / peak if peak > 0 else Decimal(0)
        worst = max(worst, current)
    return current, worst


@router.get("/metrics", summary="Exposure, P&L, drawdown, turnover and order counts", **answers(RiskMetrics))
async def metrics(principal: Reader, desk: DeskDep, scope: AccountDep) -> dict[str, Any]:
    return ok(await compute_metrics(desk, scope))


async def compute_metrics(desk: Desk, scope: Account) -> dict[str, Any]:
    """Risk metrics of the account now."""
    account = await scope.broker.query_account()
    positions = await scope.broker.query_positions()
    now = desk.clock.now()
    day = desk.calendar.trading_day_of(now.date())
    total = account.total_asset
    values: dict[str, Decimal] = {}
    for p in positions:
        quote = desk.market.quote(p.stock_code)
        values[p.stock_code] = (quote.last_price if quote else p.avg_price) * p.volume
    largest_code = max(values, key=lambda c: values[c]) if values else None
    account_id = scope.broker.account_id
    base, curve, turnover, orders_today, cancels_today, denied_today, active = await asyncio.to_thread(
        _ledger_figures, desk, account_id, day
    )
    today_pnl = total - base if base is not None else Decimal(0)
    current_dd, max_dd = _drawdowns([*curve, total])
    market_value = sum(values.values(), Decimal(0))
    return {
        "time": now.isoformat(),
        "trading_day": day.isoformat(),
        "trading_state": scope.risk.state,
        "halted": scope.risk.halted,
        "total_asset": money(total),
        "cash": money(account.cash + account.frozen_cash),
        "cash_ratio": ratio((account.cash + account.frozen_cash) / total) if total else None,
        "market_value": money(market_value),
        "exposure": ratio(market_value / total) if total else None,
        "largest_position_code": largest_code,
        "largest_position_pct": ratio(values[largest_code] / total) if largest_code and total else "0.0000",
        "holdings_count": sum(1 for p in positions if p.volume > 0),
        "today_pnl": money(today_pnl),
        "today_pnl_pct": ratio(today_pnl / base) if base else "0.0000",
        "current_drawdown": ratio(current_dd),
        "max_drawdown": ratio(max_dd),
        "turnover_today": money(Decimal(str(turnover or 0))),
        "orders_today": int(orders_today or 0),
        "denied_today": int(denied_today or 0),
        "cancels_today": int(cancels_today or 0),
        "active_orders": int(active or 0),
    }


def _ledger_figures(desk: Desk, account_id: str, day: Any) -> tuple[Any, ...]:
    """What the metrics read from the ledger (off the event loop)."""
    base = day_start_asset(desk.session_factory, account_id, day)
    with desk.session_factory() as session:
        curve = [
            r.total_asset
            for r in session.scalars(
                select(AccountSnapshotRow)
                .where(AccountSnapshotRow.account_id == account_id)
                .order_by(AccountSnapshotRow.time)
            )
        ]
        turnover = session.scalar(
            select(func.coalesce(func.sum(TradeRow.quantity * TradeRow.price), 0)).where(
                TradeRow.account_id == account_id, TradeRow.trading_day == day
            )
        )
        start = datetime.combine(day, time(0), SHANGHAI)
        orders_today = session.scalar(
            select(func.count())
            .select_from(OrderRow)
            .where(
                OrderRow.account_id == account_id,
                OrderRow.trading_day == day,
                OrderRow.status != OrderStatus.DENIED.value,
            )
        )
        cancels_today = session.scalar(
            select(func.count())
            .select_from(OrderEventRow)
            .where(
                OrderEventRow.account_id == account_id,
                OrderEventRow.event == "cancel_requested",
                OrderEventRow.time >= start,
            )
        )
        denied_today = session.scalar(
            select(func.count())
            .select_from(OrderRow)
            .where(
                OrderRow.account_id == account_id,
                OrderRow.trading_day == day,
                OrderRow.status == OrderStatus.DENIED.value,
            )
        )
        active = session.scalar(
            select(func.count())
            .select_from(OrderRow)
            .where(
                OrderRow.account_id == account_id,
                OrderRow.status.in_([s.value for s in OPEN if s is not OrderStatus.PENDING_NEW]),
            )
        )
    return base, curve, turnover, orders_today, cancels_today, denied_today, active
