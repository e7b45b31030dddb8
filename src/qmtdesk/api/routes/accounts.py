"""The accounts this desk serves: ``GET /accounts``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from qmtdesk.api.deps import DeskDep, Reader
from qmtdesk.api.envelope import ok

router = APIRouter(tags=["accounts"])


@router.get("/accounts", summary="The accounts this desk serves, the default first, with link and trading state")
async def list_accounts(principal: Reader, desk: DeskDep) -> dict[str, Any]:
    return ok(desk.accounts.views())
