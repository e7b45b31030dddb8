"""Execution algorithms: TWAP and iceberg parents the desk slices into child orders.

Each child goes through the one way in (validation, risk, audit) with ``source: algo`` and the
client_order_id ``algo-<id>-<n>``. The children in the ledger are the truth of what an algo filled:
the counters on its row are written as each child finishes and recomputed from the children at
start, and the child number is written before the child is sent, so a restart never reuses one.

Children are placed only in continuous trading, on a fresh quote; an algo that cannot place shows
why in ``paused_reason``. A finished algo (completed, canceled, expired, failed) stays in memory
until its last working child is final, so fills that arrive after a cancel still count.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk import failpoints
from qmtdesk.domain.algos import (
    AlgoKind,
    PriceBounds,
    TwapPlan,
    child_price,
    child_quantity,
    continuous_seconds,
    iceberg_price,
    slippage_bps,
)
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import Instrument
from qmtdesk.domain.orders import TERMINAL, Order
from qmtdesk.domain.rules import (
    OrderClass,
    Phase,
    PriceType,
    buy_quantity_ok,
    lot_rule,
    price_tick,
    quantity_cap,
    round_to_tick,
    schedule_for,
    st_daily_buy_cap,
)
from qmtdesk.domain.validation import st_cap_denial
from qmtdesk.market.quotes import Quote
from qmtdesk.market.service import MarketService
from qmtdesk.oms.background import Background, page_rows
from qmtdesk.oms.book import order_from_row
from qmtdesk.oms.bus import Event, EventBus, OrderUpdate, Published
from qmtdesk.oms.commands import AuditNote, OrderPayload
from qmtdesk.oms.service import OrderService
from qmtdesk.oms.views import iso, money, order_view, price
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.algos import AlgoOrderRow
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)

__all__ = ["AlgoKind", "AlgoOrders", "AlgoRequest", "algo_error"]

#: A quote older than this (against the desk's clock) is not priced against.
STALE_AFTER = timedelta(seconds=30)
#: How often every running algo is stepped (slices, refills, ends).
TIMER_SECONDS = 1.0
CLOSE = time(15, 0)
FINAL_STATES = frozenset({"completed", "canceled", "expired", "failed"})
STATE_LABELS_ZH = {
    "running": "执行中",
    "completed": "已完成",
    "canceled": "已撤销",
    "expired": "已到期",
    "failed": "失败",
}


@dataclass(frozen=True)
class AlgoRequest:
    """An algo order as the client asks for it (shape checked by the API layer)."""

    stock_code: str
    side: Side
    quantity: int
    algo: AlgoKind
    price: Decimal | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    interval_seconds: int = 60
    display_quantity: int | None = None
    strategy_name: str = ""
    remark: str = ""


@dataclass
class Algo:
    """A running (or just finished, with a child still working) algo in memory."""

    row: AlgoOrderRow
    instrument: Instrument
    plan: TwapPlan | None
    working: int | None = None
    slice_done: int = -1
    cancel_sent: bool = False
    paused: str = ""
    #: Why the current TWAP slice placed nothing (its share of the schedule is under one lot).
    waiting: str = ""
    busy: bool = field(default=False, repr=False)

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def running(self) -> bool:
        return self.row.state == "running"


def algo_error(code: str, zh: str, en: str, status: int = 422) -> DeskError:
    """A refusal of an algo-order request."""
    return DeskError(code, zh, en, http_status=status)


def child_client_id(algo_id: int, n: int) -> str:
    """The client_order_id of an algo's n-th child."""
    return f"algo-{algo_id}-{n}"


def _algo_id_of(client_order_id: str | None) -> int | None:
    if not client_order_id or not client_order_id.startswith("algo-"):
        return None
    parts = client_order_id.split("-")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


class AlgoOrders:
    """One account's algo orders: create, cancel, step on the clock, follow the children."""

    def __init__(
        self,
        *,
        orders: OrderService,
        market: MarketService,
        calendar: TradingCalendar,
        clock: Clock,
        bus: EventBus,
        session_factory: sessionmaker[Session],
    ) -> None:
        self.orders = orders
        self.engine = orders.engine
        self.account_id = orders.account_id
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.bus = bus
        self.session_factory = session_factory
        self._live: dict[int, Algo] = {}
        self._unsubscribe: Any = None
        self._background = Background(f"algo-orders-{self.account_id}")
        #: The orders stream is watched only while an algo lives (the ledger copies order changes for it).
        self._watching = False

    # ------------------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Pick up running algos (their children from the ledger) and start stepping them."""
        rows = await asyncio.to_thread(self._load)
        for row, children in rows:
            algo = self._remember(row)
            await self._save(algo, **self._adopt_children(algo, children))
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self._watch()
        self._background.start(TIMER_SECONDS, self.on_clock)

    async def stop(self) -> None:
        """Stop stepping (running algos stay in the ledger and carry on at the next start)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._watch()
        await self._background.stop()
        self._live.clear()

    # ------------------------------------------------------------------------------ requests
    async def create(self, req: AlgoRequest, *, user_id: int | None, audit: AuditNote | None) -> dict[str, Any]:
        """Start a new algo order; answers with its view."""
        instrument = self.market.instrument(req.stock_code)
        now = self.clock.now()
        day = self.calendar.trading_day_of(now.astimezone(SHANGHAI).date())
        self._check(req, instrument, now, day)
        quote = self.market.quote(instrument.code)
        start = max(req.start_at, now) if req.start_at is not None else now
        row = AlgoOrderRow(
            account_id=self.account_id,
            stock_code=instrument.code,
            stock_name=instrument.name,
            side=req.side.value,
            algo=req.algo.value,
            quantity=req.quantity,
            price=req.price,
            display_quantity=req.display_quantity if req.algo is AlgoKind.ICEBERG else None,
            trading_day=day,
            start_at=start,
            end_at=req.end_at if req.algo is AlgoKind.TWAP else None,
            interval_seconds=req.interval_seconds,
            state="running",
            arrival_price=quote.last_price if quote is not None else None,
            filled_quantity=0,
            filled_amount=Decimal(0),
            child_count=0,
            message="",
            strategy_name=req.strategy_name,
            remark=req.remark,
            user_id=user_id,
            created_at=now,
            updated_at=now,
        )
        await asyncio.to_thread(self._insert, row)
        algo = self._remember(row)
        if audit is not None:
            self.engine.ledger.audit(
                audit.actor, "algo.create", str(row.id), {**audit.detail, "algo": req.algo.value}, audit.ip, now
            )
        self._publish(algo)
        await self._step(algo)
        return self._view(algo.row, algo)

    async def cancel(self, algo_id: int, *, audit: AuditNote | None) -> dict[str, Any]:
        """Stop a running algo and cancel its working child; a final one answers 409."""
        algo = self._live.get(algo_id)
        if algo is None or not algo.running:
            view = self.get(algo_id)
            if view is None:
                raise algo_error("ALGO_ORDER_NOT_FOUND", f"算法单 {algo_id} 不存在", f"No algo order {algo_id}", 404)
            raise algo_error(
                "ALGO_ORDER_NOT_CANCELABLE",
                f"算法单{view['state_label']}，不能撤销",
                f"The algo order is {view['state']} and cannot be canceled",
                409,
            )
        if audit is not None:
            self.engine.ledger.audit(audit.actor, "algo.cancel", str(algo_id), audit.detail, audit.ip, self.clock.now())
        await self._finish(algo, "canceled", "用户撤销")
        return self._view(algo.row, algo)

    def get(self, algo_id: int, *, children: bool = False) -> dict[str, Any] | None:
        """One algo order's view (with its child orders when asked), or None."""
        algo = self._live.get(algo_id)
        with self.session_factory() as session:
            row = algo.row if algo is not None else session.get(AlgoOrderRow, algo_id)
            if row is None or row.account_id != self.account_id:
                return None
            view = self._view(row, algo)
            if children:
                rows = session.scalars(self._children_query(algo_id).order_by(OrderRow.id)).all()
                view["children"] = [order_view(self.engine.book.get(r.id) or order_from_row(r)) for r in rows]
            return view

    def page(
        self, *, state: str | None, stock_code: str | None, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Algo orders newest first; ``state`` is a comma list, ``live`` or ``final``."""
        return page_rows(
            self.session_factory,
            AlgoOrderRow,
            self.account_id,
            groups={"live": {"running"}, "final": FINAL_STATES},
            state=state,
            stock_code=stock_code,
            page=page,
            page_size=page_size,
            view=lambda r: self._view(r, self._live.get(r.id)),
        )

    # ------------------------------------------------------------------------------ stepping
    async def on_clock(self) -> None:
        """Step every live algo once (called every second, and by tests)."""
        for algo in list(self._live.values()):
            await self._step(algo)

    async def _step(self, algo: Algo) -> None:
        if algo.busy:  # a step is placing or canceling a child: the next tick looks again
            return
        algo.busy = True
        try:
            await self._step_once(algo)
        finally:
            algo.busy = False

    async def _step_once(self, algo: Algo) -> None:
        self._sync_working(algo)
        if not algo.running:
            await self._cancel_working(algo)
            if algo.working is None:
                self._forget(algo)
            return
        row, now = algo.row, self.clock.now()
        local = now.astimezone(SHANGHAI)
        filled, _ = self._filled(algo)
        if filled >= row.quantity and algo.working is None:
            await self._finish(algo, "completed", "已全部成交")
            return
        day_over = self.calendar.trading_day_of(local.date()) > row.trading_day or (
            local.date() == row.trading_day and local.time() >= CLOSE
        )
        if day_over or (row.end_at is not None and now >= row.end_at):
            ended = "时间窗结束" if row.end_at is not None and not day_over else "当日收盘"
            await self._finish(algo, "expired", f"{ended}，未成交部分不再下单")
            return
        if self.calendar.phase(now, algo.instrument) is not Phase.CONTINUOUS:
            self._pause(algo, "非连续竞价时段（集合竞价或午休），暂停下单")
            return
        quote = self.market.quote(row.stock_code)
        if quote is None or now - quote.time > STALE_AFTER:
            self._pause(algo, "行情过期，暂停下单")
            return
        if now < row.start_at:
            self._pause(algo, "未到开始时间")
            return
        if algo.plan is not None:
            self._pause(algo, await self._twap_slice(algo, quote, now, filled))
            return
        self._pause(algo, "")
        if algo.working is None:
            assert row.display_quantity is not None and row.price is not None
            remaining = row.quantity - filled
            cap = quantity_cap(algo.instrument, OrderClass.LIMIT, row.trading_day)
            qty = child_quantity(lot_rule(algo.instrument), min(row.display_quantity, remaining), remaining, cap)
            await self._place_child(algo, qty, iceberg_price(Side(row.side), row.price, self._bounds(quote)))

    async def _twap_slice(self, algo: Algo, quote: Quote, now: datetime, filled: int) -> str:
        """Place this slice's child when its time has come; answers why nothing is working, if so."""
        plan, row = algo.plan, algo.row
        assert plan is not None
        k = plan.slice_index(now)
        if k <= algo.slice_done:
            return algo.waiting if algo.working is None else ""
        if algo.working is not None:  # the last slice's rest joins this one once its child is gone
            await self._cancel_working(algo)
            return ""
        slice_end = min(plan.start + plan.interval * (k + 1), plan.end)
        want = plan.target(row.quantity, slice_end) - filled
        remaining = row.quantity - filled
        cap = quantity_cap(algo.instrument, OrderClass.LIMIT, row.trading_day)
        qty = child_quantity(lot_rule(algo.instrument), min(want, cap), remaining, cap)
        side = Side(row.side)
        limit = child_price(side, row.price, quote.best_bid, quote.best_ask, quote.last_price, self._bounds(quote))
        algo.slice_done = k
        algo.waiting = "" if qty else "按时间表累计尚不足一手，等待下一时间片"
        await self._place_child(algo, qty, limit)
        return algo.waiting

    async def _place_child(self, algo: Algo, quantity: int, limit: Decimal) -> None:
        if quantity <= 0 or not algo.running:
            return
        row = algo.row
        n = row.child_count + 1
        now = self.clock.now()
        # The child number is taken before the child exists, so a crash in between skips it, never reuses it.
        await self._save(algo, child_count=n, updated_at=now)
        payload = OrderPayload(
            stock_code=row.stock_code,
            side=Side(row.side),
            quantity=quantity,
            price_type=PriceType.LIMIT,
            price=limit,
            client_order_id=child_client_id(row.id, n),
            strategy_name=row.strategy_name,
            remark=(row.remark or f"{'TWAP' if row.algo == 'twap' else '冰山'} {row.id}")[:255],
        )
        note = AuditNote("algo-orders", None, {"algo_order_id": row.id, "child": n})
        try:
            placed = await self.orders.submit(payload, source="algo", user_id=row.user_id, audit=note)
        except DeskError as refused:
            await self._finish(algo, "failed", f"子单被拒：{refused.message_zh}"[:255], error=refused.code)
            return
        failpoints.hit("algo_child_placed")
        algo.working = placed.order["order_id"]
        self._sync_working(algo)
        self._publish(algo)

    async def _cancel_working(self, algo: Algo) -> None:
        if algo.working is None or algo.cancel_sent:
            return
        algo.cancel_sent = True
        try:
            await self.orders.cancel(algo.working)
        except DeskError as refused:  # already final, or not cancelable in this phase: its report ends it
            log.info("algo %s: cancel of child %s refused: %s", algo.id, algo.working, refused.code)
        self._sync_working(algo)

    async def _finish(self, algo: Algo, state: str, message: str, *, error: str | None = None) -> None:
        now = self.clock.now()
        await self._save(algo, state=state, message=message, error_code=error, finished_at=now, updated_at=now)
        await self._cancel_working(algo)
        if algo.working is None:
            self._forget(algo)
        self._publish(algo)

    def _pause(self, algo: Algo, reason: str) -> None:
        if algo.paused != reason:
            algo.paused = reason
            self._publish(algo)

    # ------------------------------------------------------------------------------ children
    def _on_event(self, event: Published) -> None:
        if not isinstance(event, OrderUpdate) or event.account_id != self.account_id:
            return
        algo = self._live.get(_algo_id_of(event.order.client_order_id) or 0)
        if algo is None or algo.working != event.order.id:
            return
        self._sync_working(algo)
        self._publish(algo)
        if algo.working is None:
            self._background.spawn(self._step(algo))

    def _sync_working(self, algo: Algo) -> None:
        """Fold the working child into the counters once it is final."""
        if algo.working is None:
            return
        order = self.engine.book.get(algo.working)
        if order is None or order.status not in TERMINAL:
            return
        row = algo.row
        values: dict[str, Any] = {
            "filled_quantity": row.filled_quantity + order.filled_quantity,
            "filled_amount": row.filled_amount + order.filled_amount,
            "updated_at": self.clock.now(),
        }
        if row.state == "expired" and values["filled_quantity"] >= row.quantity:
            values |= {"state": "completed", "message": "已全部成交"}
        algo.working, algo.cancel_sent = None, False
        self._set(algo, values)
        self._background.spawn(asyncio.to_thread(self._write, row.id, values))

    def _adopt_children(self, algo: Algo, children: list[Order]) -> dict[str, Any]:
        """Counters from the children in the ledger (returned to be saved); an open child is the working one."""
        done = [c for c in children if c.status in TERMINAL]
        values = {
            "filled_quantity": sum(c.filled_quantity for c in done),
            "filled_amount": sum((c.filled_amount for c in done), Decimal(0)),
        }
        numbers = [int(c.client_order_id.rsplit("-", 1)[1]) for c in children if c.client_order_id]
        if numbers and max(numbers) > algo.row.child_count:
            values["child_count"] = max(numbers)
        open_children = [c for c in children if c.status not in TERMINAL]
        if open_children:
            algo.working = open_children[-1].id
        if algo.plan is not None:
            k = algo.plan.slice_index(self.clock.now())
            algo.slice_done = k if algo.working is not None else k - 1
        return values

    def _filled(self, algo: Algo) -> tuple[int, Decimal]:
        """Shares and amount filled so far, the working child included."""
        qty, amount = algo.row.filled_quantity, algo.row.filled_amount
        order = self.engine.book.get(algo.working) if algo.working is not None else None
        if order is not None:
            qty, amount = qty + order.filled_quantity, amount + order.filled_amount
        return qty, amount

    # ------------------------------------------------------------------------------ helpers
    def _check(self, req: AlgoRequest, instrument: Instrument, now: datetime, day: Any) -> None:
        rule = lot_rule(instrument)
        st_cap = st_daily_buy_cap(instrument) if req.side is Side.BUY else None
        if st_cap is not None:
            # refused whole now rather than failing part-way when a child meets the cap
            bought = self.engine.bought_today(instrument.code, day)
            if bought + req.quantity > st_cap:
                raise st_cap_denial(instrument, st_cap, bought)
        if req.side is Side.BUY and not buy_quantity_ok(rule, req.quantity):
            raise algo_error(
                "LOT_SIZE",
                f"买入数量不符合{instrument.code}的交易单位（最少{rule.min_buy}股，步长{rule.buy_step}股）",
                f"Buy quantity must be at least {rule.min_buy} in steps of {rule.buy_step}",
            )
        if req.price is not None and round_to_tick(req.price, price_tick(instrument)) != req.price:
            tick = price_tick(instrument)
            raise algo_error(
                "PRICE_TICK", f"价格须为最小变动价位 {tick} 的整数倍", f"price must be a multiple of {tick}"
            )
        if req.algo is AlgoKind.ICEBERG:
            if req.price is None:
                raise algo_error("VALIDATION_ERROR", "冰山单须给出限价 price", "an iceberg needs a limit price")
            shown = req.display_quantity
            if shown is None or not buy_quantity_ok(rule, shown) or shown > req.quantity:
                raise algo_error(
                    "VALIDATION_ERROR",
                    f"冰山单须给出 display_quantity：不超过总量的有效交易单位（最少{rule.min_buy}股）",
                    "an iceberg needs display_quantity: a valid lot not above quantity",
                )
            cap = quantity_cap(instrument, OrderClass.LIMIT, day)
            if shown > cap:
                raise algo_error(
                    "QUANTITY_TOO_LARGE",
                    f"冰山单每次显示数量不得超过单笔最大申报数量 {cap}",
                    f"display_quantity may not exceed the per-order maximum of {cap}",
                )
            return
        if req.end_at is None or req.end_at.tzinfo is None:
            raise algo_error("VALIDATION_ERROR", "TWAP 须给出带时区的 end_at", "a TWAP needs end_at with an offset")
        if req.start_at is not None and req.start_at.tzinfo is None:
            raise algo_error("VALIDATION_ERROR", "start_at 须带时区", "start_at needs an offset")
        start = max(req.start_at, now) if req.start_at is not None else now
        end_local = req.end_at.astimezone(SHANGHAI)
        if req.end_at <= start or end_local.date() != day or end_local.time() > CLOSE:
            raise algo_error(
                "VALIDATION_ERROR",
                f"end_at 须晚于开始时间，且在交易日 {day} 收盘（15:00）前",
                f"end_at must be after the start and no later than the close of {day}",
            )
        if continuous_seconds(start, req.end_at, schedule_for(instrument, day)) <= 0:
            raise algo_error(
                "VALIDATION_ERROR", "TWAP 时间窗内没有连续竞价时段", "the TWAP window holds no continuous trading"
            )

    def _bounds(self, quote: Quote) -> PriceBounds:
        cage = self.market.cage(quote)
        if cage is not None:
            return PriceBounds(*cage)
        return PriceBounds(quote.limit_up, quote.limit_down)

    def _remember(self, row: AlgoOrderRow) -> Algo:
        instrument = self.market.instrument(row.stock_code)
        plan = None
        if row.algo == AlgoKind.TWAP.value and row.end_at is not None:
            plan = TwapPlan(
                row.start_at,
                row.end_at,
                timedelta(seconds=row.interval_seconds),
                schedule_for(instrument, row.trading_day),
            )
        algo = Algo(row=row, instrument=instrument, plan=plan)
        self._live[row.id] = algo
        self._watch()
        return algo

    def _forget(self, algo: Algo) -> None:
        self._live.pop(algo.id, None)
        self._watch()

    def _watch(self) -> None:
        wanted = bool(self._live) and self._unsubscribe is not None
        if wanted != self._watching:
            (self.bus.watch if wanted else self.bus.unwatch)(["orders"])
            self._watching = wanted

    def _publish(self, algo: Algo) -> None:
        view = self._view(algo.row, algo)
        self.bus.publish(Event("algo_orders", view, self.clock.now(), account_id=self.account_id))

    def _view(self, row: AlgoOrderRow, algo: Algo | None) -> dict[str, Any]:
        filled, amount = self._filled(algo) if algo is not None else (row.filled_quantity, row.filled_amount)
        working = self.engine.book.get(algo.working) if algo is not None and algo.working is not None else None
        avg = (amount / filled).quantize(Decimal("0.001")) if filled else None
        arrival = row.arrival_price
        return {
            "id": row.id,
            "account_id": row.account_id,
            "stock_code": row.stock_code,
            "stock_name": row.stock_name,
            "side": row.side,
            "algo": row.algo,
            "quantity": row.quantity,
            "price": price(row.price, row.stock_code),
            "display_quantity": row.display_quantity,
            "start_at": iso(row.start_at),
            "end_at": iso(row.end_at),
            "interval_seconds": row.interval_seconds if row.algo == AlgoKind.TWAP.value else None,
            "state": row.state,
            "state_label": STATE_LABELS_ZH.get(row.state, row.state),
            "filled_quantity": filled,
            "filled_amount": money(amount),
            "working_quantity": working.remaining if working is not None and working.is_open else 0,
            "progress": str((Decimal(filled) / Decimal(row.quantity)).quantize(Decimal("0.0001"))),
            "arrival_price": price(arrival, row.stock_code),
            "avg_price": str(avg) if avg is not None else None,
            "slippage_bps": (str(slippage_bps(Side(row.side), arrival, avg)) if avg is not None and arrival else None),
            "child_count": row.child_count,
            "paused_reason": (algo.paused or None) if algo is not None and algo.running else None,
            "error": row.error_code,
            "message": row.message,
            "strategy_name": row.strategy_name,
            "remark": row.remark,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
            "finished_at": iso(row.finished_at),
        }

    # ------------------------------------------------------------------------------ ledger
    def _children_query(self, algo_id: int) -> Any:
        return select(OrderRow).where(
            OrderRow.account_id == self.account_id, OrderRow.client_order_id.like(f"algo-{algo_id}-%")
        )

    def _load(self) -> list[tuple[AlgoOrderRow, list[Order]]]:
        out = []
        with self.session_factory() as session:
            rows = session.scalars(
                select(AlgoOrderRow).where(AlgoOrderRow.account_id == self.account_id, AlgoOrderRow.state == "running")
            ).all()
            for row in rows:
                children = session.scalars(self._children_query(row.id).order_by(OrderRow.id)).all()
                out.append((row, [self.engine.book.get(c.id) or order_from_row(c) for c in children]))
            session.expunge_all()
        return out

    def _insert(self, row: AlgoOrderRow) -> None:
        with unit_of_work(self.session_factory) as session:
            session.add(row)
            session.flush()
            session.expunge(row)

    def _set(self, algo: Algo, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(algo.row, key, value)

    async def _save(self, algo: Algo, **values: Any) -> None:
        self._set(algo, values)
        await asyncio.to_thread(self._write, algo.id, values)

    def _write(self, algo_id: int, values: dict[str, Any]) -> None:
        with unit_of_work(self.session_factory) as session:
            session.execute(update(AlgoOrderRow).where(AlgoOrderRow.id == algo_id).values(**values))
