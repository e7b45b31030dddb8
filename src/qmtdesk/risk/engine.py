"""The risk engine: the trading state, then every enabled rule of the account and of the order's strategy.

It runs inside the order engine's pre-trade check, after A-share validation, for every order from
every source — API, UI, signals, strategies — so nothing routes around it, and concurrent orders are
judged one after another against counters that include every order approved before them. The check
itself only answers (:meth:`RiskEngine.evaluate`); the engine records a denial — the order
``denied`` with a ``RISK_*`` code, a ``risk_events`` row, an audit row and a ``risk`` stream event —
in the same transaction (:meth:`RiskEngine.record_denial`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.base import AccountReport, PositionReport
from qmtdesk.domain.clock import Clock
from qmtdesk.domain.errors import DeskError, OrderDenied
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.orders import Order
from qmtdesk.market.quotes import Quote
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.risk.base import OrderCheck, RuleSpec, clean_params
from qmtdesk.risk.counters import OrderCounters
from qmtdesk.risk.facts import LiveFacts
from qmtdesk.risk.rules import RULES, RULES_BY_ID
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.audit import record_audit
from qmtdesk.store.tables.risk import RiskEventRow, RiskRuleRow, RiskStateRow

if TYPE_CHECKING:
    from qmtdesk.oms.ledger import Ledger

log = logging.getLogger(__name__)

ACTIVE = "active"
REDUCE_ONLY = "reduce_only"
HALTED = "halted"
STATES = (ACTIVE, REDUCE_ONLY, HALTED)
#: Rule parameters that name a time window: the counters reach back as far as the longest one.
WINDOW_PARAMS = ("window_seconds",)


def scope_of(strategy_name: str | None) -> str:
    """``account``, or ``strategy:<name>``."""
    return f"strategy:{strategy_name}" if strategy_name else "account"


def check_scope(scope: str) -> str:
    """Validate a scope string."""
    if scope == "account" or (scope.startswith("strategy:") and 0 < len(scope) - 9 <= 64):
        return scope
    raise DeskError(
        "VALIDATION_ERROR",
        "scope 须为 account 或 strategy:<策略名>",
        "scope must be `account` or `strategy:<name>`",
        http_status=422,
        data={"fields": [{"field": "scope", "message": "account | strategy:<name>"}]},
    )


@dataclass
class RuleConfig:
    """A rule's effective settings in one scope."""

    spec: RuleSpec
    scope: str
    enabled: bool
    params: dict[str, Any]
    stored: bool

    def view(self) -> dict[str, Any]:
        return {
            "rule": self.spec.id,
            "code": self.spec.code,
            "title": self.spec.title_zh,
            "description": self.spec.description,
            "scope": self.scope,
            "enabled": self.enabled,
            "params": self.params,
            "defaults": self.spec.defaults,
            "param_types": {p.name: p.kind for p in self.spec.params},
            "buy_side_only": self.spec.buy_side_only,
            "customised": self.stored,
        }

    @property
    def window(self) -> timedelta:
        """The longest time window among its parameters (zero when it has none)."""
        seconds = [int(self.params[n]) for n in WINDOW_PARAMS if self.params.get(n) is not None]
        return timedelta(seconds=max(seconds, default=0))


@dataclass(frozen=True)
class RiskDenial:
    """Why the trading state or a rule refuses an order."""

    code: str
    rule: str
    scope: str
    message_zh: str
    message_en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def error(self) -> OrderDenied:
        """The refusal as the API reports it (422 ``RISK_*``)."""
        return OrderDenied(
            self.code, self.message_zh, self.message_en, data={"rule": self.rule, "scope": self.scope, **self.detail}
        )


class RiskEngine:
    """Pre-trade risk for one account."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        account_id: str,
        clock: Clock,
        bus: EventBus,
        account_view: Callable[[], AccountReport | None],
        positions_view: Callable[[], list[PositionReport]],
        quote: Callable[[str], Quote | None],
        trading_day: Callable[[datetime], date],
        day_start_asset: Callable[[date], Decimal | None],
    ) -> None:
        self.session_factory = session_factory
        self.account_id = account_id
        self.clock = clock
        self.bus = bus
        self.account_view = account_view
        self.positions_view = positions_view
        self.quote = quote
        self.trading_day = trading_day
        self.day_start_asset = day_start_asset
        self._configs: dict[tuple[str, str], RuleConfig] = {}
        # Per strategy name: the enabled rules to check, in order, with the counter scope of each.
        self._plans: dict[str, list[tuple[RuleSpec, RuleConfig, str | None]]] = {}
        self._state = ACTIVE
        self._reason = ""
        self._day_base: tuple[date, Decimal | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.reload()
        #: Rate, active-order, turnover and duplicate counters, fed by the engine with every change.
        self.counters = OrderCounters(account_id, self._longest_window())

    def start(self, now: datetime) -> None:
        """Seed the counters from the ledger (before the engine applies anything)."""
        self.counters.seed(self.session_factory, now)

    # ------------------------------------------------------------------------------ configuration
    def reload(self) -> None:
        """Read rules and the trading state from the database."""
        configs = {
            (r.id, "account"): RuleConfig(r, "account", r.enabled_by_default, dict(r.defaults), False) for r in RULES
        }
        with self.session_factory() as session:
            for row in session.scalars(select(RiskRuleRow).where(RiskRuleRow.account_id == self.account_id)):
                spec = RULES_BY_ID.get(row.rule)
                if spec is not None:
                    configs[(row.rule, row.scope)] = RuleConfig(
                        spec, row.scope, row.enabled, json.loads(row.params), True
                    )
            state = session.get(RiskStateRow, self.account_id)
        self._configs = configs
        self._plans = {}
        if state is not None:
            self._state, self._reason = state.state, state.reason

    def _longest_window(self, *extra: RuleConfig) -> timedelta:
        configs = [*self._configs.values(), *extra]
        return max((c.window for c in configs if c.enabled), default=timedelta(0))

    @property
    def state(self) -> str:
        """active | reduce_only | halted."""
        return self._state

    @property
    def halted(self) -> bool:
        """Whether every new order is refused."""
        return self._state == HALTED

    def rules(self) -> list[dict[str, Any]]:
        """Every rule in every scope it is configured for (account scope always listed)."""
        order = {spec.id: i for i, spec in enumerate(RULES)}
        configs = sorted(self._configs.values(), key=lambda c: (order[c.spec.id], c.scope != "account", c.scope))
        return [c.view() for c in configs]

    async def update_rule(
        self, rule: str, *, enabled: bool | None, params: dict[str, Any] | None, scope: str, actor: str, ip: str | None
    ) -> dict[str, Any]:
        """Change a rule in a scope; validated, persisted and audited (off the loop), then applied on the
        loop — where checks read the rules — and published."""
        spec = RULES_BY_ID.get(rule)
        if spec is None:
            raise DeskError(
                "NOT_FOUND",
                f"没有风控规则 {rule}",
                f"No risk rule {rule}",
                http_status=404,
                data={"rules": list(RULES_BY_ID)},
            )
        scope = check_scope(scope)
        current = self._configs.get((rule, scope)) or self._configs[(rule, "account")]
        cleaned = clean_params(spec, params or {}, current.params)
        new_enabled = current.enabled if enabled is None else enabled
        now = self.clock.now()
        detail = {"rule": rule, "scope": scope, "enabled": new_enabled, "params": cleaned}
        config = RuleConfig(spec, scope, new_enabled, cleaned, True)
        longest = self._longest_window(config)

        def persist() -> None:
            with unit_of_work(self.session_factory) as session:
                row = session.scalar(
                    select(RiskRuleRow).where(
                        RiskRuleRow.account_id == self.account_id, RiskRuleRow.rule == rule, RiskRuleRow.scope == scope
                    )
                )
                if row is None:
                    row = RiskRuleRow(account_id=self.account_id, rule=rule, scope=scope)
                    session.add(row)
                row.enabled, row.params, row.updated_at, row.updated_by = new_enabled, json.dumps(cleaned), now, actor
                record_audit(session, actor, "risk.rule_change", rule, detail, ip, at=now)
                self._event(
                    session,
                    "rule_change",
                    now,
                    rule=rule,
                    scope=scope,
                    message=f"{actor} 修改了 {spec.title_zh}",
                    detail=detail,
                )
            # A longer window needs older orders in the counters: read them before the rule applies.
            self.counters.extend(self.session_factory, longest, now)

        await asyncio.to_thread(persist)
        self._configs[(rule, scope)] = config
        self._plans = {}
        self._publish({"kind": "rule_change", **detail}, now)
        return config.view()

    # ------------------------------------------------------------------------------ trading state
    def set_state(self, state: str, reason: str, actor: str, ip: str | None) -> dict[str, Any]:
        """Move to active / reduce_only / halted; persisted and audited."""
        if state not in STATES:
            raise DeskError("VALIDATION_ERROR", "未知的交易状态", "Unknown trading state", http_status=422)
        now = self.clock.now()
        kind = {HALTED: "halt", ACTIVE: "resume", REDUCE_ONLY: "reduce_only"}[state]
        with unit_of_work(self.session_factory) as session:
            row = session.get(RiskStateRow, self.account_id)
            if row is None:
                row = RiskStateRow(account_id=self.account_id)
                session.add(row)
            row.state, row.reason, row.updated_at, row.updated_by = state, reason[:500], now, actor
            record_audit(session, actor, f"risk.{kind}", self.account_id, {"reason": reason}, ip, at=now)
            self._event(session, kind, now, message=reason or kind)
        self._state, self._reason = state, reason
        log.warning("trading state -> %s by %s: %s", state, actor, reason)
        self._publish({"kind": kind, "state": state, "halted": state == HALTED, "reason": reason}, now)
        return self.state_view()

    def state_view(self) -> dict[str, Any]:
        """The trading state as the API shows it."""
        return {"state": self._state, "halted": self._state == HALTED, "reason": self._reason}

    # ------------------------------------------------------------------------------ the check
    def halt_denial(self) -> RiskDenial | None:
        """The kill switch comes before everything else, validation included."""
        if self._state != HALTED:
            return None
        return RiskDenial(
            "RISK_HALTED",
            "trading_state",
            "account",
            "交易已暂停（风控熔断），不接受新委托",
            "Trading is halted",
            {"reason": self._reason},
        )

    def _reduce_only_denial(self) -> RiskDenial:
        return RiskDenial(
            "RISK_REDUCE_ONLY",
            "trading_state",
            "account",
            "当前为只减仓模式，只允许卖出持仓",
            "Reduce-only: only sells of held shares are allowed",
            {"reason": self._reason},
        )

    def state_denial(self) -> RiskDenial | None:
        """The trading state's refusal of an order that reduces no position (a subscription, repo
        lending): halted or reduce-only; ``None`` while trading is active."""
        if self._state == REDUCE_ONLY:
            return self._reduce_only_denial()
        return self.halt_denial()

    def _needs_day_base(self) -> bool:
        return any(c.enabled and c.spec.id == "daily_loss" for c in self._configs.values())

    async def prepare(self, now: datetime) -> None:
        """Load what a check may need from the database (today's P&L base), before the check runs."""
        if not self._needs_day_base():
            return
        day = self.trading_day(now)
        if self._day_base is None or self._day_base[0] != day:
            base = await asyncio.to_thread(self.day_start_asset, day)
            self._day_base = (day, base)

    def forget_day_base(self) -> None:
        """A new equity point may move today's P&L base (a close, a reset): read it again."""
        self._day_base = None

    def evaluate(
        self, order: Order, instrument: Instrument, price: Decimal, quote: Quote | None, now: datetime
    ) -> RiskDenial | None:
        """The first refusal of the trading state or an enabled rule, or ``None`` when the order may go."""
        halted = self.halt_denial()
        if halted is not None:
            return halted
        side = order.side
        position_volume = 0
        if side is Side.SELL:
            for p in self.positions_view():
                if p.stock_code == instrument.code:
                    position_volume = p.volume
                    break
        check = OrderCheck(
            order_id=order.id,
            stock_code=instrument.code,
            side=side,
            quantity=order.quantity,
            price=price,
            strategy_name=order.strategy_name,
            is_st=instrument.is_st,
            last_price=quote.last_price if quote else None,
            position_volume=position_volume,
            price_type=order.price_type.value,
            order_price=order.price,
        )
        if self._state == REDUCE_ONLY and not check.reduces_position:
            return self._reduce_only_denial()
        day = self.trading_day(now)
        base = self._day_base[1] if self._day_base is not None and self._day_base[0] == day else None
        facts = LiveFacts(
            counters=self.counters,
            trading_day=day,
            account=self.account_view,
            positions=self.positions_view,
            quote=self.quote,
            day_base=base,
        )
        reduces = check.reduces_position
        for spec, config, counter_scope in self._plan(order.strategy_name):
            if spec.buy_side_only and reduces:
                continue  # sells that reduce a position are never blocked by buy-side limits
            denial = spec.check(check, config.params, facts, now, counter_scope)
            if denial is not None:
                detail = {**denial.detail, "params": config.params}
                return RiskDenial(spec.code, spec.id, config.scope, denial.message_zh, denial.message_en, detail)
        return None

    def _plan(self, strategy: str) -> list[tuple[RuleSpec, RuleConfig, str | None]]:
        """The enabled rules of the account and of ``strategy``, in check order."""
        plan = self._plans.get(strategy)
        if plan is None:
            scopes = ["account"] + ([scope_of(strategy)] if strategy else [])
            plan = [
                (spec, config, strategy if scope != "account" else None)
                for spec in RULES
                for scope in scopes
                if (config := self._configs.get((spec.id, scope))) is not None and config.enabled
            ]
            self._plans[strategy] = plan
        return plan

    def record_denial(self, ledger: Ledger, order: Order, denial: RiskDenial, now: datetime) -> None:
        """Write a denial's ``risk_events`` and audit rows with the denied order; announce it after commit."""
        data = {"rule": denial.rule, "scope": denial.scope, **denial.detail}
        ledger.risk_event(
            "denial",
            now,
            rule=denial.rule,
            code=denial.code,
            scope=denial.scope,
            order_id=order.id,
            stock_code=order.stock_code,
            side=order.side.value,
            strategy_name=order.strategy_name,
            message=denial.message_zh,
            detail=data,
            publish={
                "kind": "denial",
                "code": denial.code,
                "rule": denial.rule,
                "scope": denial.scope,
                "order_id": order.id,
                "stock_code": order.stock_code,
                "side": order.side.value,
                "message": denial.message_zh,
            },
        )
        ledger.audit(
            "risk",
            "risk.denied",
            str(order.id),
            {"code": denial.code, "rule": denial.rule, "scope": denial.scope},
            None,
            now,
            order_id=order.id,
        )
        log.info("order %s denied by %s (%s): %s", order.id, denial.code, denial.scope, denial.message_en)

    # ------------------------------------------------------------------------------ recording helpers
    def _event(
        self,
        session: Session,
        kind: str,
        now: datetime,
        *,
        message: str,
        detail: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        session.add(
            RiskEventRow(
                account_id=self.account_id,
                time=now,
                kind=kind,
                message=message,
                detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
                **fields,
            )
        )

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The app's loop: events raised from worker threads (sync routes) are published there."""
        self._loop = loop

    def _publish(self, data: dict[str, Any], now: datetime) -> None:
        event = Event("risk", {**data, "time": now.isoformat()}, now, account_id=self.account_id)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = self._loop
        if running is not None:
            self.bus.publish(event)
        elif loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.bus.publish, event)

    # ------------------------------------------------------------------------------ reading
    def events(self, page: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        """Risk events, newest first."""
        from qmtdesk.oms.views import iso

        with self.session_factory() as session:
            where = RiskEventRow.account_id == self.account_id
            total = int(session.scalar(select(func.count()).select_from(RiskEventRow).where(where)) or 0)
            rows = session.scalars(
                select(RiskEventRow)
                .where(where)
                .order_by(RiskEventRow.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
            items = [
                {
                    "id": r.id,
                    "time": iso(r.time),
                    "kind": r.kind,
                    "rule": r.rule,
                    "code": r.code,
                    "scope": r.scope,
                    "order_id": r.order_id,
                    "stock_code": r.stock_code,
                    "side": r.side,
                    "strategy_name": r.strategy_name,
                    "message": r.message,
                    "detail": json.loads(r.detail or "{}"),
                }
                for r in rows
            ]
        return items, total
