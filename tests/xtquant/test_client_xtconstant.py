"""The client's xttrader facade speaks xtquant's numbers and attribute names exactly."""

from __future__ import annotations

import inspect

from qmtdesk.client import xtconstant as ours
from qmtdesk.client import xttype as our_types
from tests.xtfake.install import xtconstant, xttype


def test_every_constant_the_client_defines_has_xtquants_value() -> None:
    real = xtconstant()
    names = [n for n in dir(ours) if n.isupper() and isinstance(getattr(ours, n), int)]
    assert len(names) > 25
    for name in names:
        assert getattr(ours, name) == getattr(real, name), name
    assert ours.ACCOUNT_TYPE_DICT.items() <= real.ACCOUNT_TYPE_DICT.items()


def test_the_client_objects_carry_every_attribute_of_xtquants() -> None:
    real = xttype()
    sample = {
        "XtAsset": our_types.XtAsset({"account_id": "A", "cash": "1", "withdrawable": "1"}),
        "XtOrder": our_types.XtOrder(
            {"stock_code": "600000.SH", "order_id": 1, "side": "buy", "quantity": 100, "status": "accepted"}
        ),
        "XtTrade": our_types.XtTrade({"stock_code": "600000.SH", "side": "sell", "quantity": 100, "order_id": 1}),
        "XtPosition": our_types.XtPosition({"stock_code": "600000.SH", "volume": 100, "can_use_volume": 0}),
    }
    for name, ours_obj in sample.items():
        wanted = [p for p in inspect.signature(getattr(real, name).__init__).parameters if p != "self"]
        missing = [attr for attr in wanted if not hasattr(ours_obj, attr)]
        assert not missing, (name, missing)
    account = our_types.StockAccount("123")
    assert (account.account_type, account.account_id) == (real.StockAccount("123").account_type, "123")
