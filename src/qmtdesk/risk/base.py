"""What a risk rule is: its id, defaults, parameter types and a check over risk facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.fees import Side
from qmtdesk.domain.instruments import classify


@dataclass(slots=True)  # made for every order: a frozen dataclass is ~8x slower to create
class OrderCheck:
    """The order under review, as the risk rules see it."""

    order_id: int
    stock_code: str
    side: Side
    quantity: int
    price: Decimal  # the price the order may trade at (limit, protective price or last)
    strategy_name: str
    is_st: bool
    last_price: Decimal | None
    position_volume: int  # shares held now
    price_type: str = "limit"
    order_price: Decimal | None = None  # the price as entered (None for SZ market orders)

    @property
    def value(self) -> Decimal:
        """Price × quantity."""
        return self.price * self.quantity

    @property
    def reduces_position(self) -> bool:
        """A sell of shares held: never blocked by buy-side limits."""
        return self.side is Side.SELL and self.quantity <= self.position_volume


class RiskFacts(Protocol):
    """What rules may ask about the account: answered from memory (the engine's counters, the
    broker's latest account view), so a check never waits."""

    def total_asset(self) -> Decimal: ...

    def position_value(self, stock_code: str) -> Decimal: ...

    def holdings(self) -> set[str]: ...

    def day_pnl(self) -> tuple[Decimal, Decimal]:
        """(today's P&L, the asset it is measured from)."""
        ...

    def orders_since(self, since: datetime, strategy: str | None) -> int: ...

    def cancels_since(self, since: datetime, strategy: str | None) -> int: ...

    def active_orders(self, strategy: str | None) -> int: ...

    def buy_turnover_today(self, strategy: str | None) -> Decimal: ...

    def same_orders_since(self, since: datetime, check: OrderCheck, strategy: str | None) -> int: ...


@dataclass(slots=True)  # made for every order: a frozen dataclass is ~8x slower to create
class Denial:
    """Why a rule refuses the order."""

    message_zh: str
    message_en: str
    detail: dict[str, Any] = field(default_factory=dict)


Check = Callable[[OrderCheck, dict[str, Any], RiskFacts, datetime, str | None], Denial | None]


@dataclass(frozen=True, slots=True)
class Param:
    """A rule parameter: name, kind and whether it must be given."""

    name: str
    kind: str  # money | fraction | count | seconds | codes | bool
    description: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One risk rule."""

    id: str
    title_zh: str
    description: str
    params: tuple[Param, ...]
    defaults: dict[str, Any]
    enabled_by_default: bool
    buy_side_only: bool
    check: Check
    #: The denial code when it is not ``RISK_`` + the id in upper case (API.md names it).
    denial_code: str | None = None

    @property
    def code(self) -> str:
        """The denial code: ``RISK_`` + the rule id in upper case, unless the rule names its own."""
        return self.denial_code or "RISK_" + self.id.upper()


def invalid_params(rule: str, name: str, why_zh: str, why_en: str) -> DeskError:
    """422 VALIDATION_ERROR naming the bad parameter."""
    return DeskError(
        "VALIDATION_ERROR",
        f"风控规则 {rule} 的参数 {name} 无效：{why_zh}",
        f"Invalid parameter {name} of risk rule {rule}: {why_en}",
        http_status=422,
        data={"fields": [{"field": f"params.{name}", "message": why_en}]},
    )


def clean_params(spec: RuleSpec, given: dict[str, Any], stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``given`` against the rule's parameters; return JSON-ready values (money as strings).

    ``stored`` fills what ``given`` leaves out: values accepted when they were saved stay as they are
    even if a later, stricter check would refuse them, so changing one parameter never fails on another."""
    kept = {k: v for k, v in (stored or {}).items() if k not in given}
    unknown = set(given) - {p.name for p in spec.params}
    if unknown:
        name = sorted(unknown)[0]
        raise invalid_params(spec.id, name, "未知参数", "unknown parameter")
    out: dict[str, Any] = {}
    for param in spec.params:
        if param.name in kept:
            try:
                out[param.name] = None if kept[param.name] is None else _clean(spec.id, param, kept[param.name])
            except DeskError:
                out[param.name] = kept[param.name]
            continue
        value = given.get(param.name, spec.defaults.get(param.name))
        if value is None:
            if param.required:
                raise invalid_params(spec.id, param.name, "必填", "required")
            out[param.name] = None
            continue
        out[param.name] = _clean(spec.id, param, value)
    return out


def _clean(rule: str, param: Param, value: Any) -> Any:
    if param.kind in ("money", "fraction"):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise invalid_params(rule, param.name, "须为数字", "must be a number") from None
        if not number.is_finite() or number < 0:
            raise invalid_params(rule, param.name, "须为非负数", "must be a non-negative number")
        if param.kind == "fraction" and number > 1:
            raise invalid_params(rule, param.name, "须为0到1之间的小数（如 0.2 表示 20%）", "must be a fraction 0..1")
        if number >= 10**15:
            raise invalid_params(rule, param.name, "超出范围", "out of range")
        return format(number, "f")  # "1e6" reads back as "1000000", as every decimal in the API
    if param.kind in ("count", "seconds"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise invalid_params(rule, param.name, "须为正整数", "must be a positive integer")
        try:
            number_i = int(value)
        except ValueError:
            raise invalid_params(rule, param.name, "须为正整数", "must be a positive integer") from None
        if number_i < (0 if param.kind == "count" else 1) or number_i > 10**9:
            raise invalid_params(rule, param.name, "超出范围", "out of range")
        return number_i
    if param.kind == "codes":
        if not isinstance(value, list):
            raise invalid_params(rule, param.name, "须为代码列表", "must be a list of codes")
        try:
            return sorted({classify(str(code)).code for code in value})
        except DeskError as exc:
            raise invalid_params(rule, param.name, exc.message_zh, exc.message_en) from None
    if param.kind == "bool":
        if not isinstance(value, bool):
            raise invalid_params(rule, param.name, "须为 true/false", "must be true or false")
        return value
    raise AssertionError(param.kind)  # pragma: no cover


def money(params: dict[str, Any], name: str) -> Decimal | None:
    """A money or fraction parameter as Decimal."""
    value = params.get(name)
    return None if value is None else Decimal(str(value))
