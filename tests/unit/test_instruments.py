"""Stock codes: normalisation and classification by exchange, board and kind (reference §1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.errors import InvalidStockCode, OrderDenied
from qmtdesk.domain.instruments import Board, Exchange, Instrument, Kind, classify, normalize_code


@pytest.mark.parametrize(
    "raw",
    ["600000", "600000.SH", "SH600000", "sh600000", "sh.600000", "600000.XSHG", "600000.ss", "SH.600000"],
)
def test_every_accepted_spelling_of_600000_normalises_to_600000_SH(raw: str) -> None:
    assert normalize_code(raw) == "600000.SH"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("000001", "000001.SZ"),  # bare 000xxx is the SZSE stock (平安银行)
        ("000001.SZ", "000001.SZ"),
        ("000001.XSHE", "000001.SZ"),
        ("sz000001", "000001.SZ"),
        ("sz.000001", "000001.SZ"),
        ("000001.SH", "000001.SH"),  # the SSE Composite index must be written with its suffix
        ("SH000001", "000001.SH"),
        ("920001", "920001.BJ"),  # 920 is checked before the generic 9 -> SH
        ("bj.920001", "920001.BJ"),
        ("BJ920001", "920001.BJ"),
        ("920001.BJ", "920001.BJ"),
        ("900901", "900901.SH"),  # SSE B share
        ("200002", "200002.SZ"),  # SZSE B share
        ("688981", "688981.SH"),
        ("689009", "689009.SH"),
        ("300750", "300750.SZ"),
        ("159915", "159915.SZ"),
        ("510300", "510300.SH"),
        ("113050", "113050.SH"),
        ("123100", "123100.SZ"),
        ("399001", "399001.SZ"),
        ("899050", "899050.BJ"),
        ("430047", "430047.BJ"),
        ("830799", "830799.BJ"),
    ],
)
def test_normalize_code_resolves_the_exchange(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected


def test_bare_000001_is_the_szse_stock_and_000001_SH_is_the_sse_index() -> None:
    stock = classify("000001")
    index = classify("000001.SH")
    assert (stock.code, stock.exchange, stock.board, stock.kind) == (
        "000001.SZ",
        Exchange.SZ,
        Board.SZSE_MAIN,
        Kind.STOCK,
    )
    assert (index.code, index.exchange, index.board, index.kind) == ("000001.SH", Exchange.SH, Board.INDEX, Kind.INDEX)
    assert stock.tradable
    assert not index.tradable


def test_920xxx_is_bse_while_900xxx_is_an_sse_b_share() -> None:
    bse = classify("920001")
    b_share = classify("900901")
    assert (bse.exchange, bse.board, bse.kind) == (Exchange.BJ, Board.BSE, Kind.STOCK)
    assert (b_share.exchange, b_share.board, b_share.kind) == (Exchange.SH, Board.B_SHARE, Kind.B_SHARE)


# One row per prefix row of reference §1 (SSE, SZSE and BSE tables).
CLASSIFICATION = [
    # SSE
    ("600000.SH", Exchange.SH, Board.SSE_MAIN, Kind.STOCK),
    ("601398.SH", Exchange.SH, Board.SSE_MAIN, Kind.STOCK),
    ("603288.SH", Exchange.SH, Board.SSE_MAIN, Kind.STOCK),
    ("605499.SH", Exchange.SH, Board.SSE_MAIN, Kind.STOCK),
    ("688981.SH", Exchange.SH, Board.STAR, Kind.STOCK),
    ("689009.SH", Exchange.SH, Board.STAR, Kind.CDR),
    ("900901.SH", Exchange.SH, Board.B_SHARE, Kind.B_SHARE),
    ("510300.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("512880.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("515050.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("516160.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("517090.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("530000.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("560010.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("561300.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("562500.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("563300.SH", Exchange.SH, Board.FUND, Kind.ETF),
    ("511010.SH", Exchange.SH, Board.FUND, Kind.ETF),  # bond ETF
    ("511880.SH", Exchange.SH, Board.FUND, Kind.ETF),  # money-market ETF
    ("513100.SH", Exchange.SH, Board.FUND, Kind.ETF),  # cross-border
    ("520830.SH", Exchange.SH, Board.FUND, Kind.ETF),  # cross-border
    ("518880.SH", Exchange.SH, Board.FUND, Kind.ETF),  # gold
    ("588000.SH", Exchange.SH, Board.FUND, Kind.ETF),  # STAR ETF
    ("501018.SH", Exchange.SH, Board.FUND, Kind.LOF),
    ("502010.SH", Exchange.SH, Board.FUND, Kind.LOF),
    ("506000.SH", Exchange.SH, Board.FUND, Kind.LOF),
    ("508000.SH", Exchange.SH, Board.FUND, Kind.REIT),
    ("110059.SH", Exchange.SH, Board.BOND, Kind.CONVERTIBLE_BOND),
    ("111001.SH", Exchange.SH, Board.BOND, Kind.CONVERTIBLE_BOND),
    ("113050.SH", Exchange.SH, Board.BOND, Kind.CONVERTIBLE_BOND),
    ("118000.SH", Exchange.SH, Board.BOND, Kind.CONVERTIBLE_BOND),  # STAR convertible bond
    ("132018.SH", Exchange.SH, Board.BOND, Kind.EXCHANGEABLE_BOND),
    ("010107.SH", Exchange.SH, Board.BOND, Kind.BOND),
    ("019547.SH", Exchange.SH, Board.BOND, Kind.BOND),
    ("204001.SH", Exchange.SH, Board.OTHER, Kind.REPO),
    ("000001.SH", Exchange.SH, Board.INDEX, Kind.INDEX),
    ("000300.SH", Exchange.SH, Board.INDEX, Kind.INDEX),
    ("000905.SH", Exchange.SH, Board.INDEX, Kind.INDEX),
    ("000852.SH", Exchange.SH, Board.INDEX, Kind.INDEX),
    ("000688.SH", Exchange.SH, Board.INDEX, Kind.INDEX),
    ("730000.SH", Exchange.SH, Board.OTHER, Kind.SUBSCRIPTION),
    # SZSE
    ("000001.SZ", Exchange.SZ, Board.SZSE_MAIN, Kind.STOCK),
    ("001979.SZ", Exchange.SZ, Board.SZSE_MAIN, Kind.STOCK),
    ("002594.SZ", Exchange.SZ, Board.SZSE_MAIN, Kind.STOCK),
    ("003816.SZ", Exchange.SZ, Board.SZSE_MAIN, Kind.STOCK),
    ("300750.SZ", Exchange.SZ, Board.CHINEXT, Kind.STOCK),
    ("301236.SZ", Exchange.SZ, Board.CHINEXT, Kind.STOCK),
    ("302132.SZ", Exchange.SZ, Board.CHINEXT, Kind.STOCK),
    ("200002.SZ", Exchange.SZ, Board.B_SHARE, Kind.B_SHARE),
    ("159915.SZ", Exchange.SZ, Board.FUND, Kind.ETF),
    ("161725.SZ", Exchange.SZ, Board.FUND, Kind.LOF),
    ("180101.SZ", Exchange.SZ, Board.FUND, Kind.CLOSED_FUND),
    ("123100.SZ", Exchange.SZ, Board.BOND, Kind.CONVERTIBLE_BOND),
    ("127045.SZ", Exchange.SZ, Board.BOND, Kind.CONVERTIBLE_BOND),
    ("128136.SZ", Exchange.SZ, Board.BOND, Kind.CONVERTIBLE_BOND),
    ("101901.SZ", Exchange.SZ, Board.BOND, Kind.BOND),
    ("112001.SZ", Exchange.SZ, Board.BOND, Kind.BOND),
    ("131810.SZ", Exchange.SZ, Board.OTHER, Kind.REPO),
    ("399001.SZ", Exchange.SZ, Board.INDEX, Kind.INDEX),
    ("399006.SZ", Exchange.SZ, Board.INDEX, Kind.INDEX),
    ("395001.SZ", Exchange.SZ, Board.INDEX, Kind.INDEX),
    # BSE
    ("920001.BJ", Exchange.BJ, Board.BSE, Kind.STOCK),
    ("899050.BJ", Exchange.BJ, Board.INDEX, Kind.INDEX),
    ("810001.BJ", Exchange.BJ, Board.BOND, Kind.CONVERTIBLE_BOND),
]


@pytest.mark.parametrize(("code", "exchange", "board", "kind"), CLASSIFICATION)
def test_classify_follows_the_prefix_table(code: str, exchange: Exchange, board: Board, kind: Kind) -> None:
    info = classify(code)
    assert (info.code, info.exchange, info.board, info.kind) == (code, exchange, board, kind)
    assert info.digits == code[:6]


@pytest.mark.parametrize(
    ("code", "tradable"),
    [
        ("600000.SH", True),
        ("689009.SH", True),
        ("510300.SH", True),
        ("501018.SH", True),
        ("508000.SH", True),
        ("180101.SZ", True),
        ("113050.SH", True),
        ("132018.SH", True),
        ("000300.SH", False),  # index
        ("399001.SZ", False),  # index
        ("899050.BJ", False),  # index
        ("730000.SH", False),  # subscription code: not on the secondary market
    ],
)
def test_tradable_flag_by_kind(code: str, tradable: bool) -> None:
    assert classify(code).tradable is tradable


@pytest.mark.parametrize("raw", ["430047.BJ", "430047", "830799.BJ", "832000", "870001.BJ", "873001", "889001.BJ"])
def test_legacy_bse_codes_classify_as_legacy_and_are_not_tradable(raw: str) -> None:
    info = classify(raw)
    assert info.exchange is Exchange.BJ
    assert info.kind is Kind.LEGACY
    assert not info.tradable


@pytest.mark.parametrize(
    "raw",
    [
        "ABCDEF",  # letters
        "60000A",
        "60000",  # five digits
        "6000000",  # seven digits
        "",
        "SH600000.SZ",  # prefix and suffix disagree
        "sz.600000.SH",
        "600000.HK",  # unknown suffix
        "600000.SZ",  # no SZSE row for 600
        "920001.SH",  # no SSE row for 920
        "300750.BJ",
    ],
)
def test_invalid_text_raises_INVALID_STOCK_CODE(raw: str) -> None:
    with pytest.raises(InvalidStockCode) as info:
        classify(raw)
    assert info.value.code == "INVALID_STOCK_CODE"
    assert isinstance(info.value, OrderDenied)


@pytest.mark.parametrize("raw", ["ABCDEF", "60000", "SH600000.SZ", "bj.600000.SZ"])
def test_normalize_code_rejects_malformed_or_conflicting_text(raw: str) -> None:
    with pytest.raises(InvalidStockCode) as info:
        normalize_code(raw)
    assert info.value.code == "INVALID_STOCK_CODE"


@pytest.mark.parametrize("raw", [600000, None, 600000.0, b"600000"])
def test_non_string_input_raises_INVALID_STOCK_CODE(raw: object) -> None:
    with pytest.raises(InvalidStockCode) as info:
        normalize_code(raw)  # type: ignore[arg-type]
    assert info.value.code == "INVALID_STOCK_CODE"


def test_instrument_create_normalises_and_classifies() -> None:
    inst = Instrument.create(
        "sh600000", "浦发银行", Decimal("11.50"), is_st=True, list_date=date(1999, 11, 10), suspended=True
    )
    assert inst.code == "600000.SH"
    assert (inst.exchange, inst.board, inst.kind) == (Exchange.SH, Board.SSE_MAIN, Kind.STOCK)
    assert inst.prev_close == Decimal("11.50")
    assert inst.is_st and inst.suspended
    assert inst.list_date == date(1999, 11, 10)
    assert inst.info == classify("600000.SH")


def test_instrument_create_refuses_an_invalid_code() -> None:
    with pytest.raises(InvalidStockCode):
        Instrument.create("600000.SZ", "x", Decimal("1"))
