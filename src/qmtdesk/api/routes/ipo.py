"""New-issue subscription (新股/新债申购) and reverse repo (逆回购): today's plan, a run now, the records."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictBool

from qmtdesk.accounts import Account
from qmtdesk.api.deps import AccountDep, Reader, TradeGuard, account_scope, audit_note
from qmtdesk.api.envelope import ok
from qmtdesk.api.schemas.common import answers
from qmtdesk.api.schemas.ipo import IpoReport, Subscriptions

router = APIRouter(prefix="/ipo", tags=["ipo"], dependencies=[Depends(account_scope)])


class RunBody(BaseModel):
    """Run the subscriptions (and repo lending) now."""

    dry_run: StrictBool | None = Field(
        None, description="plan only, send nothing (default: QMTDESK_IPO_DRY_RUN, on unless switched off)"
    )
    include_ipo: StrictBool = Field(True, description="subscribe today's new stocks and bonds")
    include_repo: StrictBool = Field(False, description="also lend idle cash through reverse repo")
    account_id: str | None = Field(None, max_length=32)


def _account(account: Account, request: Request, principal: Any, account_id: str | None) -> Account:
    if account_id:
        return request.app.state.desk.accounts.for_principal(principal, account_id)  # type: ignore[no-any-return]
    return account


@router.get(
    "/today",
    summary="Today's new issues, the subscription quota and the plan (what a run would do)",
    **answers(IpoReport),
)
async def today(principal: Reader, account: AccountDep) -> dict[str, Any]:
    return ok(await account.ipo.today())


@router.post(
    "/run",
    summary="Subscribe today's issues (and lend idle cash) now; a dry run only plans",
    **answers(IpoReport),
)
async def run(body: RunBody, principal: TradeGuard, account: AccountDep, request: Request) -> dict[str, Any]:
    target = _account(account, request, principal, body.account_id)
    dry_run = target.ipo.settings.dry_run if body.dry_run is None else body.dry_run
    report = await target.ipo.run(
        dry_run=dry_run,
        ipo=body.include_ipo,
        repo=body.include_repo,
        trigger="manual",
        audit=audit_note(principal, request),
        user_id=principal.user_id,
    )
    return ok(report)


@router.get(
    "/subscriptions",
    summary="Recorded subscriptions and repo loans of a trading day (default today)",
    **answers(Subscriptions),
)
def subscriptions(
    principal: Reader,
    account: AccountDep,
    trading_day: date | None = Query(None, description="YYYY-MM-DD (default: today)"),
) -> dict[str, Any]:
    return ok({"items": account.ipo.subscriptions(trading_day)})
