"""Held orders (条件单): stops, trailing stops, brackets, time and limit-open triggers.

A-share brokers hold none of these on the exchange, so the desk holds them: each held order is a row
in the ledger, watched in memory against every quote of its stock, and placed through the one way in
(validation, risk, audit) when its trigger holds, as an ordinary order with ``source: conditional``.

Exactly once: firing first flips the row from ``armed`` to ``triggered`` in memory (no await in
between, so a second quote in the same instant finds it taken) and then in the ledger with a
conditional update; the order it places carries the client_order_id ``held-<id>``, so placing it
again after a crash — a row still ``triggered`` at start is placed again — answers with the order
the first attempt made instead of a second one.

Bracket legs (take-profit and stop-loss on an entry order) wait until the entry is final and are
then sized to what it filled; the legs share an ``oco_group`` and the first to fire cancels the
other. A sell leg on a T+1 stock is live from the next trading day, when the shares can be sold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk import failpoints
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import TERMINAL, Order
from qmtdesk.domain.rules import Phase, PriceType, is_t0
from qmtdesk.domain.triggers import Tick, Trigger, TriggerKind, TriggerMemory, check, distance, trailing_stop
from qmtdesk.market.quotes import Quote
from qmtdesk.market.service import MarketService
from qmtdesk.oms.background import Background, page_rows
from qmtdesk.oms.book import order_from_row
from qmtdesk.oms.bus import Event, EventBus, OrderUpdate, Published
from qmtdesk.oms.commands import AuditNote, OrderPayload
from qmtdesk.oms.service import OrderService
from qmtdesk.oms.views import iso, money, price
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.held import HeldOrderRow
from qmtdesk.store.tables.orders import OrderRow

log = logging.getLogger(__name__)

#: A quote older than this (against the desk's clock) is not trusted to fire anything.
STALE_AFTER = timedelta(seconds=30)
#: How often time triggers and expiries are checked.
TIMER_SECONDS = 1.0
#: How often moved trailing marks are written to the ledger (and at every fire, cancel and stop).
MARK_SAVE_SECONDS = 5.0
#: Held orders that are not good till a later day expire at the close.
CLOSE = time(15, 0)
LIVE_STATES = frozenset({"waiting", "armed", "triggered"})
FINAL_STATES = frozenset({"fired", "canceled", "expired", "failed"})
STATE_LABELS_ZH = {
    "waiting": "等待主单成交",
    "armed": "监控中",
    "triggered": "已触发",
    "fired": "已下单",
    "canceled": "已撤销",
    "expired": "已过期",
    "failed": "下单失败",
}


@dataclass(frozen=True)
class HeldRequest:
    """A held order as the client asks for it (shape checked by the API layer)."""

    stock_code: str
    side: Side
    quantity: int | None
    price_type: PriceType
    price: Decimal | None
    trigger: Trigger
    expires: date | None = None
    parent_order_id: int | None = None
    oco_group: str | None = None
    strategy_name: str = ""
    remark: str = ""


@dataclass
class Held:
    """A live held order in memory (the ledger row is the truth after a restart)."""

    id: int
    stock_code: str
    side: Side
    quantity: int
    trigger: Trigger
    memory: TriggerMemory
    state: str
    active_from: date
    expires_on: date
    parent_order_id: int | None
    oco_group: str | None
    #: Why the last quote did not fire it, when it was skipped (stale quote, auction, not live yet).
    skipped: str = ""
    last: Decimal | None = None
    saved_mark: Decimal | None = field(default=None, repr=False)


def held_error(code: str, zh: str, en: str, status: int = 422) -> DeskError:
    """A refusal of a held-order request."""
    return DeskError(code, zh, en, http_status=status)


def trigger_json(t: Trigger) -> dict[str, Any]:
    """The trigger object of the API."""
    out: dict[str, Any] = {"type": t.kind.value}
    if t.kind is TriggerKind.PRICE:
        out |= {"direction": t.direction, "price": str(t.price)}
    elif t.kind is TriggerKind.TRAILING:
        out |= {"percent": str(t.percent)} if t.percent is not None else {"amount": str(t.amount)}
    elif t.kind is TriggerKind.TIME:
        out["at"] = iso(t.at)
    else:
        out["which"] = t.which
    return out


def trigger_of(data: dict[str, Any]) -> Trigger:
    """A trigger from its stored JSON."""
    kind = TriggerKind(data["type"])

    def dec(key: str) -> Decimal | None:
        return Decimal(data[key]) if data.get(key) is not None else None

    at = datetime.fromisoformat(data["at"]) if data.get("at") else None
    return Trigger(kind, data.get("direction"), dec("price"), dec("percent"), dec("amount"), at, data.get("which"))


def _memory_json(m: TriggerMemory) -> str:
    return json.dumps({"mark": str(m.mark) if m.mark is not None else None, "sealed": m.sealed})


def _memory_of(text: str) -> TriggerMemory:
    data = json.loads(text or "{}")
    mark = data.get("mark")
    return TriggerMemory(Decimal(mark) if mark is not None else None, bool(data.get("sealed")))


class HeldOrders:
    """One account's held orders: create, cancel, watch quotes and the clock, fire once."""

    def __init__(
        self,
        *,
        orders: OrderService,
        market: MarketService,
        calendar: TradingCalendar,
        clock: Clock,
        bus: EventBus,
        session_factory: sessionmaker[Session],
        quotes: Any,
    ) -> None:
        self.orders = orders
        self.engine = orders.engine
        self.account_id = orders.account_id
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.bus = bus
        self.session_factory = session_factory
        self.quotes = quotes
        self._live: dict[int, Held] = {}
        self._by_code: dict[str, set[int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._background = Background(f"held-orders-{self.account_id}")
        self._since_save = 0.0  # seconds since moved trailing marks were last written
        self._started = False
        #: Whether the orders stream is watched: only while a bracket leg waits on its entry, since
        #: the ledger copies every order change for the stream while anyone watches it.
        self._watching_orders = False

    # ------------------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Load the live held orders, place any a crash left claimed, and start watching."""
        self._loop = asyncio.get_running_loop()
        rows = await asyncio.to_thread(self._load_live)
        for row in rows:
            self._remember(row)
        if not self._started:
            self.quotes.add_listener(self._on_quote_thread)
            self._started = True
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self._watch_entries()
        self._background.start(TIMER_SECONDS, self._tick)
        for held in [h for h in self._live.values() if h.state == "triggered"]:
            await self._place(held, "重启后补发已触发的条件单")
        for held in [h for h in self._live.values() if h.state == "waiting"]:
            await self._check_parent(held)

    async def stop(self) -> None:
        """Stop watching (live held orders stay in the ledger and are re-armed at the next start)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._watch_entries()
        await self._background.stop()
        await asyncio.to_thread(self._save_marks)
        self._loop = None

    # ------------------------------------------------------------------------------ requests
    async def create(self, req: HeldRequest, *, user_id: int | None, audit: AuditNote | None) -> dict[str, Any]:
        """Hold a new order; answers with its view (``id``, ``state``)."""
        instrument = self.market.instrument(req.stock_code)
        now = self.clock.now()
        today = self.calendar.trading_day_of(now.astimezone(SHANGHAI).date())
        self._check_trigger(req.trigger, req.side, now)
        state, active_from = "armed", today
        quantity = req.quantity
        if req.parent_order_id is not None:
            parent = await self.entry(req.parent_order_id)
            if parent is None:
                raise held_error(
                    "ORDER_NOT_FOUND", f"主单 {req.parent_order_id} 不存在", f"No order {req.parent_order_id}", 404
                )
            if parent.stock_code != instrument.code:
                raise held_error(
                    "VALIDATION_ERROR", "附加单须与主单同一证券", "A bracket leg must be on its entry's stock"
                )
            state = "waiting"
            quantity = quantity or 0
            if req.side is Side.SELL and parent.side is Side.BUY and not is_t0(instrument):
                active_from = self.calendar.next_trading_day(parent.trading_day)
        elif not quantity:
            raise held_error("INVALID_QUANTITY", "数量须为正整数", "quantity must be a positive integer")
        expires_on = req.expires or active_from
        if expires_on < active_from:
            raise held_error("VALIDATION_ERROR", "expires 不能早于生效日", "expires is before the day it becomes live")
        row = HeldOrderRow(
            account_id=self.account_id,
            stock_code=instrument.code,
            stock_name=instrument.name,
            side=req.side.value,
            quantity=quantity or 0,
            price_type=req.price_type.value,
            price=req.price,
            trigger_type=req.trigger.kind.value,
            trigger=json.dumps(trigger_json(req.trigger)),
            memory=_memory_json(TriggerMemory()),
            state=state,
            parent_order_id=req.parent_order_id,
            oco_group=req.oco_group,
            active_from=active_from,
            expires_on=expires_on,
            message="",
            strategy_name=req.strategy_name,
            remark=req.remark,
            user_id=user_id,
            created_at=now,
            updated_at=now,
        )
        row_id = await asyncio.to_thread(self._insert, row)
        held = self._remember(row)
        self._audit(audit, "held.create", row_id, {"trigger": trigger_json(req.trigger)})
        self._publish(row_id)
        if held.state == "waiting":
            await self._check_parent(held)
        else:
            quote = self.market.quote(held.stock_code)
            if quote is not None:
                await self._evaluate(held, quote)
        return self.get(row_id) or {}

    async def cancel(self, held_id: int, *, audit: AuditNote | None, reason: str = "用户撤销") -> dict[str, Any]:
        """Cancel a live held order; a final one answers ``409 HELD_ORDER_NOT_CANCELABLE``."""
        view = self.get(held_id)
        if view is None:
            raise held_error("HELD_ORDER_NOT_FOUND", f"条件单 {held_id} 不存在", f"No held order {held_id}", 404)
        held = self._live.get(held_id)
        if held is None or held.state == "triggered":
            label = STATE_LABELS_ZH.get(view["state"], view["state"])
            raise held_error(
                "HELD_ORDER_NOT_CANCELABLE",
                f"条件单已{label}，不能撤销" if not label.startswith("已") else f"条件单{label}，不能撤销",
                f"The held order is {view['state']} and cannot be canceled",
                409,
            )
        await self._finish(held, "canceled", reason)
        self._audit(audit, "held.cancel", held_id, {})
        return self.get(held_id) or {}

    def get(self, held_id: int) -> dict[str, Any] | None:
        """One held order's view, or None."""
        with self.session_factory() as session:
            row = session.get(HeldOrderRow, held_id)
            if row is None or row.account_id != self.account_id:
                return None
            return self._view(row)

    def page(
        self, *, state: str | None, stock_code: str | None, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Held orders newest first; ``state`` is a comma list, ``live`` or ``final``."""
        return page_rows(
            self.session_factory,
            HeldOrderRow,
            self.account_id,
            groups={"live": LIVE_STATES, "final": FINAL_STATES},
            state=state,
            stock_code=stock_code,
            page=page,
            page_size=page_size,
            view=self._view,
        )

    # ------------------------------------------------------------------------------ watching
    def _on_quote_thread(self, quote: Quote) -> None:
        # Called on the quote source's thread; only hand over when something watches the stock.
        loop = self._loop
        if loop is None or loop.is_closed() or quote.stock_code not in self._by_code:
            return
        loop.call_soon_threadsafe(self._spawn_quote, quote)

    def _spawn_quote(self, quote: Quote) -> None:
        for held_id in list(self._by_code.get(quote.stock_code, ())):
            held = self._live.get(held_id)
            if held is not None and held.state == "armed":
                self._background.spawn(self._evaluate(held, quote))

    async def _tick(self) -> None:
        await self.on_clock()
        self._since_save += TIMER_SECONDS
        if self._since_save >= MARK_SAVE_SECONDS:
            self._since_save = 0.0
            await asyncio.to_thread(self._save_marks)

    async def on_clock(self) -> None:
        """Expire what ran out and fire due time triggers (called every second, and by tests)."""
        now = self.clock.now()
        local = now.astimezone(SHANGHAI)
        today = self.calendar.trading_day_of(local.date())
        # A non-trading date belongs to the next trading day, so the last one's held orders are past.
        after_close = local.date() == today and local.time() >= CLOSE
        for held in list(self._live.values()):
            if held.state not in ("armed", "waiting"):
                continue
            if held.expires_on < today or (held.expires_on == today and after_close):
                await self._finish(held, "expired", "到期未触发，已失效")
            elif held.state == "armed" and held.trigger.kind is TriggerKind.TIME:
                quote = self.market.quote(held.stock_code)
                if quote is not None:
                    await self._evaluate(held, replace(quote, time=now))

    def _on_event(self, event: Published) -> None:
        if not isinstance(event, OrderUpdate) or event.account_id != self.account_id:
            return
        order = event.order
        for held in list(self._live.values()):
            if held.parent_order_id == order.id and held.state == "waiting" and order.status in TERMINAL:
                self._background.spawn(self._arm_leg(held, order))

    async def _check_parent(self, held: Held) -> None:
        assert held.parent_order_id is not None
        parent = await self.entry(held.parent_order_id)
        if parent is not None and parent.status in TERMINAL:
            await self._arm_leg(held, parent)

    async def _arm_leg(self, held: Held, parent: Order) -> None:
        """The entry is final: size the leg to what filled, or drop it when nothing did."""
        if held.state != "waiting":
            return
        if parent.filled_quantity <= 0:
            await self._finish(held, "canceled", "主单未成交，附加单撤销")
            return
        held.quantity = min(held.quantity, parent.filled_quantity) if held.quantity else parent.filled_quantity
        held.state = "armed"
        self._watch_entries()
        now = self.clock.now()
        await asyncio.to_thread(self._update, held.id, state="armed", quantity=held.quantity, updated_at=now)
        self._publish(held.id)

    async def _evaluate(self, held: Held, quote: Quote) -> None:
        """Run the trigger on one quote and fire when it holds."""
        if held.state != "armed":
            return
        now = self.clock.now()
        held.last = quote.last_price
        if held.active_from > self.calendar.trading_day_of(now.astimezone(SHANGHAI).date()):
            held.skipped = f"{held.active_from} 起生效（T+1）"
            return
        if now - quote.time > STALE_AFTER:
            held.skipped = "行情过期，暂不触发"
            log.info("held order %s skipped: quote of %s is stale (%s)", held.id, held.stock_code, quote.time)
            return
        if held.trigger.kind is not TriggerKind.TIME and self.calendar.phase(now) is not Phase.CONTINUOUS:
            held.skipped = "非连续竞价时段，暂不触发"
            return
        tick = Tick(quote.last_price, quote.limit_up, quote.limit_down, quote.best_bid, quote.best_ask, quote.time)
        fired, memory = check(held.trigger, held.side, held.memory, tick)
        held.skipped = ""
        if memory != held.memory:
            held.memory = memory
            if held.trigger.kind is TriggerKind.LIMIT_OPEN:
                await asyncio.to_thread(self._update, held.id, memory=_memory_json(memory), updated_at=now)
        if not fired or held.state != "armed":
            return
        held.state = "triggered"  # taken: no other quote of this instant fires it again
        claimed = await asyncio.to_thread(self._claim, held, now)
        if not claimed:
            return
        failpoints.hit("held_claimed")
        self._publish(held.id)
        for sibling in self._siblings(held):
            await self._finish(sibling, "canceled", "同组另一条件单已触发")
        await self._place(held, f"触发：{self._trigger_text(held, quote.last_price)}")

    async def _place(self, held: Held, why: str) -> None:
        """Place the triggered order (again after a crash: its client_order_id makes it once)."""
        row = await asyncio.to_thread(self._row, held.id)
        payload = OrderPayload(
            stock_code=row.stock_code,
            side=Side(row.side),
            quantity=row.quantity,
            price_type=PriceType(row.price_type),
            price=row.price,
            client_order_id=f"held-{held.id}",
            strategy_name=row.strategy_name,
            remark=(row.remark or f"条件单 {held.id}")[:255],
        )
        note = AuditNote("held-orders", None, {"held_order_id": held.id, "why": why})
        now = self.clock.now()
        try:
            placed = await self.orders.submit(payload, source="conditional", user_id=row.user_id, audit=note)
            failpoints.hit("held_placed")
            order_id = placed.order["order_id"]
            state, code, message = "fired", None, why
        except DeskError as refused:
            order = (refused.data or {}).get("order") if isinstance(refused.data, dict) else None
            order_id = order["order_id"] if order else None
            state, code, message = "failed", refused.code, refused.message_zh
        await asyncio.to_thread(
            self._update,
            held.id,
            state=state,
            order_id=order_id,
            error_code=code,
            message=message[:255],
            updated_at=now,
        )
        self._forget(held.id)
        self._publish(held.id)

    async def _finish(self, held: Held, state: str, message: str) -> None:
        now = self.clock.now()
        held.state = state
        self._forget(held.id)
        await asyncio.to_thread(
            self._update, held.id, state=state, message=message, memory=_memory_json(held.memory), updated_at=now
        )
        self._publish(held.id)

    # ------------------------------------------------------------------------------ helpers
    def _check_trigger(self, t: Trigger, side: Side, now: datetime) -> None:
        if t.kind is TriggerKind.PRICE and (t.price is None or t.price <= 0 or t.direction not in ("above", "below")):
            raise held_error(
                "VALIDATION_ERROR",
                "价格触发须给出 direction（above/below）与正的 price",
                "a price trigger needs a direction (above/below) and a positive price",
            )
        if t.kind is TriggerKind.TRAILING and ((t.percent is None) == (t.amount is None)):
            raise held_error(
                "VALIDATION_ERROR",
                "跟踪止损须给出 percent 或 amount 之一",
                "a trailing trigger needs percent or amount",
            )
        if t.kind is TriggerKind.TRAILING and not (
            (t.percent is not None and 0 < t.percent < 1) or (t.amount is not None and t.amount > 0)
        ):
            raise held_error(
                "VALIDATION_ERROR",
                "跟踪幅度须为 0 到 1 之间的 percent 或正的 amount",
                "trailing percent must be between 0 and 1, amount positive",
            )
        if t.kind is TriggerKind.TIME and (t.at is None or t.at.tzinfo is None):
            raise held_error(
                "VALIDATION_ERROR", "时间触发须给出带时区的 at", "a time trigger needs an ISO time with an offset"
            )
        if t.kind is TriggerKind.LIMIT_OPEN and t.which not in ("up", "down"):
            raise held_error("VALIDATION_ERROR", "涨跌停打开须给出 which（up/down）", "limit_open needs which: up|down")

    async def entry(self, order_id: int) -> Order | None:
        """The entry order of a bracket leg: in memory, or read from the ledger."""
        order = self.engine.book.get(order_id)
        if order is not None:
            return order if order.account_id == self.account_id else None

        def read() -> Order | None:
            with self.session_factory() as session:
                row = session.get(OrderRow, order_id)
                return order_from_row(row) if row is not None and row.account_id == self.account_id else None

        return await asyncio.to_thread(read)

    def _siblings(self, held: Held) -> list[Held]:
        if not held.oco_group:
            return []
        return [
            h
            for h in self._live.values()
            if h.id != held.id and h.oco_group == held.oco_group and h.state in ("armed", "waiting")
        ]

    def _trigger_text(self, held: Held, last: Decimal) -> str:
        t = held.trigger
        if t.kind is TriggerKind.PRICE:
            return f"最新价 {last} {'≥' if t.direction == 'above' else '≤'} {t.price}"
        if t.kind is TriggerKind.TRAILING and held.memory.mark is not None:
            return (
                f"最新价 {last} 回撤至 {trailing_stop(t, held.side, held.memory.mark):.3f}（极值 {held.memory.mark}）"
            )
        if t.kind is TriggerKind.TIME:
            return f"到达时间 {iso(t.at)}"
        return "涨停打开" if t.which == "up" else "跌停打开"

    def _remember(self, row: HeldOrderRow) -> Held:
        held = Held(
            id=row.id,
            stock_code=row.stock_code,
            side=Side(row.side),
            quantity=row.quantity,
            trigger=trigger_of(json.loads(row.trigger)),
            memory=_memory_of(row.memory),
            state=row.state,
            active_from=row.active_from,
            expires_on=row.expires_on,
            parent_order_id=row.parent_order_id,
            oco_group=row.oco_group,
        )
        held.saved_mark = held.memory.mark
        self._live[held.id] = held
        self._watch_entries()
        self._by_code.setdefault(held.stock_code, set()).add(held.id)
        subscribe = getattr(self.quotes, "subscribe", None)
        if subscribe is not None:  # a live source pushes only the stocks asked for
            with contextlib.suppress(Exception):
                subscribe(held.stock_code)
        return held

    def _forget(self, held_id: int) -> None:
        held = self._live.pop(held_id, None)
        if held is not None:
            codes = self._by_code.get(held.stock_code)
            if codes is not None:
                codes.discard(held_id)
                if not codes:
                    del self._by_code[held.stock_code]
        self._watch_entries()

    def _watch_entries(self) -> None:
        waiting = any(h.state == "waiting" for h in self._live.values()) and self._unsubscribe is not None
        if waiting != self._watching_orders:
            (self.bus.watch if waiting else self.bus.unwatch)(["orders"])
            self._watching_orders = waiting

    def _publish(self, held_id: int) -> None:
        view = self.get(held_id)
        if view is not None:
            self.bus.publish(Event("conditional_orders", view, self.clock.now(), account_id=self.account_id))

    def _audit(self, audit: AuditNote | None, action: str, held_id: int, detail: dict[str, Any]) -> None:
        if audit is None:
            return
        self.engine.ledger.audit(
            audit.actor, action, str(held_id), {**audit.detail, **detail}, audit.ip, self.clock.now()
        )

    # ------------------------------------------------------------------------------ ledger
    def _load_live(self) -> list[HeldOrderRow]:
        with self.session_factory() as session:
            rows = session.scalars(
                select(HeldOrderRow).where(
                    HeldOrderRow.account_id == self.account_id, HeldOrderRow.state.in_(sorted(LIVE_STATES))
                )
            ).all()
            session.expunge_all()
            return list(rows)

    def _insert(self, row: HeldOrderRow) -> int:
        with unit_of_work(self.session_factory) as session:
            session.add(row)
            session.flush()
            row_id = row.id
            session.expunge(row)
        return row_id

    def _row(self, held_id: int) -> HeldOrderRow:
        with self.session_factory() as session:
            row = session.get(HeldOrderRow, held_id)
            assert row is not None
            session.expunge(row)
            return row

    def _update(self, held_id: int, **values: Any) -> None:
        with unit_of_work(self.session_factory) as session:
            session.execute(update(HeldOrderRow).where(HeldOrderRow.id == held_id).values(**values))

    def _claim(self, held: Held, now: datetime) -> bool:
        """Armed → triggered in the ledger, once: False when another process or a crash got there first."""
        with unit_of_work(self.session_factory) as session:
            result = session.execute(
                update(HeldOrderRow)
                .where(HeldOrderRow.id == held.id, HeldOrderRow.state == "armed")
                .values(state="triggered", triggered_at=now, updated_at=now, memory=_memory_json(held.memory))
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def _save_marks(self) -> None:
        """Persist trailing marks that moved since they were last saved."""
        for held in list(self._live.values()):
            if held.memory.mark != held.saved_mark:
                self._update(held.id, memory=_memory_json(held.memory))
                held.saved_mark = held.memory.mark

    def _view(self, row: HeldOrderRow) -> dict[str, Any]:
        held = self._live.get(row.id)
        trigger = trigger_of(json.loads(row.trigger))
        memory = held.memory if held is not None else _memory_of(row.memory)
        last = held.last if held is not None else None
        if last is None:
            quote = self.market.quote(row.stock_code)
            last = quote.last_price if quote is not None else None
        dist = distance(trigger, Side(row.side), memory, last) if last is not None else None
        stop = (
            trailing_stop(trigger, Side(row.side), memory.mark)
            if trigger.kind is TriggerKind.TRAILING and memory.mark is not None
            else None
        )
        return {
            "id": row.id,
            "account_id": row.account_id,
            "stock_code": row.stock_code,
            "stock_name": row.stock_name,
            "side": row.side,
            "quantity": row.quantity,
            "price_type": row.price_type,
            "price": price(row.price, row.stock_code),
            "trigger": trigger_json(trigger),
            "state": row.state,
            "state_label": STATE_LABELS_ZH.get(row.state, row.state),
            "mark": price(memory.mark, row.stock_code),
            "stop_price": price(stop.quantize(Decimal("0.001")), row.stock_code) if stop is not None else None,
            "last_price": price(last, row.stock_code),
            "distance_pct": str(dist.quantize(Decimal("0.0001"))) if dist is not None else None,
            "skipped_reason": held.skipped if held is not None and held.skipped else None,
            "parent_order_id": row.parent_order_id,
            "oco_group": row.oco_group,
            "active_from": row.active_from.isoformat(),
            "expires": row.expires_on.isoformat(),
            "order_id": row.order_id,
            "client_order_id": f"held-{row.id}" if row.state in ("triggered", "fired", "failed") else None,
            "error": row.error_code,
            "message": row.message,
            "strategy_name": row.strategy_name,
            "remark": row.remark,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
            "triggered_at": iso(row.triggered_at),
            "notional": money(last * row.quantity) if last is not None else None,
        }
