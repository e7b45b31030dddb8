"""The accounts one desk serves, and the parts that trade each of them.

Each account has its own broker, engine, risk engine and signal service; routes and streams find
them by ``account_id`` (a query parameter, or a field of the request body), and a request that names
none gets the default account, so a client written for a one-account desk keeps working. The
``accounts`` table remembers each account's display name and kind of broker; what trades it is built
from the settings at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.auth.service import Principal
from qmtdesk.brokers.base import Broker, ConnectionState
from qmtdesk.domain.errors import AccountNotFound
from qmtdesk.jobs import DeskJobs
from qmtdesk.oms.algos import AlgoOrders
from qmtdesk.oms.engine import Engine
from qmtdesk.oms.held import HeldOrders
from qmtdesk.oms.ipo import Subscriptions
from qmtdesk.oms.service import OrderService
from qmtdesk.risk.engine import RiskEngine
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.accounts import AccountRow
from qmtdesk.strategies.runtime import StrategyRuntime
from qmtdesk.strategies.signals import SignalService

#: The name an account gets until an admin renames it, by kind of broker.
DEFAULT_NAMES = {"paper": "模拟账户", "xtquant": "MiniQMT 账户", "gateway": "远程网关账户"}


@dataclass
class Account:
    """One trading account and the parts that trade it."""

    broker_kind: str
    broker: Broker
    engine: Engine
    orders: OrderService
    risk: RiskEngine
    signals: SignalService
    runtime: StrategyRuntime
    jobs: DeskJobs
    held: HeldOrders
    algos: AlgoOrders
    #: New-issue subscriptions and repo lending (MiniQMT accounts; nothing to do on paper).
    ipo: Subscriptions
    name: str = ""

    @property
    def enabled(self) -> bool:
        """Whether the account takes new orders (an admin's switch, stored with the account)."""
        return self.orders.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.orders.enabled = value

    @property
    def account_id(self) -> str:
        """The id the ledger keys this account's orders, rules and state by."""
        return self.engine.account_id

    def view(self, *, default: bool) -> dict[str, Any]:
        """What ``GET /accounts`` shows of it: identity, link and trading state."""
        state = self.broker.state
        return {
            "account_id": self.account_id,
            "name": self.name,
            "broker": self.broker_kind,
            "account_type": self.broker.account_type,
            "enabled": self.enabled,
            "default": default,
            "state": state.value,
            "connected": state is ConnectionState.CONNECTED,
            "message": self.broker.last_error,
            "halted": self.risk.halted,
            "trading_state": self.risk.state,
        }


class AccountRegistry:
    """The desk's accounts by id, with the one a request that names none is for."""

    def __init__(self, accounts: list[Account], default_id: str) -> None:
        self._accounts = {a.account_id: a for a in accounts}
        if default_id not in self._accounts:
            raise ValueError(f"the default account {default_id!r} is not among the accounts")
        self.default_id = default_id

    @property
    def default(self) -> Account:
        """The account of requests that name none."""
        return self._accounts[self.default_id]

    def get(self, account_id: str | None) -> Account:
        """The account named (the default when ``None`` or empty); ``ACCOUNT_NOT_FOUND`` (404) otherwise."""
        if not account_id:
            return self.default
        account = self._accounts.get(account_id)
        if account is None:
            raise AccountNotFound(account_id)
        return account

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._accounts

    def add(self, account: Account) -> None:
        """Serve one more account (its parts already built)."""
        if account.account_id in self._accounts:
            raise ValueError(f"account {account.account_id!r} is already served")
        self._accounts[account.account_id] = account

    def remove(self, account_id: str) -> Account:
        """Stop serving an account (never the default); the caller stops its parts."""
        account = self._accounts.get(account_id)
        if account is None:
            raise AccountNotFound(account_id)
        if account_id == self.default_id:
            raise ValueError("the default account cannot be removed")
        del self._accounts[account_id]
        return account

    def for_principal(self, principal: Principal, account_id: str | None) -> Account:
        """The account named (or the caller's default) if the caller's credentials reach it.

        ``ACCOUNT_NOT_FOUND`` for one they do not reach, exactly as for an unknown id."""
        if not account_id:
            reachable = self.reachable(principal)
            if not reachable:
                raise AccountNotFound(self.default_id)
            return reachable[0]
        account = self.get(account_id)
        if not principal.may_use(account.account_id):
            raise AccountNotFound(account_id)
        return account

    def reachable(self, principal: Principal) -> list[Account]:
        """The accounts the caller's credentials reach, the default first."""
        return [a for a in self.all() if principal.may_use(a.account_id)]

    def all(self) -> list[Account]:
        """Every account, the default first, then by id."""
        rest = sorted((a for a in self._accounts.values() if a.account_id != self.default_id), key=_by_id)
        return [self.default, *rest]

    def views(self, principal: Principal | None = None) -> list[dict[str, Any]]:
        """Every account as ``GET /accounts`` shows it (those the caller's credentials reach)."""
        accounts = self.all() if principal is None else self.reachable(principal)
        return [a.view(default=a.account_id == self.default_id) for a in accounts]

    def rename(self, session: Session, account_id: str, name: str | None, now: datetime) -> Account:
        """Give an account a new display name (None: keep it), in the caller's transaction."""
        account = self._accounts.get(account_id)  # by its id only: an empty one names no account here
        if account is None:
            raise AccountNotFound(account_id)
        row = session.get(AccountRow, account.account_id)
        if row is None:  # recorded at start; a database swapped under a running desk gets it back
            row = _new_row(account, now)
            session.add(row)
        if name is not None:
            row.name = name
        row.updated_at = now
        return account

    def record(self, session_factory: sessionmaker[Session], now: datetime) -> None:
        """Store each account the first time the desk serves it; take back the name stored for it."""
        with unit_of_work(session_factory) as session:
            for account in self._accounts.values():
                row = session.get(AccountRow, account.account_id)
                if row is None:
                    account.name = account.name or DEFAULT_NAMES.get(account.broker_kind, account.account_id)
                    session.add(_new_row(account, now))
                else:
                    account.name = row.name
                    account.enabled = row.enabled
                    if row.broker != account.broker_kind:  # the same id now traded through another broker
                        row.broker = account.broker_kind
                        row.updated_at = now


def _new_row(account: Account, now: datetime) -> AccountRow:
    return AccountRow(
        account_id=account.account_id,
        name=account.name,
        broker=account.broker_kind,
        enabled=account.enabled,
        created_at=now,
        updated_at=now,
    )


def _by_id(account: Account) -> str:
    return account.account_id
