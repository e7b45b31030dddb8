"""Loading the xtquant SDK, and turning its objects into the desk's reports.

The package checks PyPI for updates when imported (a network call that stalls offline machines for
10 s); the import here makes that check fail fast, leaving the package itself untouched. Objects the
SDK pushes are native (pybind) objects: attributes are read by their documented plain names, never
by ``isinstance`` against ``xttype``.
"""

from __future__ import annotations

import importlib
import sys
import threading
import warnings
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

from qmtdesk.brokers.base import AccountReport, IpoIssue, OrderReport, PositionReport, TradeReport
from qmtdesk.brokers.xtquant.mapping import PRICE_TYPE_FROM_XT, STATUS_FROM_XT, side_of
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Side
from qmtdesk.domain.orders import OrderStatus

_import_lock = threading.Lock()


def load_sdk() -> tuple[ModuleType, ModuleType]:
    """``(xttrader, xttype)`` of the installed xtquant package, without its update check."""
    with _import_lock:
        if "xtquant.xttrader" not in sys.modules:
            saved = sys.modules.get("requests", ...)
            sys.modules["requests"] = None  # type: ignore[assignment]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    importlib.import_module("xtquant")
            finally:
                if saved is ...:
                    sys.modules.pop("requests", None)
                else:
                    sys.modules["requests"] = saved  # type: ignore[assignment]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            xttrader = importlib.import_module("xtquant.xttrader")
            xttype = importlib.import_module("xtquant.xttype")
    return xttrader, xttype


def _get(obj: Any, name: str, default: Any = None) -> Any:
    value = getattr(obj, name, default)
    return default if value is None else value


def _decimal(value: Any) -> Decimal:
    """A float from the SDK as an exact-enough decimal (via its shortest repr)."""
    if value is None:
        return Decimal(0)
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)


def _price(value: Any) -> Decimal | None:
    d = _decimal(value)
    return d.quantize(Decimal("0.001")).normalize() if d > 0 else None


def _time(epoch: Any, fallback: datetime) -> datetime:
    try:
        seconds = int(epoch)
    except (TypeError, ValueError):
        return fallback
    if seconds <= 0:
        return fallback
    if seconds > 10**11:  # milliseconds
        seconds //= 1000
    return datetime.fromtimestamp(seconds, SHANGHAI)


def order_report(o: Any, now: datetime) -> OrderReport:
    """An ``XtOrder`` as the desk's order report."""
    code = int(_get(o, "order_status", 255))
    status = STATUS_FROM_XT.get(code, OrderStatus.UNKNOWN)
    filled = int(_get(o, "traded_volume", 0))
    traded_price = _price(_get(o, "traded_price", 0))
    return OrderReport(
        broker_order_id=str(_get(o, "order_id", "")),
        ref=str(_get(o, "order_remark", "")) or None,
        stock_code=str(_get(o, "stock_code", "")),
        side=side_of(_get(o, "order_type"), _get(o, "offset_flag")) or Side.BUY,
        price_type=PRICE_TYPE_FROM_XT.get(int(_get(o, "price_type", 49))),
        price=_price(_get(o, "price", 0)),
        quantity=int(_get(o, "order_volume", 0)),
        filled_quantity=filled,
        avg_fill_price=traded_price if filled else None,
        status=status,
        status_code=code,
        status_msg=str(_get(o, "status_msg", "")),
        time=_time(_get(o, "order_time"), now),
        broker_sysid=str(_get(o, "order_sysid", "")) or None,
        strategy_name=str(_get(o, "strategy_name", "")),
    )


def trade_id(t: Any, day: date) -> str:
    """A fill's id unique per account: exchange trade numbers repeat across days and exchanges."""
    return f"{day:%Y%m%d}:{_get(t, 'order_id', '')}:{_get(t, 'traded_id', '')}"


def trade_report(t: Any, now: datetime) -> TradeReport:
    """An ``XtTrade`` as the desk's fill. Its ``commission`` is every fee the counter charged."""
    when = _time(_get(t, "traded_time"), now)
    price = _decimal(_get(t, "traded_price", 0))
    quantity = int(_get(t, "traded_volume", 0))
    amount = _decimal(_get(t, "traded_amount", 0)) or price * quantity
    return TradeReport(
        broker_trade_id=trade_id(t, when.date()),
        broker_order_id=str(_get(t, "order_id", "")),
        ref=str(_get(t, "order_remark", "")) or None,
        stock_code=str(_get(t, "stock_code", "")),
        side=side_of(_get(t, "order_type"), _get(t, "offset_flag")) or Side.BUY,
        price=price,
        quantity=quantity,
        amount=amount.quantize(Decimal("0.01")),
        commission=_decimal(_get(t, "commission", 0)).quantize(Decimal("0.01")),
        stamp_duty=Decimal(0),
        transfer_fee=Decimal(0),
        time=when,
        strategy_name=str(_get(t, "strategy_name", "")),
    )


def position_report(p: Any) -> PositionReport:
    """An ``XtPosition`` as the desk's position."""
    open_date = str(_get(p, "open_date", "") or "")
    opened = None
    if len(open_date) == 8 and open_date.isdigit():
        opened = datetime.strptime(open_date, "%Y%m%d").replace(tzinfo=SHANGHAI)
    avg = _decimal(_get(p, "avg_price", 0)) or _decimal(_get(p, "open_price", 0))
    return PositionReport(
        stock_code=str(_get(p, "stock_code", "")),
        volume=int(_get(p, "volume", 0)),
        can_use_volume=int(_get(p, "can_use_volume", 0)),
        frozen_volume=int(_get(p, "frozen_volume", 0)),
        yesterday_volume=int(_get(p, "yesterday_volume", 0)),
        avg_price=avg.quantize(Decimal("0.0001")),
        opened_on=opened,
    )


def account_report(a: Any, account_id: str, account_type: str, now: datetime) -> AccountReport:
    """An ``XtAsset`` as the desk's account report (``fetch_balance`` is 可取)."""
    cash = _decimal(_get(a, "cash", 0))
    frozen = _decimal(_get(a, "frozen_cash", 0))
    market_value = _decimal(_get(a, "market_value", 0))
    total = _decimal(_get(a, "total_asset", 0)) or cash + frozen + market_value
    return AccountReport(
        account_id=account_id,
        account_type=account_type,
        cash=cash,
        frozen_cash=frozen,
        market_value=market_value,
        total_asset=total,
        withdrawable=_decimal(_get(a, "fetch_balance", 0)),
        time=now,
    )


def _field(obj: Any, native: str, plain: str, default: Any) -> Any:
    """A field of a native object by its ``m_`` name (what xttrader reads), else its plain name."""
    value = getattr(obj, native, None)
    if value is None:
        value = getattr(obj, plain, None)
    return default if value is None else value


def ipo_issue(item: Any) -> IpoIssue:
    """An ``IPOData`` of ``query_ipo_data`` as the desk's issue (the fields xttrader itself reads)."""
    price = _decimal(_field(item, "m_dIssuePrice", "issue_price", 0))
    return IpoIssue(
        code=str(_field(item, "m_strIPOCode", "ipo_code", "")).strip(),
        name=str(_field(item, "m_strIPOName", "ipo_name", "")).strip(),
        kind=str(_field(item, "m_strIPOType", "ipo_type", "")).strip().upper(),
        min_quantity=int(_field(item, "m_nMinPurchaseNum", "min_purchase_num", 0)),
        max_quantity=int(_field(item, "m_nMaxPurchaseNum", "max_purchase_num", 0)),
        purchase_date=str(_field(item, "m_strPurchaseDate", "purchase_date", "")).strip(),
        issue_price=price.quantize(Decimal("0.001")) if price > 0 else Decimal(0),
    )


def purchase_limits(items: Any) -> dict[str, int]:
    """``NewPurchaseLimitInfo`` items of ``query_new_purchase_limit`` as ``{key: shares}``."""
    out: dict[str, int] = {}
    for item in items or []:
        key = str(_field(item, "m_strNewPurchaseLimitKey", "new_purchase_limit_key", "")).strip().upper()
        if key:
            out[key] = int(_field(item, "m_nNewPurchaseLimitValue", "new_purchase_limit_value", 0))
    return out
