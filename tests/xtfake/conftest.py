"""Fixtures for the fake's own tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def main_thread_event_loop() -> Iterator[None]:
    """Give the main thread a current event loop while a test runs.

    ``XtQuantTrader()`` built on the main thread calls ``asyncio.get_event_loop()``, which raises when
    an earlier test (an asyncio runner) left the main thread without one.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()
