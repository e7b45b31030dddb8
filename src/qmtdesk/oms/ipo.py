"""New-issue subscription (新股/新债申购) and reverse repo (逆回购) for one account.

A run reads today's issues and the account's quota from the broker, judges each issue
(:mod:`qmtdesk.domain.subscriptions`: subscribe, or skip with a reason) and then either records the
plan (a dry run: rows ``planned``, nothing sent) or subscribes: each eligible issue is **claimed** in
the ``ipo_subscriptions`` table — one row per account, code and trading day, unique in the database —
before its order is placed, so neither a second run nor a restart subscribes twice. Repo lending
(idle cash above what is kept, in 1,000 CNY lots) is claimed and placed the same way.

The orders go the one way in (:meth:`OrderService.submit`, sources ``ipo`` and ``repo``): created,
recorded and committed before they are sent, shown among the account's orders, audited. A
subscription code (``732xxx.SH``, ``370xxx.SZ``) is no listed security and a repo loan is a sell
of cash, so the secondary-market validator does not describe them: they carry
:class:`~qmtdesk.oms.commands.SpecialTerms` and the engine checks the link, the kill switch and
reduce-only, the unit and the cash instead (see ``PreTrade.check_special``).

Exactly once: the claim is written (and committed) before the order is placed; the order's
``client_order_id`` is ``<ipo|repo>-<day>-<code>-<attempt>``. A claim a crash left without its order
is placed again with the same client id at the next start or run — the engine answers with the
order the first attempt made, if it made one. Only an order the desk refused before it left (a
halt, the link down) frees the claim for a later run, under a new attempt.

Runs are opt-in (``QMTDESK_IPO_AUTO`` / ``QMTDESK_REPO_AUTO``) at set times of the trading day, dry
by default (``QMTDESK_IPO_DRY_RUN``), and always available by hand (``POST /ipo/run``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.base import Broker, IpoIssue, SubscriptionBroker
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus
from qmtdesk.domain.rules import PriceType
from qmtdesk.domain.subscriptions import (
    REPO_LOT_UNITS,
    REPO_UNIT_CASH,
    IssueOptions,
    IssuePlan,
    RepoPlan,
    Skip,
    is_repo_code,
    plan_issues,
    plan_repo,
    repo_reserve,
)
from qmtdesk.market.service import MarketService
from qmtdesk.oms.commands import RETRYABLE, AuditNote, DuplicateClientOrderId, OrderPayload, SpecialTerms
from qmtdesk.oms.service import OrderService
from qmtdesk.oms.views import iso, money, price
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.ipo import SubscriptionRow
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)

#: How often the schedule is looked at, how long a failed scheduled run waits to try again, and how
#: long one that found the account halted (or reduce-only, or disabled) waits before it looks again.
TIMER_SECONDS = 5.0
RETRY_AFTER = timedelta(seconds=60)
BLOCKED_RETRY = timedelta(minutes=5)
#: Subscriptions are taken until the close; SSE repo trades until 15:30.
IPO_CLOSE = time(15, 0)
REPO_CLOSE = time(15, 30)
STATE_LABELS_ZH = {"planned": "计划（未下单）", "claimed": "下单中", "sent": "已下单", "failed": "未下单（被拒）"}
SCHEDULER = "ipo-scheduler"


@dataclass(frozen=True)
class IpoSettings:
    """The subscription and repo settings (``QMTDESK_IPO_*`` / ``QMTDESK_REPO_*``)."""

    auto: bool = False
    at: time = time(9, 35)
    dry_run: bool = True
    include_bse: bool = False
    include_bonds: bool = True
    repo_auto: bool = False
    repo_at: time = time(14, 50)
    repo_code: str = "204001.SH"
    repo_keep_cash: Decimal = Decimal(0)
    repo_rate_floor: Decimal = Decimal("1.0")

    @classmethod
    def from_settings(cls, settings: Any) -> IpoSettings:
        """From the desk's :class:`~qmtdesk.config.Settings`."""
        return cls(
            auto=settings.ipo_auto,
            at=settings.ipo_time,
            dry_run=settings.ipo_dry_run,
            include_bse=settings.ipo_include_bse,
            include_bonds=settings.ipo_include_bonds,
            repo_auto=settings.repo_auto,
            repo_at=settings.repo_time,
            repo_code=settings.repo_code,
            repo_keep_cash=settings.repo_keep_cash,
            repo_rate_floor=settings.repo_rate_floor,
        )

    def view(self) -> dict[str, Any]:
        """As ``GET /ipo/today`` shows them."""
        return {
            "auto": self.auto,
            "time": self.at.strftime("%H:%M"),
            "dry_run": self.dry_run,
            "include_bse": self.include_bse,
            "include_bonds": self.include_bonds,
            "repo_auto": self.repo_auto,
            "repo_time": self.repo_at.strftime("%H:%M"),
            "repo_code": self.repo_code,
            "repo_keep_cash": money(self.repo_keep_cash),
            "repo_rate_floor": str(self.repo_rate_floor),
        }


@dataclass(frozen=True)
class Claim:
    """A subscription taken for sending: the row, and what to send under which client id."""

    row_id: int
    client_order_id: str
    code: str
    kind: str  # stock | bond | repo
    name: str
    quantity: int
    price: Decimal

    @property
    def remark(self) -> str:
        """The order's remark: part of what makes a retry under the same client id the same order."""
        if self.kind == "repo":
            return f"逆回购 {REPO_UNIT_CASH * self.quantity:.0f} 元"
        return f"{'新债' if self.kind == 'bond' else '新股'}申购 {self.name}"[:255]


class Subscriptions:
    """One account's new-issue subscriptions and repo lending: plan, run once a day, record."""

    def __init__(
        self,
        *,
        orders: OrderService,
        broker: Broker,
        market: MarketService,
        calendar: TradingCalendar,
        clock: Clock,
        session_factory: sessionmaker[Session],
        settings: IpoSettings,
    ) -> None:
        self.orders = orders
        self.engine = orders.engine
        self.account_id = orders.account_id
        self.broker = broker
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.session_factory = session_factory
        self.settings = settings
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        #: The day each scheduled run last completed, and when a failed one may try again.
        self._done: dict[str, date] = {}
        self._retry_after: dict[str, datetime] = {}

    @property
    def supported(self) -> bool:
        """Whether the broker lists issues and takes subscription and repo orders (MiniQMT)."""
        return isinstance(self.broker, SubscriptionBroker) and bool(self.broker.supports_subscriptions)

    # ------------------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Place what a crash left claimed today; begin the schedule when a run is switched on."""
        if not self.supported:
            return
        try:
            async with self._lock:
                await self._resume_claims()
        except Exception:
            log.exception("ipo: resuming today's claimed subscriptions failed; the next run retries")
        if (self.settings.auto or self.settings.repo_auto) and self._timer is None:
            self._timer = asyncio.create_task(self._run_timer(), name=f"ipo-{self.account_id}")

    async def stop(self) -> None:
        """Stop the schedule (a run in progress finishes first)."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None
        async with self._lock:
            pass

    async def _run_timer(self) -> None:
        while True:
            try:
                await self.on_clock()
            except Exception:
                log.exception("ipo schedule failed")
            await asyncio.sleep(TIMER_SECONDS)

    async def on_clock(self) -> None:
        """Run what is due: the subscriptions from their time to the close, repo from its time to 15:30."""
        now = self.clock.now()
        local = now.astimezone(SHANGHAI)
        today = local.date()
        if not self.calendar.is_trading_day(today):
            return
        due = []
        if self.settings.auto and self.settings.at <= local.time() < IPO_CLOSE:
            due.append("ipo")
        if self.settings.repo_auto and self.settings.repo_at <= local.time() < REPO_CLOSE:
            due.append("repo")
        for what in due:
            if self._done.get(what) == today or now < self._retry_after.get(what, now):
                continue
            try:
                report = await self.run(
                    dry_run=self.settings.dry_run,
                    ipo=what == "ipo",
                    repo=what == "repo",
                    trigger="schedule",
                    audit=AuditNote(SCHEDULER),
                )
            except Exception as exc:  # the link is down, MiniQMT did not answer: try again shortly
                reason = exc.message_en if isinstance(exc, DeskError) else repr(exc)
                log.warning("ipo: scheduled %s run failed (%s); retrying in %s", what, reason, RETRY_AFTER)
                self._retry_after[what] = now + RETRY_AFTER
                continue
            if report["blocked"] is not None:
                # Halted (or reduce-only, disabled): nothing was sent; after a resume the day's run goes out.
                self._retry_after[what] = now + BLOCKED_RETRY
                continue
            self._done[what] = today

    # ------------------------------------------------------------------------------ planning
    def _today(self) -> tuple[datetime, date]:
        now = self.clock.now()
        return now, now.astimezone(SHANGHAI).date()

    async def _read(self) -> tuple[list[IpoIssue], dict[str, int]]:
        if not isinstance(self.broker, SubscriptionBroker):
            return [], {}
        issues = await self.broker.query_ipo_data()
        quota = await self.broker.query_new_purchase_limit()
        return issues, quota

    async def _available_cash(self) -> Decimal:
        account = await self.broker.query_account()
        return account.cash - self.engine.reservations.cash

    async def _plan(self, day: date, *, ipo: bool, repo: bool) -> dict[str, Any]:
        """Issues, quota and decisions of ``day``, marked against what is recorded already."""
        issues, quota = await self._read() if ipo else ([], {})
        options = IssueOptions(include_bse=self.settings.include_bse, include_bonds=self.settings.include_bonds)
        bse = options.include_bse and any(str(i.code).upper().endswith("BJ") for i in issues)
        needs_cash = (repo and self.supported) or bse
        cash = await self._available_cash() if needs_cash else None
        rows = await asyncio.to_thread(self._rows, day)
        plans = []
        for plan in plan_issues(issues, quota, day, options, cash):
            row = rows.get(plan.code)
            if plan.subscribe and row is not None and _taken(row):
                plan = plan.skipped(Skip.ALREADY_SUBSCRIBED, "今日已申购", "Already subscribed today")
            plans.append(plan)
        repo_plan = await self._plan_repo(day, cash, rows) if repo else None
        return {"issues": issues, "quota": quota, "plans": plans, "repo": repo_plan, "rows": rows}

    async def _plan_repo(self, day: date, cash: Decimal | None, rows: dict[str, SubscriptionRow]) -> RepoPlan:
        code = self.settings.repo_code
        rate = await self._market_rate(code) if self.supported else None
        plan = plan_repo(code, cash or Decimal(0), self.settings.repo_keep_cash, rate, self.settings.repo_rate_floor)
        if not self.supported:
            return plan.skipped(Skip.NOT_SUPPORTED, "该账户的券商不支持逆回购", "This account's broker takes no repo")
        if not self.calendar.is_trading_day(day):
            return plan.skipped(Skip.NOT_TODAY, "今天不是交易日", "Today is not a trading day")
        row = rows.get(code)
        if row is not None and _taken(row):
            return plan.skipped(Skip.ALREADY_LENT, "今日已做逆回购", "Already lent today")
        return plan

    async def _market_rate(self, code: str) -> Decimal | None:
        """The repo's best bid (else its last rate) from the quote source; None when it has none."""
        try:
            quote = await asyncio.to_thread(self.market.quote, code)
        except Exception:
            log.info("ipo: no quote for %s; lending at the floor rate", code, exc_info=True)
            return None
        if quote is None:
            return None
        return quote.best_bid or (quote.last_price if quote.last_price > 0 else None)

    def _blocked(self) -> tuple[Skip, str, str] | None:
        """Why nothing may be sent now: the account disabled, the kill switch, reduce-only."""
        if not self.orders.enabled:
            return Skip.ACCOUNT_DISABLED, f"账户 {self.account_id} 已停用", f"Account {self.account_id} is disabled"
        denial = self.engine.risk.state_denial()
        if denial is None:
            return None
        reason = Skip.RISK_HALTED if denial.code == "RISK_HALTED" else Skip.RISK_REDUCE_ONLY
        return reason, denial.message_zh, denial.message_en

    async def today(self) -> dict[str, Any]:
        """Today's issues, the quota and the plan (what a run would subscribe, and why the rest not)."""
        now, day = self._today()
        planned = await self._plan(day, ipo=True, repo=True)
        report = self._report(now, day, planned, dry_run=True, trigger="preview", outcomes={})
        blocked = self._blocked()
        if blocked is not None:  # a real run now would send nothing
            report["blocked"] = {"error": blocked[0].value, "message": blocked[1]}
        return report

    # ------------------------------------------------------------------------------ running
    async def run(
        self,
        *,
        dry_run: bool,
        ipo: bool = True,
        repo: bool = False,
        trigger: str = "manual",
        audit: AuditNote | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Plan and (unless ``dry_run``) subscribe each eligible issue once, and lend idle cash when
        ``repo``; audited as ``ipo.run``. Raises ``BROKER_UNAVAILABLE`` when the broker cannot be read."""
        note = audit or AuditNote(SCHEDULER)
        async with self._lock:
            if not dry_run and self.supported and self._blocked() is None:
                await self._resume_claims()  # a claim a crash left without its order is placed first
            now, day = self._today()
            planned = await self._plan(day, ipo=ipo, repo=repo)
            blocked = None if dry_run else self._blocked()
            outcomes: dict[str, dict[str, Any]] = {}
            plans: list[IssuePlan] = []
            for plan in planned["plans"]:
                if plan.subscribe and blocked is not None:
                    plan = plan.skipped(*blocked)
                elif plan.subscribe:
                    outcomes[plan.code] = await self._subscribe(day, plan, dry_run, note, user_id)
                plans.append(plan)
            planned["plans"] = plans
            repo_plan: RepoPlan | None = planned["repo"]
            if repo_plan is not None and repo_plan.lend:
                if blocked is not None:
                    planned["repo"] = repo_plan.skipped(*blocked)
                else:
                    outcomes[repo_plan.code] = await self._lend(day, repo_plan, dry_run, note, user_id)
            report = self._report(now, day, planned, dry_run=dry_run, trigger=trigger, outcomes=outcomes)
            if blocked is not None:
                report["blocked"] = {"error": blocked[0].value, "message": blocked[1]}
            self.engine.ledger.audit(
                note.actor,
                "ipo.run",
                day.isoformat(),
                {**note.detail, **_run_summary(report)},
                note.ip,
                self.clock.now(),
            )
            await self.engine.journal.flush()
            log.info(
                "ipo run (%s%s) for %s: %s",
                trigger,
                ", dry" if dry_run else "",
                self.account_id,
                _run_summary(report),
            )
            return report

    async def _subscribe(
        self, day: date, plan: IssuePlan, dry_run: bool, note: AuditNote, user_id: int | None
    ) -> dict[str, Any]:
        if dry_run:
            row_id = await asyncio.to_thread(
                self._record_plan, day, plan.kind, plan.code, plan.name, plan.quantity, plan.issue_price, user_id
            )
            return {"result": "planned", "subscription_id": row_id}
        claim = await asyncio.to_thread(
            self._claim, day, plan.kind, plan.code, plan.name, plan.quantity, plan.issue_price, user_id
        )
        if claim is None:
            return {"result": "already", "subscription_id": None}
        return await self._place(claim, note, user_id, lot=plan.min_quantity)

    async def _lend(
        self, day: date, plan: RepoPlan, dry_run: bool, note: AuditNote, user_id: int | None
    ) -> dict[str, Any]:
        name = await self._repo_name(plan.code)
        if dry_run:
            row_id = await asyncio.to_thread(
                self._record_plan, day, "repo", plan.code, name, plan.quantity, plan.price, user_id
            )
            return {"result": "planned", "subscription_id": row_id}
        claim = await asyncio.to_thread(self._claim, day, "repo", plan.code, name, plan.quantity, plan.price, user_id)
        if claim is None:
            return {"result": "already", "subscription_id": None}
        return await self._place(claim, note, user_id, lot=REPO_LOT_UNITS)

    async def _repo_name(self, code: str) -> str:
        try:
            quote = await asyncio.to_thread(self.market.quote, code)
        except Exception:
            quote = None
        return (quote.stock_name if quote is not None and quote.stock_name else "") or f"逆回购 {code}"

    async def _place(self, claim: Claim, note: AuditNote, user_id: int | None, *, lot: int) -> dict[str, Any]:
        """Place a claimed subscription or loan and record the outcome on its row (audited).

        Everything the order is made of comes from the claim, so placing a claim again (after a crash)
        is the same order under the same client id, which the engine answers with the first one."""
        code = claim.code
        repo = claim.kind == "repo"
        source = "repo" if repo else "ipo"
        if repo:
            reserve = repo_reserve(code, claim.quantity)
        else:
            reserve = claim.price * claim.quantity if code.endswith(".BJ") else Decimal(0)
        special = SpecialTerms(stock_name=claim.name, lot=lot, reserve_cash=reserve)
        payload = OrderPayload(
            stock_code=code,
            side=Side.SELL if repo else Side.BUY,
            quantity=claim.quantity,
            price_type=PriceType.LIMIT,
            price=claim.price,
            client_order_id=claim.client_order_id,
            remark=claim.remark,
        )
        detail = {"subscription_id": claim.row_id, "kind": source}
        order_note = AuditNote(note.actor, note.ip, {**note.detail, **detail})
        error: str | None = None
        message = ""
        try:
            placed = await self.orders.submit(
                payload, source=source, user_id=user_id, audit=order_note, special=special
            )
            order = placed.order
        except DuplicateClientOrderId as taken:
            # The client id names another order: never send a second one. Its outcome is this claim's.
            data = taken.data if isinstance(taken.data, dict) else {}
            order = data.get("order") or {}
            log.error(
                "ipo: %s names order %s, which differs from the claim", claim.client_order_id, order.get("order_id")
            )
            if not _left_the_desk(order):
                error, message = taken.code, taken.message_zh
        except DeskError as refused:
            data = refused.data if isinstance(refused.data, dict) else {}
            order = data.get("order") or {}
            error, message = refused.code, refused.message_zh
        state = "sent" if error is None and _left_the_desk(order) else "failed"
        if state == "failed" and error is None:
            error, message = order.get("error") or "NOT_SENT", order.get("status_msg") or "委托未送达券商"
        order_id = order.get("order_id")
        now = self.clock.now()
        await asyncio.to_thread(
            self._finish,
            claim.row_id,
            state,
            order_id,
            error,
            (message or ("已下单" if state == "sent" else ""))[:255],
            now,
        )
        self.engine.ledger.audit(
            note.actor,
            "repo.lend" if source == "repo" else "ipo.subscribe",
            code,
            {
                **note.detail,
                **detail,
                "state": state,
                "quantity": claim.quantity,
                "price": str(claim.price),
                "order_id": order_id,
                "client_order_id": claim.client_order_id,
                "error": error,
            },
            note.ip,
            now,
            order_id=order_id if isinstance(order_id, int) else None,
        )
        log.info(
            "ipo: %s %s x%d -> %s (order %s%s)",
            source,
            code,
            claim.quantity,
            state,
            order_id,
            f", {error}" if error else "",
        )
        return {
            "result": state,
            "subscription_id": claim.row_id,
            "order_id": order_id,
            "error": error,
            "message": message,
        }

    async def _resume_claims(self) -> None:
        """Place today's claims a crash left without their order (same client id: at most once).
        Called with the run lock held."""
        _, day = self._today()
        rows = await asyncio.to_thread(self._rows, day)
        for row in rows.values():
            if row.state != "claimed" or row.order_id is not None:
                continue
            note = AuditNote(SCHEDULER, None, {"why": "重启后补发已认领的申购"})
            # A claimed quantity was sized on its issue's unit (or repo lots): it is its own step.
            await self._place(_claim_of(row, day), note, row.user_id, lot=row.quantity)
        await self.engine.journal.flush()

    # ------------------------------------------------------------------------------ reading
    def subscriptions(self, trading_day: date | None) -> list[dict[str, Any]]:
        """The recorded subscriptions and loans of a day (today by default), oldest first."""
        day = trading_day or self._today()[1]
        with self.session_factory() as session:
            rows = list(
                session.scalars(
                    select(SubscriptionRow)
                    .where(SubscriptionRow.account_id == self.account_id, SubscriptionRow.trading_day == day)
                    .order_by(SubscriptionRow.id)
                )
            )
            order_ids = [r.order_id for r in rows if r.order_id is not None]
            statuses = (
                {
                    oid: (status, msg)
                    for oid, status, msg in session.execute(
                        select(OrderRow.id, OrderRow.status, OrderRow.status_msg).where(OrderRow.id.in_(order_ids))
                    )
                }
                if order_ids
                else {}
            )
        return [_row_view(r, statuses.get(r.order_id) if r.order_id is not None else None) for r in rows]

    # ------------------------------------------------------------------------------ ledger
    def _rows(self, day: date) -> dict[str, SubscriptionRow]:
        with self.session_factory() as session:
            rows = list(
                session.scalars(
                    select(SubscriptionRow).where(
                        SubscriptionRow.account_id == self.account_id, SubscriptionRow.trading_day == day
                    )
                )
            )
            session.expunge_all()
        return {r.stock_code: r for r in rows}

    def _record_plan(
        self, day: date, kind: str, code: str, name: str, quantity: int, price_: Decimal, user_id: int | None
    ) -> int | None:
        """A dry run's plan: a ``planned`` row (updated when planned before); a taken row is left alone."""
        now = self.clock.now()
        try:
            with unit_of_work(self.session_factory) as session:
                row = _new_row(self.account_id, day, kind, code, name, quantity, price_, "planned", 0, user_id, now)
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            pass
        with unit_of_work(self.session_factory) as session:
            row_id = session.scalar(select(SubscriptionRow.id).where(*_key(self.account_id, day, code)))
            session.execute(
                update(SubscriptionRow)
                .where(*_key(self.account_id, day, code), SubscriptionRow.state == "planned")
                .values(quantity=quantity, price=price_, stock_name=name[:64], updated_at=now)
            )
            return row_id

    def _claim(
        self, day: date, kind: str, code: str, name: str, quantity: int, price_: Decimal, user_id: int | None
    ) -> Claim | None:
        """Take ``code`` for sending today, once: a new row, a planned or refused one taken over by a
        conditional update, or a claim a crash left without its order (resumed as it was). ``None``
        when it is taken (sent, or being sent)."""
        now = self.clock.now()
        try:
            with unit_of_work(self.session_factory) as session:
                cid = _client_id(kind, day, code, 1)
                row = _new_row(self.account_id, day, kind, code, name, quantity, price_, "claimed", 1, user_id, now)
                row.client_order_id = cid
                session.add(row)
                session.flush()
                return _claim_of(row, day)
        except IntegrityError:
            pass
        with unit_of_work(self.session_factory) as session:
            existing = session.scalars(select(SubscriptionRow).where(*_key(self.account_id, day, code))).first()
            if existing is None:
                return None
            if existing.state == "claimed" and existing.order_id is None:
                return _claim_of(existing, day)
            if existing.state not in ("planned", "failed"):
                return None
            attempt = existing.attempt + 1
            cid = _client_id(kind, day, code, attempt)
            result = session.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.id == existing.id,
                    SubscriptionRow.state == existing.state,
                    SubscriptionRow.attempt == existing.attempt,
                )
                .values(
                    state="claimed",
                    attempt=attempt,
                    client_order_id=cid,
                    quantity=quantity,
                    price=price_,
                    stock_name=name[:64],
                    order_id=None,
                    error_code=None,
                    message="",
                    user_id=user_id,
                    updated_at=now,
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            return Claim(existing.id, cid, code, kind, name[:64], quantity, price_)

    def _finish(self, row_id: int, state: str, order_id: Any, error: str | None, message: str, now: datetime) -> None:
        with unit_of_work(self.session_factory) as session:
            session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.id == row_id)
                .values(
                    state=state,
                    order_id=order_id if isinstance(order_id, int) else None,
                    error_code=error,
                    message=message,
                    updated_at=now,
                )
            )

    # ------------------------------------------------------------------------------ views
    def _report(
        self,
        now: datetime,
        day: date,
        planned: dict[str, Any],
        *,
        dry_run: bool,
        trigger: str,
        outcomes: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        rows: dict[str, SubscriptionRow] = planned["rows"]
        repo: RepoPlan | None = planned["repo"]
        return {
            "account_id": self.account_id,
            "trading_day": day.isoformat(),
            "time": iso(now),
            "trigger": trigger,
            "dry_run": dry_run,
            "supported": self.supported,
            "blocked": None,
            "settings": self.settings.view(),
            "quota": dict(planned["quota"]),
            "issues": [_plan_view(p, rows.get(p.code), outcomes.get(p.code)) for p in planned["plans"]],
            "repo": _repo_view(repo, rows.get(repo.code), outcomes.get(repo.code)) if repo is not None else None,
        }


# ---------------------------------------------------------------------------------------------- helpers
def _claim_of(row: SubscriptionRow, day: date) -> Claim:
    """The claim a row holds: what to send, under which client id."""
    cid = row.client_order_id or _client_id(row.kind, day, row.stock_code, row.attempt)
    return Claim(row.id, cid, row.stock_code, row.kind, row.stock_name, row.quantity, row.price)


def _client_id(kind: str, day: date, code: str, attempt: int) -> str:
    prefix = "repo" if kind == "repo" else "ipo"
    return f"{prefix}-{day:%Y%m%d}-{code}-{attempt}"


def _key(account_id: str, day: date, code: str) -> tuple[Any, ...]:
    return (
        SubscriptionRow.account_id == account_id,
        SubscriptionRow.trading_day == day,
        SubscriptionRow.stock_code == code,
    )


def _new_row(
    account_id: str,
    day: date,
    kind: str,
    code: str,
    name: str,
    quantity: int,
    price_: Decimal,
    state: str,
    attempt: int,
    user_id: int | None,
    now: datetime,
) -> SubscriptionRow:
    return SubscriptionRow(
        account_id=account_id,
        trading_day=day,
        kind=kind,
        stock_code=code,
        stock_name=name[:64],
        quantity=quantity,
        price=price_,
        state=state,
        attempt=attempt,
        message="",
        user_id=user_id,
        created_at=now,
        updated_at=now,
    )


def _taken(row: SubscriptionRow) -> bool:
    """Whether a row stops another subscription today: sent, or claimed (being sent, or left by a crash)."""
    return row.state in ("sent", "claimed")


def _left_the_desk(order: dict[str, Any]) -> bool:
    """Whether an order may be at the broker: not denied, not refused for a down link, not cancelled unsent."""
    status = order.get("status")
    if not order or status == OrderStatus.DENIED.value:
        return False
    if status == OrderStatus.REJECTED.value and order.get("error") in RETRYABLE:
        return False
    return not (status == OrderStatus.CANCELED.value and not order.get("broker_order_id"))


def _plan_view(plan: IssuePlan, row: SubscriptionRow | None, outcome: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "stock_code": plan.code,
        "stock_name": plan.name,
        "type": plan.kind,
        "exchange": plan.exchange,
        "board": plan.board,
        "purchase_date": plan.purchase_date.isoformat() if plan.purchase_date else plan.purchase_date_text,
        "issue_price": price(plan.issue_price, plan.code),
        "min_quantity": plan.min_quantity,
        "max_quantity": plan.max_quantity,
        "quota_key": plan.quota_key,
        "quota": plan.quota,
        "quantity": plan.quantity,
        "amount": money(plan.amount),
        "decision": "subscribe" if plan.subscribe else "skip",
        "reason": plan.reason.value if plan.reason is not None else None,
        "message": plan.message_zh,
        **_outcome(row, outcome),
    }


def _repo_view(plan: RepoPlan, row: SubscriptionRow | None, outcome: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "stock_code": plan.code,
        "available_cash": money(plan.available_cash),
        "keep_cash": money(plan.keep_cash),
        "quantity": plan.quantity,
        "amount": money(plan.amount),
        "price": str(plan.price),
        "rate_source": plan.rate_source,
        "decision": "lend" if plan.lend else "skip",
        "reason": plan.reason.value if plan.reason is not None else None,
        "message": plan.message_zh,
        **_outcome(row, outcome),
    }


def _outcome(row: SubscriptionRow | None, outcome: dict[str, Any] | None) -> dict[str, Any]:
    if outcome is not None:
        return {
            "result": outcome["result"],
            "subscription_id": outcome.get("subscription_id"),
            "order_id": outcome.get("order_id"),
            "error": outcome.get("error"),
        }
    if row is not None:
        return {"result": None, "subscription_id": row.id, "order_id": row.order_id, "error": row.error_code}
    return {"result": None, "subscription_id": None, "order_id": None, "error": None}


def _row_view(row: SubscriptionRow, order: tuple[str, str] | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_id": row.account_id,
        "trading_day": row.trading_day.isoformat(),
        "kind": row.kind,
        "stock_code": row.stock_code,
        "stock_name": row.stock_name,
        "quantity": row.quantity,
        "price": price(row.price, row.stock_code),
        "amount": money(REPO_UNIT_CASH * row.quantity if row.kind == "repo" else row.price * row.quantity),
        "state": row.state,
        "state_label": STATE_LABELS_ZH.get(row.state, row.state),
        "dry_run": row.state == "planned",
        "attempt": row.attempt,
        "client_order_id": row.client_order_id,
        "order_id": row.order_id,
        "order_status": order[0] if order is not None else None,
        "order_status_msg": order[1] if order is not None else None,
        "error": row.error_code,
        "message": row.message,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _run_summary(report: dict[str, Any]) -> dict[str, Any]:
    """What the audit row of a run keeps: its mode and, per issue, the decision and result."""
    items = [
        {
            "code": i["stock_code"],
            "decision": i["decision"],
            "reason": i["reason"],
            "quantity": i["quantity"],
            "result": i["result"],
        }
        for i in report["issues"]
    ]
    repo = report.get("repo")
    return {
        "dry_run": report["dry_run"],
        "trigger": report["trigger"],
        "blocked": (report.get("blocked") or {}).get("error"),
        "issues": items,
        "repo": None
        if repo is None
        else {
            "decision": repo["decision"],
            "reason": repo["reason"],
            "quantity": repo["quantity"],
            "result": repo["result"],
        },
    }


__all__ = ["IpoSettings", "Subscriptions", "is_repo_code"]
