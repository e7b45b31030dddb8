"""The strategy interface: what a built-in strategy is, what it says, and how one is made from params.

Strategies are pure: they import nothing from the web, the database or the broker, never read the
wall clock and do no I/O. The runtime feeds a strategy every quote of its stock with the current
position and time; the strategy answers with :class:`SignalIntent` objects, which the runtime turns
into signals through exactly the same path as ``POST /signals`` (sizing, validation, risk).

A strategy's memory (:meth:`Strategy.state`) is a JSON-serialisable dict, so the runtime can
persist it and :meth:`Strategy.restore` it after a restart.

Params arrive from the watchlist entry (``strategy: {type, params}``). :func:`make_strategy` checks
them against the strategy's :class:`ParamSpec` table and raises :class:`StrategyError`
(``INVALID_STRATEGY_PARAMS`` or ``UNKNOWN_STRATEGY``, HTTP 422) naming the offending param.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from qmtdesk.domain.errors import DeskError, InvalidValue
from qmtdesk.domain.sizing import SignalAction, SizingMethod, check_sizing
from qmtdesk.market.quotes import Quote

#: The sizing methods a signal accepts (API.md, ``POST /signals``).
SIZING_METHODS = frozenset(method.value for method in SizingMethod)


@dataclass(frozen=True)
class SignalIntent:
    """What a strategy wants done; the runtime turns it into a signal.

    ``action`` is ``buy``, ``sell`` or ``close`` (sell the whole sellable position). ``price`` is a
    limit price, or ``None`` for the runtime's default pricing. ``sizing`` is a signal sizing
    ``{method, value}``, or ``None`` for the watchlist entry's sizing (``close`` needs none).
    ``reason`` is a zh-CN sentence with the numbers that triggered it.
    """

    action: Literal["buy", "sell", "close"]
    reason: str
    price: Decimal | None = None
    sizing: dict[str, Any] | None = None


@dataclass
class PositionView:
    """What a strategy sees of the position in its stock: shares held, shares sellable now, cost."""

    volume: int
    can_use_volume: int
    avg_price: Decimal


@runtime_checkable
class Strategy(Protocol):
    """A trading strategy for one stock, driven by quote snapshots."""

    type: ClassVar[str]

    def on_quote(self, quote: Quote, position: PositionView | None, now: datetime) -> list[SignalIntent]:
        """React to a new snapshot. ``position`` is ``None`` (or volume 0) when nothing is held."""
        ...

    def state(self) -> dict[str, Any]:
        """The strategy's memory as a JSON-serialisable dict."""
        ...

    def restore(self, state: dict[str, Any]) -> None:
        """Load memory saved by :meth:`state` (ignored when saved under different params)."""
        ...


class StrategyError(DeskError):
    """A strategy cannot be built: unknown type or bad params (HTTP 422)."""

    http_status = 422

    @classmethod
    def invalid_param(cls, strategy: str, param: str, why_zh: str, why_en: str) -> StrategyError:
        """``INVALID_STRATEGY_PARAMS`` naming ``param``."""
        return cls(
            "INVALID_STRATEGY_PARAMS",
            f"策略 {strategy} 的参数 {param} 无效：{why_zh}",
            f"Invalid parameter {param} of strategy {strategy}: {why_en}",
            data={"strategy": strategy, "param": param},
        )

    @classmethod
    def unknown_type(cls, strategy: str) -> StrategyError:
        """``UNKNOWN_STRATEGY`` for a type nobody registered."""
        known = ", ".join(sorted(STRATEGIES))
        return cls(
            "UNKNOWN_STRATEGY",
            f"未知的策略类型：{strategy!r}（可用：{known}）",
            f"Unknown strategy type: {strategy!r} (available: {known})",
            data={"strategy": strategy, "available": sorted(STRATEGIES)},
        )


# --------------------------------------------------------------------------------------------------
# Params


ParamKind = Literal["int", "decimal", "sizing"]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a strategy: its kind, default, bounds and a zh-CN description for the UI.

    ``kind`` is ``int``, ``decimal`` (accepts JSON numbers and decimal strings, held as ``Decimal``)
    or ``sizing`` (a signal sizing ``{method, value}``). Bounds ``gt``/``ge``/``lt``/``le`` apply
    to ``int`` and ``decimal``. A ``required`` param has no default; a ``nullable`` one accepts
    ``null``.
    """

    name: str
    kind: ParamKind
    default: Any
    description: str
    required: bool = False
    nullable: bool = False
    gt: Decimal | None = None
    ge: Decimal | None = None
    lt: Decimal | None = None
    le: Decimal | None = None

    def describe(self) -> dict[str, Any]:
        """The UI's view of this param (JSON-friendly: decimals as strings)."""
        return {
            "name": self.name,
            "type": self.kind,
            "default": to_json(self.default),
            "description": self.description,
            "required": self.required,
            "nullable": self.nullable,
        }


def to_json(value: Any) -> Any:
    """``value`` with decimals turned into strings, recursively (for state and descriptions)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = str(value)
    if isinstance(value, int | str | Decimal):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except (InvalidOperation, ValueError):
            return None
        return result if result.is_finite() else None
    return None


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = _to_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def parse_sizing(strategy: str, param: str, value: Any, action: str = "buy") -> dict[str, Any]:
    """Check a signal sizing ``{method, value}`` for ``action`` with the rules of :mod:`qmtdesk.domain.sizing`.

    Returns it normalised: ``quantity`` values as ``int``, the others as decimal strings.
    """
    if not isinstance(value, Mapping) or set(value) != {"method", "value"}:
        raise StrategyError.invalid_param(
            strategy, param, "应为 {method, value} 对象", "expected an object {method, value}"
        )
    method = value["method"]
    if method not in SIZING_METHODS:
        allowed = ", ".join(sorted(SIZING_METHODS))
        raise StrategyError.invalid_param(
            strategy, param, f"method 应为 {allowed} 之一", f"method must be one of {allowed}"
        )
    number = _to_decimal(value["value"])
    if number is None:
        raise StrategyError.invalid_param(strategy, param, "value 应为数字", "value must be a number")
    try:
        check_sizing(SignalAction(action), SizingMethod(method), number)
    except InvalidValue as exc:
        raise StrategyError.invalid_param(strategy, param, f"规模不可用（{exc.message_zh}）", str(exc)) from None
    if method == "quantity":
        return {"method": method, "value": int(number)}
    return {"method": method, "value": format(number, "f")}


def _check_bounds(strategy: str, spec: ParamSpec, number: Decimal) -> None:
    checks: tuple[tuple[Decimal | None, Callable[[Decimal], bool], str, str], ...] = (
        (spec.gt, lambda b: number > b, "大于", "greater than"),
        (spec.ge, lambda b: number >= b, "不小于", "at least"),
        (spec.lt, lambda b: number < b, "小于", "less than"),
        (spec.le, lambda b: number <= b, "不大于", "at most"),
    )
    for bound, ok, zh, en in checks:
        if bound is not None and not ok(bound):
            raise StrategyError.invalid_param(
                strategy, spec.name, f"应{zh} {bound}，收到 {number}", f"must be {en} {bound}, got {number}"
            )


def parse_params(strategy: str, specs: tuple[ParamSpec, ...], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate ``params`` against ``specs``: unknown names, missing required ones, kinds and bounds.

    Returns every param (defaults filled in) as Python values: ``int``, ``Decimal``, sizing dict
    or ``None``. Raises :class:`StrategyError` (``INVALID_STRATEGY_PARAMS``) naming the first bad one.
    """
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise StrategyError.invalid_param(strategy, "params", "应为对象", "expected an object")
    by_name = {spec.name: spec for spec in specs}
    for name in params:
        if name not in by_name:
            raise StrategyError.invalid_param(strategy, str(name), "未知参数", "unknown parameter")
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in params:
            if spec.required:
                raise StrategyError.invalid_param(strategy, spec.name, "缺少必填参数", "required parameter is missing")
            values[spec.name] = spec.default
            continue
        raw = params[spec.name]
        if raw is None:
            if not spec.nullable:
                raise StrategyError.invalid_param(strategy, spec.name, "不能为空", "must not be null")
            values[spec.name] = None
            continue
        if spec.kind == "sizing":
            values[spec.name] = parse_sizing(strategy, spec.name, raw)
            continue
        number: Decimal | int | None = _to_int(raw) if spec.kind == "int" else _to_decimal(raw)
        if number is None:
            zh, en = ("应为整数", "must be an integer") if spec.kind == "int" else ("应为数字", "must be a number")
            raise StrategyError.invalid_param(strategy, spec.name, f"{zh}，收到 {raw!r}", f"{en}, got {raw!r}")
        _check_bounds(strategy, spec, Decimal(number))
        values[spec.name] = number
    return values


# --------------------------------------------------------------------------------------------------
# Display helpers for reasons


def fmt_price(price: Decimal) -> str:
    """A price for a reason text: two decimals, three when that would hide a fund's last digit."""
    two = price.quantize(Decimal("0.01"))
    if two == price:
        return f"{two}"
    return f"{price.quantize(Decimal('0.001'))}"


def fmt_pct(fraction: Decimal) -> str:
    """``Decimal("0.025")`` → ``"2.5%"``."""
    pct = (fraction * 100).normalize()
    text = f"{pct:f}"
    return f"{text}%"


# --------------------------------------------------------------------------------------------------
# Registry

#: Every strategy type by its ``type`` name. The built-ins register on import of this module.
STRATEGIES: dict[str, type] = {}


def register_strategy(cls: type) -> type:
    """Class decorator: add ``cls`` to :data:`STRATEGIES` under ``cls.type``.

    A registered class declares ``type``, ``name_zh``, ``description`` and ``params`` (a tuple of
    :class:`ParamSpec`) and takes its params as keyword arguments.
    """
    name = cls.type  # type: ignore[attr-defined]
    existing = STRATEGIES.get(name)
    if existing is not None and existing is not cls:
        raise ValueError(f"strategy type {name!r} is already registered")
    STRATEGIES[name] = cls
    return cls


def make_strategy(type: str, params: Mapping[str, Any] | None) -> Strategy:
    """Build a strategy of ``type`` from watchlist params, validating them first.

    Raises :class:`StrategyError` with ``UNKNOWN_STRATEGY`` or ``INVALID_STRATEGY_PARAMS`` (422).
    """
    cls = STRATEGIES.get(type) if isinstance(type, str) else None
    if cls is None:
        raise StrategyError.unknown_type(str(type))
    values = parse_params(type, cls.params, params)  # type: ignore[attr-defined]
    strategy: Strategy = cls(**values)
    return strategy


def normalize_strategy_params(type: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The params a watchlist entry was given, validated and JSON-ready as the API shows them:
    integers as numbers, decimals as plain decimal strings (``11.5`` → ``"11.5"``), sizings normalised.

    Raises like :func:`make_strategy`."""
    make_strategy(type, params)
    cls = STRATEGIES[type]
    values = parse_params(type, cls.params, params)  # type: ignore[attr-defined]
    return {
        name: format(v, "f") if isinstance(v, Decimal) else v for name, v in values.items() if name in (params or {})
    }


def describe_strategies() -> list[dict[str, Any]]:
    """Every registered strategy for the UI: ``[{type, name_zh, description, params: [...]}]``."""
    return [
        {
            "type": cls.type,  # type: ignore[attr-defined]
            "name_zh": cls.name_zh,  # type: ignore[attr-defined]
            "description": cls.description,  # type: ignore[attr-defined]
            "params": [spec.describe() for spec in cls.params],  # type: ignore[attr-defined]
        }
        for cls in STRATEGIES.values()
    ]


# The built-ins register themselves; imported last because they build on the names above.
from qmtdesk.strategies import builtin as _builtin  # noqa: E402, F401
