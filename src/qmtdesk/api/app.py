"""The FastAPI application: routers under /api/v1, error handlers, the WebSocket and the web UI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match

import qmtdesk
from qmtdesk.api import ws
from qmtdesk.api.errors import install_error_handlers
from qmtdesk.api.middleware import RejectNulCharacters
from qmtdesk.api.routes import accounts, admin, algos, auth, held, ipo, market, monitor, reports, risk, signals, trading
from qmtdesk.api.schemas.common import ERRORS
from qmtdesk.desk import Desk
from qmtdesk.domain.errors import DeskError

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"

FALLBACK_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>qmtdesk</title>
<style>body{font-family:system-ui,sans-serif;max-width:720px;margin:4rem auto;line-height:1.6}</style></head>
<body><h1>qmtdesk</h1><p>交易台 API 已运行。接口文档：<a href="/docs">/docs</a>；健康检查：
<a href="/api/v1/health">/api/v1/health</a>。</p><p>The web UI build is not installed in this copy;
the API is at <a href="/docs">/docs</a>.</p></body></html>"""


def create_app(desk: Desk) -> FastAPI:
    """The app serving ``desk``; the desk starts and stops with the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await desk.start()
        try:
            yield
        finally:
            await desk.stop()

    app = FastAPI(
        title="qmtdesk",
        version=qmtdesk.__version__,
        description="A-share trading desk for MiniQMT: REST + WebSocket API. Sign in with /auth/login, "
        "then use Authorize with the access token; unlock trading with /auth/trade-unlock and send the "
        "trade token as X-Trade-Token.",
        lifespan=lifespan,
    )
    app.state.desk = desk
    install_error_handlers(app)
    app.add_middleware(RejectNulCharacters)
    if desk.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=desk.settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-Trade-Token", "Content-Type", "Accept-Language"],
        )
    for router in (
        trading.router,  # first: routes are matched in order, and orders are the busiest
        auth.router,
        auth.users,
        accounts.router,
        accounts.admin,
        market.router,
        risk.router,
        signals.router,
        held.router,
        algos.router,
        reports.router,
        ipo.router,
        monitor.router,
        admin.config,
        admin.paper,
        admin.audit,
        admin.health,
        ws.router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=ERRORS)
    _mount_ui(app)
    return app


#: The two catch-all routes below (unknown API paths, then the UI's pages).
CATCH_ALL_PATHS = frozenset({"/api/{path:path}", "/{path:path}"})


def _mount_ui(app: FastAPI) -> None:
    index = WEB_DIR / "index.html"

    # Registered after every API route, so it only sees requests none of them took, and before the
    # UI's GET catch-all, which would answer 405 to other methods even on paths that do not exist:
    # a path nothing serves is 404 whatever the method, one served with other methods 405.
    @app.api_route(
        "/api/{path:path}",
        methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
        response_model=None,
    )
    def unknown_api(path: str, request: Request) -> Response:
        scope = request.scope
        routes = (r for r in app.router.routes if getattr(r, "path", None) not in CATCH_ALL_PATHS)
        if any(r.matches(scope)[0] is Match.PARTIAL for r in routes):
            raise DeskError("METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed", http_status=405)
        raise DeskError("NOT_FOUND", "接口不存在", "No such endpoint", http_status=404)

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    def ui(path: str) -> Response:
        if not index.exists():
            return HTMLResponse(FALLBACK_PAGE)
        candidate = (WEB_DIR / path).resolve()
        if path and candidate.is_file() and WEB_DIR in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
