"""Trading: status, account, positions, orders, cancels, trades and the equity curve."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, StrictInt, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qmtdesk.accounts import Account
from qmtdesk.api.deps import (
    AccountDep,
    Admin,
    DeskDep,
    Orders,
    Reader,
    TradeGuard,
    account_scope,
    audit_note,
    client_ip,
)
from qmtdesk.api.envelope import MAX_ID, IdPath, IdQuery, Page, ok, ok_response, page_params, paged
from qmtdesk.api.figures import account_figures
from qmtdesk.api.schemas.common import PageOf, answers
from qmtdesk.api.schemas.orders import (
    AccountFigures,
    CanceledAll,
    EquitySample,
    LinkAnswer,
    Order,
    OrderWithEvents,
    Placed,
    Position,
    Trade,
    TradingStatus,
)
from qmtdesk.auth.service import Principal
from qmtdesk.brokers.base import ConnectionState
from qmtdesk.desk import Desk
from qmtdesk.domain.errors import DeskError, InvalidValue, OrderNotFound
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import classify
from qmtdesk.domain.orders import OPEN, TERMINAL, OrderStatus
from qmtdesk.domain.rules import API_PHASE, PriceType
from qmtdesk.oms.account_views import position_views
from qmtdesk.oms.commands import OrderPayload
from qmtdesk.oms.service import OrderService
from qmtdesk.oms.views import fold_orders, iso, money, order_view, trade_view
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.audit import record_audit
from qmtdesk.store.tables.orders import AccountSnapshotRow, OrderEventRow, OrderRow, TradeRow

# Every route takes ``?account_id=`` (the default account without it; 404 for an unknown one).
router = APIRouter(prefix="/trading", tags=["trading"], dependencies=[Depends(account_scope)])


#: Decimals the ledger keeps for a price (NUMERIC(20, 4)); A-share ticks need at most three.
PRICE_MAX_PLACES = 4


class OrderBody(BaseModel):
    """An order request."""

    stock_code: str = Field(min_length=1, max_length=32, examples=["600000.SH"])
    side: Side
    quantity: StrictInt = Field(description="shares (a positive integer)")
    price_type: PriceType = PriceType.LIMIT
    price: Decimal | None = Field(None, description="limit price, or the protective price of SH/BJ market orders")
    client_order_id: str | None = Field(None, min_length=1, max_length=64)
    strategy_name: str = Field("", max_length=64)
    remark: str = Field("", max_length=255)
    account_id: str | None = Field(None, max_length=32, description="the account (default: the default one)")

    @field_validator("price")
    @classmethod
    def _finite(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not value.is_finite():
            raise InvalidValue("价格须为有限的数字", "price must be a finite number")
        if value is not None and abs(value) >= Decimal("1e9"):
            raise InvalidValue("价格超出范围", "price is out of range")
        exponent = value.normalize().as_tuple().exponent if value is not None else 0
        if isinstance(exponent, int) and -exponent > PRICE_MAX_PLACES:
            # The ledger keeps four decimals: a longer price could not be stored as it was sent.
            raise InvalidValue(
                f"价格最多 {PRICE_MAX_PLACES} 位小数", f"price has more than {PRICE_MAX_PLACES} decimal places"
            )
        return value

    @field_validator("quantity")
    @classmethod
    def _sane_quantity(cls, value: int) -> int:
        # The order is stored before the rules see it (QUANTITY_TOO_LARGE): it must fit the INTEGER column.
        if abs(value) > MAX_ID:
            raise InvalidValue("数量超出范围", "quantity is out of range")
        return value


class CancelAllBody(BaseModel):
    stock_code: str | None = Field(None, max_length=32)
    side: Side | None = None
    account_id: str | None = Field(None, max_length=32)


async def _audit(
    desk: Desk, actor: str, action: str, target: str | None, detail: dict[str, Any], ip: str | None
) -> None:
    """Write an audit row off the event loop (these routes are async)."""

    def write() -> None:
        with unit_of_work(desk.session_factory) as session:
            record_audit(session, actor, action, target, detail, ip, at=desk.clock.now())

    await asyncio.to_thread(write)


# ------------------------------------------------------------------------------------------ status


@router.get("/status", summary="Broker link, trading day and market phase", **answers(TradingStatus))
def status(principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    now = desk.clock.now()
    state = account.broker.state
    return ok(
        {
            "broker": account.broker.name,
            "connected": state is ConnectionState.CONNECTED,
            "state": state.value,
            "account_id": account.broker.account_id,
            "account_type": account.broker.account_type,
            "trading_day": desk.calendar.trading_day_of(now.date()).isoformat(),
            "is_trading_day": desk.calendar.is_trading_day(now.date()),
            "market_phase": API_PHASE[desk.calendar.phase(now)],
            "phase_detail": desk.calendar.phase(now).value,
            "server_time": now.isoformat(),
            "halted": account.risk.halted,
            "trading_state": account.risk.state,
            "message": account.broker.last_error,
            "session_id": account.broker.session_id,
            "quotes": desk.market.source,
            "fees": {
                "commission_rate": str(desk.fees.commission_rate),
                "commission_min": str(desk.fees.commission_min),
            },
        }
    )


@router.post("/connect", summary="Connect the broker (admin)", **answers(LinkAnswer))
async def connect(principal: Admin, desk: DeskDep, account: AccountDep, request: Request) -> dict[str, Any]:
    await account.broker.connect()
    result = await account.jobs.reconcile("connect")
    await _audit(desk, principal.username, "broker.connect", account.broker.name, result or {}, client_ip(request))
    return ok({"state": account.broker.state.value, "reconciliation": result})


@router.post("/disconnect", summary="Disconnect the broker (admin)", **answers(LinkAnswer))
async def disconnect(principal: Admin, desk: DeskDep, account: AccountDep, request: Request) -> dict[str, Any]:
    await account.broker.disconnect()
    await _audit(desk, principal.username, "broker.disconnect", account.broker.name, {}, client_ip(request))
    return ok({"state": account.broker.state.value})


# ------------------------------------------------------------------------------------------ account


@router.get("/account", summary="Cash, market value, total asset and P&L", **answers(AccountFigures))
async def account(principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    figures, _, _ = await account_figures(desk, account)
    return ok(figures)


def _holding_days(desk: Desk, opened: datetime | None) -> int | None:
    if opened is None:
        return None
    today = desk.clock.now().date()
    return desk.calendar.trading_days_between(opened.date(), today)


async def _positions(desk: Desk, account: Account) -> list[dict[str, Any]]:
    positions = await account.broker.query_positions()
    trades = await account.broker.query_trades()
    return position_views(positions, trades, desk.market, desk.universe, lambda opened: _holding_days(desk, opened))


@router.get("/positions", summary="Holdings with sellable (T+1) volume, cost and P&L", **answers(list[Position]))
async def positions(principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    return ok(await _positions(desk, account))


@router.get("/positions/{stock_code}", summary="One holding", **answers(Position))
async def position(stock_code: str, principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    code = classify(stock_code).code
    for view in await _positions(desk, account):
        if view["stock_code"] == code:
            return ok(view)
    raise DeskError("POSITION_NOT_FOUND", f"没有 {code} 的持仓", f"No position in {code}", http_status=404)


# ------------------------------------------------------------------------------------------ orders


def _named_in_body(
    account_id: str | None, principal: Principal, orders: OrderService, request: Request
) -> OrderService:
    """The order service of the account a request body names (it wins over the query's), else ``orders``.

    The caller's credentials must reach it (``ACCOUNT_NOT_FOUND`` otherwise, as for the query's)."""
    if not account_id:
        return orders
    return request.app.state.desk.accounts.for_principal(principal, account_id).orders


async def _place(body: OrderBody, principal: TradeGuard, orders: Orders, request: Request, response: Response) -> Any:
    orders = _named_in_body(body.account_id, principal, orders, request)
    source = "ui" if request.headers.get("x-client", "").lower() == "ui" else "api"
    payload = OrderPayload(
        stock_code=body.stock_code,
        side=body.side,
        quantity=body.quantity,
        price_type=body.price_type,
        price=body.price,
        client_order_id=body.client_order_id,
        strategy_name=body.strategy_name,
        remark=body.remark,
    )
    detail = {
        "stock_code": body.stock_code,
        "side": body.side.value,
        "quantity": body.quantity,
        "price_type": body.price_type.value,
        "price": str(body.price) if body.price is not None else None,
        "client_order_id": body.client_order_id,
    }
    # The audit row is written in the same transaction as the order (or its refusal).
    result = await orders.submit(
        payload, source=source, user_id=principal.user_id, audit=audit_note(principal, request, detail)
    )
    return ok_response({"order": result.order}, 201 if result.created else 200)


@router.post(
    "/order",
    status_code=201,
    summary="Place an order (trade token or trade-scoped API token)",
    **answers(Placed, 201, 200),
)
async def place_order(
    body: OrderBody, principal: TradeGuard, orders: Orders, request: Request, response: Response
) -> Any:
    return await _place(body, principal, orders, request, response)


@router.post(
    "/orders", status_code=201, summary="Place an order (alias of /trading/order)", **answers(Placed, 201, 200)
)
async def place_order_alias(
    body: OrderBody, principal: TradeGuard, orders: Orders, request: Request, response: Response
) -> Any:
    return await _place(body, principal, orders, request, response)


STATUS_GROUPS: dict[str, frozenset[OrderStatus]] = {"open": OPEN, "finished": TERMINAL}


def _status_filter(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    wanted: set[str] = set()
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        if part in STATUS_GROUPS:
            wanted |= {s.value for s in STATUS_GROUPS[part]}
            continue
        try:
            wanted.add(OrderStatus(part).value)
        except ValueError:
            raise DeskError(
                "VALIDATION_ERROR",
                f"未知的委托状态：{part}",
                f"Unknown order status: {part}",
                http_status=422,
                data={"fields": [{"field": "status", "message": "unknown status"}]},
            ) from None
    return sorted(wanted)


def _code_filter(raw: str | None) -> str | None:
    return classify(raw).code if raw else None


@router.get("/orders", summary="Orders, newest first, with filters", **answers(PageOf[Order]))
def list_orders(
    principal: Reader,
    desk: DeskDep,
    account: AccountDep,
    page: Annotated[Page, Depends(page_params)],
    status: str | None = Query(None, description="comma list of statuses, or open / finished"),
    stock_code: str | None = Query(None, max_length=32),
    side: Side | None = None,
    trading_day: date | None = None,
    strategy_name: str | None = Query(None, max_length=64),
    source: Literal["api", "ui", "signal", "strategy", "external"] | None = None,
) -> dict[str, Any]:
    statuses = _status_filter(status)
    code = _code_filter(stock_code)
    with desk.session_factory() as session:
        query = select(OrderRow).where(OrderRow.account_id == account.broker.account_id)
        if statuses:
            query = query.where(OrderRow.status.in_(statuses))
        if code:
            query = query.where(OrderRow.stock_code == code)
        if side:
            query = query.where(OrderRow.side == side.value)
        if trading_day:
            query = query.where(OrderRow.trading_day == trading_day)
        if strategy_name is not None:
            query = query.where(OrderRow.strategy_name == strategy_name)
        if source:
            query = query.where(OrderRow.source == source)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(OrderRow.id.desc()).offset(page.offset).limit(page.page_size))
        return paged([order_view(r) for r in rows], total, page)


def _order_or_404(session: Session, account: Account, order_id: int) -> OrderRow:
    row = session.get(OrderRow, order_id)
    if row is None or row.account_id != account.broker.account_id:
        raise OrderNotFound(order_id)
    return row


def _with_events(session: Session, row: OrderRow) -> dict[str, Any]:
    """The order with its timeline: each entry shows the order as that change left it."""
    events = list(
        session.scalars(select(OrderEventRow).where(OrderEventRow.order_id == row.id).order_by(OrderEventRow.seq))
    )
    order_entries = [e for e in events if e.stream == "orders"]
    states = iter(fold_orders((row.id, json.loads(e.payload)) for e in order_entries))
    folded = {e.seq: next(states) for e in order_entries}
    view = order_view(row)
    view["events"] = [
        {
            "seq": e.seq,
            "stream": e.stream,
            "event": e.event,
            "status": e.status,
            "time": iso(e.time),
            "data": folded[e.seq] if e.stream == "orders" else json.loads(e.payload),
        }
        for e in events
    ]
    return view


@router.get(
    "/orders/by-client-id/{client_order_id}", summary="An order by its client_order_id", **answers(OrderWithEvents)
)
def order_by_client_id(client_order_id: str, principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    with desk.session_factory() as session:
        row = session.scalar(
            select(OrderRow).where(
                OrderRow.account_id == account.broker.account_id, OrderRow.client_order_id == client_order_id
            )
        )
        if row is None:
            raise OrderNotFound(client_order_id)
        return ok(_with_events(session, row))


@router.get("/orders/{order_id}", summary="One order with its event timeline", **answers(OrderWithEvents))
def get_order(order_id: IdPath, principal: Reader, desk: DeskDep, account: AccountDep) -> dict[str, Any]:
    with desk.session_factory() as session:
        return ok(_with_events(session, _order_or_404(session, account, order_id)))


@router.post(
    "/orders/cancel-all",
    summary="Cancel every open order (optionally of one code or side)",
    **answers(CanceledAll),
)
async def cancel_all(
    principal: TradeGuard, orders: Orders, request: Request, body: CancelAllBody | None = None
) -> dict[str, Any]:
    body = body or CancelAllBody()
    orders = _named_in_body(body.account_id, principal, orders, request)
    detail = {"side": body.side.value if body.side else None}
    result = await orders.cancel_all(body.stock_code, body.side, audit=audit_note(principal, request, detail))
    return ok(result)


@router.post("/orders/{order_id}/cancel", summary="Cancel an order", **answers(Placed))
async def cancel(order_id: IdPath, principal: TradeGuard, orders: Orders, request: Request) -> dict[str, Any]:
    order = await orders.cancel(order_id, audit=audit_note(principal, request))
    return ok({"order": order})


# ------------------------------------------------------------------------------------------ trades


def _list_trades(
    desk: Desk,
    account: Account,
    page: Page,
    stock_code: str | None,
    order_id: int | None,
    trading_day: date | None,
    side: Side | None = None,
) -> dict[str, Any]:
    code = _code_filter(stock_code)
    with desk.session_factory() as session:
        query = select(TradeRow).where(TradeRow.account_id == account.broker.account_id)
        if code:
            query = query.where(TradeRow.stock_code == code)
        if order_id is not None:
            query = query.where(TradeRow.order_id == order_id)
        if trading_day:
            query = query.where(TradeRow.trading_day == trading_day)
        if side:
            query = query.where(TradeRow.side == side.value)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(TradeRow.id.desc()).offset(page.offset).limit(page.page_size))
        return paged([trade_view(r) for r in rows], total, page)


@router.get("/trades", summary="Fills, newest first", **answers(PageOf[Trade]))
@router.get("/records", summary="Fills (alias of /trading/trades)", **answers(PageOf[Trade]))
def trades(
    principal: Reader,
    desk: DeskDep,
    account: AccountDep,
    page: Annotated[Page, Depends(page_params)],
    stock_code: str | None = Query(None, max_length=32),
    order_id: IdQuery = None,
    trading_day: date | None = None,
    side: Side | None = None,
) -> dict[str, Any]:
    return _list_trades(desk, account, page, stock_code, order_id, trading_day, side)


@router.get("/equity", summary="The equity curve", **answers(list[EquitySample]))
def equity(
    principal: Reader,
    desk: DeskDep,
    account: AccountDep,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    limit: int = Query(2000, ge=1, le=20000),
) -> dict[str, Any]:
    with desk.session_factory() as session:
        query = select(AccountSnapshotRow).where(AccountSnapshotRow.account_id == account.broker.account_id)
        if from_ is not None:
            query = query.where(AccountSnapshotRow.time >= _aware(from_))
        if to is not None:
            query = query.where(AccountSnapshotRow.time <= _aware(to))
        rows = list(session.scalars(query.order_by(AccountSnapshotRow.time.desc()).limit(limit)))
        rows.reverse()
        return ok(
            [
                {
                    "time": iso(r.time),
                    "total_asset": money(r.total_asset),
                    "cash": money(r.cash),
                    "market_value": money(r.market_value),
                }
                for r in rows
            ]
        )


def _aware(moment: datetime) -> datetime:
    from qmtdesk.domain.clock import SHANGHAI

    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
