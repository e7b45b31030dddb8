"""The response envelope of API.md and pagination."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Path, Query, Response
from pydantic import BaseModel

#: Database ids are INTEGER columns (32-bit on PostgreSQL); anything larger is a validation error, not a crash.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
MAX_PAGE_SIZE = 200
#: Enough pages to reach every possible row; a larger page would overflow the SQL OFFSET (a 500).
MAX_PAGE = MAX_ID // MAX_PAGE_SIZE


def ok(data: Any = None) -> dict[str, Any]:
    """A success body: ``{"code": 0, "message": "ok", "data": ...}``."""
    return {"code": 0, "message": "ok", "data": data}


class Page(BaseModel):
    """``?page=1&page_size=20`` (max 200)."""

    page: int
    page_size: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.page_size


def page_params(
    page: int = Query(1, ge=1, le=MAX_PAGE, description="1-based page number"),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE, description="items per page (max 200)"),
) -> Page:
    """Pagination query parameters."""
    return Page(page=page, page_size=page_size)


def paged(items: list[Any], total: int, page: Page) -> dict[str, Any]:
    """A paginated list body."""
    return ok({"items": items, "total": total, "page": page.page, "page_size": page.page_size})


def ok_response(data: Any, status_code: int = 200) -> Response:
    """A success body as a finished response: for hot routes whose data is plain JSON already (no
    re-encoding pass over it)."""
    body = orjson.dumps({"code": 0, "message": "ok", "data": data}, default=str)
    return Response(body, status_code=status_code, media_type="application/json")
