"""A new listing's first trading days have no daily limit (a-share-rules §3.2): the instrument shows
none and orders far from the previous close are not refused for PRICE_OUT_OF_LIMIT."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from qmtdesk.api.app import create_app
from qmtdesk.desk import Desk

from .conftest import API, DeskClient, make_settings

# the desk's day is Wednesday 2026-11-25: a STAR stock listed on Monday is on its third day (no
# limit for five days); a main-board stock listed a year ago has its ±10%
UNIVERSE = """stock_code,stock_name,prev_close,is_st,list_date,suspended
688999.SH,新股科技,50.00,0,2026-11-23,0
600000.SH,浦发银行,11.50,0,1999-11-10,0
"""


def test_a_star_listing_on_its_third_day_shows_no_limit_and_takes_a_price_past_20_percent(
    tmp_path: Path, database_url: str
) -> None:
    universe = tmp_path / "universe.csv"
    universe.write_text(UNIVERSE, encoding="utf-8")
    desk = Desk.build(make_settings(tmp_path / "data", database_url, paper_universe=universe))
    with TestClient(create_app(desk)) as http:
        client = DeskClient(http, desk)
        auth = client.login()
        found = http.get(f"{API}/market/instruments", params={"q": "688999"}, headers=auth).json()["data"]
        assert [(i["stock_code"], i["limit_pct"]) for i in found] == [("688999.SH", None)]
        old = http.get(f"{API}/market/instruments", params={"q": "600000"}, headers=auth).json()["data"]
        assert old[0]["limit_pct"] == "0.1000"

        quote = http.get(f"{API}/market/quote/688999.SH", headers=auth).json()["data"]
        assert quote["limit_up"] is None and quote["limit_down"] is None
        # 40% under the previous close would be out of a ±20% limit; here it rests in the book
        placed = client.order(client.trade_headers(auth), stock_code="688999.SH", quantity=200, price="30.00")
        assert placed.status_code == 201, placed.text
