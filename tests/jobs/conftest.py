"""Queue tests: a migrated database per backend, the app with its worker pool, articles.

PostgreSQL runs when NEWSCLAIMS_TEST_DATABASE_URL is set (a fresh database per session, dropped
at the end); the multi-process tests need it, since that is the backend workers share.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from backends import BACKENDS, database
from fastapi import FastAPI

from app.core.database import Database
from app.core.settings import Settings
from app.jobs.settings import JobSettings
from app.main import create_app

_counter = itertools.count()
NAMES = ("Berg", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Silva", "Kowalski", "Reyes")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def jobs_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with database(request.param, tmp_path_factory.mktemp("jobs"), "newsclaims_jobs") as url:
        yield url


@pytest_asyncio.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of this test's own, so no other worker touches its queue."""
    with database(request.param, tmp_path, "newsclaims_own") as url:
        d = Database(url, pool_size=2)
        try:
            yield d
        finally:
            await d.dispose()


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database of its own (the multi-process tests)."""
    with database("postgresql", tmp_path_factory.mktemp("pg"), "newsclaims_jobs") as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def jobs_app(jobs_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    settings = Settings(database_url=jobs_db_url, data_dir=tmp_path_factory.mktemp("data"),
                        extraction_workers=1, max_page_size=50)
    application = create_app(settings)
    # the embedded worker runs on SQLite (its default); tests also drive workers themselves
    application.state.job_settings = JobSettings(job_poll_s=0.1, job_lease_s=30)
    async with application.router.lifespan_context(application):
        assert await application.state.pool.wait_ready(), "the extraction worker did not load its model"
        yield application


@pytest_asyncio.fixture(scope="session")
async def jobs_client(jobs_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=jobs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as c:
        yield c


def make_article(sentences: int = 2, **fields: Any) -> dict[str, Any]:
    """A fresh hand-written article (unique text), `sentences` reports long."""
    n = next(_counter)
    tag = f"{uuid.uuid4().hex[:6]}"
    parts = []
    for i in range(sentences):
        name = NAMES[(n + i) % len(NAMES)]
        parts.append(f"Minister Anna {name} said on Monday that the bridge {tag}{i} would reopen in May. "
                     f"\"We will finish the work,\" {name} told reporters in Lyon.")
    body: dict[str, Any] = {"text": " ".join(parts), "source": "jobs-tests", "published_at": "2025-03-10",
                            "external_id": f"job-{tag}"}
    body.update(fields)
    return body
