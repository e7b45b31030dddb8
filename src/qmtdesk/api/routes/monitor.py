"""The watchlist (实时监测): watched stocks, their strategies and the auto-trading switch."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from qmtdesk.accounts import Account
from qmtdesk.api.deps import AccountDep, DeskDep, Operator, Reader, account_scope, client_ip
from qmtdesk.api.envelope import ok
from qmtdesk.api.schemas.common import answers
from qmtdesk.api.schemas.monitor import StrategyInfo, WatchDeleted, WatchedStock
from qmtdesk.auth.service import Principal
from qmtdesk.desk import Desk
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import classify
from qmtdesk.oms.account_views import quote_view
from qmtdesk.oms.views import iso
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.audit import record_audit
from qmtdesk.store.tables.monitor import MonitoredStockRow
from qmtdesk.strategies.base import describe_strategies, normalize_strategy_params, parse_sizing

# Every route takes ``?account_id=`` (the default account without it; 404 for an unknown one).
router = APIRouter(prefix="/monitor", tags=["monitor"], dependencies=[Depends(account_scope)])


class StrategyBody(BaseModel):
    type: str = Field(max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)


class WatchSizingBody(BaseModel):
    method: Literal["quantity", "amount", "equity_pct", "target_pct", "position_pct"]
    value: str | int | float


class WatchBody(BaseModel):
    stock_code: str = Field(max_length=32)
    enabled: bool = True
    auto_trade: bool = False
    strategy: StrategyBody | None = None
    sizing: WatchSizingBody | None = None
    strategy_name: str | None = Field(None, max_length=64)


class WatchPatch(BaseModel):
    enabled: bool | None = None
    auto_trade: bool | None = None
    strategy: StrategyBody | None = None
    sizing: WatchSizingBody | None = None
    strategy_name: str | None = Field(None, max_length=64)


def _stored_params(row: MonitoredStockRow) -> dict[str, Any]:
    """The entry's strategy params normalised as the API shows them; rows saved before params were
    normalised on the way in hold raw JSON numbers, and an entry that no longer validates shows as stored."""
    raw = json.loads(row.strategy_params or "{}")
    if not row.strategy_type:
        return dict(raw)
    try:
        return normalize_strategy_params(row.strategy_type, raw)
    except DeskError:
        return dict(raw)


def _view(desk: Desk, row: MonitoredStockRow) -> dict[str, Any]:
    instrument = desk.universe.find(row.stock_code)
    quote = desk.market.quote(row.stock_code)
    return {
        "stock_code": row.stock_code,
        "stock_name": instrument.name if instrument else "",
        "enabled": row.enabled,
        "auto_trade": row.auto_trade,
        "strategy": {"type": row.strategy_type, "params": _stored_params(row)} if row.strategy_type else None,
        "sizing": json.loads(row.sizing) if row.sizing else None,
        "strategy_name": row.strategy_name,
        "status": {
            "state": row.status,
            "error": row.error,
            "last_signal_at": iso(row.last_signal_at),
        },
        "quote": quote_view(quote, desk.market.cage(quote)) if quote else None,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _not_watched(code: str) -> DeskError:
    return DeskError("NOT_FOUND", f"{code} 不在监测列表中", f"{code} is not on the watchlist", http_status=404)


def _validate(strategy: StrategyBody | None, sizing: WatchSizingBody | None) -> tuple[str | None, str, str | None]:
    params = "{}"
    if strategy is not None:
        # raises INVALID_STRATEGY_PARAMS / UNKNOWN_STRATEGY; stored (and shown) with decimals as strings
        params = json.dumps(normalize_strategy_params(strategy.type, strategy.params), ensure_ascii=False)
    sizing_json = None
    if sizing is not None:
        normalised = parse_sizing(strategy.type if strategy else "watchlist", "sizing", sizing.model_dump())
        sizing_json = json.dumps({"method": normalised["method"], "value": str(normalised["value"])})
    return (strategy.type if strategy else None), params, sizing_json


def _require_trade_token(desk: Desk, principal: Principal, request: Request) -> None:
    """Letting a strategy trade by itself is trading: it needs a trade token (or a trade API token)."""
    desk.auth.check_trade_token(principal, request.headers.get("x-trade-token"))


async def _reload(account: Account) -> None:
    await asyncio.to_thread(account.runtime.reload)


@router.get("/strategies", summary="Built-in strategies and their parameters", **answers(list[StrategyInfo]))
def strategies(principal: Reader) -> dict[str, Any]:
    return ok(describe_strategies())


@router.get("/stocks", summary="The watchlist with live quotes and strategy status", **answers(list[WatchedStock]))
def list_stocks(principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    with desk.session_factory() as session:
        rows = session.scalars(
            select(MonitoredStockRow)
            .where(MonitoredStockRow.account_id == account.broker.account_id)
            .order_by(MonitoredStockRow.id)
        )
        return ok([_view(desk, r) for r in rows])


@router.post(
    "/stocks",
    status_code=201,
    summary="Watch a stock (optionally with a strategy)",
    **answers(WatchedStock, 201),
)
async def add_stock(
    body: WatchBody, principal: Operator, desk: DeskDep, account: AccountDep, request: Request
) -> dict[str, Any]:
    if body.auto_trade:
        _require_trade_token(desk, principal, request)
    code = desk.market.instrument(classify(body.stock_code).code).code
    strategy_type, params, sizing = _validate(body.strategy, body.sizing)
    now = desk.clock.now()

    def add() -> dict[str, Any]:
        with unit_of_work(desk.session_factory) as session:
            exists = session.scalar(
                select(MonitoredStockRow).where(
                    MonitoredStockRow.account_id == account.broker.account_id, MonitoredStockRow.stock_code == code
                )
            )
            if exists is not None:
                raise DeskError(
                    "MONITOR_EXISTS", f"{code} 已在监测列表中", f"{code} is already watched", http_status=409
                )
            row = MonitoredStockRow(
                account_id=account.broker.account_id,
                stock_code=code,
                enabled=body.enabled,
                auto_trade=body.auto_trade,
                strategy_type=strategy_type,
                strategy_params=params,
                sizing=sizing,
                strategy_name=body.strategy_name or (f"{strategy_type}-{code[:6]}" if strategy_type else ""),
                state="{}",
                status="idle",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            record_audit(
                session,
                principal.username,
                "monitor.add",
                code,
                {"auto_trade": body.auto_trade, "strategy": strategy_type},
                client_ip(request),
                at=now,
            )
            session.flush()
            return _view(desk, row)

    view = await asyncio.to_thread(add)
    await _reload(account)
    return ok(view)


@router.put(
    "/stocks/{stock_code}", summary="Change a watched stock (switches, strategy, sizing)", **answers(WatchedStock)
)
async def update_stock(
    stock_code: str, body: WatchPatch, principal: Operator, desk: DeskDep, account: AccountDep, request: Request
) -> dict[str, Any]:
    code = classify(stock_code).code
    if body.auto_trade:
        _require_trade_token(desk, principal, request)
    strategy_type, params, sizing = _validate(body.strategy, body.sizing)
    now = desk.clock.now()

    def update() -> dict[str, Any]:
        with unit_of_work(desk.session_factory) as session:
            row = session.scalar(
                select(MonitoredStockRow).where(
                    MonitoredStockRow.account_id == account.broker.account_id, MonitoredStockRow.stock_code == code
                )
            )
            if row is None:
                raise _not_watched(code)
            changed = body.model_dump(exclude_unset=True)
            if body.enabled is not None:
                row.enabled = body.enabled
                if body.enabled and row.status == "error":
                    row.status, row.error = "idle", None
            if body.auto_trade is not None:
                row.auto_trade = body.auto_trade
            if body.strategy is not None:
                # compared normalised: the same params sent again keep what the strategy remembers
                if strategy_type != row.strategy_type or json.loads(params) != _stored_params(row):
                    row.state = "{}"  # a new strategy starts fresh
                row.strategy_type, row.strategy_params = strategy_type, params
                if not row.strategy_name:
                    row.strategy_name = f"{strategy_type}-{code[:6]}"
            if body.sizing is not None:
                row.sizing = sizing
            if body.strategy_name:
                row.strategy_name = body.strategy_name
            row.updated_at = now
            record_audit(
                session,
                principal.username,
                "monitor.update",
                code,
                {"fields": sorted(changed)},
                client_ip(request),
                at=desk.clock.now(),
            )
            session.flush()
            return _view(desk, row)

    view = await asyncio.to_thread(update)
    await _reload(account)
    return ok(view)


@router.delete("/stocks/{stock_code}", summary="Stop watching a stock", **answers(WatchDeleted))
async def delete_stock(
    stock_code: str, principal: Operator, desk: DeskDep, account: AccountDep, request: Request
) -> dict[str, Any]:
    code = classify(stock_code).code

    def delete() -> None:
        with unit_of_work(desk.session_factory) as session:
            row = session.scalar(
                select(MonitoredStockRow).where(
                    MonitoredStockRow.account_id == account.broker.account_id, MonitoredStockRow.stock_code == code
                )
            )
            if row is None:
                raise _not_watched(code)
            session.delete(row)
            record_audit(
                session, principal.username, "monitor.delete", code, {}, client_ip(request), at=desk.clock.now()
            )

    await asyncio.to_thread(delete)
    await _reload(account)
    return ok({"deleted": code})
