"""The ASGI application: `uvicorn app.main:app`.

`create_app(settings)` builds the app; the lifespan opens the database engine and starts the
extraction worker pool, and closes both on shutdown. Tests build their own app with their own
settings, so nothing here reads the environment except the module-level `app`.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from app.articles.pool import ExtractionPool
from app.articles.router import router as articles_router
from app.claims.router import router as claims_router
from app.core.database import Database
from app.core.errors import ServiceUnavailable, install_error_handlers, problem_response
from app.core.fts import start_merger
from app.core.metrics import set_queue_depth
from app.core.production import install_production
from app.core.settings import Settings, get_settings
from app.entities.router import router as entities_router
from app.events.router import router as events_router
from app.extraction import EXTRACTOR_VERSION
from app.jobs.router import router as jobs_router
from app.jobs.service import queue_depth
from app.jobs.settings import JobSettings
from app.jobs.worker import start_embedded
from app.keys import service as keys_service
from app.openapi import install as install_openapi

VERSION = "0.1.0"


class Health(BaseModel):
    status: str
    database: bool | None = None
    model: bool | None = None
    queue: bool | None = Field(default=None, description="This process's queue workers are running "
                               "(true when it runs none: `newsclaims worker` processes do the work).")
    queue_depth: int | None = Field(default=None, description="Articles waiting for a worker.")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            settings.effective_database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            sqlite_inline_read_ms=settings.sqlite_inline_read_ms,
        )
        pool = ExtractionPool(settings.effective_workers, settings.extraction_model)
        pool.start()
        app.state.db, app.state.pool = db, pool
        jobs = start_embedded(app)  # the queue worker inside the API (SQLite; app/jobs/worker.py)
        # SQLite's full-text indexes merged in the background (app/core/fts.py)
        app.state.fts_merger = merger = start_merger(db, settings.sqlite_fts_merge_interval_s,
                                                     settings.sqlite_fts_max_segments)
        # what is alive now (the framework, SQLAlchemy, the schemas: ~115,000 objects) lives as
        # long as the process; frozen, no full collection walks it again (40-80 ms each, during
        # which every in-flight request waits: the p99 of a busy list)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if merger is not None:
                await merger.stop()
            await jobs.stop()
            await pool.close()
            await db.dispose()

    app = FastAPI(
        title="newsclaims",
        version=VERSION,
        summary="Who said what, about whom, and what happened when: claims, entities, timexes and events "
        "extracted from news articles.",
        description=f"Extractor version {EXTRACTOR_VERSION}. Errors are RFC 9457 problem documents "
        "(`application/problem+json`) carrying the request id. The `/v1` operations take an API key "
        "(`Authorization: Bearer` or `X-API-Key`) unless `NEWSCLAIMS_AUTH=none`, or, with the default "
        "`auto`, until the first key is created.",
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # auth, limits, idempotency, logs, metrics, proxy (outermost)
    install_production(app, settings, keys=keys_service,
                       bulk_body_bytes=(("/v1/articles/batch", JobSettings().max_batch_bytes),))
    # the hot lists first: FastAPI matches a request against each included router's routes in
    # turn (~1 µs a route); no two routers' paths overlap, so the order decides nothing else
    for router in (events_router, claims_router, articles_router, entities_router, jobs_router):
        app.include_router(router)
    install_openapi(app)  # middleware refusals and security schemes in the document (app/openapi.py)

    @app.get("/livez", response_model=Health, tags=["health"], summary="The process is up")
    async def livez() -> Health:
        return Health(status="ok")

    unavailable: dict[int | str, dict[str, Any]] = {503: problem_response("Not ready")}

    @app.get(
        "/readyz",
        response_model=Health,
        tags=["health"],
        responses=unavailable,
        summary="The database answers, the language model is loaded and the queue workers run",
    )
    async def readyz(request: Request) -> Health:
        state = request.app.state
        db_ok = await state.db.ping()
        model_ok = bool(state.pool.ready)
        jobs = getattr(state, "jobs", None)
        queue_ok = jobs is None or jobs.alive
        if not (db_ok and model_ok and queue_ok):
            checks = (("database", db_ok), ("language model", model_ok), ("queue workers", queue_ok))
            missing = [n for n, ok in checks if not ok]
            raise ServiceUnavailable(
                f"Not ready: {' and '.join(missing)} unavailable.", headers={"Retry-After": "5"}
            )
        depth = await queue_depth(state.db)
        set_queue_depth(depth)
        return Health(status="ready", database=db_ok, model=model_ok, queue=queue_ok, queue_depth=depth)

    return app


app = create_app()
