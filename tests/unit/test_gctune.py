"""The server's garbage-collector settings: rare full collections, and what is set aside freed when it dies."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from qmtdesk import gctune


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_tune_makes_full_collections_rare_and_keeps_young_ones(restored_gc: None) -> None:
    gctune.tune()
    young, middle, full = gc.get_threshold()
    assert (young, middle) == (700, 10)
    assert full >= 100


def test_settle_sets_survivors_aside(restored_gc: None) -> None:
    keep = [Node() for _ in range(10)]
    gctune.settle("test")
    assert gc.get_freeze_count() > 0
    assert all(gc.is_tracked(n) for n in keep)


def test_a_cycle_set_aside_then_dropped_is_freed_by_the_next_settle(restored_gc: None) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    gctune.settle("first")
    probe = weakref.ref(a)
    del a, b
    gc.collect()
    assert probe() is not None  # frozen: an ordinary full collection leaves it alone
    gctune.settle("next day")
    assert probe() is None
