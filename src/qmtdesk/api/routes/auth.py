"""Auth and users: login, passwords, trade unlock, API tokens, user administration."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from qmtdesk.api.deps import Admin, DeskDep, Interactive, PrincipalDep, client_ip
from qmtdesk.api.envelope import IdPath, ok
from qmtdesk.api.schemas.access import (
    ApiTokenRevoked,
    ApiTokenView,
    CurrentUser,
    LoginAnswer,
    NewApiToken,
    TradeLocked,
    TradeUnlocked,
    UserView,
)
from qmtdesk.api.schemas.common import answers
from qmtdesk.auth.service import UNSET, ApiTokenInfo, UserInfo
from qmtdesk.desk import Desk
from qmtdesk.oms.views import iso

router = APIRouter(tags=["auth"])
users = APIRouter(tags=["users"])


def user_view(user: UserInfo) -> dict[str, Any]:
    """A user as the API shows it (never a hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "active": user.active,
        "must_change_password": user.must_change_password,
        "trading_password_set": user.trading_password_set,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "account_ids": list(user.account_ids) if user.account_ids is not None else None,
    }


def token_view(token: ApiTokenInfo) -> dict[str, Any]:
    """An API token as listed (without its secret)."""
    data = asdict(token)
    for key in ("expires_at", "created_at", "last_used_at", "revoked_at"):
        data[key] = iso(data[key])
    data["scopes"] = list(token.scopes)
    data["account_ids"] = list(token.account_ids) if token.account_ids is not None else None
    return data


#: Accounts a user or token is limited to (null: every account).
AccountIds = list[Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]]


def _served(desk: Desk, account_ids: list[str] | None) -> list[str] | None:
    """The ids, each one the desk serves (``404 ACCOUNT_NOT_FOUND`` otherwise)."""
    for account_id in account_ids or ():
        desk.accounts.get(account_id)
    return account_ids


class LoginBody(BaseModel):
    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)


class PasswordBody(BaseModel):
    old_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class TradingPasswordBody(BaseModel):
    password: str = Field(max_length=1024, description="the login password, to confirm")
    new_trading_password: str = Field(max_length=1024)


class TradeUnlockBody(BaseModel):
    trading_password: str = Field(max_length=1024)


class ApiTokenBody(BaseModel):
    name: str = Field(max_length=128)
    scopes: list[Literal["read", "trade"]] = Field(default_factory=lambda: ["read"])
    expires_at: datetime | None = None
    trading_password: str | None = Field(None, max_length=1024, description="needed for a trade token")
    account_ids: AccountIds | None = Field(None, max_length=64, description="only these accounts (default: all mine)")


class NewUserBody(BaseModel):
    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)
    role: Literal["admin", "trader", "viewer"] = "trader"
    trading_password: str | None = Field(None, max_length=1024)
    account_ids: AccountIds | None = Field(None, max_length=64, description="only these accounts (default: all)")


class UserPatchBody(BaseModel):
    role: Literal["admin", "trader", "viewer"] | None = None
    active: bool | None = None
    password: str | None = Field(None, max_length=1024)
    trading_password: str | None = Field(None, max_length=1024)
    must_change_password: bool | None = None
    account_ids: AccountIds | None = Field(None, max_length=64, description="only these accounts; null: all")


@router.post("/auth/login", summary="Sign in; returns an access token", **answers(LoginAnswer))
def login(body: LoginBody, desk: DeskDep, request: Request) -> dict[str, Any]:
    result = desk.auth.login(body.username, body.password, ip=client_ip(request))
    return ok(
        {
            "access_token": result.access_token,
            "token_type": "bearer",
            "expires_in": result.expires_in,
            "user": user_view(result.user),
        }
    )


@router.get("/auth/me", summary="Who am I", **answers(CurrentUser))
def me(principal: PrincipalDep, desk: DeskDep) -> dict[str, Any]:
    user = desk.auth.get_user(principal.user_id)
    return ok({**user_view(user), "via": principal.via, "scopes": sorted(principal.scopes)})


@router.post("/auth/password", summary="Change my login password", **answers(LoginAnswer))
def change_password(body: PasswordBody, principal: Interactive, desk: DeskDep, request: Request) -> dict[str, Any]:
    result = desk.auth.change_password(principal.user_id, body.old_password, body.new_password, ip=client_ip(request))
    return ok(
        {
            "access_token": result.access_token,
            "token_type": "bearer",
            "expires_in": result.expires_in,
            "user": user_view(result.user),
        }
    )


@router.post("/auth/trading-password", summary="Set or change my trading password", **answers(UserView))
def trading_password(
    body: TradingPasswordBody, principal: Interactive, desk: DeskDep, request: Request
) -> dict[str, Any]:
    user = desk.auth.set_trading_password(
        principal.user_id, body.password, body.new_trading_password, ip=client_ip(request)
    )
    return ok(user_view(user))


@router.post("/auth/trade-unlock", summary="Unlock trading with the trading password", **answers(TradeUnlocked))
def trade_unlock(body: TradeUnlockBody, principal: Interactive, desk: DeskDep, request: Request) -> dict[str, Any]:
    principal.require_role("admin", "trader")
    unlocked = desk.auth.trade_unlock(principal.user_id, body.trading_password, ip=client_ip(request))
    return ok({"trade_token": unlocked.trade_token, "expires_in": unlocked.expires_in})


@router.post("/auth/trade-lock", summary="Revoke my trade tokens", **answers(TradeLocked))
def trade_lock(principal: Interactive, desk: DeskDep, request: Request) -> dict[str, Any]:
    desk.auth.trade_lock(principal.user_id, ip=client_ip(request))
    return ok({"locked": True})


@router.get("/auth/api-tokens", summary="My API tokens", **answers(list[ApiTokenView]))
def list_tokens(principal: Interactive, desk: DeskDep) -> dict[str, Any]:
    return ok([token_view(t) for t in desk.auth.list_api_tokens(principal.user_id)])


@router.post(
    "/auth/api-tokens", status_code=201, summary="Create an API token (secret shown once)", **answers(NewApiToken, 201)
)
def create_token(body: ApiTokenBody, principal: Interactive, desk: DeskDep, request: Request) -> dict[str, Any]:
    created = desk.auth.create_api_token(
        principal.user_id,
        body.name,
        body.scopes,
        body.expires_at,
        body.trading_password,
        account_ids=_served(desk, body.account_ids),
        ip=client_ip(request),
    )
    return ok({**token_view(created.token), "token": created.secret, "secret": created.secret})


@router.delete("/auth/api-tokens/{token_id}", summary="Revoke an API token", **answers(ApiTokenRevoked))
def revoke_token(token_id: IdPath, principal: Interactive, desk: DeskDep, request: Request) -> dict[str, Any]:
    desk.auth.revoke_api_token(principal.user_id, token_id, any_user=principal.is_admin, ip=client_ip(request))
    return ok({"revoked": token_id})


@users.get("/users", summary="All users (admin)", **answers(list[UserView]))
def list_users(principal: Admin, desk: DeskDep) -> dict[str, Any]:
    return ok([user_view(u) for u in desk.auth.list_users()])


@users.post("/users", status_code=201, summary="Create a user (admin)", **answers(UserView, 201))
async def create_user(body: NewUserBody, principal: Admin, desk: DeskDep, request: Request) -> dict[str, Any]:
    user = await run_in_threadpool(
        desk.auth.create_user,
        body.username,
        body.password,
        body.role,
        body.trading_password,
        account_ids=_served(desk, body.account_ids),
        actor=principal.username,
        ip=client_ip(request),
    )
    return ok(user_view(user))


@users.patch("/users/{user_id}", summary="Change a user's role, status or passwords (admin)", **answers(UserView))
def update_user(
    user_id: IdPath, body: UserPatchBody, principal: Admin, desk: DeskDep, request: Request
) -> dict[str, Any]:
    user = desk.auth.update_user(
        user_id,
        role=body.role,
        active=body.active,
        password=body.password,
        must_change_password=body.must_change_password,
        # Named (even as null: every account) or left as it is.
        account_ids=_served(desk, body.account_ids) if "account_ids" in body.model_fields_set else UNSET,
        actor=principal.username,
        ip=client_ip(request),
    )
    if body.trading_password is not None:
        user = desk.auth.reset_trading_password(
            user_id, body.trading_password, actor=principal.username, ip=client_ip(request)
        )
    return ok(user_view(user))
