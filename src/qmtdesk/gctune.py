"""The garbage collector of the server process, set for short pauses while orders flow.

With the interpreter's defaults a full collection walks every object the desk holds (the day's orders,
the libraries it loaded) every few thousand orders: a 100 ms stall that every order waiting for an
answer sees. The server therefore moves what exists once it has started out of the collector's way
(``gc.freeze``), lets the young generations run as usual (short pauses), makes full collections rare,
and runs one while the market is closed, when nobody waits.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)

#: Young collections as usual; a full collection after 1,000 middle ones instead of 10.
THRESHOLDS = (700, 10, 1000)


def tune() -> None:
    """Collect rarely in full (the server process only: tests keep the interpreter's defaults)."""
    gc.set_threshold(*THRESHOLDS)


def settle(why: str) -> None:
    """A full collection now, then everything that survives is left out of later ones."""
    started = time.perf_counter()
    # What an earlier settle set aside is looked at again: cycles among it that died since are freed.
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.info(
        "garbage collected (%s) in %.0f ms; %d objects set aside",
        why,
        (time.perf_counter() - started) * 1000,
        gc.get_freeze_count(),
    )
