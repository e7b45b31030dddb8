"""Pure-Python fake of xtquant's native market-data module ``xtquant.datacenter`` (a pybind11 .pyd on Windows).

The real ``xtdatacenter.py`` does ``from . import datacenter as __dc`` and calls ``rpc_init`` at import;
``xtdata.py`` then talks to ``xtdatacenter.RPCClient`` (= :class:`IPythonApiClient`) through ``xtconn``:
``RPCClient()`` → ``init()`` → ``load_config(file, 'client_xtdata')`` → ``set_config_addr('127.0.0.1:58610')`` →
``connect() -> (ec, msg)``; afterwards every API checks ``is_connected()`` and reconnects when it is False.

The client connects to the :class:`~tests.xtfake.mini_qmt.MiniQMT` whose ``data_port`` equals the address's port
(xtdata tries ``127.0.0.1:58610`` when no local instance is found, so the default port just works). It reports
disconnected once that MiniQMT is closed (``MiniQMT.reset_all()``) or its ``quote_online`` is False, so xtdata's
cached global client transparently reconnects to the next test's MiniQMT.

Implemented client methods (what xtdata calls for the supported functions):
``get_full_tick`` (JSON text ``{code: tick}``, markets such as ``'SH'`` expand to all their instruments),
``get_instrument_detail`` (a BSON buffer with one document, ``b''`` when unknown), ``subscribe_quote``
(``period='tick'`` pushes ``{code: [tick]}``, K-line periods push ``{code: [bar]}`` on every price change; no initial
push), ``subscribe_whole_quote`` (pushes the current snapshot ``{code: tick}`` first, then every change),
``unsubscribe_quote``, ``get_trading_dates_by_market`` (weekdays minus ``MiniQMT.holidays`` up to the trading day,
as local-midnight ms), ``get_stock_list_in_sector`` ('沪深A股', '上证A股', '深证A股', '北证A股'),
``supply_history_data`` (no-op), ``commonControl`` (answers ``{}``), ``get_server_tag``, ``get_peer_addr``,
``get_data_dir``, ``get_app_dir``. Anything else raises :class:`NotImplementedError`.

Subscription callbacks receive BSON bytes (xtdata's wrapper decodes them) and run on one daemon thread per client,
``xtfake-quote-<n>``, never on the thread that changed the price.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .mini_qmt import MiniQMT, trading_day_ms

__all__ = ["IPythonApiClient", "get_local_server_port", "register_create_nparray", "rpc_init"]

_state: dict[str, Any] = {"create_nparray": None, "settings": {}}


def _bson() -> Any:
    from xtquant import xtbson  # the package's pure-Python BSON; imported lazily (xtquant imports us)

    return xtbson


# ----- module-level functions of the native module ---------------------------------------------------------------


def rpc_init(config_dir: str) -> int:
    """Called by ``xtdatacenter`` at import; 0 = success."""
    _state["settings"]["rpc_config_dir"] = config_dir
    return 0


def get_local_server_port() -> int:
    """No in-process data service: 0 (xtconn then falls back to 127.0.0.1:58610)."""
    return 0


def register_create_nparray(func: Callable[..., Any]) -> None:
    """xtdata registers its numpy factory here at import; stored, never used."""
    _state["create_nparray"] = func


def _setting(name: str) -> Callable[..., None]:
    def setter(*args: Any) -> None:
        _state["settings"][name] = args

    setter.__name__ = name
    setter.__doc__ = f"Standalone-datacenter setting ``{name}``: recorded, otherwise ignored."
    return setter


for _name in (
    "set_config_dir",
    "set_data_home_dir",
    "set_token",
    "set_kline_mirror_enabled",
    "set_allow_optmize_address",
    "set_wholequote_market_list",
    "set_future_realtime_mode",
    "set_watch_market_list",
    "set_index_mirror_enabled",
    "set_kline_cutting_mode",
    "set_quote_time_version",
    "set_thousand_source_mode",
    "log_init",
    "start_init_quote",
    "shutdown",
):
    globals()[_name] = _setting(_name)
del _name


def get_status() -> dict[str, Any]:
    """Standalone-datacenter init status: always done."""
    return {"init_done": True}


def fetch_auth_markets() -> dict[str, Any]:
    """Markets the standalone datacenter is authorised for."""
    return {"done": 1, "markets": ["SH", "SZ", "BJ"]}


def fetch_init_result(keys: list[str]) -> dict[str, bytes]:
    """Per-market init results (all successful), BSON-encoded as xtdatacenter expects."""
    ok = {"done": 1, "errorcode": 0, "resultcode": 0, "loginparam": {"ip": "127.0.0.1", "port": 58610}}
    return {key: _bson().BSON.encode(ok) for key in keys}


def fetch_server_list_status() -> bytes:
    """No remote servers."""
    return _bson().BSON.encode({})


def listen(ip: str, port_start: int, port_end: int) -> tuple[str, int]:
    """Pretend to listen: returns ``(ip, port_start)``."""
    return (ip, port_start)


# ----- the client ---------------------------------------------------------------------------------------------------

_SECTORS = {"沪深A股": ("SH", "SZ"), "上证A股": ("SH",), "深证A股": ("SZ",), "北证A股": ("BJ",), "京市A股": ("BJ",)}
_client_ids = itertools.count(1)


class _Subscription:
    def __init__(self, seq: int, codes: set[str], markets: set[str], period: str, whole: bool, callback: Any) -> None:
        self.seq = seq
        self.codes = codes
        self.markets = markets
        self.period = period
        self.whole = whole
        self.callback = callback

    def matches(self, code: str) -> bool:
        return code in self.codes or code.rsplit(".", 1)[-1] in self.markets


class IPythonApiClient:
    """Fake of the native xtdata RPC client."""

    def __init__(self) -> None:
        self._n = next(_client_ids)
        self._addr = ""
        self._server: MiniQMT | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._subs: dict[int, _Subscription] = {}
        self._seqs = itertools.count(1)
        self._queue: queue.Queue[tuple[Any, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._control_callbacks: dict[str, Any] = {}

    # ----- connection ---------------------------------------------------------------------------------------------

    def init(self) -> int:
        """No-op; 0."""
        return 0

    def load_config(self, file: str, section: str) -> int:
        """No-op; 0."""
        return 0

    def set_config_addr(self, addr: str) -> None:
        """Remember ``ip:port``."""
        self._addr = addr

    def registerCommonControlCallback(self, name: str, callback: Any) -> None:
        """Recorded, never called."""
        self._control_callbacks[name] = callback

    def connect(self) -> tuple[int, str]:
        """Attach to the MiniQMT serving the configured port: ``(0, '')`` or ``(-1, reason)``."""
        try:
            port = int(self._addr.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return (-1, f"invalid address {self._addr!r}")
        server = MiniQMT.serving_quotes(port)
        if server is None:
            return (-1, f"no MiniQMT quote service on port {port}")
        self._server = server
        self._closed = False
        server._add_quote_listener(self)
        return (0, "")

    def is_connected(self) -> bool:
        """True while attached to a live MiniQMT whose quote service is online."""
        server = self._server
        return not self._closed and server is not None and not server.closed and server.quote_online

    def shutdown(self) -> None:
        """Detach from the server and stop the callback thread."""
        self._closed = True
        server, self._server = self._server, None
        if server is not None:
            server._remove_quote_listener(self)
        self._stop_thread()

    def _server_closed(self, server: MiniQMT) -> None:
        if self._server is server:
            self._server = None
            self._closed = True
            self._stop_thread()

    def _require(self) -> MiniQMT:
        server = self._server
        if server is None or not self.is_connected():
            raise ConnectionError("xtfake datacenter: not connected")
        return server

    def get_data_dir(self) -> str:
        """``<userdata path>/datadir`` of the MiniQMT."""
        return f"{self._require().path}/datadir"

    def get_app_dir(self) -> str:
        """The MiniQMT's userdata path."""
        return self._require().path

    def get_server_tag(self) -> bytes:
        """BSON server description (used by xtdata's hello banner)."""
        return _bson().BSON.encode({"name": "xtfake MiniQMT", "path": self._require().path})

    def get_peer_addr(self) -> str:
        """The configured address."""
        return self._addr

    def commonControl(self, func: str, param: bytes) -> bytes:
        """Generic control channel: answers an empty BSON document (so ``getapiversion`` has no downloadversion)."""
        self._require()
        return _bson().BSON.encode({})

    # ----- data -----------------------------------------------------------------------------------------------------

    def _expand(self, server: MiniQMT, code_list: list[str]) -> list[str]:
        codes: list[str] = []
        known = server._instrument_codes()
        for item in code_list:
            if "." in item:
                codes.append(item)
            else:
                codes.extend(c for c in known if c.rsplit(".", 1)[-1] == item.upper())
        return list(dict.fromkeys(codes))

    def get_full_tick(self, code_list: list[str]) -> str:
        """JSON ``{code: tick}`` for known codes (markets expand to their instruments)."""
        server = self._require()
        out: dict[str, Any] = {}
        for code in self._expand(server, list(code_list)):
            tick = server._full_tick(code)
            if tick is not None:
                out[code] = tick
        return json.dumps(out, ensure_ascii=False)

    def get_instrument_detail(self, code: str) -> bytes:
        """A BSON buffer holding one instrument document, or ``b''`` for an unknown code."""
        detail = self._require()._instrument_detail(code)
        return _bson().BSON.encode(detail) if detail is not None else b""

    def get_trading_dates_by_market(self, market: str, start_time: Any, end_time: Any, count: int) -> list[int]:
        """Weekdays minus ``MiniQMT.holidays`` between start (default 2000-01-01) and end (default: the trading day),
        as local-midnight epoch ms; the last ``count`` when ``count > 0``."""
        server = self._require()
        start = _parse_day(start_time) or date(2000, 1, 1)
        end = _parse_day(end_time) or server.trading_day
        days = server._trading_dates(start, end)
        if count is not None and count > 0:
            days = days[-count:]
        return [trading_day_ms(d) for d in days]

    def get_stock_list_in_sector(self, sector_name: str, real_timetag: int = -1) -> list[str]:
        """Known instruments of the markets of a few A-share sectors; ``[]`` otherwise."""
        server = self._require()
        markets = _SECTORS.get(sector_name, ())
        return [c for c in server._instrument_codes() if c.rsplit(".", 1)[-1] in markets]

    def supply_history_data(self, *args: Any) -> None:
        """History download: nothing to do."""
        self._require()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def unsupported(*args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError(f"xtfake datacenter: {name} is not simulated")

        return unsupported

    # ----- subscriptions --------------------------------------------------------------------------------------------

    def subscribe_quote(self, meta: bytes, region: bytes, param: bytes, callback: Any) -> int:
        """Subscribe one code for ``meta['period']``; returns a seq > 0 (no initial push)."""
        self._require()
        meta_d = _bson().BSON.decode(meta)
        sub = _Subscription(
            next(self._seqs), {meta_d.get("stockCode", "")}, set(), str(meta_d.get("period", "1d")), False, callback
        )
        with self._lock:
            self._subs[sub.seq] = sub
        return sub.seq

    def subscribe_whole_quote(self, code_list: list[str], param: bytes, callback: Any) -> int:
        """Subscribe codes and/or whole markets; pushes the current snapshot first. Returns a seq > 0."""
        server = self._require()
        codes = {c for c in code_list if "." in c}
        markets = {c.upper() for c in code_list if "." not in c}
        sub = _Subscription(next(self._seqs), codes, markets, "tick", True, callback)
        with self._lock:
            self._subs[sub.seq] = sub
        snapshot: dict[str, Any] = {}
        for code in self._expand(server, list(code_list)):
            tick = server._full_tick(code)
            if tick is not None:
                snapshot[code] = tick
        if callback is not None and snapshot:
            self._post(callback, snapshot)
        return sub.seq

    def unsubscribe_quote(self, seq: int) -> bool:
        """Forget a subscription; True if it existed."""
        with self._lock:
            return self._subs.pop(seq, None) is not None

    def _on_tick(self, code: str, tick: dict[str, Any]) -> None:
        """Called by the MiniQMT (under its lock) after a price change: queue the callbacks, never run them here."""
        with self._lock:
            subs = [s for s in self._subs.values() if s.callback is not None and s.matches(code)]
        for sub in subs:
            if sub.whole:
                self._post(sub.callback, {code: tick})
            elif sub.period == "tick":
                self._post(sub.callback, {code: [tick]})
            else:
                self._post(sub.callback, {code: [_bar(sub.period, tick)]})

    def _post(self, callback: Any, data: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"xtfake-quote-{self._n}", daemon=True)
                self._thread.start()
        # plain bytes: xtdata's wrapper tests `type(datas) == bytes`, and xtbson's BSON is a bytes subclass
        self._queue.put((callback, bytes(_bson().BSON.encode(data))))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            callback, payload = item
            # xtdata's wrapper already prints and swallows; keep the thread alive regardless
            with contextlib.suppress(Exception):
                callback(payload)

    def _stop_thread(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._subs.clear()
        if thread is not None:
            self._queue.put(None)
            if thread is not threading.current_thread():
                thread.join(timeout=2)


def _parse_day(value: Any) -> date | None:
    if value in (None, "", 0, -1):
        return None
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000).date()
    text = str(value)[:8]
    return datetime.strptime(text, "%Y%m%d").date()


def _bar(period: str, tick: dict[str, Any]) -> dict[str, Any]:
    """A K-line bar (xtdata's documented K-line fields) for the bar containing the tick."""
    ms = int(tick["time"])
    if period in ("1m", "5m", "15m", "30m", "1h", "60m"):
        minutes = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "60m": 60}[period]
        bar_time = ms - ms % (minutes * 60_000)
    else:
        day = datetime.fromtimestamp(ms / 1000).date()
        bar_time = trading_day_ms(day)
    return {
        "time": bar_time,
        "open": tick["open"],
        "high": tick["high"],
        "low": tick["low"],
        "close": tick["lastPrice"],
        "volume": tick["volume"],
        "amount": tick["amount"],
        "settelementPrice": 0.0,
        "openInterest": tick["openInt"],
        "preClose": tick["lastClose"],
        "suspendFlag": 1 if tick["stockStatus"] == 17 else 0,
    }
