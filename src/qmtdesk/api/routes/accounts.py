"""The accounts this desk serves: ``GET /accounts``; admins add, rename and remove them."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, field_validator

from qmtdesk.accounts import DEFAULT_NAMES
from qmtdesk.api.deps import Admin, DeskDep, Reader, client_ip
from qmtdesk.api.envelope import ok
from qmtdesk.api.figures import overview_row
from qmtdesk.api.schemas.access import AccountRemoved, AccountsOverview, DeskAccount
from qmtdesk.api.schemas.common import answers
from qmtdesk.desk import Desk
from qmtdesk.domain.errors import InvalidValue
from qmtdesk.oms.views import money
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.accounts import AccountRow
from qmtdesk.store.tables.audit import record_audit

router = APIRouter(tags=["accounts"])
admin = APIRouter(prefix="/admin/accounts", tags=["accounts"])

AccountPath = Annotated[str, Path(min_length=1, max_length=32)]


class AccountPatch(BaseModel):
    """What an admin may change of an account: its name, and whether it takes new orders."""

    name: str | None = Field(None, min_length=1, max_length=64, description="the display name")
    enabled: bool | None = Field(None, description="false: no new orders (cancels still work)")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise InvalidValue("名称不能为空白", "name must not be blank")
        return value


@router.get(
    "/accounts",
    summary="The accounts this desk serves, the default first, with link and trading state",
    **answers(list[DeskAccount]),
)
async def list_accounts(principal: Reader, desk: DeskDep) -> dict[str, Any]:
    return ok(desk.accounts.views(principal))


@router.get(
    "/accounts/overview",
    summary="Every account the caller reaches with its money, exposure and link",
    **answers(AccountsOverview),
)
async def overview(principal: Reader, desk: DeskDep) -> dict[str, Any]:
    rows = [await overview_row(desk, account) for account in desk.accounts.reachable(principal)]
    counted = [r for r in rows if r["available"]]
    totals = {
        key: money(sum((Decimal(r[key]) for r in counted if r.get(key) is not None), Decimal(0)))
        for key in ("cash", "market_value", "total_asset", "total_profit", "today_profit")
    }
    return ok({"items": rows, "totals": totals})


@admin.patch(
    "/{account_id}", summary="Rename an account, or enable / disable its new orders (admin)", **answers(DeskAccount)
)
def patch_account(
    account_id: AccountPath, body: AccountPatch, principal: Admin, desk: DeskDep, request: Request
) -> dict[str, Any]:
    with unit_of_work(desk.session_factory) as session:
        account = desk.accounts.rename(session, account_id, body.name, desk.clock.now())
        row = session.get(AccountRow, account.account_id)
        if body.enabled is not None and row is not None:
            row.enabled = body.enabled
        for action, before, after in (
            ("account.rename", account.name, body.name),
            ("account.enable" if body.enabled else "account.disable", account.enabled, body.enabled),
        ):
            if after is not None and after != before:
                detail = {"from": before, "to": after}
                ip = client_ip(request)
                record_audit(session, principal.username, action, account.account_id, detail, ip, at=desk.clock.now())
    # committed: the running account follows
    if body.name is not None:
        account.name = body.name
    if body.enabled is not None:
        account.enabled = body.enabled
    return ok(account.view(default=account.account_id == desk.accounts.default_id))


class NewAccountBody(BaseModel):
    """An account to add: a paper account, or a remote MiniQMT gateway."""

    account_id: str = Field(
        min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$", description="letters, digits, _ . -"
    )
    broker: Literal["paper", "gateway"] = Field(
        description="`paper`: a practice account on the desk's paper market; `gateway`: a MiniQMT account "
        "whose `qmtdesk gateway` connects to the desk's NATS server"
    )
    name: str | None = Field(None, max_length=64, description="the display name (default: 模拟账户 <id>)")
    cash: Decimal = Field(Decimal(1_000_000), gt=0, le=Decimal("1e13"), description="starting cash (paper)")

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise InvalidValue("名称不能为空白", "name must not be blank")
        return value.strip() if value is not None else None


@admin.post(
    "",
    status_code=201,
    summary="Add an account (admin): paper or a remote gateway, started at once",
    **answers(DeskAccount, 201),
)
async def add_account(body: NewAccountBody, principal: Admin, desk: DeskDep, request: Request) -> dict[str, Any]:
    name = body.name or f"{DEFAULT_NAMES[body.broker]} {body.account_id}"
    account = await desk.add_account(body.broker, body.account_id, name, body.cash)
    detail = {"broker": body.broker, "cash": str(body.cash), "name": name}
    await asyncio.to_thread(_audit, desk, principal.username, "account.create", account.account_id, detail, request)
    return ok(account.view(default=False))


@admin.delete(
    "/{account_id}",
    summary="Stop serving an account (admin; not the default, none with open orders)",
    **answers(AccountRemoved),
)
async def remove_account(account_id: AccountPath, principal: Admin, desk: DeskDep, request: Request) -> dict[str, Any]:
    account = await desk.remove_account(account_id)
    detail = {"broker": account.broker_kind}
    await asyncio.to_thread(_audit, desk, principal.username, "account.remove", account.account_id, detail, request)
    return ok({"account_id": account.account_id, "removed": True})


def _audit(desk: Desk, actor: str, action: str, target: str, detail: dict[str, Any], request: Request) -> None:
    with unit_of_work(desk.session_factory) as session:
        record_audit(session, actor, action, target, detail, client_ip(request), at=desk.clock.now())
