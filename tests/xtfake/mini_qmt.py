"""A simulated MiniQMT terminal: the server that fake native clients (``xtpythonclient``/``datacenter``) talk to.

One :class:`MiniQMT` per ``userdata_mini`` path, shared by every client that connects with that path
(``MiniQMT.at(path)``; ``MiniQMT.reset_all()`` between tests). xtdata clients find it by its ``data_port``
(default 58610, the port xtdata tries when nothing else is found).

Facts vs choices: behaviour marked *[real]* follows the reference (xtquant-sdk.md) or the wheel's docs; everything
else is this fake's choice, made to be plausible and to surface adapter bugs, **not** a MiniQMT fact.

Accounts, money, positions
    * ``add_account(account_id, cash, account_type=2)``; money is kept as :class:`~decimal.Decimal`, exposed as float.
    * ``set_position(account_id, code, volume, can_use_volume=None, avg_price=0)`` seeds yesterday's holdings.
    * T+1 *[real]*: bought shares raise ``volume`` but not ``can_use_volume`` until :meth:`roll_day`.
    * A buy freezes ``price × volume + estimated commission`` of cash (market buys freeze at the limit-up price);
      a sell freezes ``can_use_volume`` (``frozen_volume``). Freezes are released pro rata on fills and fully when
      the order ends. Commission = ``max(min_commission, amount × commission_rate)`` rounded to 0.01, only when
      ``commission_rate > 0`` (default 0: no fees). Sell proceeds are usable at once but not withdrawable
      (``fetch_balance = cash − today's sell proceeds``).
    * Positions sold to zero stay (volume 0) until :meth:`roll_day`. ``avg_price`` includes buy commissions.
    * ``XtAsset.total_asset = cash + frozen_cash + market_value``; market value uses the last price (else avg price).

Prices
    * ``add_instrument(code, name, pre_close, price_tick=0.01)``, ``set_price(code, last, pre_close=None)``.
    * Limit band ±``limit_ratio`` (default 10 %) of ``pre_close``, rounded half-up to the tick. A limit price outside
      it is rejected (57) with status_msg "价格超出涨跌停范围"; a price off the tick grid (after rounding to 3 decimals
      to absorb float noise) with "委托价格不是最小变动价位的整数倍".

Orders
    * ``order_id``: increasing ints starting at ``first_order_id`` (100001, deliberately far from xttrader's seqs);
      ``order_sysid``: strings assigned when the order is reported (status 50); status 48 and rejected orders have "".
    * ``order_remark`` silently truncated to ``remark_max_bytes`` (24) UTF-8 bytes without splitting a character
      *[real: 24 bytes]*; ``strategy_name`` echoed unchanged.
    * Returned ``price_type`` is the counter code *[real per vnpy_xt]*: 50 for limit (``FIX_PRICE``, and
      ``LATEST_PRICE`` which the fake converts to a limit at the last price) and 88 for market types 42–48;
      ``echo_price_type=True`` echoes the request instead. Market types are checked per exchange (42/43 SH+BJ, 44/45
      all, 46/47/48 SZ).
    * Accepted: response ``(seq, order_id)`` → XtOrder 48 → XtOrder 50 → (sell: XtPosition) → XtAsset.
    * Fill (``fill(order_id, volume=None, price=None)`` or ``auto_match``): XtTrade → XtOrder 55/56 → XtPosition →
      XtAsset. With ``auto_match=True`` an order whose limit crosses the last price (and every market/latest order)
      fills completely at once at the last price; resting orders are re-checked on every ``set_price``.
    * Rejected (unknown account: response ``order_id=-1`` + XtOrderError only; otherwise 57): response (with
      ``error_msg``) → XtOrder 57 (``status_msg`` = reason) → XtOrderError(error_id, error_msg, seq, order_id).
      ``error_before_response=True`` pushes the XtOrderError first. Checks, in order: order type 23/24, known code,
      not suspended, price type, volume (>0; buys: multiples of 100, STAR 688/689 ≥ 200 in steps of 1; sells: ≤
      ``can_use_volume`` and odd lots only when selling all of it), price band/tick, cash.
    * XtOrderError / XtCancelError go only to the requesting client; order/trade/position/asset pushes go to every
      connected client subscribed to the account. Orders may be placed on an account the client did not subscribe;
      queries, however, answer ``[]`` for accounts the client did not subscribe.
    * Cancel (by id, or by sysid when ``m_strOrderSysID`` was set): response ``cancel_result=0`` → XtOrder 51 (52 if
      partly filled) → XtOrder 54 (53 if partly filled) → (sell: XtPosition) → XtAsset. With ``hold_cancels=True``
      the final step waits for :meth:`release_cancels`; fills may happen in between (status 52, or 56 if complete,
      in which case the release pushes an XtCancelError). Cancelling an unknown, final or already-cancelling order:
      response ``cancel_result=-1`` → XtCancelError (``cancel_error_before_response=True`` reverses them).
    * ``query_stock_orders(cancelable_only=True)`` returns the statuses 48/49/50/55.
    * :meth:`roll_day`: open orders end silently (54/53), today's orders and trades are forgotten, zero positions
      are removed, ``can_use_volume = yesterday_volume = volume``, ``pre_close = last``, the trading day advances.

Connections
    * ``connect()`` is 0, or -1 if no MiniQMT at the path, ``refuse_connections`` is set, or another live client
      holds the same session id (a stopped or disconnected client frees its id).
    * :meth:`disconnect` / :meth:`disconnect_all` call the bound disconnected callback; afterwards the client's
      requests fail locally (subscribe -1, queries ``[]``, order ``order_id=-1`` + XtOrderError, cancel -1 +
      XtCancelError) and it gets no more pushes, so fills meanwhile must be found by querying after a reconnect.

Subscriptions (新股/新债申购) and reverse repo (逆回购)
    * ``add_ipo(code, name, ipo_type, min_purchase=, max_purchase=, issue_price=, purchase_date=None)`` lists an issue
      of today (``purchase_date`` defaults to the trading day, ``YYYYMMDD``); ``query_ipo_data`` answers every issue,
      ``clear_ipos()`` empties the list. ``set_purchase_limit(account_id, {"SH": 5000, "SZ": 3000, "KCB": 2000})``
      sets an account's quotas (shares), answered by ``query_new_purchase_limit`` *[real: keys SH, SZ, KCB]*.
    * A buy of a listed issue's code is a subscription: limit price = the issue price, volume a multiple of the
      minimum and at most the maximum, on the purchase date, once per account and code (a repeat is 57 "重复申购").
      A stock needs the quota of its market (STAR ``KCB`` before ``SH``, ChiNext ``CYB`` before ``SZ``; BSE
      issues pay in full instead); nothing is frozen on SH/SZ *[real: paid only when allotted]*, BSE freezes the
      amount. Subscriptions rest at 50 (no matching); :meth:`fill` allots them (a buy at the issue price).
    * A sell of a repo code (SH ``204xxx``, SZ ``1318xx``) lends cash: a limit rate on its tick (0.005 SH, 0.001 SZ),
      volume in multiples of 10 (1,000 CNY of 100-CNY units); it freezes 100 CNY per unit (plus commission), rests at
      50, and :meth:`fill` lends it (the cash leaves the account; no position is kept).

Chaos hooks
    ``drop_pushes(n, session=None)``, ``duplicate_pushes``, ``reorder_pushes`` (pushes of one server operation are
    shuffled with ``random.Random(seed)``; responses keep their place), ``latency`` (seconds added to every
    response, pushes are not delayed), ``push_unknown_status(order_id)`` (a status-255 XtOrder push; the stored
    order keeps its real status, so a query shows the truth), ``place_external_order(...)`` (an order typed into
    the QMT client by hand: remark "manual", strategy_name "", no response, no XtOrderError), ``set_account_status``.

Thread safety: all state is guarded by one ``RLock`` per MiniQMT; deliveries are queued to each client's IO thread
while the lock is held (so every client sees events in state order) and run outside it.
"""

from __future__ import annotations

import copy
import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from . import xtpythonclient as native

__all__ = [
    "ERR",
    "AccountState",
    "InstrumentState",
    "IpoState",
    "MiniQMT",
    "OrderState",
    "PositionState",
    "TradeState",
]

# xtconstant values (duplicated so the fake does not depend on importing xtquant).
STOCK_BUY, STOCK_SELL = 23, 24
LATEST_PRICE, FIX_PRICE = 5, 11
MARKET_TYPES_BY_EXCHANGE = {"SH": {42, 43, 44, 45}, "BJ": {42, 43, 44, 45}, "SZ": {44, 45, 46, 47, 48}}
COUNTER_LIMIT, COUNTER_MARKET = 50, 88
DIRECTION_LONG = 48
OFFSET_OPEN, OFFSET_CLOSE = 48, 49
UNREPORTED, WAIT_REPORTING, REPORTED = 48, 49, 50
REPORTED_CANCEL, PARTSUCC_CANCEL, PART_CANCEL, CANCELED = 51, 52, 53, 54
PART_SUCC, SUCCEEDED, JUNK, UNKNOWN = 55, 56, 57, 255
FINAL_STATUSES = frozenset({PART_CANCEL, CANCELED, SUCCEEDED, JUNK})
CANCELABLE_STATUSES = frozenset({UNREPORTED, WAIT_REPORTING, REPORTED, PART_SUCC})
MARKET_ENUM = {"SH": 0, "SZ": 1, "BJ": 70}

CENT = Decimal("0.01")
#: Cash per unit (张) of repo lending.
REPO_UNIT_CASH = Decimal(100)


class ERR:
    """``error_id`` values of the fake's XtOrderError/XtCancelError (the fake's own numbering, not QMT's)."""

    NOT_CONNECTED = -1
    ACCOUNT = 100
    ORDER_TYPE = 101
    UNKNOWN_CODE = 102
    SUSPENDED = 103
    PRICE_TYPE = 104
    VOLUME = 105
    PRICE_LIMIT = 106
    PRICE_TICK = 107
    CASH = 108
    SHARES = 109
    NO_PRICE = 110
    SUBSCRIPTION = 111
    QUOTA = 112
    REPO = 113
    CANCEL_UNKNOWN = 200
    CANCEL_FINAL = 201
    CANCEL_PENDING = 202
    CANCEL_FILLED = 203


def _dec(value: Decimal | float | int | str) -> Decimal:
    """Decimal from a user/test value; floats go through ``repr`` so 10.1 stays 10.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _round_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def _truncate_utf8(text: str, max_bytes: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", errors="ignore")


def _exchange(code: str) -> str:
    return code.rsplit(".", 1)[-1].upper() if "." in code else ""


def _is_repo(code: str) -> bool:
    """SH 204xxx and SZ 1318xx: pledged-bond repo, lent by selling."""
    exchange = _exchange(code)
    return (exchange == "SH" and code.startswith("204")) or (exchange == "SZ" and code.startswith("1318"))


def _quota_keys(code: str) -> tuple[str, ...]:
    """Quota keys a stock subscription draws on, the board's own first (STAR ``KCB``, ChiNext ``CYB``)."""
    exchange = _exchange(code)
    if exchange == "SH":
        return ("KCB", "SH") if code.startswith(("787", "788")) else ("SH",)
    if exchange == "SZ":
        return ("CYB", "SZ") if code.startswith("30") else ("SZ",)
    return ()


def _normalize_path(path: str | bytes | os.PathLike[str]) -> str:
    if isinstance(path, bytes):
        path = path.decode("gb18030")
    text = os.fspath(path).replace("\\", "/")
    return text.rstrip("/") or text


# ---------------------------------------------------------------------------------------------------------------
# state records (inspect them with MiniQMT.order()/position()/account(); they are copies)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class InstrumentState:
    """A security's static data and last quote."""

    code: str
    name: str
    pre_close: Decimal
    price_tick: Decimal = CENT
    limit_ratio: Decimal = Decimal("0.1")
    last: Decimal | None = None
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    volume: int = 0  # shares
    amount: Decimal = Decimal(0)
    open_date: int = 19991110
    float_volume: float = 1e9
    total_volume: float = 1e9
    suspended: bool = False
    depth_volume: int = 100  # lots shown at each of the 5 book levels

    @property
    def up_limit(self) -> Decimal:
        """Limit-up price."""
        return _round_to(self.pre_close * (1 + self.limit_ratio), self.price_tick)

    @property
    def down_limit(self) -> Decimal:
        """Limit-down price."""
        return _round_to(self.pre_close * (1 - self.limit_ratio), self.price_tick)

    @property
    def last_or_pre_close(self) -> Decimal:
        """The last price, or the previous close before the first trade of the day."""
        return self.last if self.last is not None else self.pre_close


@dataclass
class PositionState:
    """A holding of one account in one security."""

    code: str
    volume: int = 0
    can_use_volume: int = 0
    frozen_volume: int = 0
    yesterday_volume: int = 0
    avg_price: Decimal = Decimal(0)
    open_date: int = 0


@dataclass
class OrderState:
    """An order of today."""

    order_id: int
    account_id: str
    account_type: int
    code: str
    order_type: int
    volume: int
    price_type: int
    price: float  # as requested
    limit: Decimal  # the price used for freezing and matching bounds
    strategy_name: str
    remark: str
    order_time: int
    sysid: str = ""
    status: int = UNREPORTED
    status_msg: str = ""
    traded_volume: int = 0
    traded_amount: Decimal = Decimal(0)
    frozen_cash: Decimal = Decimal(0)
    cancel_pending: bool = False
    cancel_origin: Any = None  # the client whose cancel is held
    cancel_seq: int = 0
    origin_session: int | None = None
    seq: int = 0
    special: str = ""  # "ipo" for a subscription, "repo" for repo lending

    @property
    def is_buy(self) -> bool:
        """Buy (23) vs sell (24)."""
        return self.order_type == STOCK_BUY

    @property
    def remaining(self) -> int:
        """Volume not yet traded."""
        return self.volume - self.traded_volume

    @property
    def is_market(self) -> bool:
        """Market-type price (42-48)."""
        return self.price_type not in (FIX_PRICE, LATEST_PRICE)


@dataclass
class TradeState:
    """A fill."""

    traded_id: str
    order_id: int
    account_id: str
    code: str
    order_type: int
    price: Decimal
    volume: int
    amount: Decimal
    commission: Decimal
    traded_time: int
    sysid: str
    strategy_name: str
    remark: str


@dataclass
class AccountState:
    """A stock account."""

    account_id: str
    account_type: int
    cash: Decimal
    frozen_cash: Decimal = Decimal(0)
    sell_proceeds_today: Decimal = Decimal(0)
    status: int = 0
    positions: dict[str, PositionState] = field(default_factory=dict)
    orders: dict[int, OrderState] = field(default_factory=dict)
    trades: list[TradeState] = field(default_factory=list)
    broker_name: str = "xtfake"
    purchase_limits: dict[str, int] = field(default_factory=dict)


@dataclass
class IpoState:
    """An issue open for subscription (``query_ipo_data``)."""

    code: str
    name: str
    ipo_type: str  # "STOCK" | "BOND"
    min_purchase: int
    max_purchase: int
    issue_price: Decimal
    purchase_date: str  # YYYYMMDD


class _Reject(Exception):
    def __init__(self, error_id: int, msg: str) -> None:
        super().__init__(msg)
        self.error_id = error_id
        self.msg = msg


@dataclass
class _Item:
    client: Any
    name: str
    args: tuple[Any, ...]
    response: bool


class _Outbox:
    """Deliveries produced by one server operation, flushed (with chaos applied) before the lock is released."""

    def __init__(self) -> None:
        self.items: list[_Item] = []

    def response(self, client: Any, name: str, *args: Any) -> None:
        self.items.append(_Item(client, name, args, True))

    def push(self, client: Any, name: str, *args: Any) -> None:
        self.items.append(_Item(client, name, args, False))


class MiniQMT:
    """A simulated MiniQMT terminal (see the module docstring for the business rules).

    Options (plain attributes, settable at any time, or as keyword arguments of :meth:`at`):
    ``auto_match``, ``error_before_response``, ``cancel_error_before_response``, ``echo_price_type``,
    ``remark_max_bytes``, ``latency``, ``refuse_connections``, ``duplicate_pushes``, ``reorder_pushes``, ``seed``,
    ``hold_cancels``, ``commission_rate``, ``min_commission``, ``quote_online``, ``clock``.
    """

    _registry: ClassVar[dict[str, MiniQMT]] = {}
    _by_port: ClassVar[dict[int, MiniQMT]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    _OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "auto_match",
            "error_before_response",
            "cancel_error_before_response",
            "echo_price_type",
            "remark_max_bytes",
            "latency",
            "refuse_connections",
            "duplicate_pushes",
            "reorder_pushes",
            "seed",
            "hold_cancels",
            "commission_rate",
            "min_commission",
            "quote_online",
            "clock",
            "first_order_id",
        }
    )

    def __init__(self, path: str, *, data_port: int = 58610, first_order_id: int = 100001) -> None:
        self.path = path
        self.data_port = data_port
        self._lock = threading.RLock()
        self.closed = False
        # options
        self.auto_match = False
        self.error_before_response = False
        self.cancel_error_before_response = False
        self.echo_price_type = False
        self.remark_max_bytes = 24
        self.latency = 0.0
        self.refuse_connections = False
        self.duplicate_pushes = False
        self.reorder_pushes = False
        self.seed = 0
        self.hold_cancels = False
        self.commission_rate = Decimal(0)
        self.min_commission = Decimal(0)
        self.quote_online = True
        # Never the wall clock: tests must not depend on today's date (see pinned_clock).
        self.clock: Callable[[], float] = pinned_clock()
        # state
        self._accounts: dict[str, AccountState] = {}
        self._instruments: dict[str, InstrumentState] = {}
        self._clients: list[Any] = []  # live (connected) native clients
        self._seen_clients: list[Any] = []  # every client that ever connected (for flush())
        self._subs: dict[int, set[str]] = {}  # id(client) -> subscribed account ids
        self._quote_listeners: list[Any] = []
        self._held_cancels: list[int] = []
        self._drops: list[list[Any]] = []  # [remaining, session | None]
        self._rng: random.Random | None = None
        self.first_order_id = first_order_id
        self._order_ids = itertools.count(first_order_id)
        self._sysids = itertools.count(5000001)
        self._trade_ids = itertools.count(1)
        self.trading_day: date = date.fromtimestamp(self.clock())
        self.holidays: set[date] = set()
        self._ipos: dict[str, IpoState] = {}

    # ----- registry ---------------------------------------------------------------------------------------------

    @classmethod
    def at(cls, path: str | bytes | os.PathLike[str], *, data_port: int = 58610, **options: Any) -> MiniQMT:
        """The MiniQMT at ``path`` (created on first use); ``options`` are applied every call."""
        key = _normalize_path(path)
        with cls._registry_lock:
            server = cls._registry.get(key)
            if server is None:
                server = cls(key, data_port=data_port, first_order_id=options.get("first_order_id", 100001))
                cls._registry[key] = server
                cls._by_port[data_port] = server
        server.configure(**options)
        return server

    @classmethod
    def lookup(cls, path: str | bytes | os.PathLike[str]) -> MiniQMT | None:
        """The MiniQMT at ``path`` if one exists (what a native client's ``connect()`` uses)."""
        with cls._registry_lock:
            return cls._registry.get(_normalize_path(path))

    @classmethod
    def serving_quotes(cls, port: int) -> MiniQMT | None:
        """The MiniQMT whose xtdata service listens on ``port`` (the latest created on that port)."""
        with cls._registry_lock:
            server = cls._by_port.get(port)
        return server if server is not None and not server.closed and server.quote_online else None

    @classmethod
    def reset_all(cls) -> None:
        """Close every MiniQMT (clients are detached silently, quote listeners dropped) and forget them."""
        with cls._registry_lock:
            servers = list(cls._registry.values())
            cls._registry.clear()
            cls._by_port.clear()
        for server in servers:
            server.close()

    def configure(self, **options: Any) -> MiniQMT:
        """Set options by name (see the class docstring); returns ``self``."""
        unknown = set(options) - self._OPTIONS
        if unknown:
            raise TypeError(f"unknown MiniQMT option(s): {sorted(unknown)}")
        with self._lock:
            for name, value in options.items():
                if name in ("commission_rate", "min_commission"):
                    value = _dec(value)
                if name == "first_order_id":
                    continue
                setattr(self, name, value)
        return self

    def close(self) -> None:
        """Shut this MiniQMT down: live clients become disconnected without a callback."""
        with self._lock:
            self.closed = True
            clients, self._clients = self._clients, []
            self._subs.clear()
            listeners, self._quote_listeners = self._quote_listeners, []
        for client in clients:
            client._mark_disconnected()
        for listener in listeners:
            listener._server_closed(self)

    # ----- test setup -------------------------------------------------------------------------------------------

    def add_account(
        self, account_id: str, cash: Decimal | float | int | str = 0, account_type: int = 2, *, status: int = 0
    ) -> AccountState:
        """Create (or replace) an account with ``cash``; returns a copy of its state."""
        with self._lock:
            acct = AccountState(account_id=account_id, account_type=account_type, cash=_dec(cash), status=status)
            self._accounts[account_id] = acct
            return copy.deepcopy(acct)

    def set_cash(self, account_id: str, cash: Decimal | float | int | str) -> None:
        """Overwrite the available cash of an account (no push)."""
        with self._lock:
            self._account(account_id).cash = _dec(cash)

    def set_position(
        self,
        account_id: str,
        code: str,
        volume: int,
        can_use_volume: int | None = None,
        avg_price: Decimal | float | int | str = 0,
        *,
        open_date: int | None = None,
    ) -> None:
        """Seed a holding (treated as held since yesterday: ``yesterday_volume = volume``). No push."""
        with self._lock:
            acct = self._account(account_id)
            pos = PositionState(
                code=code,
                volume=volume,
                can_use_volume=volume if can_use_volume is None else can_use_volume,
                yesterday_volume=volume,
                avg_price=_dec(avg_price),
                open_date=open_date if open_date is not None else self._day_int(self.trading_day - timedelta(1)),
            )
            acct.positions[code] = pos
            if code not in self._instruments and pos.avg_price > 0:
                self._instruments[code] = InstrumentState(code=code, name=code, pre_close=pos.avg_price)

    def add_instrument(
        self,
        code: str,
        name: str,
        pre_close: Decimal | float | int | str,
        price_tick: Decimal | float | str = "0.01",
        *,
        limit_ratio: Decimal | float | str = "0.1",
        open_date: int = 19991110,
        suspended: bool = False,
    ) -> None:
        """Register a security (replacing an earlier one) with its previous close and tick."""
        with self._lock:
            self._instruments[code] = InstrumentState(
                code=code,
                name=name,
                pre_close=_dec(pre_close),
                price_tick=_dec(price_tick),
                limit_ratio=_dec(limit_ratio),
                open_date=open_date,
                suspended=suspended,
            )

    def set_price(
        self,
        code: str,
        last: Decimal | float | int | str,
        pre_close: Decimal | float | int | str | None = None,
        *,
        volume: int | None = None,
        amount: Decimal | float | int | str | None = None,
    ) -> None:
        """Set the last price (creating the instrument if unknown, ``pre_close`` defaulting to ``last``).

        Updates open/high/low, notifies xtdata subscribers and, with ``auto_match``, fills crossing open orders.
        ``volume`` (shares) / ``amount`` set the day's cumulative market totals shown in ticks.
        """
        with self._lock:
            price = _dec(last)
            inst = self._instruments.get(code)
            if inst is None:
                inst = InstrumentState(code=code, name=code, pre_close=_dec(pre_close) if pre_close else price)
                self._instruments[code] = inst
            elif pre_close is not None:
                inst.pre_close = _dec(pre_close)
            inst.last = price
            inst.open = inst.open if inst.open is not None else price
            inst.high = price if inst.high is None else max(inst.high, price)
            inst.low = price if inst.low is None else min(inst.low, price)
            if volume is not None:
                inst.volume = volume
            if amount is not None:
                inst.amount = _dec(amount)
            tick = self._tick(inst)
            for listener in list(self._quote_listeners):
                listener._on_tick(code, tick)
            if self.auto_match:
                box = _Outbox()
                for acct in self._accounts.values():
                    for order in list(acct.orders.values()):
                        if order.code == code:
                            self._try_match(box, acct, order)
                self._flush(box)

    def add_ipo(
        self,
        code: str,
        name: str,
        ipo_type: str = "STOCK",
        *,
        min_purchase: int,
        max_purchase: int,
        issue_price: Decimal | float | int | str,
        purchase_date: str | None = None,
    ) -> None:
        """List an issue open for subscription (``purchase_date`` ``YYYYMMDD``, default the trading day)."""
        with self._lock:
            self._ipos[code] = IpoState(
                code=code,
                name=name,
                ipo_type=ipo_type,
                min_purchase=min_purchase,
                max_purchase=max_purchase,
                issue_price=_dec(issue_price),
                purchase_date=purchase_date if purchase_date is not None else str(self._day_int(self.trading_day)),
            )

    def clear_ipos(self) -> None:
        """No issues any more."""
        with self._lock:
            self._ipos.clear()

    def set_purchase_limit(self, account_id: str, limits: dict[str, int]) -> None:
        """An account's subscription quotas in shares by key (``SH``, ``SZ``, ``KCB``, ``CYB``…), replacing the old."""
        with self._lock:
            self._account(account_id).purchase_limits = dict(limits)

    def suspend(self, code: str, suspended: bool = True) -> None:
        """Suspend (or resume) trading in ``code``: new orders are rejected with "证券停牌"."""
        with self._lock:
            self._instrument(code).suspended = suspended

    def set_account_status(self, account_id: str, status: int) -> None:
        """Change an account's status and push it (``on_account_status``) to its subscribers."""
        with self._lock:
            acct = self._account(account_id)
            acct.status = status
            box = _Outbox()
            for client in self._subscribers(account_id):
                box.push(client, native.ON_ACCOUNT_STATUS, self._native_status(acct))
            self._flush(box)

    # ----- test actions -----------------------------------------------------------------------------------------

    def fill(self, order_id: int, volume: int | None = None, price: Decimal | float | int | str | None = None) -> str:
        """Execute ``volume`` (default: all remaining) of an open order at ``price`` (default: the order's limit
        price, or the last price for market/latest orders). Returns the new ``traded_id``."""
        with self._lock:
            acct, order = self._find_order(order_id)
            if order.status in FINAL_STATUSES or order.status == UNREPORTED:
                raise ValueError(f"order {order_id} cannot be filled in status {order.status}")
            vol = order.remaining if volume is None else volume
            if not 0 < vol <= order.remaining:
                raise ValueError(f"fill volume {vol} not in 1..{order.remaining}")
            px = _dec(price) if price is not None else self._default_fill_price(order)
            box = _Outbox()
            traded_id = self._execute(box, acct, order, vol, px)
            self._flush(box)
            return traded_id

    def release_cancels(self) -> int:
        """Complete every cancel held by ``hold_cancels``; returns how many were processed."""
        with self._lock:
            held, self._held_cancels = self._held_cancels, []
            box = _Outbox()
            for order_id in held:
                acct, order = self._find_order(order_id)
                self._complete_cancel(box, acct, order)
            self._flush(box)
            return len(held)

    def drop_pushes(self, n: int, session: int | None = None) -> None:
        """Silently drop the next ``n`` pushes (to ``session`` only, or to anyone). Responses are never dropped."""
        with self._lock:
            self._drops.append([n, session])

    def push_unknown_status(self, order_id: int) -> None:
        """Push the order to its subscribers with ``order_status=255``; the stored status is unchanged."""
        with self._lock:
            acct, order = self._find_order(order_id)
            box = _Outbox()
            for client in self._subscribers(acct.account_id):
                obj = self._native_order(acct, order)
                obj.order_status = UNKNOWN
                obj.status_msg = "未知"
                box.push(client, native.ON_ORDER, obj)
            self._flush(box)

    def place_external_order(
        self,
        account_id: str,
        code: str,
        side: int | str,
        volume: int,
        price: Decimal | float | int | str,
        *,
        remark: str = "manual",
        price_type: int = FIX_PRICE,
    ) -> int:
        """An order typed into the QMT client by hand: pushed to subscribers like any other, no response/error.

        ``side`` is 23/24 or "buy"/"sell". Returns the order_id (also for a rejected order).
        """
        order_type = {"buy": STOCK_BUY, "sell": STOCK_SELL}.get(side, side) if isinstance(side, str) else side
        with self._lock:
            box = _Outbox()
            order_id = self._place(
                box,
                origin=None,
                seq=0,
                account_id=account_id,
                account_type=self._account(account_id).account_type,
                code=code,
                order_type=int(order_type),
                volume=volume,
                price_type=price_type,
                price=float(_dec(price)),
                strategy_name="",
                remark=remark,
            )
            self._flush(box)
            return order_id

    def disconnect(self, session: int) -> bool:
        """Drop the live client(s) with ``session``: they get ``on_disconnected``; False if none was live."""
        with self._lock:
            victims = [c for c in self._clients if c.session == session]
            self._drop_clients(victims)
            return bool(victims)

    def disconnect_all(self) -> int:
        """Drop every live client (each gets ``on_disconnected``); returns how many."""
        with self._lock:
            victims = list(self._clients)
            self._drop_clients(victims)
            return len(victims)

    def roll_day(self, next_day: date | None = None) -> date:
        """Start a new trading day (see the module docstring); returns the new trading day."""
        with self._lock:
            for acct in self._accounts.values():
                for order in acct.orders.values():
                    if order.status not in FINAL_STATUSES:
                        self._release(acct, order)
                        order.status = PART_CANCEL if order.traded_volume else CANCELED
                acct.orders.clear()
                acct.trades.clear()
                acct.sell_proceeds_today = Decimal(0)
                for code, pos in list(acct.positions.items()):
                    if pos.volume <= 0:
                        del acct.positions[code]
                        continue
                    pos.can_use_volume = pos.volume
                    pos.yesterday_volume = pos.volume
                    pos.frozen_volume = 0
            for inst in self._instruments.values():
                if inst.last is not None:
                    inst.pre_close = inst.last
                inst.last = inst.open = inst.high = inst.low = None
                inst.volume = 0
                inst.amount = Decimal(0)
            self._held_cancels.clear()
            day = next_day or self.trading_day + timedelta(days=1)
            while next_day is None and (day.weekday() >= 5 or day in self.holidays):
                day += timedelta(days=1)
            self.trading_day = day
            return day

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every client's IO thread has delivered everything queued; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                clients = list(self._seen_clients)
            if all(c._io_idle() for c in clients):
                return True
            time.sleep(0.002)
        return False

    # ----- inspection (copies) ----------------------------------------------------------------------------------

    def account(self, account_id: str) -> AccountState:
        """A deep copy of the account state."""
        with self._lock:
            return copy.deepcopy(self._account(account_id))

    def order(self, order_id: int) -> OrderState:
        """A copy of an order of today."""
        with self._lock:
            return copy.copy(self._find_order(order_id)[1])

    def orders(self, account_id: str) -> list[OrderState]:
        """Copies of today's orders of an account, by order_id."""
        with self._lock:
            return [copy.copy(o) for o in self._account(account_id).orders.values()]

    def trades(self, account_id: str) -> list[TradeState]:
        """Copies of today's trades of an account."""
        with self._lock:
            return [copy.copy(t) for t in self._account(account_id).trades]

    def position(self, account_id: str, code: str) -> PositionState | None:
        """A copy of a position, or None."""
        with self._lock:
            pos = self._account(account_id).positions.get(code)
            return copy.copy(pos) if pos else None

    def instrument(self, code: str) -> InstrumentState | None:
        """A copy of an instrument, or None."""
        with self._lock:
            inst = self._instruments.get(code)
            return copy.copy(inst) if inst else None

    def sessions(self) -> list[int]:
        """Session ids of the live clients."""
        with self._lock:
            return [c.session for c in self._clients]

    # ----- native client entry points (called by xtpythonclient) ------------------------------------------------

    def _attach(self, client: Any) -> bool:
        with self._lock:
            if self.closed or self.refuse_connections:
                return False
            if any(c.session == client.session for c in self._clients):
                return False
            self._clients.append(client)
            self._subs[id(client)] = set()
            if client not in self._seen_clients:
                self._seen_clients.append(client)
            return True

    def _detach(self, client: Any) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)
            self._subs.pop(id(client), None)
            if client in self._seen_clients:
                self._seen_clients.remove(client)

    def _subscribe(self, client: Any, seq: int, account_type: int, account_id: str, *, subscribe: bool) -> None:
        with self._lock:
            acct = self._accounts.get(account_id)
            ok = acct is not None and acct.account_type == account_type and client in self._clients
            subs = self._subs.setdefault(id(client), set())
            if ok:
                if subscribe:
                    subs.add(account_id)
                else:
                    subs.discard(account_id)
            box = _Outbox()
            box.response(client, native.ON_SUBSCRIBE if subscribe else native.ON_UNSUBSCRIBE, seq, 0 if ok else -1)
            self._flush(box)

    def _order(self, client: Any, seq: int, req: native.OrderStockReq) -> None:
        with self._lock:
            box = _Outbox()
            self._place(
                box,
                origin=client,
                seq=seq,
                account_id=req.m_strAccountID,
                account_type=req.m_nAccountType,
                code=req.m_strStockCode,
                order_type=req.m_nOrderType,
                volume=req.m_nOrderVolume,
                price_type=req.m_nPriceType,
                price=req.m_dPrice,
                strategy_name=req.m_strStrategyName,
                remark=req.m_strOrderRemark,
            )
            self._flush(box)

    def _cancel(self, client: Any, seq: int, req: native.CancelOrderStockReq) -> None:
        with self._lock:
            box = _Outbox()
            by_sysid = req._was_set("m_strOrderSysID")
            acct = self._accounts.get(req.m_strAccountID)
            order: OrderState | None = None
            if acct is not None and acct.account_type == req.m_nAccountType:
                if by_sysid:
                    order = next((o for o in acct.orders.values() if o.sysid and o.sysid == req.m_strOrderSysID), None)
                    if (
                        order is not None
                        and req.m_nMarket >= 0
                        and MARKET_ENUM.get(_exchange(order.code)) != (req.m_nMarket)
                    ):
                        order = None
                else:
                    order = acct.orders.get(req.m_nOrderID)
            resp_order_id = order.order_id if order is not None else (-1 if by_sysid else req.m_nOrderID)
            resp_sysid = req.m_strOrderSysID if by_sysid else ""
            failure: tuple[int, str] | None = None
            if order is None:
                failure = (ERR.CANCEL_UNKNOWN, "撤单失败:委托不存在")
            elif order.status in FINAL_STATUSES:
                failure = (ERR.CANCEL_FINAL, "撤单失败:委托已是最终状态")
            elif order.cancel_pending:
                failure = (ERR.CANCEL_PENDING, "撤单失败:撤单正在处理中")
            if failure is not None:
                error_id, msg = failure
                err = native.XtCancelError(
                    m_nAccountType=req.m_nAccountType,
                    m_strAccountID=req.m_strAccountID,
                    m_nOrderID=resp_order_id,
                    m_nMarket=MARKET_ENUM.get(_exchange(order.code), -1) if order else req.m_nMarket,
                    m_strOrderSysID=order.sysid if order else req.m_strOrderSysID,
                    m_nErrorID=error_id,
                    m_strErrorMsg=msg,
                    m_nSeq=seq,
                )
                resp = self._cancel_resp(req.m_nAccountType, req.m_strAccountID, -1, resp_order_id, resp_sysid, msg)
                if self.cancel_error_before_response:
                    box.push(client, native.ON_CANCEL_ERROR, err)
                box.response(client, native.ON_CANCEL_RESP, seq, resp)
                if not self.cancel_error_before_response:
                    box.push(client, native.ON_CANCEL_ERROR, err)
                self._flush(box)
                return
            assert acct is not None and order is not None
            box.response(
                client,
                native.ON_CANCEL_RESP,
                seq,
                self._cancel_resp(acct.account_type, acct.account_id, 0, order.order_id, resp_sysid, ""),
            )
            order.cancel_pending = True
            order.cancel_origin = client
            order.cancel_seq = seq
            order.status = PARTSUCC_CANCEL if order.traded_volume else REPORTED_CANCEL
            self._push_order(box, acct, order)
            if self.hold_cancels:
                self._held_cancels.append(order.order_id)
            else:
                self._complete_cancel(box, acct, order)
            self._flush(box)

    def _query(self, client: Any, seq: int, kind: str, req: Any, callback_name: str) -> None:
        with self._lock:
            result: list[Any] = []
            if kind == "infos":
                result = [self._native_info(a) for a in self._accounts.values()]
            elif kind == "status":
                result = [self._native_status(a) for a in self._accounts.values()]
            elif kind == "ipo":
                result = [self._native_ipo(i) for i in self._ipos.values()]
            else:
                acct = self._accounts.get(req.m_strAccountID)
                subscribed = req.m_strAccountID in self._subs.get(id(client), set())
                if acct is not None and acct.account_type == req.m_nAccountType and subscribed:
                    result = self._query_account(acct, kind, req)
            box = _Outbox()
            box.response(client, callback_name, seq, result)
            self._flush(box)

    def _query_account(self, acct: AccountState, kind: str, req: Any) -> list[Any]:
        if kind == "asset":
            return [self._native_asset(acct)]
        if kind == "orders":
            orders: Iterable[OrderState] = acct.orders.values()
            if req._was_set("m_nOrderID"):
                orders = [o for o in orders if o.order_id == req.m_nOrderID]
            if req.m_bCanCancel:
                orders = [o for o in orders if o.status in CANCELABLE_STATUSES]
            return [self._native_order(acct, o) for o in orders]
        if kind == "trades":
            return [self._native_trade(acct, t) for t in acct.trades]
        if kind == "purchase_limit":
            return [
                native.NewPurchaseLimitInfo(m_strNewPurchaseLimitKey=key, m_nNewPurchaseLimitValue=value)
                for key, value in acct.purchase_limits.items()
            ]
        if kind == "positions":
            positions: Iterable[PositionState] = acct.positions.values()
            if req._was_set("m_strStockCode"):
                positions = [p for p in positions if p.code == req.m_strStockCode]
            return [self._native_position(acct, p) for p in positions]
        raise ValueError(kind)

    # ----- order engine -----------------------------------------------------------------------------------------

    def _place(
        self,
        box: _Outbox,
        *,
        origin: Any,
        seq: int,
        account_id: str,
        account_type: int,
        code: str,
        order_type: int,
        volume: int,
        price_type: int,
        price: float,
        strategy_name: str,
        remark: str,
    ) -> int:
        remark = _truncate_utf8(remark, self.remark_max_bytes)
        acct = self._accounts.get(account_id)
        if acct is None or acct.account_type != account_type:
            msg = f"账号不存在或未登录 [{account_id}]"
            if origin is not None:
                resp = self._order_resp(account_type, account_id, -1, strategy_name, remark, msg, seq)
                err = native.XtOrderError(
                    m_nAccountType=account_type,
                    m_strAccountID=account_id,
                    m_nOrderID=-1,
                    m_nErrorID=ERR.ACCOUNT,
                    m_strErrorMsg=msg,
                    m_strStrategyName=strategy_name,
                    m_strOrderRemark=remark,
                    m_nSeq=seq,
                )
                box.response(origin, native.ON_ORDER_RESP, seq, resp)
                box.push(origin, native.ON_ORDER_ERROR, err)
            return -1
        order = OrderState(
            order_id=next(self._order_ids),
            account_id=account_id,
            account_type=account_type,
            code=code,
            order_type=order_type,
            volume=volume,
            price_type=price_type,
            price=price,
            limit=Decimal(0),
            strategy_name=strategy_name,
            remark=remark,
            order_time=int(self.clock()),
            origin_session=origin.session if origin is not None else None,
            seq=seq,
        )
        acct.orders[order.order_id] = order
        try:
            self._validate(acct, order)
        except _Reject as rej:
            order.status = JUNK
            order.status_msg = rej.msg
            side = "买入" if order.is_buy else "卖出"
            error_msg = f"{side} [{code}] [COUNTER] [{rej.error_id}][{rej.msg}]"
            err = native.XtOrderError(
                m_nAccountType=account_type,
                m_strAccountID=account_id,
                m_nOrderID=order.order_id,
                m_nErrorID=rej.error_id,
                m_strErrorMsg=error_msg,
                m_strStrategyName=strategy_name,
                m_strOrderRemark=remark,
                m_nSeq=seq,
            )
            if origin is not None and self.error_before_response:
                box.push(origin, native.ON_ORDER_ERROR, err)
            if origin is not None:
                resp = self._order_resp(account_type, account_id, order.order_id, strategy_name, remark, error_msg, seq)
                box.response(origin, native.ON_ORDER_RESP, seq, resp)
            self._push_order(box, acct, order)
            if origin is not None and not self.error_before_response:
                box.push(origin, native.ON_ORDER_ERROR, err)
            return order.order_id
        # accepted: freeze, report
        if order.special == "repo":
            order.frozen_cash = REPO_UNIT_CASH * volume + self._commission(REPO_UNIT_CASH * volume)
            acct.cash -= order.frozen_cash
            acct.frozen_cash += order.frozen_cash
        elif order.special == "ipo":
            # SH/SZ subscriptions are paid only when allotted; BSE ones freeze the full amount.
            order.frozen_cash = order.limit * volume if _exchange(code) == "BJ" else Decimal(0)
            acct.cash -= order.frozen_cash
            acct.frozen_cash += order.frozen_cash
        elif order.is_buy:
            order.frozen_cash = order.limit * volume + self._commission(order.limit * volume)
            acct.cash -= order.frozen_cash
            acct.frozen_cash += order.frozen_cash
        else:
            pos = acct.positions[code]
            pos.can_use_volume -= volume
            pos.frozen_volume += volume
        if origin is not None:
            resp = self._order_resp(account_type, account_id, order.order_id, strategy_name, remark, "", seq)
            box.response(origin, native.ON_ORDER_RESP, seq, resp)
        self._push_order(box, acct, order)
        order.sysid = str(next(self._sysids))
        order.status = REPORTED
        self._push_order(box, acct, order)
        if not order.is_buy and not order.special:
            self._push_position(box, acct, code)
        self._push_asset(box, acct)
        if self.auto_match:
            self._try_match(box, acct, order)
        return order.order_id

    def _validate(self, acct: AccountState, order: OrderState) -> None:
        """Raise :class:`_Reject` for a junk order; sets ``order.limit`` for accepted ones."""
        if order.order_type not in (STOCK_BUY, STOCK_SELL):
            raise _Reject(ERR.ORDER_TYPE, "不支持的委托类型")
        if order.code in self._ipos:
            self._validate_subscription(acct, order, self._ipos[order.code])
            return
        if _is_repo(order.code):
            self._validate_repo(acct, order)
            return
        inst = self._instruments.get(order.code)
        exchange = _exchange(order.code)
        if inst is None or exchange not in MARKET_TYPES_BY_EXCHANGE:
            raise _Reject(ERR.UNKNOWN_CODE, "证券代码不存在")
        if inst.suspended:
            raise _Reject(ERR.SUSPENDED, "证券停牌")
        if order.price_type not in {FIX_PRICE, LATEST_PRICE} | MARKET_TYPES_BY_EXCHANGE[exchange]:
            raise _Reject(ERR.PRICE_TYPE, "不支持的报价类型")
        vol = order.volume
        if vol <= 0:
            raise _Reject(ERR.VOLUME, "委托数量错误")
        if order.is_buy:
            star = exchange == "SH" and order.code.startswith(("688", "689"))
            if star and vol < 200:
                raise _Reject(ERR.VOLUME, "科创板买入数量不能少于200股")
            if not star and vol % 100:
                raise _Reject(ERR.VOLUME, "买入数量必须是100的整数倍")
        else:
            pos = acct.positions.get(order.code)
            can_use = pos.can_use_volume if pos else 0
            if vol > can_use:
                raise _Reject(ERR.SHARES, "可用股份不足")
            if vol % 100 and vol != can_use:
                raise _Reject(ERR.VOLUME, "零股必须一次性卖出")
        if order.price_type == FIX_PRICE:
            px = _dec(order.price).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
            if px > inst.up_limit or px < inst.down_limit:
                raise _Reject(ERR.PRICE_LIMIT, "价格超出涨跌停范围")
            if px % inst.price_tick:
                raise _Reject(ERR.PRICE_TICK, "委托价格不是最小变动价位的整数倍")
            order.limit = px
        elif order.price_type == LATEST_PRICE:
            order.limit = inst.last_or_pre_close
        else:
            order.limit = inst.up_limit if order.is_buy else inst.down_limit
        if order.is_buy:
            need = order.limit * vol + self._commission(order.limit * vol)
            if need > acct.cash:
                raise _Reject(ERR.CASH, "可用资金不足")

    def _validate_subscription(self, acct: AccountState, order: OrderState, ipo: IpoState) -> None:
        """A subscription: buy at the issue price, on the purchase date, within the quota, once."""
        order.special = "ipo"
        if not order.is_buy:
            raise _Reject(ERR.SUBSCRIPTION, "申购代码只能买入")
        if ipo.purchase_date != str(self._day_int(self.trading_day)):
            raise _Reject(ERR.SUBSCRIPTION, "非申购日")
        if order.price_type != FIX_PRICE:
            raise _Reject(ERR.PRICE_TYPE, "申购须为限价委托")
        price = _dec(order.price).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        if price != ipo.issue_price.quantize(Decimal("0.001")):
            raise _Reject(ERR.SUBSCRIPTION, "申购价格须为发行价")
        vol = order.volume
        if vol < ipo.min_purchase or vol % ipo.min_purchase or vol > ipo.max_purchase:
            raise _Reject(ERR.VOLUME, "申购数量错误")
        if any(o.code == order.code and o.status != JUNK and o is not order for o in acct.orders.values()):
            raise _Reject(ERR.SUBSCRIPTION, "重复申购")
        order.limit = price
        exchange = _exchange(order.code)
        if exchange == "BJ":
            if price * vol > acct.cash:
                raise _Reject(ERR.CASH, "可用资金不足")
        elif ipo.ipo_type == "STOCK":
            keys = [k for k in _quota_keys(order.code) if k in acct.purchase_limits]
            quota = acct.purchase_limits[keys[0]] if keys else 0
            if quota <= 0:
                raise _Reject(ERR.QUOTA, "无申购额度")
            if vol > quota:
                raise _Reject(ERR.QUOTA, "超过申购额度")

    def _validate_repo(self, acct: AccountState, order: OrderState) -> None:
        """Repo lending: a sell of 10-unit lots at a rate on the tick, with the cash to lend."""
        order.special = "repo"
        if order.is_buy:
            raise _Reject(ERR.REPO, "逆回购须为卖出（融券）委托")
        if order.price_type != FIX_PRICE:
            raise _Reject(ERR.PRICE_TYPE, "逆回购须为限价委托")
        rate = _dec(order.price).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        tick = Decimal("0.005") if _exchange(order.code) == "SH" else Decimal("0.001")
        if rate <= 0 or rate % tick:
            raise _Reject(ERR.PRICE_TICK, "回购利率不是最小变动价位的整数倍")
        if order.volume <= 0 or order.volume % 10:
            raise _Reject(ERR.VOLUME, "逆回购数量须为10张（1000元）的整数倍")
        need = REPO_UNIT_CASH * order.volume
        if need + self._commission(need) > acct.cash:
            raise _Reject(ERR.CASH, "可用资金不足")
        order.limit = rate

    def _commission(self, amount: Decimal) -> Decimal:
        if self.commission_rate <= 0:
            return Decimal(0)
        return max(self.min_commission, amount * self.commission_rate).quantize(CENT, rounding=ROUND_HALF_UP)

    def _default_fill_price(self, order: OrderState) -> Decimal:
        if order.price_type == FIX_PRICE:
            return order.limit
        return self._instruments[order.code].last_or_pre_close

    def _try_match(self, box: _Outbox, acct: AccountState, order: OrderState) -> None:
        if order.status not in (REPORTED, PART_SUCC) or order.cancel_pending or order.special:
            return
        inst = self._instruments.get(order.code)
        if inst is None or (inst.last is None and order.price_type == FIX_PRICE):
            return
        last = inst.last_or_pre_close
        if order.price_type == FIX_PRICE and not (order.limit >= last if order.is_buy else order.limit <= last):
            return
        self._execute(box, acct, order, order.remaining, last)

    def _execute(self, box: _Outbox, acct: AccountState, order: OrderState, vol: int, px: Decimal) -> str:
        amount = px * vol
        trade_amount = amount
        commission = self._commission(amount)
        now = int(self.clock())
        remaining_before = order.remaining
        pos = acct.positions.get(order.code)
        if pos is None and order.special != "repo":
            pos = PositionState(code=order.code, open_date=self._day_int(self.trading_day))
            acct.positions[order.code] = pos
        if order.special == "repo":
            # The cash frozen for these units is lent: it leaves the account until the repo matures.
            lent = trade_amount = REPO_UNIT_CASH * vol
            commission = self._commission(lent)
            release = (order.frozen_cash * vol / remaining_before).quantize(CENT, rounding=ROUND_HALF_UP)
            release = min(release, order.frozen_cash)
            order.frozen_cash -= release
            acct.frozen_cash -= release
            acct.cash += release - lent - commission
        elif order.is_buy:
            assert pos is not None
            release = (order.frozen_cash * vol / remaining_before).quantize(CENT, rounding=ROUND_HALF_UP)
            release = min(release, order.frozen_cash)
            order.frozen_cash -= release
            acct.frozen_cash -= release
            acct.cash += release - amount - commission
            cost = pos.avg_price * pos.volume + amount + commission
            pos.volume += vol
            pos.avg_price = cost / pos.volume
            if not pos.open_date:
                pos.open_date = self._day_int(self.trading_day)
        else:
            assert pos is not None
            pos.volume -= vol
            pos.frozen_volume -= vol
            acct.cash += amount - commission
            acct.sell_proceeds_today += amount - commission
        order.traded_volume += vol
        order.traded_amount += amount
        if order.remaining == 0:
            order.status = SUCCEEDED
            self._release(acct, order)
        elif order.cancel_pending:
            order.status = PARTSUCC_CANCEL
        else:
            order.status = PART_SUCC
        trade = TradeState(
            traded_id=f"{next(self._trade_ids):010d}",
            order_id=order.order_id,
            account_id=acct.account_id,
            code=order.code,
            order_type=order.order_type,
            price=px,
            volume=vol,
            amount=trade_amount,
            commission=commission,
            traded_time=now,
            sysid=order.sysid,
            strategy_name=order.strategy_name,
            remark=order.remark,
        )
        acct.trades.append(trade)
        for client in self._subscribers(acct.account_id):
            box.push(client, native.ON_TRADE, self._native_trade(acct, trade))
        self._push_order(box, acct, order)
        self._push_position(box, acct, order.code)
        self._push_asset(box, acct)
        return trade.traded_id

    def _release(self, acct: AccountState, order: OrderState) -> None:
        """Release whatever an order still freezes (cash for buys and repo lending, shares for sells)."""
        if order.is_buy or order.special == "repo":
            acct.cash += order.frozen_cash
            acct.frozen_cash -= order.frozen_cash
            order.frozen_cash = Decimal(0)
        elif order.status not in (JUNK,):
            pos = acct.positions.get(order.code)
            rest = order.remaining
            if pos is not None and rest > 0:
                pos.can_use_volume += rest
                pos.frozen_volume -= rest

    def _complete_cancel(self, box: _Outbox, acct: AccountState, order: OrderState) -> None:
        origin, seq = order.cancel_origin, order.cancel_seq
        order.cancel_pending = False
        order.cancel_origin = None
        if order.status in FINAL_STATUSES:  # filled completely while the cancel was held
            if origin is not None and origin in self._clients:
                err = native.XtCancelError(
                    m_nAccountType=acct.account_type,
                    m_strAccountID=acct.account_id,
                    m_nOrderID=order.order_id,
                    m_nMarket=MARKET_ENUM.get(_exchange(order.code), -1),
                    m_strOrderSysID=order.sysid,
                    m_nErrorID=ERR.CANCEL_FILLED,
                    m_strErrorMsg="撤单失败:委托已成交",
                    m_nSeq=seq,
                )
                box.push(origin, native.ON_CANCEL_ERROR, err)
            return
        self._release(acct, order)
        order.status = PART_CANCEL if order.traded_volume else CANCELED
        self._push_order(box, acct, order)
        if not order.is_buy:
            self._push_position(box, acct, order.code)
        self._push_asset(box, acct)

    # ----- pushes and native objects ----------------------------------------------------------------------------

    def _subscribers(self, account_id: str) -> list[Any]:
        return [c for c in self._clients if account_id in self._subs.get(id(c), ())]

    def _push_order(self, box: _Outbox, acct: AccountState, order: OrderState) -> None:
        for client in self._subscribers(acct.account_id):
            box.push(client, native.ON_ORDER, self._native_order(acct, order))

    def _push_position(self, box: _Outbox, acct: AccountState, code: str) -> None:
        pos = acct.positions.get(code)
        if pos is None:
            return
        for client in self._subscribers(acct.account_id):
            box.push(client, native.ON_POSITION, self._native_position(acct, pos))

    def _push_asset(self, box: _Outbox, acct: AccountState) -> None:
        for client in self._subscribers(acct.account_id):
            box.push(client, native.ON_ASSET, self._native_asset(acct))

    @staticmethod
    def _order_resp(
        account_type: int, account_id: str, order_id: int, strategy: str, remark: str, error_msg: str, seq: int
    ) -> native.OrderStockResp:
        return native.OrderStockResp(
            m_nAccountType=account_type,
            m_strAccountID=account_id,
            m_nOrderID=order_id,
            m_strStrategyName=strategy,
            m_strOrderRemark=remark,
            m_strErrorMsg=error_msg,
            m_nSeq=seq,
        )

    @staticmethod
    def _cancel_resp(
        account_type: int, account_id: str, result: int, order_id: int, sysid: str, error_msg: str
    ) -> native.CancelOrderStockResp:
        return native.CancelOrderStockResp(
            m_nAccountType=account_type,
            m_strAccountID=account_id,
            m_nCancelResult=result,
            m_nOrderID=order_id,
            m_strOrderSysID=sysid,
            m_strErrorMsg=error_msg,
        )

    @staticmethod
    def _secu_account(acct: AccountState, code: str) -> str:
        digits = "".join(ch for ch in acct.account_id if ch.isdigit())[-9:].rjust(9, "0")
        return ("A" if _exchange(code) == "SH" else "0") + digits

    def _name(self, code: str) -> str:
        inst = self._instruments.get(code)
        if inst is None and code in self._ipos:
            return self._ipos[code].name
        return inst.name if inst else ""

    def _market_value(self, acct: AccountState) -> Decimal:
        total = Decimal(0)
        for pos in acct.positions.values():
            total += self._last(pos) * pos.volume
        return total

    def _last(self, pos: PositionState) -> Decimal:
        inst = self._instruments.get(pos.code)
        if inst is not None and inst.last is not None:
            return inst.last
        return pos.avg_price

    def _native_asset(self, acct: AccountState) -> native.XtAsset:
        mv = self._market_value(acct)
        return native.XtAsset(
            m_nAccountType=acct.account_type,
            m_strAccountID=acct.account_id,
            m_dCash=acct.cash,
            m_dFrozenCash=acct.frozen_cash,
            m_dMarketValue=mv,
            m_dTotalAsset=acct.cash + acct.frozen_cash + mv,
            m_dFetchBalance=max(Decimal(0), acct.cash - acct.sell_proceeds_today),
            m_dCurrentBalance=acct.cash + acct.frozen_cash,
        )

    def _native_order(self, acct: AccountState, order: OrderState) -> native.XtOrder:
        counter_type = COUNTER_MARKET if order.is_market else COUNTER_LIMIT
        price_type = order.price_type if self.echo_price_type else counter_type
        shown_price = float(order.limit) if order.price_type == LATEST_PRICE else order.price
        traded_price = order.traded_amount / order.traded_volume if order.traded_volume else Decimal(0)
        return native.XtOrder(
            m_nAccountType=acct.account_type,
            m_strAccountID=acct.account_id,
            m_strStockCode=order.code,
            m_nOrderID=order.order_id,
            m_strOrderSysID=order.sysid,
            m_nOrderTime=order.order_time,
            m_nOrderType=order.order_type,
            m_nOrderVolume=order.volume,
            m_nPriceType=price_type,
            m_dPrice=shown_price,
            m_nTradedVolume=order.traded_volume,
            m_dTradedPrice=traded_price,
            m_nOrderStatus=order.status,
            m_strStatusMsg=order.status_msg,
            m_strStrategyName=order.strategy_name,
            m_strOrderRemark=order.remark,
            m_nDirection=DIRECTION_LONG,
            m_nOffsetFlag=OFFSET_OPEN if order.is_buy else OFFSET_CLOSE,
            m_strSecuAccount=self._secu_account(acct, order.code),
            m_strInstrumentName=self._name(order.code),
        )

    def _native_trade(self, acct: AccountState, trade: TradeState) -> native.XtTrade:
        return native.XtTrade(
            m_nAccountType=acct.account_type,
            m_strAccountID=acct.account_id,
            m_strStockCode=trade.code,
            m_nOrderType=trade.order_type,
            m_strTradedID=trade.traded_id,
            m_nTradedTime=trade.traded_time,
            m_dTradedPrice=trade.price,
            m_nTradedVolume=trade.volume,
            m_dTradedAmount=trade.amount,
            m_nOrderID=trade.order_id,
            m_strOrderSysID=trade.sysid,
            m_strStrategyName=trade.strategy_name,
            m_strOrderRemark=trade.remark,
            m_dCommission=trade.commission,
            m_nDirection=DIRECTION_LONG,
            m_nOffsetFlag=OFFSET_OPEN if trade.order_type == STOCK_BUY else OFFSET_CLOSE,
            m_strSecuAccount=self._secu_account(acct, trade.code),
            m_strInstrumentName=self._name(trade.code),
        )

    def _native_position(self, acct: AccountState, pos: PositionState) -> native.XtPosition:
        last = self._last(pos)
        mv = last * pos.volume
        cost = pos.avg_price * pos.volume
        profit = mv - cost
        return native.XtPosition(
            m_nAccountType=acct.account_type,
            m_strAccountID=acct.account_id,
            m_strStockCode=pos.code,
            m_nVolume=pos.volume,
            m_nCanUseVolume=pos.can_use_volume,
            m_dOpenPrice=pos.avg_price,
            m_dMarketValue=mv,
            m_nFrozenVolume=pos.frozen_volume,
            m_nOnRoadVolume=0,
            m_nYesterdayVolume=pos.yesterday_volume,
            m_dAvgPrice=pos.avg_price,
            m_nDirection=DIRECTION_LONG,
            m_dLastPrice=last,
            m_dProfitRate=profit / cost if cost else Decimal(0),
            m_strSecuAccount=self._secu_account(acct, pos.code),
            m_strInstrumentName=self._name(pos.code),
            m_dFloatProfit=profit,
            m_nOpenDate=pos.open_date,
            m_dPositionProfit=profit,
        )

    @staticmethod
    def _native_ipo(ipo: IpoState) -> native.IPOData:
        return native.IPOData(
            m_strIPOCode=ipo.code,
            m_strIPOName=ipo.name,
            m_strIPOType=ipo.ipo_type,
            m_nMaxPurchaseNum=ipo.max_purchase,
            m_nMinPurchaseNum=ipo.min_purchase,
            m_strPurchaseDate=ipo.purchase_date,
            m_dIssuePrice=ipo.issue_price,
        )

    @staticmethod
    def _native_status(acct: AccountState) -> native.XtAccountStatus:
        return native.XtAccountStatus(
            m_nAccountType=acct.account_type, m_strAccountID=acct.account_id, m_nStatus=acct.status
        )

    @staticmethod
    def _native_info(acct: AccountState) -> native.XtAccountInfo:
        return native.XtAccountInfo(
            m_nAccountType=acct.account_type,
            m_strAccountID=acct.account_id,
            m_nBrokerType=acct.account_type,
            m_nPlatformID=0,
            m_strBrokerID="xtfake",
            m_strBrokerName=acct.broker_name,
            m_nLoginStatus=acct.status,
        )

    # ----- delivery ---------------------------------------------------------------------------------------------

    def _flush(self, box: _Outbox) -> None:
        """Queue the outbox to the clients' IO threads, applying the chaos options to pushes."""
        per_client: dict[int, list[_Item]] = {}
        order: list[Any] = []
        for item in box.items:
            if id(item.client) not in per_client:
                per_client[id(item.client)] = []
                order.append(item.client)
            per_client[id(item.client)].append(item)
        for client in order:
            items = per_client[id(client)]
            if self.reorder_pushes:
                if self._rng is None:
                    self._rng = random.Random(self.seed)
                slots = [i for i, it in enumerate(items) if not it.response]
                pushes = [items[i] for i in slots]
                self._rng.shuffle(pushes)
                for i, it in zip(slots, pushes, strict=True):
                    items[i] = it
            for it in items:
                if it.response:
                    client._enqueue(it.name, it.args, self.latency)
                    continue
                if self._consume_drop(client.session):
                    continue
                client._enqueue(it.name, it.args)
                if self.duplicate_pushes:
                    client._enqueue(it.name, it.args)

    def _consume_drop(self, session: int) -> bool:
        for entry in self._drops:
            if entry[0] > 0 and (entry[1] is None or entry[1] == session):
                entry[0] -= 1
                if entry[0] == 0:
                    self._drops.remove(entry)
                return True
        return False

    def _drop_clients(self, victims: list[Any]) -> None:
        for client in victims:
            self._clients.remove(client)
            self._subs.pop(id(client), None)
            client._mark_disconnected()
            client._enqueue(native.ON_DISCONNECTED, ())

    # ----- quotes (used by the datacenter fake) -----------------------------------------------------------------

    def _add_quote_listener(self, listener: Any) -> None:
        with self._lock:
            if listener not in self._quote_listeners:
                self._quote_listeners.append(listener)

    def _remove_quote_listener(self, listener: Any) -> None:
        with self._lock:
            if listener in self._quote_listeners:
                self._quote_listeners.remove(listener)

    def _instrument_codes(self) -> list[str]:
        with self._lock:
            return list(self._instruments)

    def _full_tick(self, code: str) -> dict[str, Any] | None:
        with self._lock:
            inst = self._instruments.get(code)
            return self._tick(inst) if inst else None

    def _tick(self, inst: InstrumentState) -> dict[str, Any]:
        """A tick dict with the fields of xtdata's documentation (5-level book synthesised around the last price)."""
        last = inst.last_or_pre_close
        step = inst.price_tick
        asks: list[float] = []
        bids: list[float] = []
        ask_vol: list[int] = []
        bid_vol: list[int] = []
        for i in range(5):
            ask = last + step * (i + 1)
            bid = last - step * i
            ok_ask = ask <= inst.up_limit
            ok_bid = bid >= inst.down_limit and bid > 0
            asks.append(float(ask) if ok_ask else 0.0)
            ask_vol.append(inst.depth_volume if ok_ask else 0)
            bids.append(float(bid) if ok_bid else 0.0)
            bid_vol.append(inst.depth_volume if ok_bid else 0)
        traded = inst.last is not None
        return {
            "time": int(self.clock() * 1000),
            "lastPrice": float(last) if traded else 0.0,
            "open": float(inst.open) if inst.open is not None else 0.0,
            "high": float(inst.high) if inst.high is not None else 0.0,
            "low": float(inst.low) if inst.low is not None else 0.0,
            "lastClose": float(inst.pre_close),
            "amount": float(inst.amount),
            "volume": inst.volume // 100,
            "pvolume": inst.volume,
            "stockStatus": 17 if inst.suspended else 3,
            "openInt": 17 if inst.suspended else 13,
            "transactionNum": 0,
            "lastSettlementPrice": float(inst.pre_close),
            "settlementPrice": 0.0,
            "pe": 0.0,
            "askPrice": asks,
            "bidPrice": bids,
            "askVol": ask_vol,
            "bidVol": bid_vol,
            "volRatio": 0.0,
            "speed1Min": 0.0,
            "speed5Min": 0.0,
        }

    def _instrument_detail(self, code: str) -> dict[str, Any] | None:
        """The raw instrument document (before xtdata's key selection and int→str conversions)."""
        with self._lock:
            inst = self._instruments.get(code)
            if inst is None:
                return None
            exchange = _exchange(code)
            instrument_id = code.rsplit(".", 1)[0]
            return {
                "ExchangeID": exchange,
                "InstrumentID": instrument_id,
                "InstrumentName": inst.name,
                "ProductID": "",
                "ProductName": "",
                "ProductType": 0,
                "ExchangeCode": {"SH": "SSE", "SZ": "SZSE", "BJ": "BSE"}.get(exchange, exchange),
                "UniCode": instrument_id,
                "CreateDate": 0,
                "OpenDate": inst.open_date,
                "ExpireDate": 99999999,
                "TradingDay": self._day_int(self.trading_day),
                "PreClose": float(inst.pre_close),
                "SettlementPrice": 0.0,
                "UpStopPrice": float(inst.up_limit),
                "DownStopPrice": float(inst.down_limit),
                "FloatVolume": float(inst.float_volume),
                "TotalVolume": float(inst.total_volume),
                "LongMarginRatio": 0.0,
                "ShortMarginRatio": 0.0,
                "PriceTick": float(inst.price_tick),
                "VolumeMultiple": 1,
                "MainContract": 0,
                "LastVolume": 0,
                "InstrumentStatus": 1 if inst.suspended else 0,
                "IsTrading": not inst.suspended,
                "IsRecent": False,
                "ExtendInfo": {
                    "ProductTradeQuota": 0,
                    "ContractTradeQuota": 0,
                    "ProductOpenInterestQuota": 0,
                    "ContractOpenInterestQuota": 0,
                    "OptionType": -1,
                },
            }

    def _trading_dates(self, start: date, end: date) -> list[date]:
        with self._lock:
            holidays = set(self.holidays)
        out: list[date] = []
        day = start
        while day <= end:
            if day.weekday() < 5 and day not in holidays:
                out.append(day)
            day += timedelta(days=1)
        return out

    # ----- helpers ----------------------------------------------------------------------------------------------

    @staticmethod
    def _day_int(day: date) -> int:
        return day.year * 10000 + day.month * 100 + day.day

    def _account(self, account_id: str) -> AccountState:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise KeyError(f"no account {account_id!r} on MiniQMT {self.path!r}") from None

    def _instrument(self, code: str) -> InstrumentState:
        try:
            return self._instruments[code]
        except KeyError:
            raise KeyError(f"no instrument {code!r} on MiniQMT {self.path!r}") from None

    def _find_order(self, order_id: int) -> tuple[AccountState, OrderState]:
        for acct in self._accounts.values():
            order = acct.orders.get(order_id)
            if order is not None:
                return acct, order
        raise KeyError(f"no order {order_id} today on MiniQMT {self.path!r}")

    def __repr__(self) -> str:
        return f"<MiniQMT {self.path!r} port={self.data_port} clients={self.sessions()}>"


#: Where every simulated MiniQMT's clock starts: a Wednesday, 10:00 in Shanghai (a trading day).
PINNED_START = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def pinned_clock(start: datetime = PINNED_START) -> Callable[[], float]:
    """A clock (epoch seconds) that starts at ``start`` and advances with elapsed time, never the date of the run."""
    origin = time.monotonic()
    return lambda: start.timestamp() + (time.monotonic() - origin)


def trading_day_ms(day: date) -> int:
    """Local-midnight epoch milliseconds of ``day`` (xtdata's trading-date format)."""
    return int(datetime(day.year, day.month, day.day).timestamp() * 1000)
