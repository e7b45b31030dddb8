"""New-issue subscription (新股/新债申购) and reverse repo (逆回购)."""

from __future__ import annotations

from typing import Literal

from qmtdesk.api.schemas.common import Day, Dec, Model, Time
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.subscriptions import Skip

#: What a run did with one issue or the repo loan (null when this answer did not run it).
Result = Literal["planned", "already", "sent", "failed"] | None


class IpoSettings(Model):
    """The ``QMTDESK_IPO_*`` and ``QMTDESK_REPO_*`` settings in force."""

    auto: bool
    time: str
    dry_run: bool
    include_bse: bool
    include_bonds: bool
    repo_auto: bool
    repo_time: str
    repo_code: str
    repo_keep_cash: Dec
    repo_rate_floor: Dec


class IpoBlocked(Model):
    """Why a run now would send nothing (halted, reduce-only, account disabled)."""

    error: Skip
    message: str


class Outcome(Model):
    """Why an issue or the loan is skipped, and what a run did with it (its row, order and error)."""

    reason: Skip | None
    message: str
    result: Result
    subscription_id: int | None
    order_id: int | None
    error: str | None


class IssueDecision(Outcome):
    """One of today's issues: what it is, the quota it draws on, and the decision."""

    stock_code: str
    stock_name: str
    type: str
    exchange: str | None
    board: str | None
    purchase_date: str | None
    issue_price: Dec | None
    min_quantity: int
    max_quantity: int
    quota_key: str | None
    quota: int | None
    quantity: int
    amount: Dec
    decision: Literal["subscribe", "skip"]


class RepoDecision(Outcome):
    """Lending idle cash through reverse repo: how much, at what rate, and the decision."""

    stock_code: str
    available_cash: Dec
    keep_cash: Dec
    quantity: int
    amount: Dec
    price: Dec
    rate_source: Literal["quote", "floor"]
    decision: Literal["lend", "skip"]


class IpoReport(Model):
    """Today's issues, the quota and the plan (``/ipo/today``), or what a run did (``/ipo/run``)."""

    account_id: str
    trading_day: Day
    time: Time
    trigger: Literal["preview", "manual", "schedule"]
    dry_run: bool
    supported: bool
    blocked: IpoBlocked | None
    settings: IpoSettings
    quota: dict[str, int]
    issues: list[IssueDecision]
    repo: RepoDecision | None


class Subscription(Model):
    """A recorded subscription or repo loan, with its order's status."""

    id: int
    account_id: str
    trading_day: Day
    kind: Literal["stock", "bond", "repo"]
    stock_code: str
    stock_name: str
    quantity: int
    price: Dec
    amount: Dec
    state: Literal["planned", "claimed", "sent", "failed"]
    state_label: str
    dry_run: bool
    attempt: int
    client_order_id: str | None
    order_id: int | None
    order_status: OrderStatus | None
    order_status_msg: str | None
    error: str | None
    message: str
    created_at: Time
    updated_at: Time


class Subscriptions(Model):
    """A trading day's subscriptions and loans, oldest first."""

    items: list[Subscription]
