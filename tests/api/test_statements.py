"""The daily statement (交割单) over the real server: fills with fees, net cash, holdings that balance."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.api.conftest import API, DeskClient

STATEMENT = f"{API}/reports/statement"


def fill_at_ask(client: DeskClient, headers: dict[str, str], side: str, quantity: int) -> dict:
    book = client.http.get(f"{API}/market/quote/600000.SH", headers=headers).json()["data"]
    price = book["ask"][2]["price"] if side == "buy" else book["bid"][2]["price"]
    r = client.order(headers, side=side, quantity=quantity, price=price)
    assert r.status_code == 201 and r.json()["data"]["order"]["status"] == "filled", r.text
    return r.json()["data"]["order"]  # type: ignore[no-any-return]


def test_a_t_plus_1_round_trip_balances_day_by_day_with_every_fee(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    fill_at_ask(desk_client, auth, "buy", 1000)
    day1 = desk_client.http.get(STATEMENT, headers=auth).json()["data"]
    desk_client.advance(auth, days=1, at="10:00")
    auth = desk_client.trade_headers()
    fill_at_ask(desk_client, auth, "sell", 1000)

    assert day1["from"] == day1["to"] == "2026-11-25"
    (buy,) = day1["fills"]
    fees = Decimal(buy["commission"]) + Decimal(buy["stamp_duty"]) + Decimal(buy["transfer_fee"])
    assert Decimal(buy["stamp_duty"]) == 0 and Decimal(buy["fees"]) == fees > 0
    assert Decimal(buy["net_amount"]) == -(Decimal(buy["amount"]) + fees)
    assert day1["positions"] == [
        {
            "stock_code": "600000.SH",
            "stock_name": "浦发银行",
            "opening": 0,
            "bought": 1000,
            "sold": 0,
            "closing": 1000,
            "balanced": True,
        }
    ]

    day2 = desk_client.http.get(f"{STATEMENT}?trading_day=2026-11-26", headers=auth).json()["data"]
    (sell,) = day2["fills"]
    assert Decimal(sell["stamp_duty"]) > 0  # sellers pay the stamp duty
    assert Decimal(sell["net_amount"]) == Decimal(sell["amount"]) - Decimal(sell["fees"])
    assert (day2["positions"][0]["opening"], day2["positions"][0]["closing"], day2["balanced"]) == (1000, 0, True)

    both = desk_client.http.get(f"{STATEMENT}?from=2026-11-25&to=2026-11-26", headers=auth).json()["data"]
    assert [f["side"] for f in both["fills"]] == ["buy", "sell"] and len(both["days"]) == 2
    net = Decimal(buy["net_amount"]) + Decimal(sell["net_amount"])
    assert Decimal(both["totals"]["net_amount"]) == net
    assert Decimal(both["totals"]["fees"]) == Decimal(buy["fees"]) + Decimal(sell["fees"])
    assert both["positions"][0] | {"stock_name": ""} == {
        "stock_code": "600000.SH",
        "stock_name": "",
        "opening": 0,
        "bought": 1000,
        "sold": 1000,
        "closing": 0,
        "balanced": True,
    }

    as_csv = desk_client.http.get(f"{STATEMENT}?from=2026-11-25&to=2026-11-26&format=csv", headers=auth)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["成交日期", "成交时间", "证券代码"] and [r[4] for r in rows[1:3]] == ["证券买入", "证券卖出"]
    assert rows[1][0] == "2026-11-25" and len(rows[1][1]) == 8 and rows[1][1].startswith("10:")

    as_xlsx = desk_client.http.get(f"{STATEMENT}?from=2026-11-25&to=2026-11-26&format=xlsx", headers=auth)
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["交割单", "持仓核对"]
    fills = list(book["交割单"].iter_rows(values_only=True))
    assert fills[1][2] == "600000.SH" and Decimal(str(fills[1][12])) == Decimal(buy["net_amount"])
    assert list(book["持仓核对"].iter_rows(values_only=True))[1][-1] == "平"


def test_bad_statement_ranges_are_refused(desk_client: DeskClient) -> None:
    auth = desk_client.login()
    for query in (
        "from=2026-11-26&to=2026-11-25",
        "trading_day=2026-11-25&from=2026-11-25",
        "from=2024-01-01&to=2026-11-25",
    ):
        r = desk_client.http.get(f"{STATEMENT}?{query}", headers=auth)
        assert r.status_code == 422 and r.json()["error"] == "VALIDATION_ERROR", (query, r.text)
    empty = desk_client.http.get(STATEMENT, headers=auth).json()["data"]
    assert (empty["fills"], empty["positions"], empty["balanced"]) == ([], [], True)


def test_performance_attributes_pnl_to_each_strategy_and_keeps_manual_orders_apart(desk_client: DeskClient) -> None:
    auth = desk_client.trade_headers()
    quote = desk_client.http.get(f"{API}/market/quote/600000.SH", headers=auth).json()["data"]
    ask = quote["ask"][2]["price"]
    alpha = desk_client.order(auth, quantity=1000, price=ask, strategy_name="alpha").json()["data"]["order"]
    manual = desk_client.order(auth, quantity=500, price=ask).json()["data"]["order"]
    desk_client.advance(auth, days=1, at="10:00")
    auth = desk_client.trade_headers()
    desk_client.http.post(f"{API}/paper/quotes/600000.SH", json={"last_price": "12.00"}, headers=auth)
    bid = desk_client.http.get(f"{API}/market/quote/600000.SH", headers=auth).json()["data"]["bid"][0]["price"]
    sale = desk_client.order(auth, side="sell", quantity=1000, price=bid, strategy_name="alpha").json()["data"]["order"]
    assert sale["status"] == "filled", sale

    trades = {
        t["order_id"]: t for t in desk_client.http.get(f"{API}/trading/trades", headers=auth).json()["data"]["items"]
    }
    bought, sold, manual_fill = trades[alpha["order_id"]], trades[sale["order_id"]], trades[manual["order_id"]]
    expected = (Decimal(sold["amount"]) - Decimal(sold["fees"])) - (Decimal(bought["amount"]) + Decimal(bought["fees"]))

    data = desk_client.http.get(f"{API}/reports/performance", headers=auth).json()["data"]
    first, second = data["strategies"]
    assert (first["strategy_name"], second["strategy_name"], second["manual"]) == ("alpha", "", True)
    assert Decimal(first["realized_profit"]) == expected > 0
    assert (first["sales"], first["wins"], first["win_rate"], first["holdings"]) == (1, 1, "1.0000", [])
    assert Decimal(first["turnover"]) == Decimal(bought["amount"]) + Decimal(sold["amount"])
    assert first["daily"] == [
        {"trading_day": "2026-11-26", "realized_profit": str(expected), "cumulative": str(expected)}
    ]
    (held,) = second["holdings"]
    assert held["shares"] == 500 and Decimal(held["cost"]) == Decimal(manual_fill["amount"]) + Decimal(
        manual_fill["fees"]
    )
    assert second["realized_profit"] == "0.00" and second["win_rate"] is None
    assert Decimal(second["floating_profit"]) == Decimal(held["value"]) - Decimal(held["cost"])
    assert Decimal(data["fees"]) == sum(Decimal(t["fees"]) for t in (bought, sold, manual_fill))
    assert {"equity", "returns", "total_return", "max_drawdown"} <= data.keys()

    only_day1 = desk_client.http.get(f"{API}/reports/performance?from=2026-11-25&to=2026-11-25", headers=auth)
    assert only_day1.json()["data"]["strategies"][0]["sales"] == 0
    bad = desk_client.http.get(f"{API}/reports/performance?from=2026-11-26&to=2026-11-25", headers=auth)
    assert bad.status_code == 422
