"""Problem documents (RFC 9457) sent straight from ASGI middleware.

Middleware runs outside FastAPI's exception handlers, so a limit, auth or idempotency refusal has
to write its own response; this keeps those responses in the same shape as the ones the error
handlers produce (type, title, status, detail, instance, request_id).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from .errors import PayloadTooLarge

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://newsclaims.dev/problems/"


def replay_receive(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app an already-read body once, then defers to the real one
    (for middleware that must read the whole body before letting the request through)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def request_id_of(scope: Scope) -> str | None:
    """The request id set by the request-context middleware (None outside of it)."""
    state = scope.get("state")
    if isinstance(state, dict):
        rid = state.get("request_id")
        return rid if isinstance(rid, str) else None
    return None


def problem_body(status: int, title: str, detail: str, *, slug: str, scope: Scope | None = None,
                 **extra: Any) -> bytes:
    doc: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if scope is not None:
        doc["instance"] = scope.get("root_path", "") + scope.get("path", "")
        rid = request_id_of(scope)
        if rid is not None:
            doc["request_id"] = rid
    doc.update(extra)
    return json.dumps(doc, ensure_ascii=False).encode()


async def send_problem(send: Send, scope: Scope, status: int, title: str, detail: str, *, slug: str,
                       headers: dict[str, str] | None = None, **extra: Any) -> None:
    """Write a complete problem+json response through `send`."""
    body = problem_body(status, title, detail, slug=slug, scope=scope, **extra)
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                   (b"content-length", str(len(body)).encode())]
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The body, or 413 past `limit` bytes (declared or read). The limits middleware already
    counts streamed bytes; this keeps a route safe where it is mounted without that middleware."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    return body
