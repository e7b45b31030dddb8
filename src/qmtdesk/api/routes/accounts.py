"""The accounts this desk serves: ``GET /accounts``; admins rename them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field, field_validator

from qmtdesk.api.deps import Admin, DeskDep, Reader, client_ip
from qmtdesk.api.envelope import ok
from qmtdesk.domain.errors import InvalidValue
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.audit import record_audit

router = APIRouter(tags=["accounts"])
admin = APIRouter(prefix="/admin/accounts", tags=["accounts"])

AccountPath = Annotated[str, Path(min_length=1, max_length=32)]


class AccountPatch(BaseModel):
    """What an admin may change of an account."""

    name: str = Field(min_length=1, max_length=64, description="the display name")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise InvalidValue("名称不能为空白", "name must not be blank")
        return value


@router.get("/accounts", summary="The accounts this desk serves, the default first, with link and trading state")
async def list_accounts(principal: Reader, desk: DeskDep) -> dict[str, Any]:
    return ok(desk.accounts.views())


@admin.patch("/{account_id}", summary="Rename an account (admin)")
def patch_account(
    account_id: AccountPath, body: AccountPatch, principal: Admin, desk: DeskDep, request: Request
) -> dict[str, Any]:
    with unit_of_work(desk.session_factory) as session:
        account = desk.accounts.rename(session, account_id, body.name, desk.clock.now())
        before = account.name
        record_audit(
            session,
            principal.username,
            "account.rename",
            account.account_id,
            {"from": before, "to": body.name},
            client_ip(request),
            at=desk.clock.now(),
        )
    account.name = body.name  # committed
    return ok(account.view(default=account.account_id == desk.accounts.default_id))
