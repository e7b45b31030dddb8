"""Named places where the crash-safety tests kill the process, to prove that nothing is lost there.

``QMTDESK_FAILPOINTS="before_send@3,fill_applied"`` makes the third pass through ``before_send`` (and
the first through ``fill_applied``) end the process at once with SIGKILL, exactly as ``kill -9`` would.
Unset (always, outside those tests) a pass costs one dictionary lookup.

- ``before_send``: an order's intent is committed; the broker has not been asked yet.
- ``fill_applied``: the engine applied a fill in memory; nothing of it is committed yet.
- ``held_claimed``: a held order's trigger is claimed in the ledger; its order is not placed yet.
- ``held_placed``: a held order's order is placed (and committed); the held order is not marked fired.
- ``algo_child_placed``: an algo's child is placed (and committed); the algo has not taken it as working.
"""

from __future__ import annotations

import os
import signal

ENV = "QMTDESK_FAILPOINTS"


def _parse(spec: str) -> dict[str, int]:
    points: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, nth = part.partition("@")
        points[name] = int(nth) if nth else 1
    return points


_armed = _parse(os.environ.get(ENV, ""))
_passes: dict[str, int] = {}


def hit(name: str) -> None:
    """A pass through failpoint ``name``: die here if the environment armed it for this pass."""
    if not _armed:
        return
    wanted = _armed.get(name)
    if wanted is None:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == wanted:
        os.kill(os.getpid(), signal.SIGKILL)
