"""Quotes and instruments from MiniQMT's ``xtquant.xtdata``.

Names, reference prices, limit prices (the vendor's ``UpStopPrice``/``DownStopPrice`` are preferred
over computing them), tick and suspension come from ``get_instrument_detail``; snapshots with the
five-level book from ``get_full_tick``; live pushes from ``subscribe_quote``. Every xtdata call runs
on one dedicated thread.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time as _time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

from qmtdesk.domain.clock import SHANGHAI, Clock
from qmtdesk.domain.errors import BrokerUnavailable, UnknownInstrument
from qmtdesk.domain.instruments import Instrument, classify
from qmtdesk.market.history import Candle
from qmtdesk.market.quotes import Level, Quote, QuoteListener
from qmtdesk.market.universe import Universe

log = logging.getLogger(__name__)

#: A snapshot younger than this is served from the cache instead of asking xtdata again.
TICK_CACHE_SECONDS = 1.0
#: A detail still of an earlier trading day (MiniQMT rolls its reference and limit prices some time
#: after midnight) is asked for again after this long, until MiniQMT has today's.
STALE_DETAIL_RETRY_SECONDS = 60.0


#: The K-line fields the charts read.
_BAR_FIELDS = ("time", "open", "high", "low", "close", "volume", "amount")


def load_xtdata() -> ModuleType:
    """``xtquant.xtdata`` without the package's import-time update check."""
    from qmtdesk.brokers.xtquant.sdk import load_sdk

    load_sdk()
    xtdata = importlib.import_module("xtquant.xtdata")
    xtdata.enable_hello = False
    return xtdata


def _d(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)


def of_day(detail: dict[str, Any], day: date) -> bool:
    """Whether a detail is of ``day`` or later (one without a readable ``TradingDay`` counts as current)."""
    raw = str(detail.get("TradingDay") or "")
    if len(raw) != 8 or not raw.isdigit():
        return True
    return raw >= day.strftime("%Y%m%d")


def _px(value: Any) -> Decimal | None:
    d = _d(value)
    return d.quantize(Decimal("0.001")).normalize() if d > 0 else None


class QuotesUnavailable(BrokerUnavailable):
    """xtdata could not be asked: the desk's quotes and instrument details come from MiniQMT."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__("xtdata", type(exc).__name__)
        self.message_zh = f"行情服务（MiniQMT xtdata）不可用：{type(exc).__name__}，请确认 MiniQMT 已启动并登录"
        self.message_en = f"Quotes (MiniQMT xtdata) are not available: {type(exc).__name__}; is MiniQMT running?"


class XtDataMarket:
    """Instruments and quotes from xtdata, behind the same interface as the paper market."""

    source = "xtdata"

    def __init__(
        self,
        clock: Clock,
        universe: Universe,
        xtdata: ModuleType | None = None,
        *,
        monotonic: Callable[[], float] = _time.monotonic,
    ) -> None:
        self.clock = clock
        self._monotonic = monotonic
        self.universe = universe
        self._xtdata = xtdata
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="xtdata")
        self._lock = threading.Lock()
        # code -> (the day asked on, the detail, monotonic time fetched)
        self._details: dict[str, tuple[date, dict[str, Any], float]] = {}
        self._ticks: dict[str, tuple[float, Quote]] = {}
        self._listeners: list[QuoteListener] = []
        self._subscriptions: dict[str, int] = {}

    # ------------------------------------------------------------------------------ plumbing
    def _run(self, fn: Callable[[ModuleType], Any]) -> Any:
        """Run ``fn`` on xtdata's own thread; ``503 BROKER_UNAVAILABLE`` when xtdata cannot answer (the
        SDK is missing, MiniQMT is not running, or it did not answer in 15 s), never a bare exception."""

        def call() -> Any:
            if self._xtdata is None:
                self._xtdata = load_xtdata()
            return fn(self._xtdata)

        try:
            return self._executor.submit(call).result(timeout=15)
        except Exception as exc:
            log.warning("xtdata did not answer: %r", exc)
            raise QuotesUnavailable(exc) from exc

    def add_listener(self, listener: QuoteListener) -> None:
        """Receive every pushed snapshot."""
        self._listeners.append(listener)

    # ------------------------------------------------------------------------------ instruments
    def detail(self, code: str) -> dict[str, Any] | None:
        """``get_instrument_detail`` of a normalised code, cached per trading day.

        Between midnight and MiniQMT's own day roll the detail still carries the previous
        ``TradingDay`` (and that day's reference and limit prices): it is asked for again every
        :data:`STALE_DETAIL_RETRY_SECONDS` until it is today's.
        """
        today = self.clock.now().date()
        with self._lock:
            cached = self._details.get(code)
        if cached is not None and cached[0] == today:
            _, detail, fetched = cached
            if of_day(detail, today) or self._monotonic() - fetched < STALE_DETAIL_RETRY_SECONDS:
                return detail
        fresh = self._run(lambda x: x.get_instrument_detail(code))
        if not fresh:
            return cached[1] if cached is not None else fresh  # keep what we had rather than nothing
        with self._lock:
            self._details[code] = (today, fresh, self._monotonic())
        return fresh  # type: ignore[no-any-return]

    def instrument(self, code: str) -> Instrument:
        """The instrument from MiniQMT's detail (UNKNOWN_INSTRUMENT when xtdata has none)."""
        code = classify(code).code
        detail = self.detail(code)
        if not detail:
            known = self.universe.find(code)
            if known is not None:
                return known
            raise UnknownInstrument(code)
        name = str(detail.get("InstrumentName") or code)
        open_date = str(detail.get("OpenDate") or "")
        listed = None
        if len(open_date) == 8 and open_date.isdigit():
            listed = datetime.strptime(open_date, "%Y%m%d").date()
        status = int(detail.get("InstrumentStatus") or 0)
        instrument = Instrument.create(
            code,
            name,
            _d(detail.get("PreClose")) or Decimal("0.01"),
            is_st="ST" in name.upper(),
            list_date=listed,
            suspended=status >= 1,  # <=0 trading (-1 resumed), >=1 days suspended
        )
        return instrument

    def limits(self, code: str) -> tuple[Decimal | None, Decimal | None]:
        """Limit-up and limit-down as MiniQMT publishes them."""
        detail = self.detail(code) or {}
        return _px(detail.get("UpStopPrice")), _px(detail.get("DownStopPrice"))

    # ------------------------------------------------------------------------------ quotes
    def quote(self, code: str) -> Quote | None:
        """The latest snapshot (``get_full_tick``), at most a second old."""
        now = _time.monotonic()
        with self._lock:
            cached = self._ticks.get(code)
        if cached is not None and now - cached[0] < TICK_CACHE_SECONDS:
            return cached[1]
        ticks = self._run(lambda x: x.get_full_tick([code])) or {}
        tick = ticks.get(code)
        if not tick:
            return None
        quote = self._to_quote(code, tick, self.detail(code) or {})
        with self._lock:
            self._ticks[code] = (now, quote)
        return quote

    def quotes(self, codes: Iterable[str]) -> dict[str, Quote]:
        """Snapshots of many codes from ONE ``get_full_tick`` call; codes xtdata has no tick for are left out.

        Limits come from the cached details only (no request per code): callers that need them fetch the
        details first (:meth:`detail`).
        """
        wanted = list(dict.fromkeys(codes))
        if not wanted:
            return {}
        ticks = self._run(lambda x: x.get_full_tick(wanted)) or {}
        now = _time.monotonic()
        out = {code: self._to_quote(code, tick) for code in wanted if (tick := ticks.get(code))}
        with self._lock:
            for code, quote in out.items():
                self._ticks[code] = (now, quote)
        return out

    def cached_detail(self, code: str) -> dict[str, Any]:
        """The detail last read for ``code`` (empty when none), without asking xtdata."""
        with self._lock:
            cached = self._details.get(code)
        return cached[1] if cached else {}

    def _to_quote(self, code: str, tick: dict[str, Any], detail: dict[str, Any] | None = None) -> Quote:
        # Pushes arrive on xtdata's own thread: they use the cached detail, never a new request.
        detail = detail if detail is not None else self.cached_detail(code)
        up, down = _px(detail.get("UpStopPrice")), _px(detail.get("DownStopPrice"))

        def levels(prices: list[Any] | None, volumes: list[Any] | None) -> tuple[Level, ...]:
            out = []
            for p, v in zip(prices or [], volumes or [], strict=False):
                price = _px(p)
                if price is not None and v:
                    # xtdata's book volumes are in lots (手) of 100 shares.
                    out.append(Level(price, int(v) * 100))
            return tuple(out)

        millis = int(tick.get("time") or 0)
        moment = datetime.fromtimestamp(millis / 1000, SHANGHAI) if millis > 0 else self.clock.now()
        last = _px(tick.get("lastPrice")) or _px(tick.get("lastClose")) or Decimal(0)
        return Quote(
            stock_code=code,
            stock_name=str(detail.get("InstrumentName") or ""),
            prev_close=_d(tick.get("lastClose")) or _d(detail.get("PreClose")),
            last_price=last,
            open=_px(tick.get("open")),
            high=_px(tick.get("high")),
            low=_px(tick.get("low")),
            volume=int(tick.get("pvolume") or (int(tick.get("volume") or 0) * 100)),
            amount=_d(tick.get("amount")),
            bids=levels(tick.get("bidPrice"), tick.get("bidVol")),
            asks=levels(tick.get("askPrice"), tick.get("askVol")),
            limit_up=up,
            limit_down=down,
            time=moment,
            source=self.source,
        )

    def history(self, code: str, period: str, count: int) -> list[Candle]:
        """MiniQMT's ``period`` bars of ``code`` (``1m`` today's minutes, ``1d`` days), oldest first.

        xtdata reads bars from its local cache, so the bars are downloaded first (incrementally);
        ``get_market_data_ex`` needs pandas in the Python that runs xtquant, as MiniQMT's own does."""

        def fetch(xt: ModuleType) -> Any:
            xt.download_history_data(code, period, incrementally=True)
            frames = xt.get_market_data_ex(list(_BAR_FIELDS), [code], period=period, count=count)
            frame = frames.get(code) if frames else None
            return [] if frame is None else frame.to_dict("records")

        out = []
        for row in self._run(fetch):
            millis = int(row.get("time") or 0)
            if millis <= 0:
                continue
            moment = datetime.fromtimestamp(millis / 1000, SHANGHAI)
            prices = [_px(row.get(f)) for f in ("open", "high", "low", "close")]
            if any(p is None for p in prices):
                continue  # a suspended day: xtdata fills it with zeros
            o, h, low, c = (p for p in prices if p is not None)
            when = moment.date() if period == "1d" else moment
            # xtdata counts stock bar volume in lots (手) of 100 shares, as in its ticks.
            out.append(Candle(when, o, h, low, c, int(row.get("volume") or 0) * 100, _d(row.get("amount"))))
        return out

    def subscribe(self, code: str) -> None:
        """Push snapshots of ``code`` to the listeners as MiniQMT sends them."""
        if code in self._subscriptions:
            return

        def on_data(datas: dict[str, Any]) -> None:
            try:
                for stock, rows in (datas or {}).items():
                    tick = rows[-1] if isinstance(rows, list) and rows else rows
                    if isinstance(tick, dict):
                        quote = self._to_quote(stock, tick)
                        with self._lock:
                            self._ticks[stock] = (_time.monotonic(), quote)
                        for listener in self._listeners:
                            listener(quote)
            except Exception:
                log.exception("xtdata quote callback failed")

        seq = self._run(lambda x: x.subscribe_quote(code, period="tick", count=0, callback=on_data))
        if isinstance(seq, int) and seq > 0:
            self._subscriptions[code] = seq

    def close(self) -> None:
        """Unsubscribe and stop the xtdata thread."""
        for seq in list(self._subscriptions.values()):
            try:
                self._run(lambda x, s=seq: x.unsubscribe_quote(s))
            except Exception:
                log.debug("unsubscribe failed", exc_info=True)
        self._subscriptions.clear()
        self._executor.shutdown(wait=False)

    def search(self, query: str, limit: int = 20) -> list[Instrument]:
        """Search the known universe (bundled list plus what xtdata has described)."""
        return self.universe.search(query, limit)
