"""The service under test: real HTTP through the ASGI app, a real database, real spaCy workers.

`db_url` is parametrised over SQLite and PostgreSQL. PostgreSQL runs when
NEWSCLAIMS_TEST_DATABASE_URL is set (as .ci/run does): a fresh database is created for the
session and dropped at the end, so concurrent runs never collide. The schema comes from the
Alembic migrations, exactly as in production. One app (and one worker pool) is shared per
backend for the whole session, since loading the model costs a second or two per worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from backends import BACKENDS, database
from fastapi import FastAPI

from app.articles.schemas import ArticleCreate
from app.articles.service import ArticleService
from app.core.settings import Settings
from app.main import create_app


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this session on each backend."""
    with database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path_factory.mktemp("data"),
        extraction_workers=1,
        default_page_size=20,
        max_page_size=50,
        max_body_bytes=1_000_000,
        max_text_chars=50_000,
    )


@pytest_asyncio.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The application with its lifespan running (engine open, worker pool warm)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert await application.state.pool.wait_ready(), "the extraction worker did not load its model"
        yield application


@pytest_asyncio.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def store(app: FastAPI) -> Callable[..., Awaitable[int]]:
    """Store an article with a hand-made extraction document through the service layer, so the
    storage and query logic is tested independently of what the extractor finds."""
    svc = ArticleService(app.state.db, app.state.pool, app.state.settings)

    async def _store(doc: dict[str, Any], **fields: Any) -> int:
        payload = ArticleCreate(text=doc.pop("_text"), **fields)
        article_id, created = await svc.store(payload)
        assert created, "hand-made articles must be unique (use a fresh text)"
        await svc.save_result(article_id, doc)
        return article_id

    return _store
