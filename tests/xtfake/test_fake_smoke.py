"""Smoke tests: the REAL ``xtquant.xttrader`` / ``xtquant.xtdata`` driving the fake native modules and MiniQMT."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.xtfake import ERR, MiniQMT, install, xtconstant, xttype
from tests.xtfake import xtpythonclient as native

PATH = r"C:\国金QMT交易端\userdata_mini"
ACCOUNT = "8880001"
SH = "600000.SH"
SZ = "000001.SZ"
STAR = "688001.SH"
WAIT = 15.0  # generous: CI machines run the suite on two busy cores

xttrader, xtdata = install()
C = xtconstant()
StockAccount = xttype().StockAccount


class Recorder(xttrader.XtQuantTraderCallback):
    """Collects every callback as ``(name, payload, thread name)``."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, str]] = []
        self._cond = threading.Condition()

    def _add(self, name: str, payload: Any = None) -> None:
        with self._cond:
            self.events.append((name, payload, threading.current_thread().name))
            self._cond.notify_all()

    def on_disconnected(self) -> None:
        self._add("disconnected")

    def on_account_status(self, status: Any) -> None:
        self._add("account_status", status)

    def on_stock_asset(self, asset: Any) -> None:
        self._add("asset", asset)

    def on_stock_order(self, order: Any) -> None:
        self._add("order", order)

    def on_stock_trade(self, trade: Any) -> None:
        self._add("trade", trade)

    def on_stock_position(self, position: Any) -> None:
        self._add("position", position)

    def on_order_error(self, order_error: Any) -> None:
        self._add("order_error", order_error)

    def on_cancel_error(self, cancel_error: Any) -> None:
        self._add("cancel_error", cancel_error)

    def on_order_stock_async_response(self, response: Any) -> None:
        self._add("order_resp", response)

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        self._add("cancel_resp", response)

    # helpers
    def names(self) -> list[str]:
        with self._cond:
            return [e[0] for e in self.events]

    def of(self, name: str) -> list[Any]:
        with self._cond:
            return [e[1] for e in self.events if e[0] == name]

    def wait(self, pred: Callable[[Recorder], bool], timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; events so far: {[e[0] for e in self.events]}")
                self._cond.wait(left)

    def wait_count(self, name: str, n: int = 1) -> list[Any]:
        self.wait(lambda r: sum(1 for e in r.events if e[0] == name) >= n)
        return self.of(name)

    def statuses(self, order_id: int) -> list[int]:
        return [o.order_status for o in self.of("order") if o.order_id == order_id]

    def clear(self) -> None:
        with self._cond:
            self.events.clear()


@pytest.fixture
def qmt() -> Iterator[MiniQMT]:
    MiniQMT.reset_all()
    server = MiniQMT.at(PATH)
    server.add_account(ACCOUNT, Decimal("1000000"))
    server.add_instrument(SH, "浦发银行", "10.00")
    server.set_price(SH, "10.00")
    server.add_instrument(SZ, "平安银行", "12.00")
    server.set_price(SZ, "12.00")
    server.set_position(ACCOUNT, SZ, 1000, avg_price="11.50")
    server.add_instrument(STAR, "华兴源创", "33.00", limit_ratio="0.2")
    yield server
    MiniQMT.reset_all()
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("xtfake-")]
    assert not leftover, f"fake threads still alive: {leftover}"


TraderFactory = Callable[..., tuple[Any, Recorder]]


@pytest.fixture
def make_trader(qmt: MiniQMT) -> Iterator[TraderFactory]:
    """Create traders on the main thread; stop them, close their loops and free them (newest first) at teardown."""
    created: list[Any] = []

    def make(session: int = 101, *, connect: bool = True, subscribe: bool = True) -> tuple[Any, Recorder]:
        recorder = Recorder()
        trader = xttrader.XtQuantTrader(PATH, session, recorder)
        trader.start()
        created.append(trader)
        if connect:
            assert trader.connect() == 0
            if subscribe:
                assert trader.subscribe(StockAccount(ACCOUNT)) == 0
        return trader, recorder

    yield make
    while created:
        trader = created.pop()
        trader.stop()
        trader.loop.close()
        del trader  # the fake's stop() breaks the reference cycle, so __del__ runs now, newest first


@pytest.fixture
def acc() -> Any:
    return StockAccount(ACCOUNT)


def test_order_fill_flow_through_real_xttrader(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, rec = make_trader()
    remark = "中文备注超过二十四个字节会被截断"  # 3 bytes per character
    seq = trader.order_stock_async(acc, SH, C.STOCK_BUY, 300, C.FIX_PRICE, 10.0, "strat-A", remark)
    assert seq > 0
    rec.wait(lambda r: len(r.of("asset")) >= 1)
    assert rec.names()[:4] == ["order_resp", "order", "order", "asset"]
    resp = rec.of("order_resp")[0]
    assert isinstance(resp, xttype().XtOrderResponse)
    assert resp.seq == seq and resp.order_id > 0 and resp.error_msg == ""
    assert resp.strategy_name == "strat-A"
    assert resp.order_remark == "中文备注超过二十"  # 8 characters = 24 UTF-8 bytes
    order_id = resp.order_id
    assert rec.statuses(order_id) == [C.ORDER_UNREPORTED, C.ORDER_REPORTED]
    reported = rec.of("order")[-1]
    assert isinstance(reported, native.XtOrder) and not isinstance(reported, xttype().XtOrder)
    assert reported.price_type == 50 and reported.m_nPriceType == 50  # counter code, not FIX_PRICE
    assert reported.order_sysid and rec.of("order")[0].order_sysid == ""
    assert rec.of("asset")[0].frozen_cash == pytest.approx(3000.0)
    # callbacks run on xttrader's executor, not on the fake's IO thread
    assert all(not e[2].startswith("xtfake-io") for e in rec.events)

    rec.clear()
    qmt.fill(order_id, 100, price="9.99")
    qmt.fill(order_id)
    rec.wait(lambda r: len(r.of("asset")) >= 2)
    assert rec.names() == ["trade", "order", "position", "asset"] * 2
    trades = rec.of("trade")
    assert [t.traded_volume for t in trades] == [100, 200]
    assert trades[0].traded_amount == pytest.approx(999.0) and trades[0].m_dTradedAmount == pytest.approx(999.0)
    assert trades[0].traded_id != trades[1].traded_id
    assert rec.statuses(order_id) == [C.ORDER_PART_SUCC, C.ORDER_SUCCEEDED]
    position = rec.of("position")[-1]
    assert (position.stock_code, position.volume, position.can_use_volume) == (SH, 300, 0)  # T+1
    assert rec.of("asset")[-1].cash == pytest.approx(1_000_000 - 999 - 2000)

    qmt.roll_day()
    pos = trader.query_stock_position(acc, SH)
    assert (pos.volume, pos.can_use_volume, pos.m_nCanUseVolume) == (300, 300, 300)
    assert trader.query_stock_orders(acc) == []


def test_sync_order_stock_and_queries(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, _rec = make_trader()
    open_id = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 9.9)
    done_id = trader.order_stock(acc, SZ, C.STOCK_SELL, 200, C.FIX_PRICE, 12.0)
    junk_id = trader.order_stock(acc, SH, C.STOCK_BUY, 150, C.FIX_PRICE, 9.9)  # not a round lot
    assert 0 < open_id < done_id < junk_id
    qmt.fill(done_id)

    orders = trader.query_stock_orders(acc)
    assert isinstance(orders, list)
    assert {o.order_id: o.order_status for o in orders} == {open_id: 50, done_id: 56, junk_id: 57}
    assert [o.order_id for o in trader.query_stock_orders(acc, cancelable_only=True)] == [open_id]
    assert trader.query_stock_order(acc, junk_id).status_msg == "买入数量必须是100的整数倍"
    assert trader.query_stock_order(acc, 424242) is None
    assert [t.order_id for t in trader.query_stock_trades(acc)] == [done_id]
    sz = trader.query_stock_position(acc, SZ)
    assert (sz.volume, sz.can_use_volume, sz.frozen_volume) == (800, 800, 0)
    assert {p.stock_code for p in trader.query_stock_positions(acc)} == {SZ}
    asset = trader.query_stock_asset(acc)
    assert asset.frozen_cash == pytest.approx(990.0)
    assert asset.fetch_balance == pytest.approx(asset.cash - 2400.0)  # sell proceeds are not withdrawable today
    assert [(i.account_id, i.account_type) for i in trader.query_account_infos()] == [(ACCOUNT, 2)]
    assert [s.status for s in trader.query_account_status()] == [C.ACCOUNT_STATUS_OK]
    # a client that did not subscribe gets nothing
    other, _ = make_trader(202, subscribe=False)
    assert other.query_stock_orders(acc) == [] and other.query_stock_asset(acc) is None


@pytest.mark.parametrize("before", [False, True])
def test_rejection_response_then_error(make_trader: TraderFactory, qmt: MiniQMT, acc: Any, before: bool) -> None:
    qmt.error_before_response = before
    trader, rec = make_trader()
    seq = trader.order_stock_async(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 11.5)  # limit-up is 11.00
    rec.wait(lambda r: bool(r.of("order_error")) and bool(r.of("order")))
    names = rec.names()
    assert names.index("order_resp") < names.index("order_error")  # xttrader reorders the early error
    assert names == (["order_resp", "order_error", "order"] if before else ["order_resp", "order", "order_error"])
    resp, err, order = rec.of("order_resp")[0], rec.of("order_error")[0], rec.of("order")[0]
    assert err.seq == seq == resp.seq and err.order_id == resp.order_id == order.order_id
    assert err.error_id == ERR.PRICE_LIMIT and "价格超出涨跌停范围" in err.error_msg
    assert (order.order_status, order.status_msg) == (C.ORDER_JUNK, "价格超出涨跌停范围")


@pytest.mark.parametrize(
    ("code", "side", "volume", "price_type", "price", "msg"),
    [
        (SH, 23, 200_000, 11, 10.0, "可用资金不足"),
        (SZ, 24, 1100, 11, 12.0, "可用股份不足"),
        (SZ, 24, 150, 11, 12.0, "零股必须一次性卖出"),
        (SH, 23, 100, 11, 10.005, "委托价格不是最小变动价位的整数倍"),
        ("600999.SH", 23, 100, 11, 10.0, "证券代码不存在"),
        (STAR, 23, 100, 11, 33.0, "科创板买入数量不能少于200股"),
        (SH, 23, 100, 47, 0.0, "不支持的报价类型"),  # MARKET_SZ_CONVERT_5_CANCEL on a SH stock
        (SH, 22, 100, 11, 10.0, "不支持的委托类型"),
    ],
)
def test_rejection_reasons(
    make_trader: TraderFactory,
    acc: Any,
    code: str,
    side: int,
    volume: int,
    price_type: int,
    price: float,
    msg: str,
) -> None:
    trader, rec = make_trader()
    trader.order_stock_async(acc, code, side, volume, price_type, price)
    [err] = rec.wait_count("order_error")
    assert msg in err.error_msg
    assert trader.query_stock_order(acc, err.order_id).status_msg == msg


def test_commission_suspension_and_unknown_account(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    qmt.configure(commission_rate="0.0003", min_commission=5)
    trader, _ = make_trader()
    order_id = trader.order_stock(acc, STAR, C.STOCK_BUY, 201, C.FIX_PRICE, 33.0)
    trade_id = qmt.fill(order_id)
    [trade] = trader.query_stock_trades(acc)
    assert (trade.traded_id, trade.commission, trade.traded_amount) == (trade_id, 5.0, pytest.approx(6633.0))
    assert trader.query_stock_asset(acc).cash == pytest.approx(1_000_000 - 6633 - 5)
    assert trader.query_stock_position(acc, STAR).avg_price == pytest.approx(6638 / 201)
    qmt.suspend(SH)
    assert trader.query_stock_order(acc, trader.order_stock(acc, SH, 23, 100, 11, 10.0)).status_msg == "证券停牌"
    assert trader.order_stock(StockAccount("no-such-account"), SH, 23, 100, 11, 10.0) == -1


def test_cancel_then_cancel_error(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, rec = make_trader()
    order_id = trader.order_stock(acc, SZ, C.STOCK_SELL, 300, C.FIX_PRICE, 12.5)
    rec.wait(lambda r: C.ORDER_REPORTED in r.statuses(order_id))
    rec.clear()
    seq = trader.cancel_order_stock_async(acc, order_id)
    rec.wait(lambda r: C.ORDER_CANCELED in r.statuses(order_id) and bool(r.of("asset")))
    [resp] = rec.of("cancel_resp")
    assert (resp.seq, resp.cancel_result, resp.order_id) == (seq, 0, order_id)
    assert rec.statuses(order_id) == [C.ORDER_REPORTED_CANCEL, C.ORDER_CANCELED]
    assert rec.names() == ["cancel_resp", "order", "order", "position", "asset"]
    assert rec.of("position")[0].can_use_volume == 1000  # frozen shares released

    rec.clear()
    trader.cancel_order_stock_async(acc, order_id)  # already final
    [err] = rec.wait_count("cancel_error")
    assert rec.names() == ["cancel_resp", "cancel_error"]
    assert rec.of("cancel_resp")[0].cancel_result == -1
    assert (err.order_id, err.error_id) == (order_id, ERR.CANCEL_FINAL)
    assert trader.cancel_order_stock(acc, 999_999) == -1  # sync variant, unknown order


def test_cancel_race_with_fill(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, rec = make_trader()
    qmt.hold_cancels = True
    order_id = trader.order_stock(acc, SH, C.STOCK_BUY, 500, C.FIX_PRICE, 10.0)
    sysid = qmt.order(order_id).sysid
    assert trader.cancel_order_stock_sysid(acc, C.SH_MARKET, sysid) == 0
    qmt.fill(order_id, 200)  # fills while the cancel is pending
    qmt.release_cancels()
    rec.wait(lambda r: C.ORDER_PART_CANCEL in r.statuses(order_id))
    assert rec.statuses(order_id)[-3:] == [C.ORDER_REPORTED_CANCEL, C.ORDER_PARTSUCC_CANCEL, C.ORDER_PART_CANCEL]
    final = qmt.order(order_id)
    assert (final.traded_volume, final.frozen_cash) == (200, 0)
    assert qmt.account(ACCOUNT).frozen_cash == 0

    # complete fill while a cancel is pending -> the release pushes a cancel error
    other = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 10.0)
    trader.cancel_order_stock_async(acc, other)
    qmt.fill(other)
    qmt.release_cancels()
    [err] = rec.wait_count("cancel_error")
    assert (err.order_id, err.error_id) == (other, ERR.CANCEL_FILLED)
    assert rec.statuses(other)[-1] == C.ORDER_SUCCEEDED


def test_disconnect_then_reconnect_finds_fill_by_query(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, rec = make_trader(101)
    order_id = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 10.0)
    assert qmt.disconnect_all() == 1
    rec.wait_count("disconnected")
    qmt.fill(order_id)
    assert qmt.flush()
    assert trader.subscribe(acc) == -1
    assert trader.query_stock_orders(acc) == []
    rec.clear()
    trader.order_stock_async(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 10.0)
    rec.wait_count("order_error")
    assert rec.names() == ["order_resp", "order_error"] and rec.of("order_resp")[0].order_id == -1
    assert not any(n in ("trade", "order") for n in rec.names())  # the fill was never pushed

    fresh, _ = make_trader(101)  # the session id was freed by the disconnect
    assert fresh.query_stock_order(acc, order_id).order_status == C.ORDER_SUCCEEDED
    assert [t.order_id for t in fresh.query_stock_trades(acc)] == [order_id]


def test_session_and_connection_rules(make_trader: TraderFactory, qmt: MiniQMT) -> None:
    first, _ = make_trader(7)
    dup, _ = make_trader(7, connect=False)
    assert dup.connect() == -1
    assert qmt.sessions() == [7]
    first.stop()
    assert dup.connect() == 0
    qmt.refuse_connections = True
    late, _ = make_trader(8, connect=False)
    assert late.connect() == -1
    nowhere = xttrader.XtQuantTrader(r"D:\no\such\userdata_mini", 9, Recorder())
    nowhere.start()
    try:
        assert nowhere.connect() == -1
    finally:
        nowhere.stop()
        nowhere.loop.close()
        del nowhere


def test_strict_native_typing(make_trader: TraderFactory, acc: Any) -> None:
    trader, _ = make_trader()
    with pytest.raises(TypeError):
        trader.order_stock_async(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, "10.00")  # float field gets str
    with pytest.raises(TypeError):
        trader.order_stock_async(acc, SH, float(C.STOCK_BUY), 100, C.FIX_PRICE, 10.0)  # int field gets float
    with pytest.raises(TypeError):
        trader.order_stock_async(acc, 600000, C.STOCK_BUY, 100, C.FIX_PRICE, 10.0)  # str field gets int
    req = native.OrderStockReq()
    with pytest.raises(AttributeError):
        req.m_strNoSuchField = "x"
    req.price = Decimal("10.5")  # pybind float casters accept __float__ objects
    assert req.m_dPrice == 10.5
    with pytest.raises(TypeError):
        req.m_nOrderVolume = Decimal("100")
    with pytest.raises(NotImplementedError):
        trader.query_credit_detail(acc)  # non-stock *WithSeq fails fast in the caller's thread


def test_chaos_hooks(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, rec = make_trader()
    qmt.duplicate_pushes = True
    order_id = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 9.9)
    rec.wait(lambda r: len(r.of("asset")) >= 2)
    assert rec.statuses(order_id) == [48, 48, 50, 50]
    qmt.duplicate_pushes = False

    rec.clear()
    qmt.drop_pushes(4)
    qmt.fill(order_id)
    assert qmt.flush()
    trader.query_stock_asset(acc)  # the executor is FIFO: every earlier push has been handled by now
    assert rec.names() == []
    assert trader.query_stock_order(acc, order_id).order_status == C.ORDER_SUCCEEDED

    qmt.push_unknown_status(order_id)
    rec.wait(lambda r: 255 in r.statuses(order_id))
    assert trader.query_stock_order(acc, order_id).order_status == C.ORDER_SUCCEEDED

    rec.clear()
    qmt.latency = 0.2
    seq = trader.order_stock_async(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 9.9)
    rec.wait_count("order_resp")
    assert rec.names()[:3] == ["order", "order", "asset"]  # pushes overtook the delayed response
    assert rec.of("order_resp")[0].seq == seq
    qmt.latency = 0

    rec.clear()
    external = qmt.place_external_order(ACCOUNT, SZ, "sell", 100, 12.0)
    rec.wait(lambda r: len(r.of("asset")) >= 1)
    assert "order_resp" not in rec.names()
    manual = rec.of("order")[-1]
    assert (manual.order_id, manual.order_remark, manual.strategy_name) == (external, "manual", "")

    rec.clear()
    qmt.reorder_pushes = True
    qmt.seed = 3
    trader.order_stock_async(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 9.9)
    rec.wait(lambda r: len(r.of("asset")) >= 1 and len(r.of("order")) >= 2)
    assert sorted(rec.names()) == ["asset", "order", "order", "order_resp"]


def test_auto_match_and_account_status(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, rec = make_trader()
    qmt.auto_match = True
    crossing = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 10.05)
    resting = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.FIX_PRICE, 9.8)
    market = trader.order_stock(acc, SH, C.STOCK_BUY, 100, C.MARKET_SH_CONVERT_5_CANCEL, 0)
    rec.wait(lambda r: C.ORDER_SUCCEEDED in r.statuses(crossing) and C.ORDER_SUCCEEDED in r.statuses(market))
    assert C.ORDER_SUCCEEDED not in rec.statuses(resting)
    assert [o.price_type for o in rec.of("order") if o.order_id == market][-1] == 88
    qmt.set_price(SH, "9.80")
    rec.wait(lambda r: C.ORDER_SUCCEEDED in r.statuses(resting))
    qmt.set_account_status(ACCOUNT, C.ACCOUNT_STATUS_CLOSED)
    [status] = rec.wait_count("account_status")
    assert (status.account_id, status.status) == (ACCOUNT, C.ACCOUNT_STATUS_CLOSED)


def test_ipo_data_and_purchase_limit_through_the_sync_sdk_calls(
    make_trader: TraderFactory, qmt: MiniQMT, acc: Any
) -> None:
    trader, _rec = make_trader()
    assert trader.query_ipo_data() == {}
    assert trader.query_new_purchase_limit(acc) == {}
    qmt.add_ipo("732111.SH", "沪新股", "STOCK", min_purchase=1000, max_purchase=12000, issue_price="9.88")
    qmt.add_ipo(
        "754222.SH", "沪发债", "BOND", min_purchase=10, max_purchase=10000, issue_price=100, purchase_date="20261126"
    )
    qmt.set_purchase_limit(ACCOUNT, {"SH": 5000, "SZ": 3500, "KCB": 2000})
    issues = trader.query_ipo_data()
    assert issues["732111.SH"] == {
        "name": "沪新股",
        "type": "STOCK",
        "maxPurchaseNum": 12000,
        "minPurchaseNum": 1000,
        "purchaseDate": "20261125",
        "issuePrice": pytest.approx(9.88),
    }
    assert issues["754222.SH"]["type"] == "BOND" and issues["754222.SH"]["purchaseDate"] == "20261126"
    assert trader.query_new_purchase_limit(acc) == {"SH": 5000, "SZ": 3500, "KCB": 2000}
    # The quotas are the account's: an account the client did not subscribe gets none.
    assert trader.query_new_purchase_limit(StockAccount("other")) == {}
    req = native.QueryIPODataReq()
    with pytest.raises(TypeError):
        req.m_strIPOType = 1  # type: ignore[assignment]


def test_subscription_and_repo_orders(make_trader: TraderFactory, qmt: MiniQMT, acc: Any) -> None:
    trader, _rec = make_trader()
    qmt.add_ipo("732111.SH", "沪新股", "STOCK", min_purchase=1000, max_purchase=12000, issue_price="9.88")
    qmt.add_ipo("787333.SH", "科新股", "STOCK", min_purchase=500, max_purchase=5500, issue_price="30.00")
    qmt.add_ipo("370444.SZ", "创发债", "BOND", min_purchase=10, max_purchase=10000, issue_price=100)
    qmt.set_purchase_limit(ACCOUNT, {"SH": 5000, "KCB": 0})
    buy = C.STOCK_BUY
    ok = trader.order_stock(acc, "732111.SH", buy, 5000, C.FIX_PRICE, 9.88)
    again = trader.order_stock(acc, "732111.SH", buy, 5000, C.FIX_PRICE, 9.88)
    star = trader.order_stock(acc, "787333.SH", buy, 500, C.FIX_PRICE, 30.0)  # KCB 0: no quota
    bond = trader.order_stock(acc, "370444.SZ", buy, 10000, C.FIX_PRICE, 100.0)
    repo = trader.order_stock(acc, "204001.SH", C.STOCK_SELL, 1230, C.FIX_PRICE, 1.855)
    odd = trader.order_stock(acc, "204001.SH", C.STOCK_SELL, 15, C.FIX_PRICE, 1.855)
    statuses = {o.order_id: (o.order_status, o.status_msg) for o in trader.query_stock_orders(acc)}
    assert statuses[ok][0] == statuses[bond][0] == statuses[repo][0] == C.ORDER_REPORTED
    assert statuses[again] == (C.ORDER_JUNK, "重复申购")
    assert statuses[star] == (C.ORDER_JUNK, "无申购额度")
    assert statuses[odd][0] == C.ORDER_JUNK
    # Subscriptions freeze nothing (paid when allotted); repo lending freezes 100 CNY a unit.
    asset = trader.query_stock_asset(acc)
    assert asset.frozen_cash == pytest.approx(123_000) and asset.cash == pytest.approx(877_000)
    qmt.fill(repo)
    asset = trader.query_stock_asset(acc)
    assert asset.frozen_cash == pytest.approx(0) and asset.cash == pytest.approx(877_000)
    assert qmt.position(ACCOUNT, "204001.SH") is None
    [trade] = trader.query_stock_trades(acc)
    assert (trade.traded_volume, trade.traded_amount) == (1230, pytest.approx(123_000))


def test_xtdata_ticks_details_and_subscriptions(qmt: MiniQMT) -> None:
    ticks = xtdata.get_full_tick([SH, "SZ", "300999.SZ"])
    assert set(ticks) == {SH, SZ}
    tick = ticks[SH]
    assert tick["lastPrice"] == 10.0 and tick["lastClose"] == 10.0
    assert len(tick["askPrice"]) == len(tick["bidPrice"]) == len(tick["askVol"]) == len(tick["bidVol"]) == 5
    assert tick["askPrice"][0] == pytest.approx(10.01) and tick["bidPrice"][0] == pytest.approx(10.0)
    assert isinstance(tick["time"], int) and tick["time"] > 1_600_000_000_000
    assert {"open", "high", "low", "volume", "amount"} <= set(tick)

    detail = xtdata.get_instrument_detail(SH)
    assert len(detail) == 31
    assert (detail["InstrumentName"], detail["PreClose"], detail["PriceTick"]) == ("浦发银行", 10.0, 0.01)
    assert (detail["UpStopPrice"], detail["DownStopPrice"]) == (11.0, 9.0)
    assert detail["OpenDate"] == "19991110" and detail["InstrumentStatus"] == 0
    assert xtdata.get_instrument_detail("688999.SH") is None
    qmt.add_instrument("688001.SH", "华兴源创", "33.33", limit_ratio="0.2")
    assert xtdata.get_instrument_detail("688001.SH")["UpStopPrice"] == 40.0

    dates = xtdata.get_trading_dates("SH", count=5)
    assert len(dates) == 5 and dates == sorted(dates)

    got: list[tuple[dict[str, Any], str]] = []
    arrived = threading.Event()

    def on_data(datas: dict[str, Any]) -> None:
        got.append((datas, threading.current_thread().name))
        arrived.set()

    seq = xtdata.subscribe_quote(SH, period="tick", count=0, callback=on_data)
    assert seq > 0
    qmt.set_price(SH, "10.20")
    assert arrived.wait(WAIT)
    datas, thread_name = got[-1]
    assert datas[SH][0]["lastPrice"] == pytest.approx(10.2)
    assert thread_name != threading.current_thread().name
    xtdata.unsubscribe_quote(seq)

    got.clear()
    arrived.clear()
    whole = xtdata.subscribe_whole_quote(["SZ"], callback=on_data)
    assert arrived.wait(WAIT)  # the current snapshot comes first
    assert set(got[0][0]) == {SZ} and got[0][0][SZ]["lastPrice"] == 12.0
    arrived.clear()
    qmt.set_price(SH, "10.30")  # not subscribed by the whole-quote subscription
    qmt.set_price(SZ, "12.10")
    assert arrived.wait(WAIT)
    assert got[-1][0][SZ]["lastPrice"] == pytest.approx(12.1)
    xtdata.unsubscribe_quote(whole)
