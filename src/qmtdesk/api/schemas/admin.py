"""The MiniQMT settings, the paper exchange's controls, the audit trail and health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from qmtdesk.api.schemas.common import Day, Dec, MarketPhase, Model, Time
from qmtdesk.domain.rules import Phase


class ConfigValue(Model):
    """A setting's effective value and where it comes from (the environment locks it)."""

    value: bool | str | None
    source: Literal["env", "db", "default"]


class MiniQmtSettings(Model):
    """The ``MINIQMT_*`` settings."""

    MINIQMT_ENABLED: ConfigValue
    MINIQMT_ACCOUNT_ID: ConfigValue
    MINIQMT_ACCOUNT_TYPE: ConfigValue
    MINIQMT_USERDATA_PATH: ConfigValue


class PaperClock(Model):
    """The paper clock: the simulated time, its trading day and market phase."""

    now: Time
    trading_day: Day
    market_phase: MarketPhase
    phase_detail: Phase
    simulated: bool


class PaperReset(PaperClock):
    """A fresh paper account: its cash and total asset, and the clock."""

    cash: Dec
    total_asset: Dec


class AuditEntry(Model):
    """One audited action: who did what to what, when, from where."""

    id: int
    time: Time
    actor: str
    action: str = Field(examples=["order.place"])
    target: str | None
    detail: Any
    ip: str | None


class Health(Model):
    """Liveness and the default account's broker link."""

    status: Literal["ok"]
    version: str
    broker: str
    broker_connected: bool
