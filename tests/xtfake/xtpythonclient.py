"""Pure-Python fake of xtquant's native trader module ``xtquant.xtpythonclient`` (a pybind11 .pyd on Windows).

The real, unmodified ``xtquant/xttrader.py`` does ``from . import xtpythonclient as _XTQC_``;
:func:`tests.xtfake.install.install` registers *this* module under that name. Business behaviour lives in
:mod:`tests.xtfake.mini_qmt`; this module only provides the native surface:

* :class:`XtQuantAsyncClient` — every ``bind*Callback`` of the pyd (56 names; the last bind wins), ``init``,
  ``start``, ``stop``, ``connect``, ``nextSeq``, ``setTimeout``, the stock ``*WithSeq`` requests and the two
  subscription queries (``queryIPODataWithSeq``, ``queryNewPurchaseLimitWithSeq``). Every other
  ``*WithSeq`` of the pyd raises :class:`NotImplementedError` in the caller's thread (so a sync xttrader call fails
  fast instead of waiting forever on its future).
* request classes (``OrderStockReq`` …) with pybind11-like strict typing: int fields reject ``float``/``str``/
  ``Decimal``/``None``, float fields reject ``str``/``None``, str fields reject numbers, bool fields accept
  ``bool``/``int`` only; unknown attributes raise :class:`AttributeError`. Non-stock request classes that xttrader
  builds (``QueryCreditDetailReq`` …) exist but are permissive, since their ``*WithSeq`` raise anyway.
* response/push classes (``XtOrder``, ``XtTrade``, ``XtPosition``, ``XtAsset``, ``XtOrderError``,
  ``XtCancelError``, ``XtAccountStatus``, ``XtAccountInfo``, ``OrderStockResp``, ``CancelOrderStockResp``) that
  expose every field under both its ``m_`` name (from the pyd string table) and its documented plain name;
  ``IPOData`` and ``NewPurchaseLimitInfo`` (the items of the two subscription queries) only under their ``m_`` names,
  the only ones xttrader reads.

Threading: each client owns one daemon "native IO" thread (``xtfake-io-<session>``) started by ``start()`` and joined
by ``stop()``. All bound callbacks run on it, with the arity xttrader expects: ``()`` for disconnect, ``(data)`` for
pushes, ``(seq, resp)`` for responses. subscribe/unsubscribe responses are ``int`` (0/-1), query responses ``list``.
Requests on a started but not connected (or disconnected) client are answered locally with failures
(subscribe -1, queries ``[]``, order response ``order_id=-1`` + ``XtOrderError``, cancel ``-1`` + ``XtCancelError``).
Requests after ``stop()`` (or before ``start()``) raise :class:`RuntimeError` in the caller's thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import operator
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

log = logging.getLogger(__name__)

__all__ = [
    "BIND_NAMES",
    "CancelOrderStockReq",
    "CancelOrderStockResp",
    "IPOData",
    "NewPurchaseLimitInfo",
    "OrderStockReq",
    "OrderStockResp",
    "QueryAccountInfosReq",
    "QueryAccountStatusReq",
    "QueryIPODataReq",
    "QueryNewPurchaseLimitReq",
    "QueryStockAssetReq",
    "QueryStockOrdersReq",
    "QueryStockPositionsReq",
    "QueryStockTradesReq",
    "SubscribeReq",
    "UnsubscribeReq",
    "XtAccountInfo",
    "XtAccountStatus",
    "XtAsset",
    "XtCancelError",
    "XtOrder",
    "XtOrderError",
    "XtPosition",
    "XtQuantAsyncClient",
    "XtTrade",
]

# ---------------------------------------------------------------------------------------------------------------
# pybind11-like typed structs
# ---------------------------------------------------------------------------------------------------------------


def _type_error(cls_name: str, field: str, type_name: str, value: object) -> TypeError:
    return TypeError(
        "(): incompatible function arguments. The following argument types are supported:\n"
        f"    1. (self: xtpythonclient.{cls_name}, arg0: {type_name}) -> None\n\n"
        f"Invoked with: <xtpythonclient.{cls_name}>, {value!r} (field {field})"
    )


def _conv_int(value: object) -> int:
    if isinstance(value, bool | int):
        return int(value)
    if value is None or isinstance(value, float | str | bytes | Decimal):
        raise TypeError
    if hasattr(type(value), "__index__"):  # numpy integers
        return operator.index(value)  # type: ignore[arg-type]
    raise TypeError


def _conv_float(value: object) -> float:
    if value is None or isinstance(value, str | bytes):
        raise TypeError
    if isinstance(value, bool | int | float | Decimal):
        return float(value)
    if hasattr(type(value), "__float__"):
        return float(value)  # type: ignore[arg-type]
    if hasattr(type(value), "__index__"):
        return float(operator.index(value))  # type: ignore[arg-type]
    raise TypeError


def _conv_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):  # pybind11's std::string caster accepts bytes
        return value.decode("utf-8")
    raise TypeError


def _conv_bool(value: object) -> bool:
    if isinstance(value, bool | int):
        return bool(value)
    raise TypeError


_CONVERTERS: dict[type, tuple[Callable[[object], Any], str, Any]] = {
    int: (_conv_int, "int", 0),
    float: (_conv_float, "float", 0.0),
    str: (_conv_str, "str", ""),
    bool: (_conv_bool, "bool", False),
}

#: A field spec: (canonical m_ name, aliases (plain and alternative m_ names), python type).
FieldSpec = tuple[str, tuple[str, ...], type]


class _Struct:
    """Base of the fake pybind classes: typed fields, each reachable under several names, no other attributes."""

    _fields_: ClassVar[tuple[FieldSpec, ...]] = ()
    _index_: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        index: dict[str, str] = {}
        for canonical, aliases, py_type in cls._fields_:
            prop = cls._make_property(canonical, py_type)
            for name in (canonical, *aliases):
                index[name] = canonical
                setattr(cls, name, prop)
        cls._index_ = index

    @classmethod
    def _make_property(cls, canonical: str, py_type: type) -> property:
        conv, type_name, _default = _CONVERTERS[py_type]

        def getter(self: _Struct) -> Any:
            return self.__dict__["_values"][canonical]

        def setter(self: _Struct, value: object) -> None:
            try:
                converted = conv(value)
            except (TypeError, ValueError, UnicodeDecodeError):
                raise _type_error(type(self).__name__, canonical, type_name, value) from None
            self.__dict__["_values"][canonical] = converted
            self.__dict__["_set"].add(canonical)

        return property(getter, setter)

    def __init__(self, **kwargs: Any) -> None:
        values = {canonical: _CONVERTERS[py_type][2] for canonical, _aliases, py_type in self._fields_}
        self.__dict__["_values"] = values
        self.__dict__["_set"] = set()
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        if name not in type(self)._index_:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        object.__setattr__(self, name, value)

    def _was_set(self, name: str) -> bool:
        """Whether a field was assigned (under any of its names) since construction."""
        return type(self)._index_[name] in self.__dict__["_set"]

    def _as_dict(self) -> dict[str, Any]:
        """Values by the first alias (the plain name) when there is one, else by the m_ name."""
        out: dict[str, Any] = {}
        for canonical, aliases, _t in self._fields_:
            out[aliases[0] if aliases else canonical] = self.__dict__["_values"][canonical]
        return out

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._as_dict().items())
        return f"<xtpythonclient.{type(self).__name__} {inner}>"


def _f(m_name: str, *aliases: str, t: type = str) -> FieldSpec:
    return (m_name, aliases, t)


_ACCOUNT_FIELDS: tuple[FieldSpec, ...] = (
    _f("m_nAccountType", "account_type", t=int),
    _f("m_strAccountID", "account_id"),
)

# ----- requests (stock subset, strict) --------------------------------------------------------------------------


class SubscribeReq(_Struct):
    """Request of ``subscribeWithSeq``."""

    _fields_ = _ACCOUNT_FIELDS


class UnsubscribeReq(_Struct):
    """Request of ``unsubscribeWithSeq``."""

    _fields_ = _ACCOUNT_FIELDS


class OrderStockReq(_Struct):
    """Request of ``orderStockWithSeq``."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_strStockCode", "stock_code"),
        _f("m_nOrderType", "order_type", t=int),
        _f("m_nOrderVolume", "order_volume", t=int),
        _f("m_nPriceType", "price_type", t=int),
        _f("m_dPrice", "price", t=float),
        _f("m_strStrategyName", "strategy_name"),
        _f("m_strOrderRemark", "order_remark"),
        _f("m_strOrderRemarkNew", "order_remark1"),
        _f("m_dOrderAmount", "order_amount", t=float),
        _f("m_strStockCode1", "stock_code1"),
        _f("m_strAccountID1", "account_id1"),
    )


class CancelOrderStockReq(_Struct):
    """Request of ``cancelOrderStockWithSeq`` (by ``m_nOrderID`` or by ``m_strOrderSysID`` + market)."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nOrderID", "order_id", t=int),
        _f("m_nMarket", "market", t=int),
        _f("m_strMarket", "market1"),
        _f("m_strOrderSysID", "order_sysid", "order_sys_id"),
    )


class QueryAccountInfosReq(_Struct):
    """Request of ``queryAccountInfosWithSeq`` (no fields)."""


class QueryAccountStatusReq(_Struct):
    """Request of ``queryAccountStatusWithSeq`` (no fields)."""


class QueryStockAssetReq(_Struct):
    """Request of ``queryStockAssetWithSeq``."""

    _fields_ = _ACCOUNT_FIELDS


class QueryStockOrdersReq(_Struct):
    """Request of ``queryStockOrdersWithSeq``; ``m_nOrderID`` (when assigned) selects one order."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nOrderID", "order_id", t=int),
        _f("m_bCanCancel", "can_cancel", t=bool),
    )


class QueryStockTradesReq(_Struct):
    """Request of ``queryStockTradesWithSeq``."""

    _fields_ = _ACCOUNT_FIELDS


class QueryStockPositionsReq(_Struct):
    """Request of ``queryStockPositionsWithSeq``; ``m_strStockCode`` (when assigned) selects one position."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_strStockCode", "stock_code"),
        _f("m_strStockCode1", "stock_code1"),
    )


class QueryIPODataReq(_Struct):
    """Request of ``queryIPODataWithSeq``; xttrader sets ``m_strIPOType = ''`` (every type)."""

    _fields_ = (_f("m_strIPOType", "ipo_type"),)


class QueryNewPurchaseLimitReq(_Struct):
    """Request of ``queryNewPurchaseLimitWithSeq``."""

    _fields_ = _ACCOUNT_FIELDS


class _PermissiveReq:
    """Request classes of non-stock features: any attribute accepted (their ``*WithSeq`` raise anyway)."""

    def __repr__(self) -> str:
        return f"<xtpythonclient.{type(self).__name__} {vars(self)!r}>"


_NON_STOCK_REQUESTS = (
    "BankTransferReq",
    "CtpInternalTransferReq",
    "OperateSmartAlgoTaskReq",
    "QueryBankAmountReq",
    "QueryBankInfoReq",
    "QueryBankTransferStreamReq",
    "QueryComFundReq",
    "QueryComPositionReq",
    "QueryCreditAssureReq",
    "QueryCreditDetailReq",
    "QueryCreditSloCodeReq",
    "QueryCreditSubjectsReq",
    "QueryPositionStatisticsReq",
    "QuerySecuAccountReq",
    "QueryStkCompactsReq",
    "SmtAppointmentCancelReq",
    "SmtAppointmentOrderReq",
    "SmtCompactRenewalReq",
    "SmtCompactReturnReq",
    "SmtNegotiateOrderReq",
    "SmtQueryCompactReq",
    "SmtQueryOrderReq",
    "SmtQueryQuoterReq",
    "TransferParam",
)
for _name in _NON_STOCK_REQUESTS:
    globals()[_name] = type(_name, (_PermissiveReq,), {"__doc__": f"Permissive stand-in for ``{_name}``."})

# ----- responses / pushes ---------------------------------------------------------------------------------------

_ORDER_COMMON: tuple[FieldSpec, ...] = (
    _f("m_strStrategyName", "strategy_name"),
    _f("m_strOrderRemark", "order_remark"),
)


class OrderStockResp(_Struct):
    """Async order response; xttrader reads the m_ names and wraps it in ``xttype.XtOrderResponse``."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nOrderID", "order_id", t=int),
        *_ORDER_COMMON,
        _f("m_strErrorMsg", "error_msg"),
        _f("m_nSeq", "seq", t=int),
    )


class CancelOrderStockResp(_Struct):
    """Async cancel response; xttrader reads the m_ names and wraps it in ``xttype.XtCancelOrderResponse``."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nCancelResult", "cancel_result", t=int),
        _f("m_nOrderID", "order_id", t=int),
        _f("m_strOrderSysID", "order_sysid", "order_sys_id"),
        _f("m_strErrorMsg", "error_msg"),
        _f("m_nSeq", "seq", t=int),
    )


class XtAsset(_Struct):
    """Stock account funds (push ``on_stock_asset`` and ``query_stock_asset``)."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_dCash", "cash", t=float),
        _f("m_dFrozenCash", "frozen_cash", t=float),
        _f("m_dMarketValue", "market_value", t=float),
        _f("m_dTotalAsset", "total_asset", t=float),
        _f("m_dFetchBalance", "fetch_balance", t=float),
        _f("m_dCurrentBalance", "current_balance", t=float),
    )


_TRADE_TAIL: tuple[FieldSpec, ...] = (
    _f("m_nDirection", "direction", t=int),
    _f("m_nOffsetFlag", "offset_flag", "m_eOffsetFlag", t=int),
    _f("m_strSecuAccount", "secu_account"),
    _f("m_strInstrumentName", "instrument_name"),
)


class XtOrder(_Struct):
    """An order (push ``on_stock_order`` and ``query_stock_order(s)``)."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_strStockCode", "stock_code"),
        _f("m_nOrderID", "order_id", t=int),
        _f("m_strOrderSysID", "order_sysid", "order_sys_id"),
        _f("m_nOrderTime", "order_time", t=int),
        _f("m_nOrderType", "order_type", t=int),
        _f("m_nOrderVolume", "order_volume", t=int),
        _f("m_nPriceType", "price_type", t=int),
        _f("m_dPrice", "price", t=float),
        _f("m_nTradedVolume", "traded_volume", t=int),
        _f("m_dTradedPrice", "traded_price", t=float),
        _f("m_nOrderStatus", "order_status", "m_eOrderStatus", t=int),
        _f("m_strStatusMsg", "status_msg"),
        *_ORDER_COMMON,
        *_TRADE_TAIL,
    )


class XtTrade(_Struct):
    """A fill (push ``on_stock_trade`` and ``query_stock_trades``)."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_strStockCode", "stock_code"),
        _f("m_nOrderType", "order_type", t=int),
        _f("m_strTradedID", "traded_id"),
        _f("m_nTradedTime", "traded_time", t=int),
        _f("m_dTradedPrice", "traded_price", t=float),
        _f("m_nTradedVolume", "traded_volume", t=int),
        _f("m_dTradedAmount", "traded_amount", t=float),
        _f("m_nOrderID", "order_id", t=int),
        _f("m_strOrderSysID", "order_sysid", "order_sys_id"),
        *_ORDER_COMMON,
        _f("m_dCommission", "commission", t=float),
        *_TRADE_TAIL,
    )


class XtPosition(_Struct):
    """A position (push ``on_stock_position`` and ``query_stock_position(s)``)."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_strStockCode", "stock_code"),
        _f("m_nVolume", "volume", t=int),
        _f("m_nCanUseVolume", "can_use_volume", t=int),
        _f("m_dOpenPrice", "open_price", t=float),
        _f("m_dMarketValue", "market_value", t=float),
        _f("m_nFrozenVolume", "frozen_volume", t=int),
        _f("m_nOnRoadVolume", "on_road_volume", t=int),
        _f("m_nYesterdayVolume", "yesterday_volume", t=int),
        _f("m_dAvgPrice", "avg_price", t=float),
        _f("m_nDirection", "direction", t=int),
        _f("m_dLastPrice", "last_price", t=float),
        _f("m_dProfitRate", "profit_rate", t=float),
        _f("m_strSecuAccount", "secu_account"),
        _f("m_strInstrumentName", "instrument_name"),
        _f("m_dFloatProfit", "float_profit", t=float),
        _f("m_nOpenDate", "open_date", t=int),
        _f("m_dPositionProfit", "position_profit", t=float),
    )


class XtOrderError(_Struct):
    """Order failure push; xttrader reads the plain ``seq`` and ``order_id``."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nOrderID", "order_id", t=int),
        _f("m_nErrorID", "error_id", t=int),
        _f("m_strErrorMsg", "error_msg"),
        *_ORDER_COMMON,
        _f("m_nSeq", "seq", t=int),
    )


class XtCancelError(_Struct):
    """Cancel failure push; xttrader reads the plain ``order_id`` and ``order_sysid``."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nOrderID", "order_id", t=int),
        _f("m_nMarket", "market", t=int),
        _f("m_strOrderSysID", "order_sysid", "order_sys_id"),
        _f("m_nErrorID", "error_id", t=int),
        _f("m_strErrorMsg", "error_msg"),
        _f("m_nSeq", "seq", t=int),
    )


class IPOData(_Struct):
    """One issue of today (``query_ipo_data``): xttrader reads the m_ names only."""

    _fields_ = (
        _f("m_strIPOCode"),
        _f("m_strIPOName"),
        _f("m_strIPOType"),
        _f("m_nMaxPurchaseNum", t=int),
        _f("m_nMinPurchaseNum", t=int),
        _f("m_strPurchaseDate"),
        _f("m_dIssuePrice", t=float),
    )


class NewPurchaseLimitInfo(_Struct):
    """One quota of the account (``query_new_purchase_limit``): key (``SH``, ``SZ``, ``KCB`` …) and shares."""

    _fields_ = (
        _f("m_strNewPurchaseLimitKey"),
        _f("m_nNewPurchaseLimitValue", t=int),
    )


class XtAccountStatus(_Struct):
    """Account status (push; xttrader reads the m_ names) and ``query_account_status`` element."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nStatus", "status", t=int),
    )


class XtAccountInfo(_Struct):
    """``query_account_infos`` element."""

    _fields_ = (
        *_ACCOUNT_FIELDS,
        _f("m_nBrokerType", "broker_type", t=int),
        _f("m_nPlatformID", "platform_id", t=int),
        _f("m_strBrokerID", "broker_id"),
        _f("m_strBrokerName", "broker_name"),
        _f("m_strProductName", "product_name"),
        _f("m_strProductID", "product_id"),
        _f("m_strProductCode", "product_code"),
        _f("m_nLoginStatus", "login_status", t=int),
    )


# ---------------------------------------------------------------------------------------------------------------
# the client
# ---------------------------------------------------------------------------------------------------------------

#: Every ``bind*Callback`` name in the pyd string table (xttrader's ``__init__`` calls 44 of them).
BIND_NAMES: tuple[str, ...] = (
    "bindOnBankTransferRespCallback",
    "bindOnCancelCommandRespCallback",
    "bindOnCancelErrorCallback",
    "bindOnCancelOrderStockRespCallback",
    "bindOnCreateCommandRespCallback",
    "bindOnCtpInternalTransferRespCallback",
    "bindOnDisconnectedCallback",
    "bindOnExportDataRespCallback",
    "bindOnGetSmartAlgoParamRespCallback",
    "bindOnOperateSmartAlgoTaskRespCallback",
    "bindOnOrderErrorCallback",
    "bindOnOrderStockRespCallback",
    "bindOnProductNetValueCallback",
    "bindOnQueryAccountInfosCallback",
    "bindOnQueryAccountStatusCallback",
    "bindOnQueryBankAmountRespCallback",
    "bindOnQueryBankInfoRespCallback",
    "bindOnQueryBankTransferStreamRespCallback",
    "bindOnQueryComFundRespCallback",
    "bindOnQueryComPositionRespCallback",
    "bindOnQueryCommandRespCallback",
    "bindOnQueryCreditAssureRespCallback",
    "bindOnQueryCreditDetailRespCallback",
    "bindOnQueryCreditSloCodeRespCallback",
    "bindOnQueryCreditSubjectsRespCallback",
    "bindOnQueryIPODataCallback",
    "bindOnQueryIPOLuckyInfoCallback",
    "bindOnQueryNewPurchaseLimitCallback",
    "bindOnQueryOrdersCallback",
    "bindOnQueryPositionStatisticsRespCallback",
    "bindOnQueryPositionsCallback",
    "bindOnQueryProductNetValuesCallback",
    "bindOnQuerySecuAccountRespCallback",
    "bindOnQuerySmartAlgoTaskRespCallback",
    "bindOnQueryStkCompactsRespCallback",
    "bindOnQueryStockAssetCallback",
    "bindOnQueryStockOrdersCallback",
    "bindOnQueryStockPositionsCallback",
    "bindOnQueryStockTradesCallback",
    "bindOnQueryTradesCallback",
    "bindOnSetCommandOrderParamRespCallback",
    "bindOnSmartOrderStockRespCallback",
    "bindOnSmtAppointmentRespCallback",
    "bindOnSmtQueryCompactRespCallback",
    "bindOnSmtQueryOrderRespCallback",
    "bindOnSmtQueryQuoterRespCallback",
    "bindOnStockAssetCallback",
    "bindOnStockOrderCallback",
    "bindOnStockPositionCallback",
    "bindOnStockTradeCallback",
    "bindOnSubSwitchRespCallback",
    "bindOnSubscribeRespCallback",
    "bindOnSyncTransactionFromExternalRespCallback",
    "bindOnTransferRespCallback",
    "bindOnUnsubscribeRespCallback",
    "bindOnUpdateAccountStatusCallback",
)

#: ``*WithSeq`` methods of the pyd that this fake does not implement.
UNSUPPORTED_WITH_SEQ: tuple[str, ...] = (
    "bankTransferWithSeq",
    "cancelCommandWithSeq",
    "cancelOrderStockImmediateWithSeq",
    "createCommandWithSeq",
    "ctpInternalTransferWithSeq",
    "exportDataWithSeq",
    "getSmartAlgoParamWithSeq",
    "operateSmartAlgoTaskWithSeq",
    "orderStockImmediateWithSeq",
    "queryBankAmountWithSeq",
    "queryBankInfoWithSeq",
    "queryBankTransferStreamWithSeq",
    "queryComFundWithSeq",
    "queryComPositionWithSeq",
    "queryCommandWithSeq",
    "queryCreditAssureWithSeq",
    "queryCreditDetailWithSeq",
    "queryCreditSloCodeWithSeq",
    "queryCreditSubjectsWithSeq",
    "queryIPOLuckyInfoWithSeq",
    "queryOrdersWithSeq",
    "queryPositionStatisticsWithSeq",
    "queryPositionsWithSeq",
    "queryProductNetValuesWithSeq",
    "querySecuAccountWithSeq",
    "querySmartAlgoTaskWithSeq",
    "queryStkCompactsWithSeq",
    "queryTradesWithSeq",
    "sendCancelCommandOrderReqWithSeq",
    "sendCommandOrderReqWithSeq",
    "setCommandOrderParamWithSeq",
    "smartOrderStockWithSeq",
    "smtAppointmentCancelWithSeq",
    "smtAppointmentOrderWithSeq",
    "smtCompactRenewalWithSeq",
    "smtCompactReturnWithSeq",
    "smtNegotiateOrderWithSeq",
    "smtQueryCompactWithSeq",
    "smtQueryOrderWithSeq",
    "smtQueryQuoterWithSeq",
    "subSwitchWithSeq",
    "syncTransactionFromExternalWithSeq",
    "transferWithSeq",
)

# The callback names as the server addresses them (the bind name without the "bind" prefix).
ON_DISCONNECTED = "OnDisconnectedCallback"
ON_SUBSCRIBE = "OnSubscribeRespCallback"
ON_UNSUBSCRIBE = "OnUnsubscribeRespCallback"
ON_ORDER_RESP = "OnOrderStockRespCallback"
ON_CANCEL_RESP = "OnCancelOrderStockRespCallback"
ON_QUERY_ASSET = "OnQueryStockAssetCallback"
ON_QUERY_ORDERS = "OnQueryStockOrdersCallback"
ON_QUERY_TRADES = "OnQueryStockTradesCallback"
ON_QUERY_POSITIONS = "OnQueryStockPositionsCallback"
ON_QUERY_ACCOUNT_INFOS = "OnQueryAccountInfosCallback"
ON_QUERY_ACCOUNT_STATUS = "OnQueryAccountStatusCallback"
ON_QUERY_IPO_DATA = "OnQueryIPODataCallback"
ON_QUERY_NEW_PURCHASE_LIMIT = "OnQueryNewPurchaseLimitCallback"
ON_ASSET = "OnStockAssetCallback"
ON_ORDER = "OnStockOrderCallback"
ON_TRADE = "OnStockTradeCallback"
ON_POSITION = "OnStockPositionCallback"
ON_ORDER_ERROR = "OnOrderErrorCallback"
ON_CANCEL_ERROR = "OnCancelErrorCallback"
ON_ACCOUNT_STATUS = "OnUpdateAccountStatusCallback"


class _IOThread:
    """The per-client "native IO" thread: delivers queued callbacks in (due time, arrival) order."""

    def __init__(self, client: XtQuantAsyncClient) -> None:
        self._client = client
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self._counter = itertools.count()
        self._stopping = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name=f"xtfake-io-{client.session}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, name: str, args: tuple[Any, ...], delay: float = 0.0) -> None:
        with self._cond:
            if self._stopping:
                return
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._counter), name, args))
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return not self._heap and not self._busy

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._heap.clear()
            self._cond.notify_all()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopping:
                    return
                _due, _n, name, args = heapq.heappop(self._heap)
                self._busy = True
            try:
                self._client._invoke(name, args)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def _req_type_check(method: str, req: object, expected: type) -> None:
    if not isinstance(req, expected):
        raise TypeError(
            f"{method}(): incompatible function arguments. The following argument types are supported:\n"
            f"    1. (self: xtpythonclient.XtQuantAsyncClient, arg0: int, arg1: xtpythonclient.{expected.__name__})"
            f" -> None\n\nInvoked with: {req!r}"
        )


class XtQuantAsyncClient:
    """Fake of the native async trader client. One instance per ``XtQuantTrader``.

    :param path: MiniQMT ``userdata_mini`` path, bytes encoded in GB18030 (as xttrader passes it) or str.
    :param name: client name (xttrader always passes ``'xtquant'``).
    :param session: session id; at most one live (connected) client per session id and MiniQMT.
    """

    def __init__(self, path: bytes | str, name: str, session: int) -> None:
        if isinstance(path, bytes):
            self.path = path.decode("gb18030")
        elif isinstance(path, str):
            self.path = path
        else:
            raise TypeError(f"XtQuantAsyncClient(): path must be bytes or str, got {path!r}")
        if not isinstance(name, str):
            raise TypeError(f"XtQuantAsyncClient(): name must be str, got {name!r}")
        self.name = name
        self.session = _conv_int_arg("XtQuantAsyncClient", "session", session)
        self._binds: dict[str, Callable[..., Any]] = {}
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()
        self._io: _IOThread | None = None
        self._started = False
        self._stopped = False
        self._connected = False
        self._server: Any = None  # tests.xtfake.mini_qmt.MiniQMT once connected
        self.timeout: float = 0

    # ----- lifecycle ---------------------------------------------------------------------------------------------

    def init(self) -> int:
        """No-op; returns 0."""
        return 0

    def start(self) -> int:
        """Start the native IO thread (idempotent). Returns 0."""
        if not self._started and not self._stopped:
            self._started = True
            self._io = _IOThread(self)
            self._io.start()
        return 0

    def stop(self) -> int:
        """Leave the server, stop and join the IO thread, drop undelivered callbacks. Returns 0."""
        if self._stopped:
            return 0
        self._stopped = True
        server, self._server = self._server, None
        self._connected = False
        if server is not None:
            server._detach(self)
        if self._io is not None:
            self._io.stop()
        self._binds.clear()  # breaks the trader <-> client reference cycle so the trader is freed promptly
        return 0

    def connect(self) -> int:
        """Connect to the :class:`~tests.xtfake.mini_qmt.MiniQMT` registered for ``path``: 0 on success, else -1.

        Fails when not started, stopped, no MiniQMT at ``path``, the server refuses connections, or another live
        client holds the same session id.
        """
        from .mini_qmt import MiniQMT

        if not self._started or self._stopped:
            return -1
        if self._connected:
            return 0
        server = MiniQMT.lookup(self.path)
        if server is None or not server._attach(self):
            return -1
        self._server = server
        self._connected = True
        return 0

    def nextSeq(self) -> int:
        """Next request sequence number (1, 2, …), thread-safe."""
        with self._seq_lock:
            return next(self._seq)

    def setTimeout(self, timeout: int | float = 0) -> None:
        """Store the timeout (its native semantics are undocumented; the fake does not use it)."""
        self.timeout = _conv_float(timeout)

    @property
    def connected(self) -> bool:
        """Whether the client is currently connected (test helper, not a native attribute)."""
        return self._connected

    # ----- delivery (used by the server and by local failures) ------------------------------------------------

    def _bind(self, name: str, callback: Callable[..., Any]) -> None:
        if not callable(callback):
            raise TypeError(f"{name}(): callback must be callable, got {callback!r}")
        self._binds[name[len("bind") :]] = callback

    def _enqueue(self, name: str, args: tuple[Any, ...], delay: float = 0.0) -> None:
        if self._io is not None:
            self._io.put(name, args, delay)

    def _invoke(self, name: str, args: tuple[Any, ...]) -> None:
        callback = self._binds.get(name)
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a native thread must not die; xttrader raises here only after its executors stopped
            log.exception("xtfake: bound callback %s failed", name)

    def _io_idle(self) -> bool:
        return self._io is None or self._io.idle()

    def _mark_disconnected(self) -> None:
        self._connected = False
        self._server = None

    # ----- requests ---------------------------------------------------------------------------------------------

    def _check_request(self, method: str, seq: object, req: object, expected: type) -> int:
        seq_int = _conv_int_arg(method, "seq", seq)
        _req_type_check(method, req, expected)
        if not self._started or self._stopped:
            raise RuntimeError(f"xtfake: {method} on a client that is {'stopped' if self._stopped else 'not started'}")
        return seq_int

    def _live_server(self) -> Any:
        server = self._server
        return server if self._connected and server is not None else None

    def subscribeWithSeq(self, seq: int, req: SubscribeReq) -> None:
        """Subscribe the account's pushes; response ``(seq, 0 | -1)``."""
        seq = self._check_request("subscribeWithSeq", seq, req, SubscribeReq)
        server = self._live_server()
        if server is None:
            self._enqueue(ON_SUBSCRIBE, (seq, -1))
            return
        server._subscribe(self, seq, req.m_nAccountType, req.m_strAccountID, subscribe=True)

    def unsubscribeWithSeq(self, seq: int, req: UnsubscribeReq) -> None:
        """Unsubscribe the account; response ``(seq, 0 | -1)``."""
        seq = self._check_request("unsubscribeWithSeq", seq, req, UnsubscribeReq)
        server = self._live_server()
        if server is None:
            self._enqueue(ON_UNSUBSCRIBE, (seq, -1))
            return
        server._subscribe(self, seq, req.m_nAccountType, req.m_strAccountID, subscribe=False)

    def orderStockWithSeq(self, seq: int, req: OrderStockReq) -> None:
        """Place a stock order; response ``(seq, OrderStockResp)`` then pushes (see mini_qmt)."""
        seq = self._check_request("orderStockWithSeq", seq, req, OrderStockReq)
        server = self._live_server()
        if server is None:
            msg = "xtfake: 未连接 (client not connected)"
            resp = OrderStockResp(
                m_nAccountType=req.m_nAccountType,
                m_strAccountID=req.m_strAccountID,
                m_nOrderID=-1,
                m_strStrategyName=req.m_strStrategyName,
                m_strOrderRemark=req.m_strOrderRemark,
                m_strErrorMsg=msg,
                m_nSeq=seq,
            )
            err = XtOrderError(
                m_nAccountType=req.m_nAccountType,
                m_strAccountID=req.m_strAccountID,
                m_nOrderID=-1,
                m_nErrorID=-1,
                m_strErrorMsg=msg,
                m_strStrategyName=req.m_strStrategyName,
                m_strOrderRemark=req.m_strOrderRemark,
                m_nSeq=seq,
            )
            self._enqueue(ON_ORDER_RESP, (seq, resp))
            self._enqueue(ON_ORDER_ERROR, (err,))
            return
        server._order(self, seq, req)

    def cancelOrderStockWithSeq(self, seq: int, req: CancelOrderStockReq) -> None:
        """Cancel by ``m_nOrderID`` or, when ``m_strOrderSysID`` is set, by sysid; response then pushes."""
        seq = self._check_request("cancelOrderStockWithSeq", seq, req, CancelOrderStockReq)
        server = self._live_server()
        if server is None:
            msg = "xtfake: 未连接 (client not connected)"
            by_sysid = req._was_set("m_strOrderSysID")
            order_id = -1 if by_sysid else req.m_nOrderID
            resp = CancelOrderStockResp(
                m_nAccountType=req.m_nAccountType,
                m_strAccountID=req.m_strAccountID,
                m_nCancelResult=-1,
                m_nOrderID=order_id,
                m_strOrderSysID=req.m_strOrderSysID,
                m_strErrorMsg=msg,
                m_nSeq=seq,
            )
            err = XtCancelError(
                m_nAccountType=req.m_nAccountType,
                m_strAccountID=req.m_strAccountID,
                m_nOrderID=order_id,
                m_nMarket=req.m_nMarket,
                m_strOrderSysID=req.m_strOrderSysID,
                m_nErrorID=-1,
                m_strErrorMsg=msg,
                m_nSeq=seq,
            )
            self._enqueue(ON_CANCEL_RESP, (seq, resp))
            self._enqueue(ON_CANCEL_ERROR, (err,))
            return
        server._cancel(self, seq, req)

    def _query(self, method: str, seq: object, req: object, expected: type, callback_name: str, kind: str) -> None:
        seq_int = self._check_request(method, seq, req, expected)
        server = self._live_server()
        if server is None:
            self._enqueue(callback_name, (seq_int, []))
            return
        server._query(self, seq_int, kind, req, callback_name)

    def queryStockAssetWithSeq(self, seq: int, req: QueryStockAssetReq) -> None:
        """Response ``(seq, [XtAsset])`` or ``[]``."""
        self._query("queryStockAssetWithSeq", seq, req, QueryStockAssetReq, ON_QUERY_ASSET, "asset")

    def queryStockOrdersWithSeq(self, seq: int, req: QueryStockOrdersReq) -> None:
        """Response ``(seq, [XtOrder, ...])``."""
        self._query("queryStockOrdersWithSeq", seq, req, QueryStockOrdersReq, ON_QUERY_ORDERS, "orders")

    def queryStockTradesWithSeq(self, seq: int, req: QueryStockTradesReq) -> None:
        """Response ``(seq, [XtTrade, ...])``."""
        self._query("queryStockTradesWithSeq", seq, req, QueryStockTradesReq, ON_QUERY_TRADES, "trades")

    def queryStockPositionsWithSeq(self, seq: int, req: QueryStockPositionsReq) -> None:
        """Response ``(seq, [XtPosition, ...])``."""
        self._query("queryStockPositionsWithSeq", seq, req, QueryStockPositionsReq, ON_QUERY_POSITIONS, "positions")

    def queryAccountInfosWithSeq(self, seq: int, req: QueryAccountInfosReq) -> None:
        """Response ``(seq, [XtAccountInfo, ...])`` for every account of the MiniQMT."""
        self._query("queryAccountInfosWithSeq", seq, req, QueryAccountInfosReq, ON_QUERY_ACCOUNT_INFOS, "infos")

    def queryAccountStatusWithSeq(self, seq: int, req: QueryAccountStatusReq) -> None:
        """Response ``(seq, [XtAccountStatus, ...])`` for every account of the MiniQMT."""
        self._query("queryAccountStatusWithSeq", seq, req, QueryAccountStatusReq, ON_QUERY_ACCOUNT_STATUS, "status")

    def queryIPODataWithSeq(self, seq: int, req: QueryIPODataReq) -> None:
        """Response ``(seq, [IPOData, ...])``: today's issues of the MiniQMT (any account may ask)."""
        self._query("queryIPODataWithSeq", seq, req, QueryIPODataReq, ON_QUERY_IPO_DATA, "ipo")

    def queryNewPurchaseLimitWithSeq(self, seq: int, req: QueryNewPurchaseLimitReq) -> None:
        """Response ``(seq, [NewPurchaseLimitInfo, ...])``: the account's subscription quotas."""
        self._query(
            "queryNewPurchaseLimitWithSeq",
            seq,
            req,
            QueryNewPurchaseLimitReq,
            ON_QUERY_NEW_PURCHASE_LIMIT,
            "purchase_limit",
        )


def _conv_int_arg(method: str, arg: str, value: object) -> int:
    try:
        return _conv_int(value)
    except TypeError:
        raise TypeError(f"{method}(): incompatible function arguments: {arg} must be int, got {value!r}") from None


def _make_binder(bind_name: str) -> Callable[[XtQuantAsyncClient, Callable[..., Any]], None]:
    def binder(self: XtQuantAsyncClient, callback: Callable[..., Any]) -> None:
        self._bind(bind_name, callback)

    binder.__name__ = bind_name
    binder.__doc__ = f"Bind the callback for ``{bind_name[len('bind') :]}`` (the last bind wins)."
    return binder


def _make_unsupported(method: str) -> Callable[..., None]:
    def unsupported(self: XtQuantAsyncClient, *args: Any) -> None:
        raise NotImplementedError(f"xtfake: {method} is not simulated (stock subset only)")

    unsupported.__name__ = method
    unsupported.__doc__ = f"Not simulated: raises NotImplementedError in the caller's thread ({method})."
    return unsupported


for _bind_name in BIND_NAMES:
    setattr(XtQuantAsyncClient, _bind_name, _make_binder(_bind_name))
for _method in UNSUPPORTED_WITH_SEQ:
    setattr(XtQuantAsyncClient, _method, _make_unsupported(_method))
del _bind_name, _method, _name
