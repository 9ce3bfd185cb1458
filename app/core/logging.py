"""Structured JSON logs and the request id that ties a request's log lines, errors and response.

One JSON object per line on stderr, so the container runtime ships them as they are. Every line
written while a request is being handled carries its `request_id` (taken from a well-formed
`X-Request-ID` header or generated), and the request ends with one access line holding the route
template, status, latency and, when the request concerned one, the article id.

Nothing from headers or query strings is logged (they may carry keys); only the path.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .http import send_problem

REQUEST_ID_HEADER = "x-request-id"
# A client-chosen id is echoed into headers and logs, so only a short, plain token is accepted;
# anything else is replaced by a fresh id (the pattern has no nested quantifier: linear time).
_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

# Per-request context, a mutable dict so handlers deep inside the app can add to what the
# outer middleware logs (a ContextVar set in a handler would not be seen by the middleware).
_request_ctx: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "newsclaims_request_ctx", default=None
)

access_log = logging.getLogger("newsclaims.access")
log = logging.getLogger("newsclaims")

# LogRecord attributes that are not user-supplied `extra` fields.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def current_request_id() -> str | None:
    ctx = _request_ctx.get()
    return None if ctx is None else ctx.get("request_id")


def bind(**fields: Any) -> None:
    """Attach fields (e.g. `article_id`) to the current request's log lines and access line."""
    ctx = _request_ctx.get()
    if ctx is not None:
        ctx.update(fields)


def accept_request_id(value: str | None) -> str:
    """The client's X-Request-ID when it is a plain token of at most 128 characters, else a new id."""
    if value and _REQUEST_ID_OK.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _install_record_factory() -> None:
    """Stamp each record with the request context *when it is created*, so a handler that
    formats later (a queue, pytest's capture) still sees the right request id."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_newsclaims", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        ctx = _request_ctx.get()
        if ctx:
            record._request_ctx = dict(ctx)
        return record

    factory._newsclaims = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request context and extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        ctx = getattr(record, "_request_ctx", None)
        if ctx:
            doc.update(ctx)
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exc"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(doc, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    """Route the app's, uvicorn's and SQLAlchemy's loggers through one stderr handler.

    Uvicorn's own access log is silenced: the request-context middleware writes a richer one.
    """
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_newsclaims", False):
            root.removeHandler(old)
    handler._newsclaims = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def route_of(scope: Scope) -> str:
    """The matched route template (`/v1/articles/{article_id}`), never the raw path, so logs and
    metric labels stay low-cardinality; `<unmatched>` for requests no route took."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


class RequestContextMiddleware:
    """Assigns the request id, echoes it as `X-Request-ID` (with `X-Content-Type-Options:
    nosniff`), and writes the access line.

    An exception escaping the app is logged with its traceback here and answered with a bare
    500 problem document (request id only, no internals), so even that response carries the id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        rid = accept_request_id(supplied)
        scope.setdefault("state", {})["request_id"] = rid
        ctx: dict[str, Any] = {"request_id": rid}
        token = _request_ctx.set(ctx)
        status = 500
        started = False
        t0 = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                for k, v in headers:
                    # a created or found article names itself in Location: log its id
                    if k.lower() == b"location" and b"/articles/" in v:
                        ctx.setdefault("article_id", v.rsplit(b"/", 1)[-1].decode("latin-1"))
                headers.append((b"x-request-id", rid.encode()))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))  # stored text is never HTML
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"path": scope.get("path")})
            if not started:
                await send_problem(send_with_id, scope, 500, "Internal Server Error",
                                   "The server could not complete the request; quote the request id.",
                                   slug="internal")
        finally:
            path_params = scope.get("path_params") or {}
            if "article_id" in path_params and "article_id" not in ctx:
                ctx["article_id"] = str(path_params["article_id"])
            if access_log.isEnabledFor(logging.INFO):  # (the line's fields cost more than a no-op call)
                access_log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("root_path", "") + scope.get("path", ""),
                        "route": route_of(scope),
                        "status": status,
                        "latency_ms": round((time.perf_counter() - t0) * 1000, 2),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
            _request_ctx.reset(token)
