"""ORM tables, one module per domain."""

from __future__ import annotations

import importlib

TABLE_MODULES = (
    "auth",
    "audit",
    "app_config",
    "accounts",
    "paper",
    "orders",
    "risk",
    "signals",
    "monitor",
    "market",
    "held",
    "algos",
    "ipo",
)


def load_all() -> None:
    """Import every table module so that ``Base.metadata`` knows all tables."""
    for name in TABLE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
