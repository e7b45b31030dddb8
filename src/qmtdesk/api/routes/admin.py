"""Configuration (MiniQMT keys), the paper exchange's controls, the audit trail and health."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

import qmtdesk
from qmtdesk.accounts import Account
from qmtdesk.api.deps import AccountDep, Admin, DeskDep, Reader, client_ip
from qmtdesk.api.envelope import Page, ok, page_params, paged
from qmtdesk.api.schemas.admin import AuditEntry, Health, MiniQmtSettings, PaperClock, PaperReset
from qmtdesk.api.schemas.common import PageOf, answers
from qmtdesk.api.schemas.market import Quote
from qmtdesk.brokers.base import ConnectionState
from qmtdesk.brokers.paper.broker import PaperBroker, advance_paper_clock
from qmtdesk.config import MINIQMT_KEYS, ensure_config_editable, miniqmt_config_sources
from qmtdesk.desk import Desk
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError, InvalidValue
from qmtdesk.domain.rules import API_PHASE
from qmtdesk.oms.views import iso, money
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.app_config import read_app_config, write_app_config
from qmtdesk.store.tables.audit import list_audit, record_audit

config = APIRouter(prefix="/config", tags=["config"])
paper = APIRouter(prefix="/paper", tags=["paper"])
audit = APIRouter(tags=["audit"])
health = APIRouter(tags=["health"])


class MiniQmtBody(BaseModel):
    """Any of the MINIQMT_* keys; ``null`` removes a stored value."""

    MINIQMT_ENABLED: bool | None = None
    MINIQMT_ACCOUNT_ID: str | None = Field(None, max_length=64)
    MINIQMT_ACCOUNT_TYPE: str | None = Field(None, max_length=32)
    MINIQMT_USERDATA_PATH: str | None = Field(None, max_length=1024)


@config.get("/miniqmt", summary="MiniQMT settings and where each value comes from", **answers(MiniQmtSettings))
def get_miniqmt(principal: Reader, desk: DeskDep) -> dict[str, Any]:
    with desk.session_factory() as session:
        stored = read_app_config(session)
    return ok(miniqmt_config_sources(desk.settings, stored))


@config.put(
    "/miniqmt",
    summary="Store MiniQMT settings (keys set by the environment are locked)",
    **answers(MiniQmtSettings),
)
def put_miniqmt(body: MiniQmtBody, principal: Admin, desk: DeskDep, request: Request) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True)
    ensure_config_editable(desk.settings, list(given))
    values: dict[str, str | None] = {}
    for key, value in given.items():
        if value is None:
            values[key] = None
        elif isinstance(value, bool):
            values[key] = "true" if value else "false"
        else:
            values[key] = str(value)
    with unit_of_work(desk.session_factory) as session:
        write_app_config(session, values, desk.clock.now())
        record_audit(
            session,
            principal.username,
            "config.miniqmt",
            None,
            {"keys": sorted(values)},
            client_ip(request),
            at=desk.clock.now(),
        )
        stored = read_app_config(session)
    return ok(miniqmt_config_sources(desk.settings, stored))


# ------------------------------------------------------------------------------------------ paper


def _paper_only(desk: Desk) -> list[Account]:
    """The desk's paper accounts; ``409 PAPER_ONLY`` on a desk without any."""
    accounts = desk.paper_accounts()
    if not accounts:
        raise DeskError("PAPER_ONLY", "仅纸面交易模式可用", "Only available with the paper broker", http_status=409)
    return accounts


def _brokers(accounts: list[Account]) -> list[PaperBroker]:
    return [a.broker for a in accounts if isinstance(a.broker, PaperBroker)]


async def _settle(accounts: list[Account]) -> None:
    # What the exchanges did on the way (fills, closes, expiries) reaches each engine and the ledger.
    for account in accounts:
        account.engine.drain()


def _clock_view(desk: Desk) -> dict[str, Any]:
    now = desk.clock.now()
    return {
        "now": now.isoformat(),
        "trading_day": desk.calendar.trading_day_of(now.date()).isoformat(),
        "market_phase": API_PHASE[desk.calendar.phase(now)],
        "phase_detail": desk.calendar.phase(now).value,
        "simulated": desk.clock.simulated,
    }


class AdvanceBody(BaseModel):
    """Either ``to`` (an ISO datetime) or ``days`` (trading days) with an optional ``at`` time."""

    to: datetime | None = None
    days: int | None = Field(None, ge=0, le=3660)
    at: time | None = None

    @model_validator(mode="after")
    def _one_way(self) -> AdvanceBody:
        if self.to is None and self.days is None and self.at is None:
            raise InvalidValue("请给出 to，或 days（可再加 at）", "give `to`, or `days` (and optionally `at`)")
        return self


@paper.get("/clock", summary="The paper clock", **answers(PaperClock))
def get_clock(principal: Admin, desk: DeskDep) -> dict[str, Any]:
    _paper_only(desk)
    return ok(_clock_view(desk))


@paper.post(
    "/clock/advance",
    summary="Move the simulated clock forward, running closes and day rolls",
    **answers(PaperClock),
)
async def advance_clock(body: AdvanceBody, principal: Admin, desk: DeskDep, request: Request) -> dict[str, Any]:
    accounts = _paper_only(desk)
    now = desk.clock.now()
    if body.to is not None:
        target = body.to if body.to.tzinfo else body.to.replace(tzinfo=SHANGHAI)
    else:
        day = now.date()
        for _ in range(body.days or 0):
            day = desk.calendar.next_trading_day(day)
        at = body.at or now.timetz().replace(tzinfo=None)
        target = datetime.combine(day, at, SHANGHAI)
    if target < now:
        raise DeskError(
            "VALIDATION_ERROR",
            "纸面时钟只能向前拨动",
            "The paper clock only moves forward",
            http_status=422,
            data={"fields": [{"field": "to", "message": "earlier than the paper clock"}], "now": now.isoformat()},
        )
    if target - now > timedelta(days=3660):
        raise DeskError("VALIDATION_ERROR", "一次最多拨动十年", "At most ten years at once", http_status=422)
    await advance_paper_clock([b.exchange for b in _brokers(accounts)], target)
    await _settle(accounts)
    desk.engine.ledger.audit(
        principal.username,
        "paper.clock_advance",
        None,
        {"to": target.isoformat()},
        client_ip(request),
        desk.clock.now(),
    )
    await desk.journal.flush()  # the closes, expiries and equity points on the way are committed
    return ok(_clock_view(desk))


class PriceBody(BaseModel):
    stock_code: str = Field(max_length=32)
    price: Decimal = Field(gt=0, le=Decimal("1e7"))


@paper.post(
    "/price",
    summary="Move a simulated price now (practice scenarios; clamped to the daily limits)",
    **answers(Quote),
)
async def set_price(body: PriceBody, principal: Admin, desk: DeskDep, request: Request) -> dict[str, Any]:
    return ok(await _move_price(desk, body.stock_code, body.price, principal.username, client_ip(request)))


class LastPriceBody(BaseModel):
    last_price: Decimal = Field(gt=0, le=Decimal("1e7"))


@paper.post(
    "/quotes/{stock_code}",
    summary="Set a simulated last price: the book moves around it (held orders fire)",
    **answers(Quote),
)
async def set_quote(
    stock_code: str, body: LastPriceBody, principal: Admin, desk: DeskDep, request: Request
) -> dict[str, Any]:
    return ok(await _move_price(desk, stock_code, body.last_price, principal.username, client_ip(request)))


async def _move_price(desk: Desk, stock_code: str, to: Decimal, actor: str, ip: str | None) -> dict[str, Any]:
    """Move a simulated price on the shared paper market; every paper account matches at it."""
    accounts = _paper_only(desk)
    code = desk.market.instrument(stock_code).code
    # Every paper account trades on this market: each matches its resting orders at the new price.
    quotes = [await broker.set_price(code, to) for broker in _brokers(accounts)]
    quote = quotes[0]
    await _settle(accounts)
    desk.engine.ledger.audit(actor, "paper.set_price", code, {"price": str(to)}, ip, desk.clock.now())
    await desk.journal.flush()
    from qmtdesk.oms.account_views import quote_view

    return quote_view(quote, desk.market.cage(quote))


class ResetBody(BaseModel):
    cash: Decimal = Field(Decimal(1_000_000), gt=0, le=Decimal("1e13"))


@paper.post("/reset", summary="A fresh paper account (?account_id= picks one of several)", **answers(PaperReset))
async def reset(
    principal: Admin, desk: DeskDep, account: AccountDep, request: Request, body: ResetBody | None = None
) -> dict[str, Any]:
    if account not in _paper_only(desk):
        raise DeskError("PAPER_ONLY", "该账户不是模拟账户", "This account is not a paper account", http_status=409)
    [broker] = _brokers([account])
    body = body or ResetBody()
    await account.orders.cancel_all()
    await broker.reset(body.cash)
    account.engine.drain()
    await account.jobs.restart_equity_curve("reset")
    await account.engine.reconcile()
    account.engine.ledger.audit(
        principal.username,
        "paper.reset",
        account.account_id,
        {"cash": str(body.cash)},
        client_ip(request),
        desk.clock.now(),
    )
    await desk.journal.flush()
    report = await broker.query_account()
    return ok({"cash": money(report.cash), "total_asset": money(report.total_asset), **_clock_view(desk)})


# ------------------------------------------------------------------------------------------ audit and health


@audit.get("/audit", summary="The audit trail (admin), newest first", **answers(PageOf[AuditEntry]))
def get_audit(
    principal: Admin, desk: DeskDep, page: Annotated[Page, Depends(page_params)], action: str | None = None
) -> dict[str, Any]:
    import json

    with desk.session_factory() as session:
        rows, total = list_audit(session, page=page.page, page_size=page.page_size, action_prefix=action)
        items = [
            {
                "id": r.id,
                "time": iso(r.time),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "detail": json.loads(r.detail) if r.detail else None,
                "ip": r.ip,
            }
            for r in rows
        ]
    return paged(items, total, page)


@health.get("/health", summary="Liveness and broker link (no auth)", **answers(Health))
def get_health(desk: DeskDep) -> dict[str, Any]:
    return ok(
        {
            "status": "ok",
            "version": qmtdesk.__version__,
            "broker": desk.broker.name,
            "broker_connected": desk.broker.state is ConnectionState.CONNECTED,
        }
    )


__all__ = ["MINIQMT_KEYS", "audit", "config", "health", "paper"]
