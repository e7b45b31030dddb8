"""Issue 7.4: schemathesis fuzzes every operation of the app's /openapi.json as a signed-in admin.

Each operation is one test per mode: schema-valid data (``positive``) and, where it has inputs,
schema-violating data (``negative``); ``QMTDESK_FUZZ_EXAMPLES`` examples each (default 25). Every
request carries an admin's bearer token and a trade token, so every operation is reachable.

The app is the one of ``tests/api/conftest.py`` (``make_settings``: a migrated database, a paper
broker on a simulated clock at 2026-11-25 10:00), but one desk serves the whole module (per backend)
instead of one per test: 110 fresh desks would cost minutes. Between operations ``credentials``
puts back what a destructive operation may have taken away (a disconnected broker, a trading halt,
a lockout of the admin, revoked trade tokens) and signs in afresh; ``POST /paper/clock/advance``,
the one change that cannot be undone, runs last. Argon2 runs with cheap parameters here: this test
is about the HTTP surface, and login-like operations would otherwise spend half a second per example.

Requests go through the desk's own TestClient, whose event loop runs the desk's engine; schemathesis'
ASGI transport would start the app's lifespan a second time on a loop of its own. Schemathesis
generates the cases and validates the responses with:

* ``not_a_server_error`` — no 5xx (``503 BROKER_UNAVAILABLE`` aside, which is an answer, not a crash);
* ``content_type_conformance`` — JSON where the schema says JSON;
* ``envelope`` (ours) — every body is the API.md envelope: ``{code: 0, message: "ok", data}`` on
  success; ``{code: <HTTP status>, error: UPPER_SNAKE, message, data}`` on error.

Not used, because they fail on correct behaviour: ``status_code_conformance`` (the generated schema
documents only 200 and 422, while the API answers 401/403/404/409/429 by design),
``response_schema_conformance`` (the 422 documented is FastAPI's ``{"detail": [...]}``, not our
envelope; success bodies are undocumented ``dict``\\s), ``positive_data_acceptance`` (schema-valid
orders are still refused by A-share rules and risk — their purpose), ``negative_data_rejection``
(FastAPI ignores unknown query parameters, which schemathesis counts as accepting invalid data).

``QMTDESK_FUZZ_RANDOM=1`` draws new examples on every run; by default the examples are fixed, so CI
is reproducible.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from argon2 import PasswordHasher  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import content_type_conformance  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from qmtdesk.api.app import create_app  # noqa: E402
from qmtdesk.auth import lockout, passwords  # noqa: E402
from qmtdesk.desk import Desk  # noqa: E402
from qmtdesk.store.db import normalize_url, unit_of_work  # noqa: E402
from tests.api.conftest import API, BACKENDS, PG_URL, DeskClient, make_settings  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("QMTDESK_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("QMTDESK_FUZZ_RANDOM", "") not in ("", "0", "false")
METHODS = ("get", "post", "put", "patch", "delete")
CJK = re.compile(r"[\u4e00-\u9fff]")
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
#: A 5xx that is an answer, not a crash: the broker link is down.
SERVICE_UNAVAILABLE = {503: "BROKER_UNAVAILABLE"}
#: Operations whose effect cannot be put back; they run after all the others.
RUN_LAST = {("POST", f"{API}/paper/clock/advance")}
MAX_ADVANCE_DAYS = 3
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _operations() -> list[tuple[str, str, bool]]:
    """(METHOD, path, has inputs) of every documented operation, read from an app that is never started."""
    stub: Any = SimpleNamespace(settings=SimpleNamespace(cors_origins=[]))
    spec = create_app(stub).openapi()
    found = [
        (m.upper(), path, bool(op.get("parameters") or op.get("requestBody")))
        for path, item in spec["paths"].items()
        for m, op in item.items()
        if m in METHODS
    ]
    return sorted(found, key=lambda op: op[:2] in RUN_LAST)  # stable: schema order, the irreversible ones last


OPERATIONS = _operations()
#: Negative examples need an input to break; an operation without parameters or body runs positive only.
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path.removeprefix(API)}-{mode}")
    for method, path, has_inputs in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if has_inputs or mode is GenerationMode.POSITIVE
]


# ----------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the module (as ``tests/api/conftest.py::database_url``, module-scoped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz-db') / 'desk.db'}"
        return
    assert PG_URL
    server = make_url(normalize_url(PG_URL))
    name = f"qmtdesk_fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def fuzz_desk(fuzz_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskClient]:
    """The app with a paper desk on a simulated clock at 10:00 on a trading day, for the whole module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_ARGON2)
        passwords.dummy_hash.cache_clear()
        data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
        desk = Desk.build(make_settings(data_dir, fuzz_database))
        with TestClient(create_app(desk)) as http:
            yield DeskClient(http, desk)
    # The dummy hash for unknown users was made with the cheap parameters: forget it, so later tests
    # (and their timing checks) get one as costly as a real password's.
    passwords.dummy_hash.cache_clear()


@pytest.fixture
def credentials(fuzz_desk: DeskClient) -> dict[str, str]:
    """A fresh admin session with a trade token, after undoing what the previous operation broke."""
    with unit_of_work(fuzz_desk.desk.session_factory) as session:
        for kind in ("login", "trade"):
            lockout.clear(session, kind, "admin")
    headers = fuzz_desk.trade_headers()
    http = fuzz_desk.http
    if not http.get(f"{API}/trading/status", headers=headers).json()["data"]["connected"]:
        assert http.post(f"{API}/trading/connect", headers=headers).status_code == 200
    assert http.post(f"{API}/risk/resume", headers=headers).status_code == 200
    return headers


# ------------------------------------------------------------------------------------------- checks


#: Content types of downloads, which carry a file rather than the envelope.
DOWNLOADS = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def envelope(ctx: Any, response: Any, case: Any) -> None:
    """API.md: ``{code: 0, message: "ok", data}`` on success, ``{code: status, error, message, data}`` on error."""
    status = response.status_code
    kind = response.headers.get("content-type") or ""
    kind = kind[0] if isinstance(kind, list) else kind  # schemathesis keeps every value of a header
    if status < 400 and kind.startswith(DOWNLOADS):
        return  # a file download (a statement as CSV or XLSX), not an API body
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
    # The default language is zh-CN: every refusal reads as Chinese, never as pydantic's English.
    message = body["message"]
    assert CJK.search(message) and "Value error" not in message, f"{status}: not a Chinese message: {message!r}"


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """schemathesis' ``not_a_server_error``, except for the documented ``503 BROKER_UNAVAILABLE``."""
    if response.status_code in SERVICE_UNAVAILABLE:
        body = response.json()
        if body.get("error") == SERVICE_UNAVAILABLE[response.status_code]:
            return
    not_a_server_error(ctx, response, case)


CHECKS = [no_server_error, content_type_conformance, envelope]


# -------------------------------------------------------------------------------------------- tests


def _send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a schemathesis case through the running TestClient (httpx) and return its response."""
    kw = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    request: dict[str, Any] = {"headers": kw["headers"], "params": kw.get("params") or None}
    assert not kw.get("cookies"), "the API declares no cookie parameters"
    if "json" in kw:
        request["json"] = kw["json"]
    elif "data" in kw:
        data = kw["data"]
        request["content" if isinstance(data, bytes | str) else "data"] = data
    return client.request(kw["method"], kw["url"], **request)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_fuzz_operation(
    fuzz_desk: DeskClient,
    fuzz_database: str,
    credentials: dict[str, str],
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    http = fuzz_desk.http
    schema = schemathesis.openapi.from_dict(http.get("/openapi.json").json())
    if not fuzz_database.startswith("sqlite"):
        # PostgreSQL refuses NUL in text and the API lets it through to the database (a 500):
        # test_nul_characters_are_refused below pins that bug; keep the fuzzer on everything else.
        schema.config.generation.update(allow_x00=False)
    operation = schema[path][method]
    me = http.get(f"{API}/auth/me", headers=credentials).json()["data"]

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
        # PATCH /users/{id} on the only admin would sign it out (or be refused as LAST_ADMIN) and end the
        # run's reach; any other id exercises the same code.
        if path.endswith("/users/{user_id}") and case.path_parameters.get("user_id") == me["id"]:
            case.path_parameters["user_id"] = me["id"] + 1
        # Moving the paper clock by years runs every day roll on the way (seconds each, by design); a few
        # days exercise the same code.
        # ``{"days": 0}`` alone is the known 500 of test_advancing_the_paper_clock_to_now_is_not_500.
        days = case.body.get("days") if path.endswith("/clock/advance") and isinstance(case.body, dict) else None
        if isinstance(days, int | float) and not isinstance(days, bool):
            case.body["days"] = max(1, min(days, MAX_ADVANCE_DAYS))
        import time as _t

        _t0 = _t.time()
        response = _send(http, case, credentials)
        if _t.time() - _t0 > 0.5:
            print("SLOW", round(_t.time() - _t0, 2), case.body, response.status_code)
        case.validate_response(response, checks=CHECKS, headers=credentials)

    run()


def test_every_operation_is_fuzzed(fuzz_desk: DeskClient) -> None:
    """The parametrisation (from a never-started app) is exactly the served /openapi.json."""
    spec = fuzz_desk.http.get("/openapi.json").json()
    served = [(m.upper(), path) for path, item in spec["paths"].items() for m in item if m in METHODS]
    assert sorted(served) == sorted(op[:2] for op in OPERATIONS)
    assert len(OPERATIONS) >= 50


def test_pages_beyond_a_64_bit_offset_are_refused_not_500(fuzz_desk: DeskClient, credentials: dict[str, str]) -> None:
    """Found by the fuzzer: ``?page=2**62`` overflowed the SQL OFFSET (500). Now ``422 VALIDATION_ERROR``."""
    for path in ("/trading/orders", "/trading/trades", "/trading/records", "/risk/events", "/signals", "/audit"):
        r = fuzz_desk.http.get(f"{API}{path}", params={"page": 2**62}, headers=credentials)
        assert r.status_code == 422 and r.json()["error"] == "VALIDATION_ERROR", (path, r.text)
        r = fuzz_desk.http.get(f"{API}{path}", params={"page": 10**6, "page_size": 200}, headers=credentials)
        assert r.status_code == 200 and r.json()["data"]["items"] == [], (path, r.text)


NUL_REQUESTS: list[tuple[str, str, Any]] = [
    ("POST", "/auth/login", {"username": "ad\x00min", "password": "whatever-1"}),
    ("POST", "/auth/api-tokens", {"name": "script\x00", "scopes": ["read"]}),
    ("GET", "/trading/orders/by-client-id/a%00b", None),
    ("GET", "/signals/a%00b", None),
    (
        "POST",
        "/trading/order",
        {"stock_code": "600000.SH", "side": "buy", "quantity": 100, "price_type": "limit", "price": "11.51",
         "client_order_id": "c\x00"},
    ),
]  # fmt: skip


def test_nul_characters_are_refused(
    request: pytest.FixtureRequest, fuzz_desk: DeskClient, fuzz_database: str, credentials: dict[str, str]
) -> None:
    """A NUL (U+0000) in a text input is stored or refused, never a 500 — on PostgreSQL too."""
    for method, path, body in NUL_REQUESTS:
        r = fuzz_desk.http.request(method, f"{API}{path}", json=body, headers=credentials)
        assert r.status_code < 500, (method, path, r.status_code, r.text[:200])
        assert r.json()["code"] == (0 if r.status_code < 400 else r.status_code), r.text[:200]


def test_advancing_the_paper_clock_to_now_is_not_500(fuzz_desk: DeskClient, credentials: dict[str, str]) -> None:
    """Found by the fuzzer: ``{"days": 0}`` means "now"; it must be a no-op (200) or a 422, never a 500."""
    r = fuzz_desk.http.post(f"{API}/paper/clock/advance", json={"days": 0}, headers=credentials)
    assert r.status_code in (200, 422), r.text
