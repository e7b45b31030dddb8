"""Order events: each one changes only the fields it names, so its journal entry rebuilds the order.

The desk journals every change of an order as the fields its event names (``order_delta(order,
event.fields)``); folding an order's entries in order (``fold_orders``) must give the order object
after each change. These tests apply every event class from every status the transition table lets it
act in and check that nothing it changes is missing from its ``fields``.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qmtdesk.domain import order_events
from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.fees import Side
from qmtdesk.domain.order_events import OrderChange, OrderCreated
from qmtdesk.domain.orders import TERMINAL, TRANSITIONS, Order, OrderStatus
from qmtdesk.domain.rules import PriceType
from qmtdesk.oms.views import ORDER_FIELDS, fold_orders, order_delta, order_view

S = OrderStatus
D = Decimal

#: Wednesday 2026-11-25, 10:00 in Shanghai: the order is created then, every event comes later.
CREATED = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
TRADING_DAY = date(2026, 11, 25)

#: Every event class of the module (the bases too: they can be applied like any other).
EVENT_CLASSES: list[type[OrderChange]] = sorted(
    (
        cls
        for _, cls in inspect.getmembers(order_events, inspect.isclass)
        if issubclass(cls, OrderChange) and dataclasses.is_dataclass(cls) and cls.__module__ == order_events.__name__
    ),
    key=lambda cls: cls.__name__,
)


def allowed_statuses(cls: type[OrderChange]) -> list[OrderStatus]:
    """The statuses an order may be in for ``cls`` to apply."""
    if cls.trigger is None:
        return list(OrderStatus)
    return [s for s in OrderStatus if (s, cls.trigger) in TRANSITIONS]


def refused_statuses(cls: type[OrderChange]) -> list[OrderStatus]:
    """The statuses from which the transition table refuses ``cls``."""
    if cls.trigger is None:
        return []
    return [s for s in OrderStatus if (s, cls.trigger) not in TRANSITIONS]


ALLOWED = [pytest.param(cls, s, id=f"{cls.__name__}-{s.value}") for cls in EVENT_CLASSES for s in allowed_statuses(cls)]
REFUSED = [pytest.param(cls, s, id=f"{cls.__name__}-{s.value}") for cls in EVENT_CLASSES for s in refused_statuses(cls)]
TO_TERMINAL = [
    pytest.param(cls, s, id=f"{cls.__name__}-{s.value}")
    for cls in EVENT_CLASSES
    for s in allowed_statuses(cls)
    if cls.trigger is not None and TRANSITIONS[(s, cls.trigger)] in TERMINAL
]
TO_OPEN = [
    pytest.param(cls, s, id=f"{cls.__name__}-{s.value}")
    for cls in EVENT_CLASSES
    for s in allowed_statuses(cls)
    if cls.trigger is not None and TRANSITIONS[(s, cls.trigger)] not in TERMINAL
]


# ------------------------------------------------------------------------------ orders
def new_order(**changes: Any) -> Order:
    """A limit buy of 1000 shares of 600000.SH at 11.51, just created (``pending_new``)."""
    order = Order(
        id=4242,
        account_id="ACC",
        client_order_id="c-0001",
        ref="dk1092",
        payload_hash="9f2c" * 16,
        stock_code="600000.SH",
        stock_name="浦发银行",
        side=Side.BUY,
        price_type=PriceType.LIMIT,
        price=D("11.51"),
        quantity=1000,
        source="api",
        trading_day=TRADING_DAY,
        created_at=CREATED,
        updated_at=CREATED,
        strategy_name="grid",
        remark="test order",
        user_id=1,
    )
    for name, value in changes.items():
        setattr(order, name, value)
    return order


def order_in(status: OrderStatus) -> Order:
    """An order as the desk would hold it in ``status``: ids, codes, fills and freeze to match."""
    at = CREATED + timedelta(seconds=30)
    frozen = D("11515.75")
    at_broker = {"broker_order_id": "800001", "broker_sysid": "SH0001", "frozen_amount": frozen, "updated_at": at}
    filled = {"filled_quantity": 300, "filled_amount": D("3453.00"), "fees": D("5.03")}
    final = {"frozen_amount": D(0), "finished_at": at}
    shapes: dict[OrderStatus, dict[str, Any]] = {
        S.PENDING_NEW: {},
        S.SUBMITTED: {"frozen_amount": frozen, "status_code": 49, "status_msg": "待报", "updated_at": at},
        S.ACCEPTED: {**at_broker, "status_code": 50, "status_msg": "已报"},
        S.PARTIALLY_FILLED: {**at_broker, **filled, "status_code": 55, "status_msg": "部成"},
        S.PENDING_CANCEL: {**at_broker, **filled, "status_code": 52, "status_msg": "部成待撤"},
        S.UNKNOWN: {**at_broker, "status_code": 255, "status_msg": "未知"},
        S.FILLED: {
            **at_broker,
            **final,
            "filled_quantity": 1000,
            "filled_amount": D("11510.00"),
            "fees": D("6.15"),
            "status_code": 56,
            "status_msg": "已成",
        },
        S.CANCELED: {**at_broker, **final, "status_code": 54, "status_msg": "已撤"},
        S.PARTIALLY_CANCELED: {**at_broker, **filled, **final, "status_code": 53, "status_msg": "部撤"},
        S.REJECTED: {
            **at_broker,
            **final,
            "status_code": 57,
            "status_msg": "废单",
            "error": "BROKER_REJECTED",
            "error_message": "废单",
        },
        S.DENIED: {**final, "error": "RISK_LIMIT", "error_message": "超过单笔上限", "status_msg": "超过单笔上限"},
        S.EXPIRED: {**at_broker, **final, "status_code": 56, "status_msg": "已过期"},
    }
    return new_order(status=status, **shapes[status])


def snapshot(order: Order) -> dict[str, Any]:
    """Every field of the order (the view leaves out ``ref``, ``payload_hash`` and ``user_id``)."""
    return {f.name: getattr(order, f.name) for f in dataclasses.fields(order)}


# ------------------------------------------------------------------------------ events
#: A value for each event argument, different from what the orders above hold.
EXAMPLE_VALUES: dict[str, Any] = {
    "code": "RISK_MAX_AMOUNT",
    "message": "单笔委托金额超过上限 " * 20,  # longer than the 255 characters a column holds
    "reason": "用户撤单",
    "frozen_amount": D("11520.38"),
    "broker_order_id": "900077",
    "broker_sysid": "SH7788",
    "status_code": 51,
    "status_msg": "已报待撤",
    "quantity": 200,
    "amount": D("2303.40"),
    "fees": D("5.11"),
    "client_order_id": "c-0001#4242",
    "error_code": "-61",
    "error_message": "可用资金不足",
}


def event_arguments(cls: type[OrderChange]) -> list[str]:
    """The constructor arguments of an event besides its time."""
    return [f.name for f in dataclasses.fields(cls) if f.init and f.name != "time"]


def example(cls: type[OrderChange], time: datetime) -> OrderChange:
    """An instance of ``cls`` with a value for every argument (those with a default too)."""
    return cls(time, **{name: EXAMPLE_VALUES[name] for name in event_arguments(cls)})


def _strategy(hint: Any) -> st.SearchStrategy[Any]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return st.one_of(*(_strategy(arg) for arg in typing.get_args(hint)))
    if hint is type(None):
        return st.none()
    if hint is str:
        return st.one_of(st.sampled_from(["", "900123", "已成", "-61"]), st.text(max_size=300))
    if hint is int:
        return st.integers(min_value=0, max_value=5_000)
    if hint is Decimal:
        return st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
    raise AssertionError(f"no strategy for an event argument of type {hint!r}")


def events_of(cls: type[OrderChange], after: datetime) -> st.SearchStrategy[OrderChange]:
    """Any instance of ``cls`` happening up to an hour after ``after``."""
    hints = typing.get_type_hints(cls)
    arguments = {name: _strategy(hints[name]) for name in event_arguments(cls)}
    times = st.integers(min_value=1, max_value=3_600_000).map(lambda ms: after + timedelta(milliseconds=ms))
    return st.builds(cls, times, **arguments)


def check_recorded_fields(before: Order, after: Order, change: OrderChange) -> None:
    """What changed is named by the event, and its journal entry folded on ``before`` gives ``after``."""
    old, new = order_view(before), order_view(after)
    changed = {name for name in new if new[name] != old[name]}
    missing = changed - set(change.fields)
    assert not missing, f"{type(change).__name__} changes {sorted(missing)} without recording them"
    *_, rebuilt = fold_orders([(before.id, old), (after.id, order_delta(after, change.fields))])
    assert rebuilt == new


# ------------------------------------------------------------------------------ the tests
def test_every_event_class_of_the_module_is_exercised() -> None:
    names = {cls.__name__ for cls in EVENT_CLASSES}
    assert set(order_events.__all__) - {"REPORTED_EVENT", "ZERO"} <= names
    assert {cls.__name__ for cls in order_events.REPORTED_EVENT.values()} <= names
    for cls in EVENT_CLASSES:
        assert isinstance(cls.kind, str) and cls.kind
        assert allowed_statuses(cls), f"{cls.__name__} can never apply"


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_every_event_names_only_fields_of_the_order_object(cls: type[OrderChange]) -> None:
    assert set(cls.fields) <= set(ORDER_FIELDS)
    assert "updated_at" in cls.fields  # every applied event stamps the order
    if cls.trigger is not None:
        assert {"status", "finished_at", "frozen_amount"} <= set(cls.fields)


@pytest.mark.parametrize(("cls", "status"), ALLOWED)
def test_every_event_records_every_field_it_changes(cls: type[OrderChange], status: OrderStatus) -> None:
    before = order_in(status)
    order = order_in(status)
    change = example(cls, CREATED + timedelta(minutes=5))

    assert order.apply(change) is True

    if cls.trigger is not None:
        assert order.status is TRANSITIONS[(status, cls.trigger)]
    else:
        assert order.status is status
    assert order.updated_at == change.time
    check_recorded_fields(before, order, change)


@pytest.mark.parametrize(("cls", "status"), ALLOWED)
@settings(max_examples=15, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_values_of_an_event_leave_a_journal_entry_that_rebuilds_the_order(
    cls: type[OrderChange], status: OrderStatus, data: st.DataObject
) -> None:
    before = order_in(status)
    order = order_in(status)
    change = data.draw(events_of(cls, before.updated_at))

    assert order.apply(change) is True

    check_recorded_fields(before, order, change)


@pytest.mark.parametrize(("cls", "status"), REFUSED)
def test_an_event_the_transition_table_refuses_leaves_the_order_unchanged(
    cls: type[OrderChange], status: OrderStatus
) -> None:
    order = order_in(status)
    view, fields = order_view(order), snapshot(order)

    assert order.apply(example(cls, CREATED + timedelta(minutes=5))) is False

    assert order_view(order) == view
    assert snapshot(order) == fields


@pytest.mark.parametrize(("cls", "status"), TO_TERMINAL)
def test_a_terminal_transition_sets_finished_at_and_releases_the_freeze(
    cls: type[OrderChange], status: OrderStatus
) -> None:
    order = order_in(status)
    order.frozen_amount = D("11515.75")  # whatever was still reserved
    change = example(cls, CREATED + timedelta(minutes=5))

    assert order.apply(change) is True

    assert order.status in TERMINAL
    assert order.finished_at == change.time
    assert order.frozen_amount == 0
    view = order_view(order)
    assert view["frozen_amount"] == "0.00"
    assert view["finished_at"] == "2026-11-25T10:05:00+08:00"


@pytest.mark.parametrize(("cls", "status"), TO_OPEN)
def test_a_transition_to_an_open_status_keeps_the_order_unfinished(cls: type[OrderChange], status: OrderStatus) -> None:
    order = order_in(status)
    frozen = order.frozen_amount

    assert order.apply(example(cls, CREATED + timedelta(minutes=5))) is True

    assert order.finished_at is None
    expected = EXAMPLE_VALUES["frozen_amount"] if "frozen_amount" in event_arguments(cls) else frozen
    assert order.frozen_amount == expected


def test_the_creation_entry_holds_the_whole_order() -> None:
    order = new_order()
    created = OrderCreated(CREATED)

    assert order.apply(created) is True

    assert order.status is S.PENDING_NEW
    [rebuilt] = fold_orders([(order.id, order_view(order))])
    assert rebuilt == order_view(order)
    assert set(rebuilt) == set(ORDER_FIELDS)


@st.composite
def walks(draw: st.DrawFn) -> list[OrderChange]:
    """Events applied one after the other to a new order, each one the table allows at its turn."""
    order = new_order()
    steps: list[OrderChange] = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        choices = [cls for cls in EVENT_CLASSES if order.status in allowed_statuses(cls)]
        cls = draw(st.sampled_from(choices))
        change = draw(events_of(cls, order.updated_at))
        assert order.apply(change)
        steps.append(change)
    return steps


@settings(max_examples=120, deadline=None, derandomize=True)
@given(steps=walks())
def test_folding_the_journal_of_any_walk_rebuilds_the_order_after_every_step(steps: list[OrderChange]) -> None:
    order = new_order()
    journal: list[tuple[int, dict[str, Any]]] = [(order.id, order_view(order))]
    for change in steps:
        status = order.status
        assert order.apply(change) is True
        if change.trigger is not None:
            assert order.status is TRANSITIONS[(status, change.trigger)]
        journal.append((order.id, order_delta(order, change.fields)))
        *_, rebuilt = fold_orders(journal)
        assert rebuilt == order_view(order)
    states = list(fold_orders(journal))
    assert len(states) == len(steps) + 1
    assert states[-1] == order_view(order)
