"""Issue 7.4: schemathesis fuzzes every operation of /openapi.json with a signed-in admin.

Each operation gets a fresh desk (the ``desk_client`` fixture), so a destructive operation — a paper
reset, a disconnect, a trade-lock, a password change — only spoils the examples of its own test.
Requests go through ``desk_client.http``, the TestClient that already runs the app's lifespan: the
desk's engine lives on that client's event loop, so schemathesis' own ASGI transport (which would
start the lifespan a second time on a loop of its own) is not used; schemathesis generates the
cases and validates the responses.

Checks: schemathesis' ``not_a_server_error`` and ``content_type_conformance``, ``negative_data_rejection``
for schema-violating inputs, and our own check that every response is the API.md envelope. Not used:
``status_code_conformance`` and ``response_schema_conformance`` — the generated OpenAPI documents
only 200 and FastAPI's stock 422 body (``{"detail": [...]}``), while the API answers 401/403/404/409/
429 and puts every error in the envelope, so both would fail on correct behaviour;
``positive_data_acceptance`` — schema-valid input is still refused by A-share rules and risk (a
lot of 150 shares, a price off the tick), which is the point of those rules.

``QMTDESK_FUZZ_EXAMPLES`` (default 25) sets the examples per operation and mode;
``QMTDESK_FUZZ_RANDOM=1`` draws new examples on every run instead of the fixed, reproducible ones.
"""

from __future__ import annotations

import os
import re
from types import SimpleNamespace
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import content_type_conformance, negative_data_rejection  # noqa: E402

from qmtdesk.api.app import create_app  # noqa: E402
from tests.api.conftest import API, DeskClient  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("QMTDESK_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("QMTDESK_FUZZ_RANDOM", "") not in ("", "0", "false")
METHODS = ("get", "post", "put", "patch", "delete")
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
#: 503 is an answer, not a crash, for exactly this code (the broker link is down).
SERVICE_CODES = {503: "BROKER_UNAVAILABLE"}


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation, read from an app that is never started."""
    stub: Any = SimpleNamespace(settings=SimpleNamespace(cors_origins=[]))
    spec = create_app(stub).openapi()
    return [(m.upper(), path) for path, item in spec["paths"].items() for m in item if m in METHODS]


OPERATIONS = _operations()


def envelope(ctx: Any, response: Any, case: Any) -> None:
    """API.md: ``{code: 0, message: "ok", data}`` on success, ``{code: status, error, message, data}`` on error."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"{status} is not JSON: {response.text[:200]!r}") from exc
    assert isinstance(body, dict), f"{status}: the body is not an object: {body!r}"
    if status < 400:
        assert body.get("code") == 0 and body.get("message") == "ok" and "data" in body, f"{status}: {body!r}"
        return
    assert set(body) == {"code", "error", "message", "data"}, f"{status}: not the error envelope: {body!r}"
    assert body["code"] == status, f"{status}: code {body['code']!r} differs from the HTTP status"
    assert isinstance(body["error"], str) and UPPER_SNAKE.match(body["error"]), f"{status}: error {body['error']!r}"
    assert isinstance(body["message"], str) and body["message"], f"{status}: empty message: {body!r}"
    if status >= 500:
        assert SERVICE_CODES.get(status) == body["error"], f"server error {status}: {body!r}"


def _send(desk_client: DeskClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a schemathesis case through the running TestClient (httpx) and return its response."""
    kw = case.as_transport_kwargs(base_url=str(desk_client.http.base_url), headers=headers)
    request: dict[str, Any] = {"headers": kw["headers"], "params": kw.get("params") or None}
    assert not kw.get("cookies"), "the API declares no cookie parameters"
    if "json" in kw:
        request["json"] = kw["json"]
    elif "data" in kw:
        data = kw["data"]
        request["content" if isinstance(data, bytes | str) else "data"] = data
    return desk_client.http.request(kw["method"], kw["url"], **request)


def _credentials(desk_client: DeskClient) -> dict[str, str]:
    """An admin's bearer token plus a trade token: every operation is reachable."""
    return desk_client.trade_headers()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p.removeprefix(API)}" for m, p in OPERATIONS])
def test_fuzz_operation(desk_client: DeskClient, method: str, path: str, mode: GenerationMode) -> None:
    spec = desk_client.http.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    operation = schema[path][method]
    headers = _credentials(desk_client)
    me = desk_client.http.get(f"{API}/auth/me", headers=headers).json()["data"]
    checks = [not_a_server_error, content_type_conformance, envelope]
    if mode is GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        # PATCH /users/{id} on the only admin would sign it out (or be refused as LAST_ADMIN) and end
        # the run's reach; any other id exercises the same code.
        if path.endswith("/users/{user_id}") and case.path_parameters.get("user_id") == me["id"]:
            case.path_parameters["user_id"] = me["id"] + 1
        response = _send(desk_client, case, headers)
        case.validate_response(response, checks=checks, headers=headers)

    run()


def test_every_operation_is_fuzzed(desk_client: DeskClient) -> None:
    """The parametrisation (from a never-started app) matches the served /openapi.json."""
    spec = desk_client.http.get("/openapi.json").json()
    served = [(m.upper(), path) for path, item in spec["paths"].items() for m in item if m in METHODS]
    assert sorted(served) == sorted(OPERATIONS)
    assert len(OPERATIONS) >= 50
