"""Everything that makes the app fit to run behind a gateway, installed by one call in `create_app`.

Middleware, outermost first (each sees what the ones before it decided):

1. `ProxyHeadersMiddleware` - client address and scheme from `X-Forwarded-*`, believed only when
   the peer is one of `trusted_proxies` (the gateway);
2. `RequestContextMiddleware` - request id, JSON access log;
3. `MetricsMiddleware` - counts and latency by route template (when `/metrics` is served);
4. `RequestLimitsMiddleware` - 413/414/415/422 before anything is buffered or parsed;
5. `AuthMiddleware` - API keys and scopes;
6. `IdempotencyMiddleware` - `Idempotency-Key` claims and replays (after auth: keys are per
   principal).

Also: `/metrics`, the gateway `root_path`, 503 problem documents when the database is
unreachable, and, in the lifespan, the pool gauges and extraction timing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .database import Database
from .errors import problem
from .idempotency import IdempotencyMiddleware
from .limits import ExtractionTimeout, Limits, RequestLimitsMiddleware
from .logging import RequestContextMiddleware, configure_logging
from .metrics import MetricsMiddleware, extraction_failed, metrics_endpoint, observe_extraction, register_pool
from .security import AuthMiddleware, Principal
from .settings import Settings

log = logging.getLogger("newsclaims")

# errors that mean "the database is not reachable right now", not "the request is wrong"
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, ConnectionError,
                TimeoutError)


class KeyStore(Protocol):
    """Where API keys live (the keys domain); passed in so that core depends on no domain."""

    async def authenticate(self, db: Database, key: str, pepper: str, /) -> Principal | None: ...

    async def any_exist(self, db: Database, /) -> bool: ...


def _db(scope: Scope) -> Database:
    db: Database = scope["app"].state.db
    return db


def install_production(app: FastAPI, settings: Settings, *, keys: KeyStore,
                       bulk_body_bytes: tuple[tuple[str, int], ...] = ()) -> None:
    """Wire logging, metrics, limits, auth and idempotency into `app` (call once, after the
    app's own middleware so these wrap it). `bulk_body_bytes`: (path, limit) pairs for the
    endpoints allowed larger bodies than `max_body_bytes`."""
    configure_logging(settings.log_level, settings.log_json)
    if settings.root_path:
        app.root_path = settings.root_path.rstrip("/")
    if settings.auth == "none":
        log.warning("NEWSCLAIMS_AUTH=none: no API-key checks; the gateway must authenticate")

    for exc_type in _UNAVAILABLE:
        app.add_exception_handler(exc_type, _unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, _dbapi_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(ExtractionTimeout, _extraction_timeout)

    if settings.metrics_enabled:
        app.add_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)

    pepper = settings.api_key_pepper

    async def authenticate(scope: Scope, key: str) -> Principal | None:
        return await keys.authenticate(_db(scope), key, pepper)

    async def any_keys(scope: Scope) -> bool:
        return await keys.any_exist(_db(scope))

    limits = Limits(max_body_bytes=settings.max_body_bytes, max_query_bytes=settings.max_query_bytes,
                    bulk_body_bytes=bulk_body_bytes,
                    max_json_depth=settings.max_json_depth, max_token_chars=settings.max_token_chars,
                    max_article_chars=settings.max_text_chars, max_page_size=settings.max_page_size,
                    extraction_timeout_s=settings.extraction_timeout_s,
                    accepted_media_types=("application/json", "text/plain", "application/x-ndjson"))
    # add_middleware puts each new one outside the previous: innermost first
    app.add_middleware(IdempotencyMiddleware, get_db=_db, ttl_s=float(settings.idempotency_ttl_s),
                       stale_s=max(300.0, 4 * settings.extraction_timeout_s))
    app.add_middleware(AuthMiddleware, mode=settings.auth, authenticate=authenticate, any_keys=any_keys)
    app.add_middleware(RequestLimitsMiddleware, limits=limits)
    if settings.metrics_enabled:  # nobody can read the counters otherwise: no need to keep them
        app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            db = getattr(a.state, "db", None)
            register_pool(getattr(db, "engine", None))
            _time_extractions(getattr(a.state, "pool", None))
            try:
                yield state
            finally:
                log.info("shutting down: in-flight requests drained, closing the pool and database")
                register_pool(None)

    app.router.lifespan_context = lifespan


def _time_extractions(pool: Any) -> None:
    """Wrap the pool's `extract` with the extraction histogram, throughput and failure counters."""
    original = getattr(pool, "extract", None)
    if original is None or getattr(original, "_timed", False):
        return

    async def extract(items: list[Any]) -> list[dict[str, Any]]:
        t0 = time.perf_counter()
        try:
            docs: list[dict[str, Any]] = await original(items)
        except Exception as exc:
            extraction_failed("timeout" if type(exc).__name__ == "ExtractionTimeout" else "error")
            raise
        observe_extraction(time.perf_counter() - t0, len(docs), mode="pool")
        return docs

    extract._timed = True  # type: ignore[attr-defined]
    pool.extract = extract


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem(request.scope, 503, slug="unavailable", title="Service Unavailable",
                   detail="The database is unavailable; retry shortly.", headers={"Retry-After": "2"})


async def _extraction_timeout(request: Request, exc: Exception) -> JSONResponse:
    """A text that takes longer than `extraction_timeout_s` (the worker stopped it and is free)."""
    return problem(request.scope, 422, slug="extraction-timeout", title="Extraction Timeout",
                   detail=f"{exc}; the text is too long or too unusual to extract in time.")


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A client number too large for the database (an id past 2**63) or a date pushed past year
    9999: the request is wrong, not the server."""
    log.info("out of range: %s", exc)
    return problem(request.scope, 422, slug="out-of-range", title="Validation Error",
                   detail="A number or date in the request is out of the supported range.")


async def _dbapi_error(request: Request, exc: Exception) -> JSONResponse:
    """A driver error that dropped the connection is an outage (503); anything else is a bug
    and stays a bare 500 without internals."""
    if isinstance(exc, sa_exc.DBAPIError) and _is_outage(exc):
        return await _unavailable(request, exc)
    if isinstance(exc, sa_exc.DataError) or _caused_by(exc, OverflowError) or _sqlstate(exc, ("22",)):
        return await _out_of_range(request, exc)
    log.error("database error", exc_info=exc)
    return problem(request.scope, 500, slug="internal",
                   detail="The server could not complete the request; quote the request id.")


# SQLSTATE classes meaning the server cannot serve us now: connection exception, operator
# intervention (shutdown, restart), insufficient resources (too many connections)
_OUTAGE_SQLSTATES = ("08", "57P", "53")


def _is_outage(exc: sa_exc.DBAPIError) -> bool:
    """Whether a driver error means the database is unreachable rather than the query wrong.

    A lost connection, an error raised while connecting (no statement was sent), or an outage
    SQLSTATE all qualify.
    """
    if exc.connection_invalidated or exc.statement is None or _sqlstate(exc, _OUTAGE_SQLSTATES):
        return True
    return _caused_by(exc, ConnectionError) or _caused_by(exc, OSError)


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in out and len(out) < 10:
        out.append(seen)
        nxt = getattr(seen, "orig", None)
        if not isinstance(nxt, BaseException) or nxt in out:
            nxt = seen.__cause__ or seen.__context__
        seen = nxt
    return out


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(e, kind) for e in _chain(exc))


def _sqlstate(exc: BaseException, prefixes: tuple[str, ...]) -> bool:
    for e in _chain(exc):
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(state, str) and state.startswith(prefixes):
            return True
    return False
