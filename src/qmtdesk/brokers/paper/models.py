"""The paper exchange's own records: its orders and fills, as a broker's counter keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from qmtdesk.brokers.base import OrderReport, TradeReport
from qmtdesk.brokers.codes import BROKER_STATUS_NAMES, BrokerStatus
from qmtdesk.domain.fees import NO_FEES, ZERO, Fees, Side
from qmtdesk.domain.orders import TERMINAL, OrderStatus
from qmtdesk.domain.rules import PriceType


@dataclass
class PaperOrder:
    """One order on the paper counter.

    ``limit_price`` is the price it rests at once it is on the book (a market order converted to a
    limit gets one); ``protect`` bounds the fills of SH/BJ market orders.
    """

    order_id: int
    ref: str | None
    stock_code: str
    side: Side
    price_type: PriceType
    quantity: int
    price: Decimal | None
    limit_price: Decimal | None
    protect: Decimal | None
    trading_day: date
    created_at: datetime
    updated_at: datetime
    strategy_name: str = ""
    filled: int = 0
    filled_amount: Decimal = ZERO
    fees: Fees = NO_FEES
    frozen_cash: Decimal = ZERO
    status: OrderStatus = OrderStatus.SUBMITTED
    status_code: int = BrokerStatus.UNREPORTED
    status_msg: str = ""
    error_code: str | None = None
    queued: bool = False  # held by the broker until the exchange accepts orders again
    cancel_pending: bool = False

    @cached_property
    def sysid(self) -> str:
        """The exchange contract number (合同编号)."""
        day = self.trading_day
        return f"P{day.year % 100:02d}{day.month:02d}{day.day:02d}{self.order_id:08d}"

    @property
    def remaining(self) -> int:
        """Shares still to fill."""
        return self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        """Not in a terminal status."""
        return self.status not in TERMINAL

    @property
    def avg_fill_price(self) -> Decimal | None:
        """Volume-weighted fill price, or ``None`` before the first fill."""
        if self.filled == 0:
            return None
        return (self.filled_amount / self.filled).quantize(Decimal("0.0001"))

    def set_status(self, status: OrderStatus, code: int, msg: str = "", now: datetime | None = None) -> None:
        """Record a new status and its broker code."""
        self.status = status
        self.status_code = code
        self.status_msg = msg or BROKER_STATUS_NAMES.get(code, "")
        if now is not None:
            self.updated_at = now

    def report(self) -> OrderReport:
        """The order as the broker reports it."""
        return OrderReport(
            broker_order_id=str(self.order_id),
            ref=self.ref,
            stock_code=self.stock_code,
            side=self.side,
            price_type=self.price_type,
            price=self.price,
            quantity=self.quantity,
            filled_quantity=self.filled,
            avg_fill_price=self.avg_fill_price,
            status=self.status,
            status_code=self.status_code,
            status_msg=self.status_msg,
            time=self.updated_at,
            broker_sysid=self.sysid,
            error_code=self.error_code,
            strategy_name=self.strategy_name,
        )


@dataclass
class PaperTrade:
    """One fill on the paper counter."""

    trade_id: int
    order_id: int
    ref: str | None
    stock_code: str
    side: Side
    price: Decimal
    quantity: int
    fees: Fees
    time: datetime
    trading_day: date
    strategy_name: str = ""
    realized_pnl: Decimal = field(default=ZERO)

    @property
    def amount(self) -> Decimal:
        """Traded value."""
        return self.price * self.quantity

    def report(self) -> TradeReport:
        """The fill as the broker reports it."""
        return TradeReport(
            broker_trade_id=f"T{self.trading_day.year % 100:02d}{self.trading_day.month:02d}"
            f"{self.trading_day.day:02d}{self.trade_id:08d}",
            broker_order_id=str(self.order_id),
            ref=self.ref,
            stock_code=self.stock_code,
            side=self.side,
            price=self.price,
            quantity=self.quantity,
            amount=self.amount,
            commission=self.fees.commission,
            stamp_duty=self.fees.stamp_duty,
            transfer_fee=self.fees.transfer_fee,
            time=self.time,
            strategy_name=self.strategy_name,
        )
