"""Load the real, unmodified ``xtquant`` package over the fake native modules (Linux CI).

``install()`` returns ``(xttrader, xtdata)``. It

1. imports ``xtquant`` with ``sys.modules['requests'] = None`` so the update check in ``xtquant/__init__.py``
   (a live PyPI request) hits its bare ``except`` and does nothing; ``requests`` is restored right after;
2. registers :mod:`tests.xtfake.xtpythonclient` as ``xtquant.xtpythonclient`` and :mod:`tests.xtfake.datacenter` as
   ``xtquant.datacenter`` (in ``sys.modules`` and as package attributes) **before** importing
   ``xtquant.xttrader`` and ``xtquant.xtdata``;
3. ignores ``DeprecationWarning`` raised from ``xtquant.*`` (xtbson on Python 3.12+);
4. sets ``xtdata.enable_hello = False`` (no banner on connect);
5. is idempotent: later calls return the already-loaded modules.

No file of the installed package is copied or modified. :func:`xtconstant` and :func:`xttype` give tests the real
constant and type modules.
"""

from __future__ import annotations

import importlib
import sys
import threading
import warnings
from types import ModuleType

from . import datacenter as fake_datacenter
from . import xtpythonclient as fake_xtpythonclient

__all__ = ["install", "xtconstant", "xttype"]

_lock = threading.Lock()
_loaded: tuple[ModuleType, ModuleType] | None = None
_WARNING_MODULES = r"xtquant(\..*)?$"


def _import_package() -> ModuleType:
    if "xtquant" in sys.modules:
        return sys.modules["xtquant"]
    missing = object()
    saved = sys.modules.get("requests", missing)
    sys.modules["requests"] = None  # type: ignore[assignment]  # makes `import requests` raise ImportError
    try:
        return importlib.import_module("xtquant")
    finally:
        if saved is missing:
            sys.modules.pop("requests", None)
        else:
            sys.modules["requests"] = saved  # type: ignore[assignment]


def _register(package: ModuleType, name: str, module: ModuleType) -> None:
    full = f"xtquant.{name}"
    existing = sys.modules.get(full)
    if existing is not None and existing is not module:
        raise RuntimeError(f"{full} is already loaded from {getattr(existing, '__file__', existing)!r}")
    sys.modules[full] = module
    setattr(package, name, module)


def install() -> tuple[ModuleType, ModuleType]:
    """Load ``xtquant.xttrader`` and ``xtquant.xtdata`` over the fakes; returns ``(xttrader, xtdata)``."""
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=_WARNING_MODULES)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=_WARNING_MODULES)
            package = _import_package()
            _register(package, "xtpythonclient", fake_xtpythonclient)
            _register(package, "datacenter", fake_datacenter)
            xttrader = importlib.import_module("xtquant.xttrader")
            xtdata = importlib.import_module("xtquant.xtdata")
        xtdata.enable_hello = False
        _loaded = (xttrader, xtdata)
        return _loaded


def xtconstant() -> ModuleType:
    """The real ``xtquant.xtconstant`` (installing the fakes first)."""
    install()
    return importlib.import_module("xtquant.xtconstant")


def xttype() -> ModuleType:
    """The real ``xtquant.xttype`` (installing the fakes first)."""
    install()
    return importlib.import_module("xtquant.xttype")
