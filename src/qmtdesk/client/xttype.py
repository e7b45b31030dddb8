"""xttype-shaped objects for scripts written against xtquant: the same attribute names and codes.

Built from the desk's JSON objects with the mapping tables of :mod:`qmtdesk.client.xtconstant`.
Prices and amounts are floats, as xtquant gives them; times are Unix seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.client import xtconstant as xc


class StockAccount:
    """A securities account, as ``xtquant.xttype.StockAccount`` (``account_type`` as a number)."""

    def __init__(self, account_id: str, account_type: str = "STOCK") -> None:
        if not isinstance(account_id, str):
            raise TypeError("资金账号必须为字符串类型")
        wanted = account_type.upper()
        for number, name in xc.ACCOUNT_TYPE_DICT.items():
            if name == wanted:
                self.account_type = number
                self.account_id = account_id
                return
        raise ValueError(f"不支持的账号类型：{account_type}！")


def _f(value: Any) -> float:
    return float(value) if value not in (None, "") else 0.0


def _ts(value: str | None) -> int:
    return int(datetime.fromisoformat(value).timestamp()) if value else 0


class _Xt:
    """Attribute bag with a readable repr (xtquant's objects are plain attribute holders too)."""

    account_type: int = xc.SECURITY_ACCOUNT

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class XtAsset(_Xt):
    """``account_id, cash, frozen_cash, market_value, total_asset, fetch_balance``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = data.get("account_id", "")
        self.cash = _f(data.get("cash"))
        self.frozen_cash = _f(data.get("frozen_cash"))
        self.market_value = _f(data.get("market_value"))
        self.total_asset = _f(data.get("total_asset"))
        self.fetch_balance = _f(data.get("withdrawable"))


class XtOrder(_Xt):
    """An order with xtquant's names: ``order_id``, ``order_type`` (23/24), ``order_status`` (48-57)…"""

    def __init__(self, data: dict[str, Any]) -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = data.get("account_id", "")
        self.stock_code = data["stock_code"]
        self.order_id = int(data["order_id"])
        self.order_sysid = data.get("broker_sysid") or ""
        self.order_time = _ts(data.get("created_at"))
        self.order_type = xc.ORDER_TYPE_BY_SIDE[data["side"]]
        self.order_volume = int(data["quantity"])
        self.price_type = xc.PRICE_TYPE_BY_NAME.get(data.get("price_type", ""), xc.FIX_PRICE)
        self.price = _f(data.get("price"))
        self.traded_volume = int(data.get("filled_quantity") or 0)
        self.traded_price = _f(data.get("avg_fill_price"))
        self.order_status = xc.order_status(data["status"], self.traded_volume)
        self.status_msg = data.get("error_message") or data.get("status_msg") or ""
        self.strategy_name = data.get("strategy_name", "")
        self.order_remark = data.get("remark", "")
        self.direction = xc.DIRECTION_FLAG_LONG
        self.offset_flag = xc.OFFSET_FLAG_BY_SIDE[data["side"]]
        self.secu_account = ""
        self.instrument_name = data.get("stock_name", "")


class XtTrade(_Xt):
    """A fill with xtquant's names: ``traded_id``, ``traded_price``, ``traded_volume``, ``commission``…"""

    def __init__(self, data: dict[str, Any], account_id: str = "") -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = data.get("account_id", account_id)
        self.stock_code = data["stock_code"]
        self.order_type = xc.ORDER_TYPE_BY_SIDE[data["side"]]
        self.traded_id = data.get("broker_trade_id") or str(data.get("trade_id", ""))
        self.traded_time = _ts(data.get("traded_at"))
        self.traded_price = _f(data.get("price"))
        self.traded_volume = int(data["quantity"])
        self.traded_amount = _f(data.get("amount"))
        self.order_id = int(data["order_id"]) if data.get("order_id") is not None else -1
        self.order_sysid = data.get("broker_order_id") or ""
        self.strategy_name = data.get("strategy_name", "")
        self.order_remark = data.get("remark", "")
        self.direction = xc.DIRECTION_FLAG_LONG
        self.offset_flag = xc.OFFSET_FLAG_BY_SIDE[data["side"]]
        self.commission = _f(data.get("fees"))
        self.secu_account = ""
        self.instrument_name = data.get("stock_name", "")


class XtPosition(_Xt):
    """A holding with xtquant's names: ``volume``, ``can_use_volume``, ``open_price``, ``market_value``…"""

    def __init__(self, data: dict[str, Any], account_id: str = "") -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.stock_code = data["stock_code"]
        self.volume = int(data["volume"])
        self.can_use_volume = int(data["can_use_volume"])
        self.open_price = _f(data.get("avg_price"))
        self.market_value = _f(data.get("market_value"))
        self.frozen_volume = int(data.get("frozen_volume") or 0)
        self.on_road_volume = 0
        self.yesterday_volume = int(data.get("yesterday_volume") or 0)
        self.avg_price = _f(data.get("avg_price"))
        self.direction = xc.DIRECTION_FLAG_LONG
        self.last_price = _f(data.get("last_price"))
        self.profit_rate = _f(data.get("profit_rate"))
        self.secu_account = ""
        self.instrument_name = data.get("stock_name", "")


class XtOrderError(_Xt):
    """``order_id, error_id, error_msg, strategy_name, order_remark`` and ``seq`` (of an async order)."""

    def __init__(
        self,
        account_id: str,
        order_id: int,
        error_id: int,
        error_msg: str,
        strategy_name: str = "",
        order_remark: str = "",
        seq: int = -1,
    ) -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.error_id = error_id
        self.error_msg = error_msg
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.seq = seq


class XtCancelError(_Xt):
    """``order_id, market, order_sysid, error_id, error_msg``."""

    def __init__(self, account_id: str, order_id: int, error_id: int, error_msg: str) -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.market = 0
        self.order_sysid = ""
        self.error_id = error_id
        self.error_msg = error_msg


class XtOrderResponse(_Xt):
    """The answer to ``order_stock_async``: ``order_id`` (-1 when refused), ``seq``, ``error_msg``."""

    def __init__(
        self, account_id: str, order_id: int, strategy_name: str, order_remark: str, error_msg: str, seq: int
    ) -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.error_msg = error_msg
        self.seq = seq


class XtCancelOrderResponse(_Xt):
    """The answer to ``cancel_order_stock_async``: ``cancel_result`` 0 on success, -1 otherwise."""

    def __init__(self, account_id: str, cancel_result: int, order_id: int, seq: int, error_msg: str = "") -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.cancel_result = cancel_result
        self.order_id = order_id
        self.order_sysid = ""
        self.seq = seq
        self.error_msg = error_msg


class XtAccountStatus(_Xt):
    """``account_id, account_type, status`` (``xtconstant.ACCOUNT_STATUS_*``)."""

    def __init__(self, account_id: str, status: int) -> None:
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.status = status
