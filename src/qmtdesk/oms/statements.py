"""Daily statements (交割单): every fill with its fees and net cash, and each stock's shares balanced.

The fills come from the ledger's ``trades``. A stock's closing holding at the end of the range is
worked back from what the broker holds now (minus later buys, plus later sales); its opening holding
is worked forward from every fill the ledger has before the range. ``balanced`` says whether the
two meet — opening + bought − sold = closing — which fails when the account held shares the ledger
never saw bought (an account connected with holdings), and so is a real check, not arithmetic.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.oms.views import money, trade_view
from qmtdesk.store.tables.orders import TradeRow

ZERO = Decimal(0)

#: Statement columns as a broker's 交割单 names them, for CSV and XLSX.
FILL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("trading_day", "成交日期"),
    ("traded_time", "成交时间"),
    ("stock_code", "证券代码"),
    ("stock_name", "证券名称"),
    ("side_label", "买卖标志"),
    ("price", "成交价格"),
    ("quantity", "成交数量"),
    ("amount", "成交金额"),
    ("commission", "佣金"),
    ("stamp_duty", "印花税"),
    ("transfer_fee", "过户费"),
    ("fees", "费用合计"),
    ("net_amount", "发生金额"),
    ("order_id", "委托编号"),
    ("broker_trade_id", "成交编号"),
    ("strategy_name", "策略"),
)
POSITION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stock_code", "证券代码"),
    ("stock_name", "证券名称"),
    ("opening", "期初数量"),
    ("bought", "买入数量"),
    ("sold", "卖出数量"),
    ("closing", "期末数量"),
    ("balanced", "核对"),
)
SIDE_LABELS = {"buy": "证券买入", "sell": "证券卖出"}


@dataclass
class _Shares:
    before: int = 0  # net shares bought before the range
    bought: int = 0
    sold: int = 0
    after: int = 0  # net shares bought after the range
    name: str = ""


@dataclass
class Statement:
    """One account's statement over ``[first, last]``."""

    account_id: str
    first: date
    last: date
    fills: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """The JSON of ``GET /reports/statement``."""
        totals = _totals(self.fills)
        return {
            "account_id": self.account_id,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "fills": self.fills,
            "days": self.days,
            "positions": self.positions,
            "totals": totals,
            "balanced": all(p["balanced"] for p in self.positions),
        }


def _net(t: TradeRow) -> Decimal:
    fees = t.commission + t.stamp_duty + t.transfer_fee
    return -(t.amount + fees) if t.side == "buy" else t.amount - fees


def _totals(fills: Iterable[dict[str, Any]]) -> dict[str, str | None]:
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in fills:
        sums[f"{f['side']}_amount"] += Decimal(f["amount"])
        for key in ("commission", "stamp_duty", "transfer_fee", "fees", "net_amount"):
            sums[key] += Decimal(f[key])
    keys = ("buy_amount", "sell_amount", "commission", "stamp_duty", "transfer_fee", "fees", "net_amount")
    return {key: money(sums[key]) for key in keys}


def build_statement(
    session_factory: sessionmaker[Session],
    account_id: str,
    first: date,
    last: date,
    holdings: Mapping[str, int],
) -> Statement:
    """The statement of ``account_id`` from ``first`` to ``last``; ``holdings`` = shares held now by code."""
    with session_factory() as session:
        rows = session.scalars(
            select(TradeRow).where(TradeRow.account_id == account_id).order_by(TradeRow.traded_at, TradeRow.id)
        ).all()
    shares: dict[str, _Shares] = defaultdict(_Shares)
    statement = Statement(account_id, first, last)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for t in rows:
        s = shares[t.stock_code]
        s.name = t.stock_name or s.name
        signed = t.quantity if t.side == "buy" else -t.quantity
        if t.trading_day < first:
            s.before += signed
        elif t.trading_day > last:
            s.after += signed
        else:
            if t.side == "buy":
                s.bought += t.quantity
            else:
                s.sold += t.quantity
            fill = trade_view(t) | {
                "traded_time": t.traded_at.astimezone(SHANGHAI).strftime("%H:%M:%S"),
                "side_label": SIDE_LABELS[t.side],
                "net_amount": money(_net(t)),
            }
            statement.fills.append(fill)
            by_day[t.trading_day].append(fill)
    statement.days = [{"trading_day": d.isoformat(), **_totals(fills)} for d, fills in sorted(by_day.items())]
    for code in sorted(set(shares) | {c for c, v in holdings.items() if v}):
        s = shares[code]
        closing = holdings.get(code, 0) - s.after
        if not (s.bought or s.sold or closing or s.before):
            continue
        statement.positions.append(
            {
                "stock_code": code,
                "stock_name": s.name,
                "opening": s.before,
                "bought": s.bought,
                "sold": s.sold,
                "closing": closing,
                "balanced": s.before + s.bought - s.sold == closing,
            }
        )
    return statement


def statement_csv(statement: Statement) -> str:
    """The fills, then the holdings, as CSV with Chinese headers (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([title for _key, title in FILL_COLUMNS])
    for fill in statement.fills:
        writer.writerow([fill[key] for key, _title in FILL_COLUMNS])
    writer.writerow([])
    writer.writerow([title for _key, title in POSITION_COLUMNS])
    for p in statement.positions:
        writer.writerow([_cell(p[key]) for key, _title in POSITION_COLUMNS])
    return out.getvalue()


def statement_xlsx(statement: Statement) -> bytes:
    """The statement as an Excel workbook: sheets 交割单 (fills, with totals) and 持仓核对 (holdings)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    fills = book.active
    fills.title = "交割单"
    fills.append([title for _key, title in FILL_COLUMNS])
    numeric = {"price", "amount", "commission", "stamp_duty", "transfer_fee", "fees", "net_amount"}
    for fill in statement.fills:
        fills.append([Decimal(fill[k]) if k in numeric and fill[k] is not None else fill[k] for k, _t in FILL_COLUMNS])
    totals = statement.view()["totals"]
    fills.append([])
    fills.append(
        [
            "合计",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            *(Decimal(totals[k] or 0) for k in ("commission", "stamp_duty", "transfer_fee", "fees", "net_amount")),
        ]
    )
    holdings = book.create_sheet("持仓核对")
    holdings.append([title for _key, title in POSITION_COLUMNS])
    for p in statement.positions:
        holdings.append([_cell(p[key]) for key, _title in POSITION_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "平" if value else "不平"
    return value
