"""Prometheus metrics, served at `/metrics` in the text exposition format.

Labels are route *templates* and status codes only, so a client cannot grow the series count by
inventing paths. Articles per second is `rate(newsclaims_articles_extracted_total[1m])`; extraction
latency is the `newsclaims_extraction_seconds` histogram. The queue depth gauge and the job
failure counter are set by the job runner through `set_queue_depth` / `job_failed`; the database
pool gauges are read from the engine at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logging import route_of

# A registry of our own: importing the module twice in tests, or another library registering
# defaults, never collides with these names.
REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "newsclaims_http_requests", "HTTP requests handled, by method, route template and status.",
    ("method", "route", "status"), registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "newsclaims_http_request_duration_seconds", "Time from request start to last response byte.",
    ("method", "route"), buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
HTTP_IN_PROGRESS = Gauge(
    "newsclaims_http_requests_in_progress", "Requests currently being handled.", registry=REGISTRY,
)
EXTRACTION_SECONDS = Histogram(
    "newsclaims_extraction_seconds", "Wall time of one extraction call (one article or one batch).",
    ("mode",), buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
ARTICLES_EXTRACTED = Counter(
    "newsclaims_articles_extracted", "Articles extracted; rate() of this is articles per second.",
    ("mode",), registry=REGISTRY,
)
EXTRACTION_FAILURES = Counter(
    "newsclaims_extraction_failures", "Extractions that failed, by reason (timeout, error, too_long).",
    ("reason",), registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "newsclaims_queue_depth", "Jobs waiting in the extraction queue.", ("queue",), registry=REGISTRY,
)
JOB_FAILURES = Counter(
    "newsclaims_job_failures", "Background jobs that ended in failure, by reason.", ("reason",),
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "newsclaims_auth_failures", "Requests refused by authentication or authorisation.", ("reason",),
    registry=REGISTRY,
)


def observe_extraction(seconds: float, articles: int = 1, mode: str = "sync") -> None:
    """Record one extraction call that produced `articles` results."""
    EXTRACTION_SECONDS.labels(mode).observe(seconds)
    ARTICLES_EXTRACTED.labels(mode).inc(articles)


def extraction_failed(reason: str) -> None:
    EXTRACTION_FAILURES.labels(reason).inc()


def set_queue_depth(depth: int, queue: str = "extraction") -> None:
    QUEUE_DEPTH.labels(queue).set(depth)


def job_failed(reason: str = "error") -> None:
    JOB_FAILURES.labels(reason).inc()


class _PoolCollector(Collector):
    """Reads the SQLAlchemy pool of the registered engine at scrape time (no polling task)."""

    def __init__(self) -> None:
        self.engine: Any = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = getattr(getattr(self.engine, "sync_engine", self.engine), "pool", None)
        if pool is None:
            return
        values = {}
        for name, attr in (("size", "size"), ("checked_out", "checkedout"), ("overflow", "overflow"),
                           ("checked_in", "checkedin")):
            fn = getattr(pool, attr, None)
            if callable(fn):
                try:
                    values[name] = float(fn())
                except Exception:  # a pool class without that notion (NullPool, StaticPool)
                    continue
        for name, value in values.items():
            yield GaugeMetricFamily(f"newsclaims_db_pool_{name}", f"Database connection pool: {name}.",
                                    value=value)


_POOL = _PoolCollector()
REGISTRY.register(_POOL)


def register_pool(engine: Any) -> None:
    """Point the pool gauges at this engine (an AsyncEngine or Engine); None detaches them."""
    _POOL.engine = engine


class MetricsMiddleware:
    """Counts and times every HTTP request by route template and status."""

    def __init__(self, app: ASGIApp, exclude: tuple[str, ...] = ("/metrics",)) -> None:
        self.app = app
        self.exclude = exclude

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exclude:
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_IN_PROGRESS.dec()
            route = route_of(scope)
            method = str(scope.get("method", ""))
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - t0)


async def metrics_endpoint(request: Request) -> Response:
    """`GET /metrics`: the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
