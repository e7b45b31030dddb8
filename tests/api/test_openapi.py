"""The OpenAPI description matches what the API really answers.

Real answers of the real server are validated against the response models the routes declare, with
unknown fields forbidden (``qmtdesk.api.schemas``): a field added to or dropped from an answer without
its model fails here. Every route documents the error envelope for its refusals.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qmtdesk.api import schemas as s
from tests.api.conftest import API, DeskClient


def check(model: type[BaseModel], response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    s.Envelope[model].model_validate(response.json())  # type: ignore[valid-type]
    return response.json()["data"]  # type: ignore[no-any-return]


def test_real_answers_match_their_declared_models(desk_client: DeskClient) -> None:
    http, auth = desk_client.http, desk_client.trade_headers()
    check(s.TradingStatus, http.get(f"{API}/trading/status", headers=auth))
    check(s.AccountFigures, http.get(f"{API}/trading/account", headers=auth))
    check(s.Quote, http.get(f"{API}/market/quote/600000.SH", headers=auth))
    check(list[s.Quote], http.get(f"{API}/market/quotes?codes=600000.SH,688599.SH", headers=auth))  # type: ignore[arg-type]
    placed = check(s.Placed, desk_client.order(auth, quantity=200, price="11.60", client_order_id="o1"), 201)
    check(s.Placed, desk_client.order(auth, quantity=200, price="11.60", client_order_id="o1"))  # the replay
    order_id = placed["order"]["order_id"]
    check(s.OrderWithEvents, http.get(f"{API}/trading/orders/{order_id}", headers=auth))
    check(s.OrderWithEvents, http.get(f"{API}/trading/orders/by-client-id/o1", headers=auth))
    check(s.PageOf[s.Order], http.get(f"{API}/trading/orders", headers=auth))
    check(s.PageOf[s.Trade], http.get(f"{API}/trading/trades", headers=auth))
    check(list[s.Position], http.get(f"{API}/trading/positions", headers=auth))  # type: ignore[arg-type]
    check(s.Position, http.get(f"{API}/trading/positions/600000.SH", headers=auth))
    resting = desk_client.order(auth, quantity=100, price="11.00").json()["data"]["order"]
    check(s.Placed, http.post(f"{API}/trading/orders/{resting['order_id']}/cancel", headers=auth))

    trigger = {"type": "trailing", "percent": "0.05"}
    held = check(
        s.HeldOrder,
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
    check(s.Bracket, http.post(f"{API}/trading/conditional-orders/bracket", json=bracket, headers=auth), 201)
    check(s.PageOf[s.HeldOrder], http.get(f"{API}/trading/conditional-orders", headers=auth))
    check(s.HeldOrder, http.post(f"{API}/trading/conditional-orders/{held['id']}/cancel", headers=auth))

    iceberg = {"stock_code": "600000.SH", "side": "buy", "quantity": 300, "algo": "iceberg"}
    algo = check(
        s.AlgoOrder,
        http.post(
            f"{API}/trading/algo-orders", json=iceberg | {"display_quantity": 100, "price": "11.40"}, headers=auth
        ),
        201,
    )
    check(s.AlgoOrderWithChildren, http.get(f"{API}/trading/algo-orders/{algo['id']}", headers=auth))
    check(s.PageOf[s.AlgoOrder], http.get(f"{API}/trading/algo-orders", headers=auth))
    check(s.AlgoOrder, http.post(f"{API}/trading/algo-orders/{algo['id']}/cancel", headers=auth))

    check(s.Statement, http.get(f"{API}/reports/statement", headers=auth))
    check(s.Performance, http.get(f"{API}/reports/performance", headers=auth))
    refused = desk_client.order(auth, quantity=150, price="11.60")
    s.ErrorBody.model_validate(refused.json())


def test_every_route_documents_the_error_envelope_and_typed_routes_their_body(desk_client: DeskClient) -> None:
    spec = desk_client.http.get("/openapi.json").json()
    error_ref = "#/components/schemas/ErrorBody"
    typed = 0
    for path, ops in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, op in ops.items():
            responses = op["responses"]
            for status in ("401", "403", "422"):
                assert responses[status]["content"]["application/json"]["schema"]["$ref"] == error_ref, (path, method)
            ok = responses.get("200") or responses.get("201")
            ref = ok["content"]["application/json"]["schema"].get("$ref", "") if ok else ""
            typed += ref.startswith("#/components/schemas/Envelope_")
    assert typed >= 25
