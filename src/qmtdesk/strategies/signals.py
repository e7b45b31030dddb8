"""Signals → sizing → orders, with a decision log.

A signal says *what* (buy, sell or close a stock, for a strategy); the desk decides *how much* and
whether to trade at all, and records the decision in ``signals``:

- ``signal_id`` is the idempotency key. A replay with the same payload answers ``duplicate`` with
  the stored decision (``original_decision``) and the same order; a different payload under a known
  ``signal_id`` is ``409 DUPLICATE_SIGNAL_ID``. Concurrent duplicates yield exactly one order: the
  decision is made under one lock after a ``pending`` row has claimed the id (unique per account),
  and the order carries ``client_order_id = "sig-<signal_id>"`` so even a resumed claim (a crash
  between claim and decision) cannot send a second order.
- ``expires_at`` in the past → ``expired`` (no order).
- Price: the signal's ``price`` when given (rounded to the tick towards the safe side: buys down,
  sells up); otherwise a marketable limit at the cage base — the best ask for buys, the best bid for
  sells, falling back to the other side, the last trade and the previous close (exactly the base of
  the price cage, so the price is always inside the cage) — clamped to the daily limits. Signals
  always become ``limit`` orders: the price used for sizing is the price sent.
- Sizing per :mod:`qmtdesk.domain.sizing`; zero shares → ``skipped`` with the reason.
- Otherwise the order goes through :class:`OrderService` like every other order (validation and
  risk included): ``executed`` with the order, or ``denied`` with the error code, the reason and the
  denied order when one was stored. A refusal before any order exists (unknown code, no quote,
  broker unavailable) is ``denied`` without an order.

Signals are serialised by one lock: a burst of buys is sized one after the other against the cash
the earlier ones left, instead of all against the same cash.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.brokers.base import Broker
from qmtdesk.domain.calendar import TradingCalendar
from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import DeskError, InvalidValue, OrderDenied
from qmtdesk.domain.fees import ZERO, FeeSchedule, Side
from qmtdesk.domain.instruments import Instrument, classify
from qmtdesk.domain.rules import PriceType, price_tick
from qmtdesk.domain.sizing import (
    METHODS_NEEDING_TOTAL_ASSET,
    SignalAction,
    SizingMethod,
    check_sizing,
    size_order,
)
from qmtdesk.market.service import MarketService
from qmtdesk.oms.bus import Event, EventBus
from qmtdesk.oms.commands import DuplicateClientOrderId, OrderPayload, payload_hash
from qmtdesk.oms.views import iso, order_view, price
from qmtdesk.store.db import unit_of_work
from qmtdesk.store.tables.monitor import MonitoredStockRow
from qmtdesk.store.tables.orders import OrderRow
from qmtdesk.store.tables.signals import DECISIONS, SIGNAL_SOURCES, SignalRow

if TYPE_CHECKING:
    from qmtdesk.oms.engine import Engine
    from qmtdesk.oms.service import OrderService

log = logging.getLogger(__name__)

STREAM = "signals"
#: Longest ``signal_id``: ``"sig-" + signal_id`` must fit a 64-character ``client_order_id``.
MAX_SIGNAL_ID = 60
CLIENT_ID_PREFIX = "sig-"
#: How long a replay waits for another process's pending decision before answering with it.
PENDING_WAIT_SECONDS = 10.0


class DuplicateSignalId(DeskError):
    """A ``signal_id`` reused for a different signal."""

    def __init__(self, signal_id: str, existing: dict[str, Any]) -> None:
        super().__init__(
            "DUPLICATE_SIGNAL_ID",
            f"signal_id {signal_id!r} 已用于另一条不同的信号",
            f"signal_id {signal_id!r} was already used for a different signal",
            http_status=409,
            data={"signal": existing},
        )


def invalid_signal(zh: str, en: str, field_name: str) -> DeskError:
    """A 422 VALIDATION_ERROR about one field of a signal."""
    return DeskError(
        "VALIDATION_ERROR",
        zh,
        en,
        http_status=422,
        data={"fields": [{"field": field_name, "message": zh, "message_en": en}]},
    )


@dataclass(frozen=True)
class SignalRequest:
    """A signal as API clients and strategies send it (shape already validated by the caller)."""

    signal_id: str
    stock_code: str
    action: SignalAction
    strategy_name: str = ""
    confidence: Decimal | None = None
    price: Decimal | None = None
    sizing_method: SizingMethod | None = None
    sizing_value: Decimal | None = None
    expires_at: datetime | None = None
    reason: str = ""


@dataclass
class _Outcome:
    """A decision before it is stored."""

    decision: str
    reason: str
    reason_en: str
    error: str | None = None
    side: str | None = None
    quantity: int | None = None
    order: dict[str, Any] | None = None


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _aware(moment: datetime | None) -> datetime | None:
    """Naive times are Asia/Shanghai wall-clock times."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=SHANGHAI)


def _code(raw: str) -> str:
    """The normalised code, or the raw text when it is not a code (the denial says why)."""
    try:
        return classify(raw).code
    except DeskError:
        return str(raw).strip()[:32]


def signal_view(row: SignalRow, order: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stored signal and its decision, as ``GET /signals`` lists it."""
    sizing = None
    if row.sizing_method:
        sizing = {"method": row.sizing_method, "value": row.sizing_value}
    return {
        "id": row.id,
        "signal_id": row.signal_id,
        "account_id": row.account_id,
        "stock_code": row.stock_code,
        "action": row.action,
        "strategy_name": row.strategy_name,
        "confidence": _dec(row.confidence),
        "price": price(row.price, row.stock_code),
        "sizing": sizing,
        "expires_at": iso(row.expires_at),
        "reason": row.reason,
        "source": row.source,
        "decision": row.decision,
        "decision_reason": row.decision_reason,
        "decision_reason_en": row.decision_reason_en,
        "error": row.error,
        "side": row.side,
        "quantity": row.quantity,
        "order_id": row.order_id,
        "order": order,
        "replays": row.replays,
        "created_at": iso(row.created_at),
        "decided_at": iso(row.decided_at),
    }


class SignalService:
    """Executes signals for one account and keeps the decision log."""

    def __init__(
        self,
        *,
        orders: OrderService,
        engine: Engine,
        broker: Broker,
        market: MarketService,
        calendar: TradingCalendar,
        fees: FeeSchedule,
        bus: EventBus,
        clock: Clock,
        session_factory: sessionmaker[Session],
    ) -> None:
        self.orders = orders
        self.engine = engine
        self.broker = broker
        self.market = market
        self.calendar = calendar
        self.fees = fees
        self.bus = bus
        self.clock = clock
        self.session_factory = session_factory
        self.account_id = orders.account_id
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------------------ execute
    async def execute(
        self, request: SignalRequest, *, source: str, user_id: int | None, lang: str = "zh"
    ) -> dict[str, Any]:
        """Decide on a signal and answer ``{signal_id, decision, reason, order, error, side, quantity}``.

        ``source`` is ``api``, ``ui`` or ``strategy`` (orders of ``strategy`` signals carry source
        ``strategy``, the others ``signal``). Raises ``409 DUPLICATE_SIGNAL_ID`` for a known
        ``signal_id`` with a different payload and ``422 VALIDATION_ERROR`` for a malformed signal;
        every other outcome is a decision, stored and published on the ``signals`` stream.
        """
        if source not in SIGNAL_SOURCES:
            raise ValueError(f"unknown signal source {source!r}")
        # The payload as sent is the idempotency key's payload; a buy without sizing is sized as its
        # stock's watchlist entry says (stored with the decision), so a retry matches even if that
        # entry changes in between.
        digest = payload_hash(self._fields(request))
        found = await asyncio.to_thread(self._find, request.signal_id)
        if found is not None and found.decision != "pending":
            return await self._replay(found, digest, lang)
        async with self._lock:
            found = await asyncio.to_thread(self._find, request.signal_id)
            if found is not None and found.decision != "pending":
                return await self._replay(found, digest, lang)
            if request.action is SignalAction.BUY and request.sizing_method is None:
                request = await asyncio.to_thread(self._with_default_sizing, request, found)
            self._check(request)
            fields = self._fields(request)
            if found is None:
                row_id = await asyncio.to_thread(self._claim, request, fields, digest, source, user_id)
                if row_id is None:
                    # Another process claimed it first: answer with its decision.
                    return await self._replay(await self._wait_decided(request.signal_id), digest, lang)
            else:
                # A claim left pending (the process stopped mid-decision): resume it. Its order, if it
                # was sent, is found again through its client_order_id.
                if found.payload_hash != digest:
                    raise DuplicateSignalId(request.signal_id, signal_view(found))
                row_id = found.id
                log.info("signal %s: resuming a pending decision", request.signal_id)
            outcome = None
            if found is not None:
                outcome = await asyncio.to_thread(self._sent_before, request.signal_id)
            if outcome is None:
                outcome = await self._decide(request, source, user_id)
            view = await asyncio.to_thread(self._record, row_id, outcome)
        log.info(
            "signal %s (%s %s, %s): %s%s order=%s",
            request.signal_id,
            request.action.value,
            view["stock_code"],
            request.strategy_name,
            outcome.decision,
            f" [{outcome.error}]" if outcome.error else "",
            view["order_id"],
        )
        self._publish(view)
        return self._answer(view, outcome.decision, lang)

    def _with_default_sizing(self, request: SignalRequest, pending: SignalRow | None) -> SignalRequest:
        """A buy sent without sizing, sized as its claim recorded (a pending decision resumed) or
        else as its stock's watchlist entry says; unchanged when neither has a sizing."""
        if pending is not None:
            if pending.sizing_method and pending.sizing_value is not None:
                return replace(
                    request,
                    sizing_method=SizingMethod(pending.sizing_method),
                    sizing_value=Decimal(str(pending.sizing_value)),
                )
            return request
        code = _code(request.stock_code)
        with self.session_factory() as session:
            sizing = session.scalar(
                select(MonitoredStockRow.sizing).where(
                    MonitoredStockRow.account_id == self.account_id, MonitoredStockRow.stock_code == code
                )
            )
        if not sizing:
            return request
        try:
            spec = json.loads(sizing)
            return replace(
                request, sizing_method=SizingMethod(spec["method"]), sizing_value=Decimal(str(spec["value"]))
            )
        except (ValueError, KeyError, TypeError, ArithmeticError):
            return request

    def _check(self, request: SignalRequest) -> None:
        if not request.signal_id or len(request.signal_id) > MAX_SIGNAL_ID:
            raise invalid_signal(
                f"signal_id 长度须为 1 到 {MAX_SIGNAL_ID} 个字符",
                f"signal_id must be 1 to {MAX_SIGNAL_ID} characters",
                "signal_id",
            )
        try:
            check_sizing(request.action, request.sizing_method, request.sizing_value)
        except InvalidValue as exc:
            raise invalid_signal(f"信号的 sizing 无效：{exc.message_zh}", f"Invalid sizing: {exc}", "sizing") from None
        if request.price is not None and (not request.price.is_finite() or request.price <= 0):
            raise invalid_signal("信号价格必须大于 0", "The signal price must be above 0", "price")

    def _fields(self, request: SignalRequest) -> dict[str, Any]:
        expires = _aware(request.expires_at)
        return {
            "stock_code": _code(request.stock_code),
            "action": request.action.value,
            "strategy_name": request.strategy_name,
            "confidence": _dec(request.confidence),
            "price": _dec(request.price),
            "sizing_method": request.sizing_method.value if request.sizing_method else None,
            "sizing_value": _dec(request.sizing_value),
            "expires_at": expires.astimezone(SHANGHAI).isoformat() if expires else None,
            "reason": request.reason,
        }

    # ------------------------------------------------------------------------------ deciding
    async def _decide(self, request: SignalRequest, source: str, user_id: int | None) -> _Outcome:
        now = self.clock.now()
        expires = _aware(request.expires_at)
        if expires is not None and expires <= now:
            return _Outcome(
                "expired",
                f"信号已于 {iso(expires)} 过期，未下单",
                f"The signal expired at {iso(expires)}; no order was placed",
            )
        side = Side.BUY if request.action is SignalAction.BUY else Side.SELL
        try:
            instrument = self.market.instrument(request.stock_code)
            limit_price = self._price(request, instrument, side)
            total_asset, open_buy, open_sell = ZERO, 0, 0
            if request.sizing_method in METHODS_NEEDING_TOTAL_ASSET and request.action is not SignalAction.CLOSE:
                total_asset = (await self.broker.query_account()).total_asset
            if request.sizing_method is SizingMethod.TARGET_PCT:
                open_buy, open_sell = self.engine.open_quantities(instrument.code)
            cash, position = self.broker.buying_view(instrument.code)
            sized = size_order(
                request.sizing_method,
                request.sizing_value,
                request.action,
                instrument,
                limit_price,
                cash,
                position,
                total_asset,
                self.fees,
                self.calendar.trading_day_of(now.date()),
                open_buy=open_buy,
                open_sell=open_sell,
            )
        except DeskError as refused:
            return self._denied(refused, side)
        if sized.quantity == 0:
            return _Outcome("skipped", sized.reason, sized.reason_en, side=sized.side.value, quantity=0)
        payload = OrderPayload(
            stock_code=instrument.code,
            side=sized.side,
            quantity=sized.quantity,
            price_type=PriceType.LIMIT,
            price=limit_price,
            client_order_id=f"{CLIENT_ID_PREFIX}{request.signal_id}",
            strategy_name=request.strategy_name,
            remark=(request.reason or f"signal {request.signal_id}")[:255],
        )
        order_source = "strategy" if source == "strategy" else "signal"
        try:
            submitted = await self.orders.submit(payload, source=order_source, user_id=user_id)
        except DuplicateClientOrderId as clash:
            # "sig-<signal_id>" was taken by an order that is not this signal's: never adopt it.
            return self._denied(clash, sized.side, with_order=False)
        except DeskError as refused:
            return self._denied(refused, sized.side)
        order = submitted.order
        if order.get("status") == "denied":
            return _Outcome(
                "denied",
                order.get("error_message") or "委托被拒绝",
                order.get("error_message") or "The order was denied",
                error=order.get("error"),
                side=sized.side.value,
                quantity=sized.quantity,
                order=order,
            )
        return _Outcome(
            "executed", sized.reason, sized.reason_en, side=sized.side.value, quantity=sized.quantity, order=order
        )

    def _price(self, request: SignalRequest, instrument: Instrument, side: Side) -> Decimal:
        """The limit price: the signal's (rounded to the tick, buys down, sells up) or the cage base."""
        tick = price_tick(instrument)
        if request.price is not None:
            rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
            return (request.price / tick).to_integral_value(rounding=rounding) * tick
        quote = self.market.quote(instrument.code)
        if quote is None:
            raise OrderDenied(
                "MARKET_CLOSED",
                f"{instrument.code} 暂无行情，无法为信号定价",
                f"No quote for {instrument.code}; the signal cannot be priced",
            )
        book = quote.book_view().cage_book()
        chosen = book.buy_base() if side is Side.BUY else book.sell_base()
        if quote.limit_up is not None:
            chosen = min(chosen, quote.limit_up)
        if quote.limit_down is not None:
            chosen = max(chosen, quote.limit_down)
        return chosen

    @staticmethod
    def _denied(refused: DeskError, side: Side, *, with_order: bool = True) -> _Outcome:
        order = refused.data.get("order") if with_order and isinstance(refused.data, dict) else None
        return _Outcome(
            "denied",
            refused.message_zh,
            refused.message_en,
            error=refused.code,
            side=side.value,
            quantity=order.get("quantity") if order else None,
            order=order,
        )

    # ------------------------------------------------------------------------------ replays
    async def _replay(self, row: SignalRow, digest: str, lang: str) -> dict[str, Any]:
        if row.payload_hash != digest:
            raise DuplicateSignalId(row.signal_id, await asyncio.to_thread(self._view, row.id))
        view = await asyncio.to_thread(self._count_replay, row.id)
        self._publish({**view, "decision": "duplicate", "original_decision": view["decision"]})
        return self._answer(view, "duplicate", lang)

    async def _wait_decided(self, signal_id: str) -> SignalRow:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PENDING_WAIT_SECONDS
        while True:
            row = await asyncio.to_thread(self._find, signal_id)
            if row is None:  # pragma: no cover - the claim that beat us is committed
                raise RuntimeError(f"signal {signal_id} vanished")
            if row.decision != "pending" or loop.time() >= deadline:
                return row
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------------------ answers and events
    @staticmethod
    def _answer(view: dict[str, Any], decision: str, lang: str) -> dict[str, Any]:
        answer = {
            "signal_id": view["signal_id"],
            "decision": decision,
            "reason": view["decision_reason_en"] if lang.startswith("en") else view["decision_reason"],
            "error": view["error"],
            "stock_code": view["stock_code"],
            "action": view["action"],
            "side": view["side"],
            "quantity": view["quantity"],
            "order": view["order"],
        }
        if decision == "duplicate":
            answer["original_decision"] = view["decision"]
        return answer

    def _publish(self, view: dict[str, Any]) -> None:
        self.bus.publish(Event(STREAM, view, self.clock.now(), account_id=self.account_id))

    # ------------------------------------------------------------------------------ database (worker threads)
    def _find(self, signal_id: str) -> SignalRow | None:
        with self.session_factory() as session:
            row = session.scalar(
                select(SignalRow).where(SignalRow.account_id == self.account_id, SignalRow.signal_id == signal_id)
            )
            if row is not None:
                session.expunge(row)
            return row

    def _sent_before(self, signal_id: str) -> _Outcome | None:
        """The decision a resumed claim had reached, when its order exists; ``None`` when none was made."""
        with self.session_factory() as session:
            row = session.scalar(
                select(OrderRow).where(
                    OrderRow.account_id == self.account_id,
                    OrderRow.client_order_id == f"{CLIENT_ID_PREFIX}{signal_id}",
                )
            )
            if row is None:
                return None
            view = order_view(row)
        if row.status == "denied":
            message = row.error_message or "委托被拒绝"
            return _Outcome(
                "denied", message, message, error=row.error, side=row.side, quantity=row.quantity, order=view
            )
        return _Outcome(
            "executed",
            f"恢复中断的信号决策：委托 {row.id} 已提交（{row.side} {row.quantity} 股）",
            f"Resumed an interrupted decision: order {row.id} had been sent ({row.side} {row.quantity})",
            side=row.side,
            quantity=row.quantity,
            order=view,
        )

    def _claim(
        self, request: SignalRequest, fields: dict[str, Any], digest: str, source: str, user_id: int | None
    ) -> int | None:
        """Insert the signal as ``pending``; ``None`` when a concurrent insert of the same id won."""
        row = SignalRow(
            account_id=self.account_id,
            signal_id=request.signal_id,
            stock_code=fields["stock_code"],
            action=request.action.value,
            strategy_name=request.strategy_name,
            confidence=request.confidence,
            price=request.price,
            sizing_method=fields["sizing_method"],
            sizing_value=fields["sizing_value"],
            expires_at=_aware(request.expires_at),
            reason=request.reason,
            source=source,
            decision="pending",
            decision_reason="",
            decision_reason_en="",
            user_id=user_id,
            payload_hash=digest,
            replays=0,
            created_at=self.clock.now(),
        )
        try:
            with unit_of_work(self.session_factory) as session:
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            return None

    def _record(self, row_id: int, outcome: _Outcome) -> dict[str, Any]:
        with unit_of_work(self.session_factory) as session:
            row = session.get(SignalRow, row_id)
            assert row is not None
            row.decision = outcome.decision
            row.decision_reason = outcome.reason
            row.decision_reason_en = outcome.reason_en
            row.error = outcome.error
            row.side = outcome.side
            row.quantity = outcome.quantity
            row.order_id = outcome.order["order_id"] if outcome.order else None
            row.decided_at = self.clock.now()
            session.flush()
            return signal_view(row, outcome.order)

    def _count_replay(self, row_id: int) -> dict[str, Any]:
        with unit_of_work(self.session_factory) as session:
            session.execute(update(SignalRow).where(SignalRow.id == row_id).values(replays=SignalRow.replays + 1))
        return self._view(row_id)

    def _view(self, row_id: int) -> dict[str, Any]:
        with self.session_factory() as session:
            row = session.get(SignalRow, row_id)
            assert row is not None
            order = session.get(OrderRow, row.order_id) if row.order_id is not None else None
            return signal_view(row, order_view(order) if order is not None else None)

    # ------------------------------------------------------------------------------ listing
    def list(
        self,
        page: int = 1,
        page_size: int = 20,
        *,
        strategy_name: str | None = None,
        stock_code: str | None = None,
        decisions: list[str] | None = None,
        source: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Signals newest first with their orders, and the total count, filtered."""
        query = select(SignalRow).where(SignalRow.account_id == self.account_id)
        if strategy_name is not None:
            query = query.where(SignalRow.strategy_name == strategy_name)
        if stock_code:
            query = query.where(SignalRow.stock_code == classify(stock_code).code)
        if decisions:
            unknown = sorted(set(decisions) - set(DECISIONS))
            if unknown:
                raise invalid_signal(
                    f"未知的信号决策：{', '.join(unknown)}", f"Unknown decision: {', '.join(unknown)}", "decision"
                )
            query = query.where(SignalRow.decision.in_(decisions))
        if source:
            query = query.where(SignalRow.source == source)
        with self.session_factory() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(
                session.scalars(query.order_by(SignalRow.id.desc()).offset((page - 1) * page_size).limit(page_size))
            )
            ids = [r.order_id for r in rows if r.order_id is not None]
            orders = {o.id: order_view(o) for o in session.scalars(select(OrderRow).where(OrderRow.id.in_(ids)))}
            return [signal_view(r, orders.get(r.order_id) if r.order_id else None) for r in rows], total

    def get(self, signal_id: str) -> dict[str, Any] | None:
        """One stored signal with its order, or ``None``."""
        row = self._find(signal_id)
        return self._view(row.id) if row is not None else None


__all__ = [
    "DuplicateSignalId",
    "SignalRequest",
    "SignalService",
    "signal_view",
]
