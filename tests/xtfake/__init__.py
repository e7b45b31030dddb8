"""Test double for MiniQMT: the real ``xtquant`` SDK over fakes of its native modules.

* :func:`tests.xtfake.install.install` loads the real ``xtquant.xttrader`` / ``xtquant.xtdata`` over
  :mod:`tests.xtfake.xtpythonclient` and :mod:`tests.xtfake.datacenter`;
* :class:`tests.xtfake.mini_qmt.MiniQMT` is the simulated terminal they talk to (accounts, orders, prices, chaos).
"""

from __future__ import annotations

from .install import install, xtconstant, xttype
from .mini_qmt import ERR, MiniQMT

__all__ = ["ERR", "MiniQMT", "install", "xtconstant", "xttype"]
