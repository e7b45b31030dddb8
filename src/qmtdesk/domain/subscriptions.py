"""New-issue subscription (新股/新债申购) and reverse repo (逆回购): what to send, how much, and why not.

Pure rules over what the broker lists. :func:`plan_issues` judges each issue of the day — subscribe,
or skip with a stable reason — and sizes a subscription: the issue's maximum, capped by the
account's quota for the issue's market (stocks), rounded down to the issue's unit (its minimum
purchase). :func:`plan_repo` sizes repo lending: the idle cash above what is kept, in whole
1,000 CNY lots (10 units of 100 CNY), at the market rate or a floor.

Facts used (reference: exchange rules; MiniQMT's ``query_ipo_data`` / ``query_new_purchase_limit``):

* SSE subscription codes are 7xxxxx (main-board shares 730/732/780, STAR 787/788, bonds
  733/754/783 and STAR bonds 718); SZSE shares subscribe under their own code (000–003 main board,
  300–302 ChiNext) and bonds under 070–073 / 370–371; BSE under 889xxx (before its code switch) or
  920xxx. A code of no known prefix, or whose prefix contradicts the type the broker gives, is
  skipped: sending it would be a guess.
* Share subscriptions draw on the market-value quota of their market (MiniQMT's keys ``SH``, ``SZ``,
  ``KCB`` for STAR; ``CYB`` for ChiNext where a broker reports it apart): the board's own key when
  the broker lists it, else the market's. Bond subscriptions need no quota (信用申购, up to the
  issue's maximum, 10,000 units). BSE subscriptions need the full amount in cash.
* Repo lending sells the repo code at an annual rate (a tick of 0.005 on SSE, 0.001 on SZSE) in
  units of 100 CNY, at least and in steps of 10 units; its commission grows with the tenor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Protocol

from qmtdesk.domain.errors import InvalidStockCode
from qmtdesk.domain.instruments import Kind, classify, normalize_code


class IssueLike(Protocol):
    """An issue as the broker lists it (``qmtdesk.brokers.base.IpoIssue``)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def min_quantity(self) -> int: ...
    @property
    def max_quantity(self) -> int: ...
    @property
    def purchase_date(self) -> str: ...
    @property
    def issue_price(self) -> Decimal: ...


class Skip(StrEnum):
    """Why an issue is not subscribed, or repo not lent (stable codes of the API's ``reason``)."""

    UNKNOWN_CODE = "UNKNOWN_CODE"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    INVALID_ISSUE = "INVALID_ISSUE"
    NOT_TODAY = "NOT_TODAY"
    BSE_EXCLUDED = "BSE_EXCLUDED"
    BONDS_EXCLUDED = "BONDS_EXCLUDED"
    NO_QUOTA = "NO_QUOTA"
    QUOTA_BELOW_MINIMUM = "QUOTA_BELOW_MINIMUM"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    ALREADY_SUBSCRIBED = "ALREADY_SUBSCRIBED"
    NO_IDLE_CASH = "NO_IDLE_CASH"
    ALREADY_LENT = "ALREADY_LENT"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    RISK_HALTED = "RISK_HALTED"
    RISK_REDUCE_ONLY = "RISK_REDUCE_ONLY"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


@dataclass(frozen=True, slots=True)
class IssueBoard:
    """Where an issue's code subscribes: exchange, board, stock or bond, and the quota keys it draws on."""

    exchange: str
    board: str
    kind: str  # "stock" | "bond"
    quota_keys: tuple[str, ...]


_SH_MAIN = IssueBoard("SH", "sse_main", "stock", ("SH",))
_STAR = IssueBoard("SH", "star", "stock", ("KCB", "SH"))
_SH_BOND = IssueBoard("SH", "sse_main", "bond", ())
_STAR_BOND = IssueBoard("SH", "star", "bond", ())
_SZ_MAIN = IssueBoard("SZ", "szse_main", "stock", ("SZ",))
_CHINEXT = IssueBoard("SZ", "chinext", "stock", ("CYB", "SZ"))
_SZ_BOND = IssueBoard("SZ", "szse_main", "bond", ())
_CHINEXT_BOND = IssueBoard("SZ", "chinext", "bond", ())
_BSE = IssueBoard("BJ", "bse", "stock", ())

#: (exchange, code prefix) -> board; the longest prefix wins.
ISSUE_PREFIXES: dict[tuple[str, str], IssueBoard] = {
    ("SH", "730"): _SH_MAIN,
    ("SH", "732"): _SH_MAIN,
    ("SH", "780"): _SH_MAIN,
    ("SH", "787"): _STAR,
    ("SH", "788"): _STAR,
    ("SH", "733"): _SH_BOND,
    ("SH", "754"): _SH_BOND,
    ("SH", "783"): _SH_BOND,
    ("SH", "718"): _STAR_BOND,
    ("SZ", "000"): _SZ_MAIN,
    ("SZ", "001"): _SZ_MAIN,
    ("SZ", "002"): _SZ_MAIN,
    ("SZ", "003"): _SZ_MAIN,
    ("SZ", "300"): _CHINEXT,
    ("SZ", "301"): _CHINEXT,
    ("SZ", "302"): _CHINEXT,
    ("SZ", "070"): _SZ_BOND,
    ("SZ", "071"): _SZ_BOND,
    ("SZ", "072"): _SZ_BOND,
    ("SZ", "073"): _SZ_BOND,
    ("SZ", "370"): _CHINEXT_BOND,
    ("SZ", "371"): _CHINEXT_BOND,
    ("BJ", "889"): _BSE,
    ("BJ", "920"): _BSE,
}
#: The broker's issue types and ours.
ISSUE_TYPES = {"STOCK": "stock", "BOND": "bond"}


def issue_board(code: str) -> IssueBoard | None:
    """The board a normalised subscription code belongs to, or None when no prefix is known."""
    digits, _, exchange = code.partition(".")
    best: IssueBoard | None = None
    best_len = 0
    for (ex, prefix), board in ISSUE_PREFIXES.items():
        if ex == exchange and digits.startswith(prefix) and len(prefix) > best_len:
            best, best_len = board, len(prefix)
    return best


def parse_purchase_date(text: str) -> date | None:
    """``YYYYMMDD`` (MiniQMT's form) or ``YYYY-MM-DD``; None when it is neither."""
    text = (text or "").strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class IssuePlan:
    """The decision on one issue: ``quantity`` > 0 and no ``reason`` when it is to be subscribed."""

    code: str  # normalised, or the broker's text when it cannot be read
    name: str
    kind: str  # "stock" | "bond" | the broker's type when unknown
    exchange: str | None
    board: str | None
    purchase_date: date | None
    purchase_date_text: str
    issue_price: Decimal
    min_quantity: int
    max_quantity: int
    quota_key: str | None
    quota: int | None
    quantity: int
    reason: Skip | None
    message_zh: str
    message_en: str

    @property
    def subscribe(self) -> bool:
        """Whether the issue is to be subscribed."""
        return self.reason is None

    @property
    def amount(self) -> Decimal:
        """What an allotment of the whole quantity would cost at the issue price."""
        return self.issue_price * self.quantity

    def skipped(self, reason: Skip, zh: str, en: str) -> IssuePlan:
        """The same issue, not sent for ``reason`` (a later check: already subscribed, halted…)."""
        return replace(self, reason=reason, message_zh=zh, message_en=en)


@dataclass(frozen=True)
class IssueOptions:
    """Which issues a run may subscribe."""

    include_bse: bool = False
    include_bonds: bool = True


def _round_down(quantity: int, unit: int) -> int:
    return quantity // unit * unit if unit > 0 else 0


def plan_issues(
    issues: Iterable[IssueLike],
    quota: Mapping[str, int],
    day: date,
    options: IssueOptions,
    cash: Decimal | None = None,
) -> list[IssuePlan]:
    """Judge every issue of ``day``; ``cash`` (available) sizes BSE subscriptions, which pay in full.

    Plans come sorted by code; a code listed twice is judged once."""
    quota = {str(k).upper(): int(v) for k, v in quota.items()}
    left = cash
    plans: list[IssuePlan] = []
    seen: set[str] = set()
    for issue in sorted(issues, key=lambda i: str(i.code)):
        plan = _plan_one(issue, quota, day, options, left)
        if plan.code in seen:
            continue
        seen.add(plan.code)
        if plan.subscribe and plan.exchange == "BJ" and left is not None:
            left -= plan.amount
        plans.append(plan)
    return plans


def _plan_one(
    issue: IssueLike, quota: Mapping[str, int], day: date, options: IssueOptions, cash: Decimal | None
) -> IssuePlan:
    raw = str(issue.code or "").strip()
    kind_text = str(issue.kind or "").strip().upper()
    price = issue.issue_price if isinstance(issue.issue_price, Decimal) else Decimal(str(issue.issue_price))
    purchase = parse_purchase_date(issue.purchase_date)
    unit, most = int(issue.min_quantity or 0), int(issue.max_quantity or 0)
    code, board = raw, None
    quota_key: str | None = None
    limit: int | None = None

    def plan(quantity: int, reason: Skip | None, zh: str, en: str) -> IssuePlan:
        return IssuePlan(
            code=code,
            name=str(issue.name or ""),
            kind=ISSUE_TYPES.get(kind_text, kind_text.lower()),
            exchange=board.exchange if board is not None else None,
            board=board.board if board is not None else None,
            purchase_date=purchase,
            purchase_date_text=str(issue.purchase_date or ""),
            issue_price=price,
            min_quantity=unit,
            max_quantity=most,
            quota_key=quota_key,
            quota=limit,
            quantity=quantity,
            reason=reason,
            message_zh=zh,
            message_en=en,
        )

    def skip(reason: Skip, zh: str, en: str) -> IssuePlan:
        return plan(0, reason, zh, en)

    try:
        code = normalize_code(raw)
    except InvalidStockCode:
        return skip(Skip.UNKNOWN_CODE, f"无法识别的申购代码 {raw!r}", f"Unreadable subscription code {raw!r}")
    if kind_text not in ISSUE_TYPES:
        return skip(
            Skip.UNSUPPORTED_TYPE,
            f"不支持的品种类型 {kind_text or '（空）'}",
            f"Unsupported issue type {kind_text or '(empty)'}",
        )
    found = issue_board(code)
    if found is None or found.kind != ISSUE_TYPES[kind_text]:
        return skip(
            Skip.UNKNOWN_CODE,
            f"未知的申购代码 {code}（类型 {kind_text}），不作猜测",
            f"Unknown subscription code {code} (type {kind_text}); not guessed",
        )
    board = found
    if unit <= 0 or most < unit or price <= 0:
        return skip(
            Skip.INVALID_ISSUE,
            "发行数据不完整（申购单位、上限或发行价无效）",
            "Incomplete issue data (unit, maximum or issue price)",
        )
    if purchase is None:
        return skip(
            Skip.INVALID_ISSUE,
            f"申购日期无法识别：{issue.purchase_date!r}",
            f"Unreadable purchase date {issue.purchase_date!r}",
        )
    if purchase != day:
        return skip(Skip.NOT_TODAY, f"申购日为 {purchase}，不是今天", f"Purchase date is {purchase}, not today")
    if board.exchange == "BJ" and not options.include_bse:
        return skip(
            Skip.BSE_EXCLUDED,
            "北交所新股默认不申购（需全额资金；QMTDESK_IPO_INCLUDE_BSE 开启）",
            "BSE issues are excluded by default (they freeze the full amount; see QMTDESK_IPO_INCLUDE_BSE)",
        )
    if board.kind == "bond" and not options.include_bonds:
        return skip(
            Skip.BONDS_EXCLUDED, "新债申购已关闭（QMTDESK_IPO_INCLUDE_BONDS）", "Bond subscriptions are switched off"
        )
    if board.kind == "bond":
        quantity = _round_down(most, unit)
    elif board.exchange == "BJ":
        affordable = int(cash // price) if cash is not None and cash > 0 else 0
        quantity = _round_down(min(most, affordable), unit)
        if quantity < unit:
            return skip(
                Skip.INSUFFICIENT_FUNDS,
                f"北交所申购需全额资金，可用资金不足一个申购单位（{unit} 股 × {price}）",
                f"BSE subscriptions pay in full: cash is short of one unit ({unit} × {price})",
            )
    else:
        quota_key = next((k for k in board.quota_keys if k in quota), board.quota_keys[0])
        limit = quota.get(quota_key, 0)
        if limit <= 0:
            return skip(Skip.NO_QUOTA, f"{quota_key} 市场无申购额度", f"No subscription quota for market {quota_key}")
        quantity = _round_down(min(most, limit), unit)
        if quantity < unit:
            return skip(
                Skip.QUOTA_BELOW_MINIMUM,
                f"{quota_key} 额度 {limit} 不足一个申购单位 {unit}",
                f"Quota {limit} of {quota_key} is below one unit of {unit}",
            )
    return plan(quantity, None, "申购", "subscribe")


# ---------------------------------------------------------------------------------------------- repo
#: Cash per repo unit (张), and units per lot (1,000 CNY): lending is in whole lots.
REPO_UNIT_CASH = Decimal(100)
REPO_LOT_UNITS = 10
REPO_TICK = {"SH": Decimal("0.005"), "SZ": Decimal("0.001")}
#: Tenor in days of each repo code, for its commission.
REPO_DAYS = {
    "204001": 1,
    "204002": 2,
    "204003": 3,
    "204004": 4,
    "204007": 7,
    "204014": 14,
    "204028": 28,
    "204091": 91,
    "204182": 182,
    "131810": 1,
    "131811": 2,
    "131800": 3,
    "131809": 4,
    "131801": 7,
    "131802": 14,
    "131803": 28,
    "131805": 91,
    "131806": 182,
}


def is_repo_code(code: str) -> bool:
    """Whether ``code`` (any spelling) is a pledged-bond repo code (SH 204xxx, SZ 131xxx)."""
    try:
        return classify(code).kind is Kind.REPO
    except InvalidStockCode:
        return False


def repo_fee_rate(code: str) -> Decimal:
    """The commission rate of lending through ``code`` by its tenor (0.001% a day up to 0.03%)."""
    days = REPO_DAYS.get(code[:6], 182)
    if days <= 4:
        return Decimal("0.00001") * days
    if days <= 7:
        return Decimal("0.00005")
    if days <= 14:
        return Decimal("0.0001")
    if days <= 28:
        return Decimal("0.0002")
    return Decimal("0.0003")


def repo_reserve(code: str, quantity: int) -> Decimal:
    """The cash lending ``quantity`` units through ``code`` takes: the amount and its commission."""
    amount = REPO_UNIT_CASH * quantity
    return (amount * (1 + repo_fee_rate(code))).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


@dataclass(frozen=True)
class RepoPlan:
    """Repo lending of idle cash: ``quantity`` units of 100 CNY at ``price`` (an annual rate, percent)."""

    code: str
    available_cash: Decimal
    keep_cash: Decimal
    quantity: int
    price: Decimal
    rate_source: str  # "quote" | "floor"
    reason: Skip | None
    message_zh: str
    message_en: str

    @property
    def lend(self) -> bool:
        """Whether to lend."""
        return self.reason is None

    @property
    def amount(self) -> Decimal:
        """The cash lent."""
        return REPO_UNIT_CASH * self.quantity

    @property
    def reserve(self) -> Decimal:
        """The cash the order takes: the amount and its commission."""
        return repo_reserve(self.code, self.quantity)

    def skipped(self, reason: Skip, zh: str, en: str) -> RepoPlan:
        """The same plan, not lent for ``reason``."""
        return replace(self, reason=reason, message_zh=zh, message_en=en)


def repo_price(code: str, market_rate: Decimal | None, floor: Decimal) -> tuple[Decimal, str]:
    """The rate to lend at: the market's (rounded down to the tick, so it trades) but never below the
    floor (rounded up to the tick); the floor alone without a market rate."""
    tick = REPO_TICK.get(code.rpartition(".")[2], Decimal("0.001"))
    floor_rate = (floor / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    if market_rate is not None and market_rate > 0:
        market = (market_rate / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
        if market >= floor_rate:
            return market, "quote"
    return max(floor_rate, tick), "floor"


def plan_repo(
    code: str, available_cash: Decimal, keep_cash: Decimal, market_rate: Decimal | None, floor: Decimal
) -> RepoPlan:
    """Lend what is idle above ``keep_cash`` in whole 1,000 CNY lots (its commission left in cash)."""
    price, source = repo_price(code, market_rate, floor)
    idle = available_cash - keep_cash
    fee = repo_fee_rate(code)
    lot_cash = REPO_UNIT_CASH * REPO_LOT_UNITS
    lots = int(idle // lot_cash) if idle > 0 else 0
    while lots > 0 and lot_cash * lots * (1 + fee) > idle:
        lots -= 1
    if lots <= 0:
        return RepoPlan(
            code,
            available_cash,
            keep_cash,
            quantity=0,
            price=price,
            rate_source=source,
            reason=Skip.NO_IDLE_CASH,
            message_zh=f"可用资金 {available_cash:.2f} 扣除保留 {keep_cash:.2f} 后不足 1000 元",
            message_en=f"Available cash {available_cash:.2f} less {keep_cash:.2f} kept is under 1,000",
        )
    quantity = lots * REPO_LOT_UNITS
    return RepoPlan(
        code,
        available_cash,
        keep_cash,
        quantity=quantity,
        price=price,
        rate_source=source,
        reason=None,
        message_zh=f"逆回购 {REPO_UNIT_CASH * quantity:.0f} 元，年化 {price}%",
        message_en=f"Lend {REPO_UNIT_CASH * quantity:.0f} CNY at {price}%",
    )
