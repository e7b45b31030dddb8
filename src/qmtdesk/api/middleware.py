"""Request screening that has to happen before routing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NUL_MARKERS = (b"\x00", b"\\u0000")


class RejectNulCharacters:
    """Refuse requests carrying NUL characters (``422 VALIDATION_ERROR``).

    No field of the API may contain one, and PostgreSQL cannot store one in text: refusing them at
    the door keeps every route from failing on them deep inside the database.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            b"%00" in scope.get("query_string", b"")
            or "\x00" in scope.get("path", "")
            or "%00" in scope.get("raw_path", b"").decode("latin-1")
        ):
            await _refuse(scope, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if any(marker in body for marker in _NUL_MARKERS):
            await _refuse(scope, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send) -> None:
    english = any(k == b"accept-language" and v.lower().startswith(b"en") for k, v in scope.get("headers", []))
    message = "Requests may not contain NUL characters" if english else "请求中不能包含 NUL 字符"
    body = json.dumps(
        {"code": 422, "error": "VALIDATION_ERROR", "message": message, "data": {"fields": [{"reason": "nul"}]}},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
