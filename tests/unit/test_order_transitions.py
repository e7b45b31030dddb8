"""The order transition table: every (status, event) pair, terminal statuses, broker status codes (§8.2)."""

from __future__ import annotations

import itertools

import pytest

from qmtdesk.brokers.codes import BROKER_STATUS_NAMES, STATUS_BY_BROKER_CODE, event_for_broker_status
from qmtdesk.domain.orders import (
    CANCELABLE,
    OPEN,
    TERMINAL,
    TRANSITIONS,
    InvalidTransition,
    OrderEvent,
    OrderStatus,
    transition,
)

S = OrderStatus
E = OrderEvent

# The expected table, written out by hand. Anything not listed must raise InvalidTransition.
_LIVE_AT_BROKER = {
    E.ACCEPT: S.ACCEPTED,
    E.PARTIAL_FILL: S.PARTIALLY_FILLED,
    E.FILL: S.FILLED,
    E.CANCEL_REQUEST: S.PENDING_CANCEL,
    E.CANCEL: S.CANCELED,
    E.PARTIAL_CANCEL: S.PARTIALLY_CANCELED,
    E.REJECT: S.REJECTED,
    E.EXPIRE: S.EXPIRED,
    E.LOST: S.UNKNOWN,
}
EXPECTED: dict[S, dict[E, S]] = {
    S.PENDING_NEW: {
        E.SUBMIT: S.SUBMITTED,
        E.DENY: S.DENIED,
        E.CANCEL: S.CANCELED,  # cancelled before it was ever sent
        E.REJECT: S.REJECTED,
        E.EXPIRE: S.EXPIRED,
        E.LOST: S.UNKNOWN,
    },
    # 48 未报 -> 49 待报 are both `submitted` (§8.2 lifecycle): a second SUBMIT keeps it there.
    S.SUBMITTED: {E.SUBMIT: S.SUBMITTED, **_LIVE_AT_BROKER},
    S.ACCEPTED: dict(_LIVE_AT_BROKER),
    S.PARTIALLY_FILLED: {
        E.PARTIAL_FILL: S.PARTIALLY_FILLED,
        E.FILL: S.FILLED,
        E.CANCEL_REQUEST: S.PENDING_CANCEL,
        E.PARTIAL_CANCEL: S.PARTIALLY_CANCELED,  # never plain CANCEL once something filled
        E.EXPIRE: S.EXPIRED,
        E.LOST: S.UNKNOWN,
    },
    S.PENDING_CANCEL: {
        E.ACCEPT: S.ACCEPTED,  # 51 -> 50: the cancel was refused, the order is live again
        E.PARTIAL_FILL: S.PARTIALLY_FILLED,  # 51/52 -> 55: no cancel pending any more (52 stays pending)
        E.FILL: S.FILLED,  # fills can race the cancel
        E.CANCEL_REQUEST: S.PENDING_CANCEL,
        E.CANCEL: S.CANCELED,
        E.PARTIAL_CANCEL: S.PARTIALLY_CANCELED,
        E.REJECT: S.REJECTED,
        E.EXPIRE: S.EXPIRED,
        E.LOST: S.UNKNOWN,
    },
    S.UNKNOWN: dict(_LIVE_AT_BROKER),
    S.FILLED: {},
    S.CANCELED: {},
    S.PARTIALLY_CANCELED: {},
    S.REJECTED: {},
    S.DENIED: {},
    S.EXPIRED: {},
}

ALL_PAIRS = list(itertools.product(OrderStatus, OrderEvent))


def test_expected_table_covers_every_status() -> None:
    assert set(EXPECTED) == set(OrderStatus)


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=[f"{s.value}-{e.value}" for s, e in ALL_PAIRS])
def test_every_status_event_pair(status: OrderStatus, event: OrderEvent) -> None:
    expected = EXPECTED[status].get(event)
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            transition(status, event)
        assert (info.value.status, info.value.event) == (status, event)
    else:
        assert transition(status, event) is expected


def test_table_has_no_pairs_beyond_the_expected_ones() -> None:
    expected_pairs = {(s, e) for s, events in EXPECTED.items() for e in events}
    assert set(TRANSITIONS) <= expected_pairs


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_statuses_have_no_outgoing_transitions(status: OrderStatus) -> None:
    for event in OrderEvent:
        with pytest.raises(InvalidTransition):
            transition(status, event)


def test_terminal_and_open_statuses() -> None:
    assert {
        S.FILLED,
        S.CANCELED,
        S.PARTIALLY_CANCELED,
        S.REJECTED,
        S.DENIED,
        S.EXPIRED,
    } == TERMINAL
    assert set(OrderStatus) - TERMINAL == OPEN
    assert S.PENDING_CANCEL in OPEN
    assert S.UNKNOWN in OPEN


def test_cancelable_statuses() -> None:
    # §8.2: cancellable at 48/49/50/55; 51/52 already have a cancel in flight; terminal never.
    for code in (48, 49, 50, 55):
        assert STATUS_BY_BROKER_CODE[code] in CANCELABLE
    for code in (51, 52, 53, 54, 56, 57):
        assert STATUS_BY_BROKER_CODE[code] not in CANCELABLE
    assert S.PENDING_NEW in CANCELABLE
    assert not CANCELABLE & TERMINAL


def test_invalid_transition_message_names_status_and_event() -> None:
    with pytest.raises(InvalidTransition, match=r"'filled'.*'cancel'"):
        transition(S.FILLED, E.CANCEL)


# --------------------------------------------------------------------------------------------------
# Broker status codes


@pytest.mark.parametrize(
    ("code", "status", "event", "name"),
    [
        (48, S.SUBMITTED, E.SUBMIT, "未报"),
        (49, S.SUBMITTED, E.SUBMIT, "待报"),
        (50, S.ACCEPTED, E.ACCEPT, "已报"),
        (51, S.PENDING_CANCEL, E.CANCEL_REQUEST, "已报待撤"),
        (52, S.PENDING_CANCEL, E.CANCEL_REQUEST, "部成待撤"),
        (53, S.PARTIALLY_CANCELED, E.PARTIAL_CANCEL, "部撤"),
        (54, S.CANCELED, E.CANCEL, "已撤"),
        (55, S.PARTIALLY_FILLED, E.PARTIAL_FILL, "部成"),
        (56, S.FILLED, E.FILL, "已成"),
        (57, S.REJECTED, E.REJECT, "废单"),
        (255, S.UNKNOWN, E.LOST, "未知"),
    ],
)
def test_broker_status_code_mapping(code: int, status: OrderStatus, event: OrderEvent, name: str) -> None:
    assert STATUS_BY_BROKER_CODE[code] is status
    assert event_for_broker_status(code) is event
    assert BROKER_STATUS_NAMES[code] == name


def test_broker_codes_cover_48_to_57_and_255() -> None:
    assert set(STATUS_BY_BROKER_CODE) == {*range(48, 58), 255}
    assert set(BROKER_STATUS_NAMES) == set(STATUS_BY_BROKER_CODE)


@pytest.mark.parametrize("code", [51, 52])
def test_51_and_52_are_pending_cancel_and_never_terminal(code: int) -> None:
    assert STATUS_BY_BROKER_CODE[code] is S.PENDING_CANCEL
    assert STATUS_BY_BROKER_CODE[code] not in TERMINAL


@pytest.mark.parametrize(("code", "terminal"), [(53, True), (54, True), (56, True), (57, True), (255, False)])
def test_terminal_broker_codes(code: int, terminal: bool) -> None:
    assert (STATUS_BY_BROKER_CODE[code] in TERMINAL) is terminal


# Each arrow of the §8.2 lifecycle diagram, in broker codes.
LIFECYCLE = [
    (48, 49),
    (49, 50),
    (50, 55),
    (55, 56),
    (50, 56),
    (55, 52),
    (52, 53),
    (52, 56),
    (48, 57),
    (49, 57),
    (50, 57),
    (50, 51),
    (51, 54),
    (51, 56),
    (51, 53),
]


@pytest.mark.parametrize(("before", "after"), LIFECYCLE, ids=[f"{a}->{b}" for a, b in LIFECYCLE])
def test_lifecycle_arrows_of_the_reference(before: int, after: int) -> None:
    status = STATUS_BY_BROKER_CODE[before]
    assert transition(status, event_for_broker_status(after)) is STATUS_BY_BROKER_CODE[after]
