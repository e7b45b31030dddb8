"""Who may do what, and on which accounts: sign-in, users, API tokens and the accounts a desk serves."""

from __future__ import annotations

from typing import Literal

from qmtdesk.api.schemas.common import Dec, LinkState, Model, Time, TradingState

Role = Literal["admin", "trader", "viewer"]
Scope = Literal["read", "trade"]


class UserView(Model):
    """A user (never a password hash); ``account_ids`` null: every account."""

    id: int
    username: str
    role: Role
    active: bool
    must_change_password: bool
    trading_password_set: bool
    created_at: Time
    updated_at: Time
    account_ids: list[str] | None


class CurrentUser(UserView):
    """The caller (``GET /auth/me``): the user, and how these credentials proved it and what they may do."""

    via: Literal["jwt", "api_token"]
    scopes: list[Scope]


class LoginAnswer(Model):
    """An access token and its user (a sign-in, or a changed login password)."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: UserView


class TradeUnlocked(Model):
    """A trade token (``X-Trade-Token``) and its lifetime in seconds."""

    trade_token: str
    expires_in: int


class TradeLocked(Model):
    """The caller's trade tokens are revoked."""

    locked: Literal[True]


class ApiTokenView(Model):
    """An API token as listed (its secret is never shown again); ``account_ids`` null: all of its user's."""

    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[Scope]
    expires_at: Time | None
    created_at: Time
    last_used_at: Time | None
    revoked_at: Time | None
    account_ids: list[str] | None


class NewApiToken(ApiTokenView):
    """A new API token with its secret, shown this once (``token`` and ``secret`` are the same)."""

    token: str
    secret: str


class ApiTokenRevoked(Model):
    """The id of the API token revoked."""

    revoked: int


class DeskAccount(Model):
    """An account the desk serves: identity, link and trading state (``GET /accounts``)."""

    account_id: str
    name: str
    broker: Literal["paper", "xtquant", "gateway"]
    account_type: str
    enabled: bool
    default: bool
    state: LinkState
    connected: bool
    message: str
    halted: bool
    trading_state: TradingState


class AccountOverviewRow(DeskAccount):
    """One account in the overview: with its money, exposure and link when its broker answers
    (``available``), else ``error`` and every figure null."""

    available: bool
    error: str | None
    cash: Dec | None
    frozen_cash: Dec | None
    market_value: Dec | None
    total_asset: Dec | None
    total_profit: Dec | None
    today_profit: Dec | None
    realized_profit: Dec | None
    floating_profit: Dec | None
    exposure: Dec | None
    holdings: int | None
    open_orders: int | None
    rtt_ms: float | None


class OverviewTotals(Model):
    """Sums over the accounts whose broker answered."""

    cash: Dec
    market_value: Dec
    total_asset: Dec
    total_profit: Dec
    today_profit: Dec


class AccountsOverview(Model):
    """Every account the caller reaches with its money, and the totals (``GET /accounts/overview``)."""

    items: list[AccountOverviewRow]
    totals: OverviewTotals


class AccountRemoved(Model):
    """An account the desk no longer serves."""

    account_id: str
    removed: Literal[True]
