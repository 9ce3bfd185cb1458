"""Whole result lists as a stream: NDJSON over HTTP (`Accept: application/x-ndjson`) and the
`newsclaims export` command, both walking a list endpoint's keyset pages.

A list service's `list(..., page)` is reused as is, so the stream has exactly the filters, order
and item shape of the paginated JSON; memory stays bounded by one page whatever the total.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from .pagination import Page, PageParams

NDJSON = "application/x-ndjson"
Fetch = Callable[[PageParams], Awaitable[Page[Any]]]

# for the `responses=` of a list route: the alternative media type in the OpenAPI document
NDJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {NDJSON: {"schema": {"type": "string"}}},
          "description": "The page, or with `Accept: application/x-ndjson` every item from `cursor` on, "
                         "one JSON object per line."},
}


def wants_ndjson(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == NDJSON for part in accept.split(","))


async def iter_items(fetch: Fetch, page_size: int, cursor: str | None = None) -> AsyncIterator[BaseModel]:
    """Every item from `cursor` on, fetched one keyset page at a time."""
    while True:
        page = await fetch(PageParams(page_size, cursor))
        for item in page.items:
            yield item
        if page.next is None:
            return
        cursor = page.next


async def _lines(first: Page[Any], fetch: Fetch, page_size: int) -> AsyncIterator[bytes]:
    for item in first.items:
        yield (json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n").encode()
    if first.next is not None:
        async for item in iter_items(fetch, page_size, first.next):
            yield (json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n").encode()


async def ndjson_response(request: Request, fetch: Fetch, page: PageParams) -> StreamingResponse:
    """The list as NDJSON from `page.cursor` on, in pages of the server's maximum size. The first
    page is read before the response starts, so a bad cursor or filter is still a problem
    document, not a broken stream."""
    size = int(request.app.state.settings.max_page_size)
    first = await fetch(PageParams(size, page.cursor))
    return StreamingResponse(_lines(first, fetch, size), media_type=NDJSON)
