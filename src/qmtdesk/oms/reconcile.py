"""Reconciliation: make the ledger agree with the broker after a start, restart or reconnect.

The broker's orders and fills are replayed through the engine as if they had been pushed, so the
ledger generates exactly the events it missed (fills are de-duplicated by broker trade id, stale
statuses are refused by the transition table). Orders the broker has never heard of are settled:
never-sent ones are cancelled, sent-but-unknown ones become ``unknown`` for a human to check.
Everything runs on the engine's state in memory; what it changes is committed by the journal.
"""

from __future__ import annotations

from qmtdesk.oms.engine import SUBMIT_GRACE, Engine


async def reconcile(engine: Engine) -> dict[str, int]:
    """Replay the broker's state into the ledger; returns counts of what was seen and settled."""
    return (await engine.reconcile()).as_dict()


__all__ = ["SUBMIT_GRACE", "reconcile"]
