"""One place turns every failure into the error envelope of API.md; nothing leaks a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qmtdesk.api.validation import describe
from qmtdesk.domain.errors import DeskError

log = logging.getLogger(__name__)

_HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("BAD_REQUEST", "请求无效", "Bad request"),
    401: ("AUTH_REQUIRED", "请先登录", "Authentication required"),
    403: ("FORBIDDEN", "无权访问", "Forbidden"),
    404: ("NOT_FOUND", "资源不存在", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed"),
    409: ("CONFLICT", "请求冲突", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "请求体过大", "Payload too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的请求格式", "Unsupported media type"),
    422: ("VALIDATION_ERROR", "请求参数有误", "Invalid request"),
    429: ("RATE_LIMITED", "请求过于频繁", "Too many requests"),
}


def lang_of(request: Request) -> str:
    """``en`` when the client asks for English, else ``zh``."""
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


def error_body(status: int, code: str, message: str, data: Any = None) -> dict[str, Any]:
    """The error envelope."""
    return {"code": status, "error": code, "message": message, "data": data}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers for domain errors, validation errors, HTTP errors and the unexpected."""

    @app.exception_handler(DeskError)
    async def desk_error(request: Request, exc: DeskError) -> JSONResponse:
        body = error_body(exc.http_status, exc.code, exc.message(lang_of(request)), _json_safe(exc.data))
        return JSONResponse(body, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, fields = describe(exc.errors(), lang_of(request))
        return JSONResponse(error_body(422, "VALIDATION_ERROR", message, {"fields": fields}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "请求失败", "Request failed"))
        message = zh if lang_of(request) == "zh" else en
        return JSONResponse(
            error_body(exc.status_code, code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "服务器内部错误" if lang_of(request) == "zh" else "Internal server error"
        return JSONResponse(error_body(500, "INTERNAL_ERROR", message), status_code=500)
