"""Request dependencies: the desk, who is calling, and what they may do.

Rules: every route but ``/health`` and ``/auth/login`` needs a bearer. Viewers read; traders also
trade (with a trade token, or an API token with scope ``trade``); admins also administer. API
tokens are for scripts: scope ``read`` reads, scope ``trade`` also trades; administration needs an
interactive (JWT) session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.accounts import Account
from qmtdesk.auth import errors as auth_errors
from qmtdesk.auth.service import Principal
from qmtdesk.brokers.base import Broker
from qmtdesk.desk import Desk
from qmtdesk.oms.commands import AuditNote
from qmtdesk.oms.service import OrderService
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.strategies.signals import SignalService

# Dependencies that only check are ``async``: FastAPI runs a plain ``def`` dependency on a worker
# thread, a hand-off per dependency per request.


async def get_desk(request: Request) -> Desk:
    """The running desk."""
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


def client_ip(request: Request) -> str | None:
    """The caller's address, for the audit log."""
    return request.client.host if request.client else None


# Declared as security schemes so /docs offers an "Authorize" dialog for both headers.
bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /auth/login, or an API token")
trade_token_scheme = APIKeyHeader(
    name="X-Trade-Token", auto_error=False, description="Trade token from /auth/trade-unlock"
)


#: What a user who must replace their password may still do: say who they are, and change it.
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/auth/me", "/api/v1/auth/password"})


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    """Whoever the bearer token belongs to (401 otherwise)."""
    desk: Desk = request.app.state.desk  # not a sub-dependency: every level costs on every request
    bearer = credentials.credentials if credentials else None
    # An access JWT of a user seen in the last seconds is checked on the loop (a signature check);
    # anything needing the database (API tokens, a cache miss) is looked up off the loop.
    principal = desk.auth.authenticate_cached(bearer)
    if principal is None:
        principal = await run_in_threadpool(desk.auth.authenticate, bearer)
    if principal.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise auth_errors.password_change_required()
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def reader(principal: PrincipalDep) -> Principal:
    """Any signed-in user or API token with scope ``read``."""
    principal.require_scope("read")
    return principal


async def trader(principal: PrincipalDep) -> Principal:
    """Admins and traders (not viewers)."""
    principal.require_role("admin", "trader")
    return principal


async def operator(principal: PrincipalDep) -> Principal:
    """Traders and admins (a script needs a ``trade`` token): the kill switch, no trade token required."""
    principal.require_role("admin", "trader")
    if principal.via == "api_token":
        principal.require_scope("trade")
    return principal


async def admin(principal: PrincipalDep) -> Principal:
    """Admins in an interactive session."""
    principal.require_role("admin")
    if principal.via != "jwt":
        raise auth_errors.forbidden(
            "管理操作需要登录会话，API 令牌不能执行", "Administration needs a signed-in session"
        )
    return principal


async def interactive(principal: PrincipalDep) -> Principal:
    """Account self-service (passwords, tokens) needs a signed-in session, not an API token."""
    if principal.via != "jwt":
        raise auth_errors.forbidden("此操作需要登录会话，API 令牌不能执行", "This needs a signed-in session")
    return principal


async def trade_guard(
    request: Request,
    principal: PrincipalDep,
    x_trade_token: Annotated[str | None, Depends(trade_token_scheme)],
) -> Principal:
    """Placing and cancelling orders: a trade token from /auth/trade-unlock, or a ``trade`` API token."""
    desk: Desk = request.app.state.desk
    desk.auth.check_trade_token(principal, x_trade_token, fresh=True)  # authenticated by this request
    return principal


Reader = Annotated[Principal, Depends(reader)]
Trader = Annotated[Principal, Depends(trader)]
Operator = Annotated[Principal, Depends(operator)]
Admin = Annotated[Principal, Depends(admin)]
Interactive = Annotated[Principal, Depends(interactive)]
TradeGuard = Annotated[Principal, Depends(trade_guard)]


async def account_scope(
    request: Request,
    principal: PrincipalDep,  # who asks is settled first: an unknown caller learns nothing of accounts
    account_id: Annotated[
        str | None, Query(max_length=32, description="The account (default: the desk's default account)")
    ] = None,
) -> Account:
    """The account a request is for: ``?account_id=``, else the default one (404 ``ACCOUNT_NOT_FOUND``).

    Credentials limited to some accounts get ``ACCOUNT_NOT_FOUND`` for the others, as for an unknown
    id (they learn nothing of them), and without an ``account_id`` the first account they reach."""
    desk: Desk = request.app.state.desk
    return desk.accounts.for_principal(principal, account_id)


AccountDep = Annotated[Account, Depends(account_scope)]


# Narrow dependencies: a route asks for the part it uses, not the whole desk, of the account asked for.
async def get_orders(account: AccountDep) -> OrderService:
    """The account's order service (placing and cancelling)."""
    return account.orders


async def get_broker(account: AccountDep) -> Broker:
    """The account's broker."""
    return account.broker


async def get_risk(account: AccountDep) -> RiskEngine:
    """The account's risk engine."""
    return account.risk


async def get_signals(account: AccountDep) -> SignalService:
    """The account's signal service."""
    return account.signals


async def get_sessions(desk: DeskDep) -> sessionmaker[Session]:
    """Database sessions (for reads)."""
    return desk.session_factory


Orders = Annotated[OrderService, Depends(get_orders)]
BrokerDep = Annotated[Broker, Depends(get_broker)]
RiskDep = Annotated[RiskEngine, Depends(get_risk)]
Signals = Annotated[SignalService, Depends(get_signals)]
Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]


def audit_note(principal: Principal, request: Request, detail: dict[str, Any] | None = None) -> AuditNote:
    """Who is asking, from where, for the audit row written with the change."""
    return AuditNote(principal.username, client_ip(request), detail or {})
