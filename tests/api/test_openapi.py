"""The OpenAPI description matches what the API really answers.

Real answers of the real server are validated against the response models the routes declare, with
unknown fields forbidden (``qmtdesk.api.schemas``): a field added to or dropped from an answer without
its model fails here. Every route documents the error envelope for its refusals.
"""

from __future__ import annotations

from qmtdesk.api.schemas import common, held, market, orders, reports
from tests.api.conftest import API, DeskClient, check


def test_real_answers_match_their_declared_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    check(orders.TradingStatus, http.get(f"{API}/trading/status", headers=auth))
    check(orders.AccountFigures, http.get(f"{API}/trading/account", headers=auth))
    check(market.Quote, http.get(f"{API}/market/quote/600000.SH", headers=auth))
    check(list[market.Quote], http.get(f"{API}/market/quotes?codes=600000.SH,688599.SH", headers=auth))
    placed = check(orders.Placed, desk_client.order(auth, quantity=200, price="11.60", client_order_id="o1"), 201)
    check(orders.Placed, desk_client.order(auth, quantity=200, price="11.60", client_order_id="o1"))  # the replay
    order_id = placed["order"]["order_id"]
    check(orders.OrderWithEvents, http.get(f"{API}/trading/orders/{order_id}", headers=auth))
    check(orders.OrderWithEvents, http.get(f"{API}/trading/orders/by-client-id/o1", headers=auth))
    check(common.PageOf[orders.Order], http.get(f"{API}/trading/orders", headers=auth))
    check(common.PageOf[orders.Trade], http.get(f"{API}/trading/trades", headers=auth))
    check(list[orders.Position], http.get(f"{API}/trading/positions", headers=auth))
    check(orders.Position, http.get(f"{API}/trading/positions/600000.SH", headers=auth))
    resting = desk_client.order(auth, quantity=100, price="11.00").json()["data"]["order"]
    check(orders.Placed, http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=auth))

    trigger = {"type": "trailing", "percent": "0.05"}
    held_order = check(
        held.HeldOrder,
        http.post(
            f"{API}/trading/conditional-orders",
            json={
                "stock_code": "600000.SH",
                "side": "buy",
                "quantity": 100,
                "price_type": "latest",
                "trigger": trigger,
            },
            headers=auth,
        ),
        201,
    )
    bracket = {"parent_order_id": order_id, "stop_loss": {"trigger_price": "11.00", "price_type": "latest"}}
    check(held.Bracket, http.post(f"{API}/trading/conditional-orders/bracket", json=bracket, headers=auth), 201)
    check(common.PageOf[held.HeldOrder], http.get(f"{API}/trading/conditional-orders", headers=auth))
    check(held.HeldOrder, http.post(f"{API}/trading/conditional-orders/{held_order['id']}/cancel", headers=auth))

    iceberg = {"stock_code": "600000.SH", "side": "buy", "quantity": 300, "algo": "iceberg"}
    algo = check(
        held.AlgoOrder,
        http.post(
            f"{API}/trading/algo-orders", json=iceberg | {"display_quantity": 100, "price": "11.40"}, headers=auth
        ),
        201,
    )
    check(held.AlgoOrderWithChildren, http.get(f"{API}/trading/algo-orders/{algo['id']}", headers=auth))
    check(common.PageOf[held.AlgoOrder], http.get(f"{API}/trading/algo-orders", headers=auth))
    check(held.AlgoOrder, http.post(f"{API}/trading/algo-orders/{algo['id']}/cancel", headers=auth))

    check(reports.Statement, http.get(f"{API}/reports/statement", headers=auth))
    check(reports.Performance, http.get(f"{API}/reports/performance", headers=auth))
    refused = desk_client.order(auth, quantity=150, price="11.60")
    common.ErrorBody.model_validate(refused.json())


def test_every_route_documents_the_error_envelope_and_its_success_body(desk_client: DeskClient) -> None:
    spec = desk_client.http.get("/openapi.json").json()
    error_ref = "#/components/schemas/ErrorBody"
    untyped = []
    for path, ops in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, op in ops.items():
            responses = op["responses"]
            for status in ("401", "403", "422"):
                assert responses[status]["content"]["application/json"]["schema"]["$ref"] == error_ref, (path, method)
            ok = responses.get("200") or responses.get("201")
            ref = ok["content"]["application/json"]["schema"].get("$ref", "") if ok else ""
            if not ref.startswith("#/components/schemas/Envelope_"):
                untyped.append(f"{method.upper()} {path}")
    assert untyped == []
    # Every model has one name: two classes of one name would appear module-qualified.
    assert [name for name in spec["components"]["schemas"] if name.startswith("qmtdesk__")] == []
