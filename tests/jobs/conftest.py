"""Queue tests: a migrated database per backend, the app with its worker pool, articles.

PostgreSQL runs when NEWSCLAIMS_TEST_DATABASE_URL is set (a fresh database per session, dropped
at the end); the multi-process tests need it, since that is the backend workers share.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.cli.migrate import upgrade
from app.core.settings import Settings
from app.jobs.settings import JobSettings
from app.main import create_app

PG_ENV = "NEWSCLAIMS_TEST_DATABASE_URL"
T = TypeVar("T")
_counter = itertools.count()
NAMES = ("Berg", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Silva", "Kowalski", "Reyes")


def run_in_thread(fn: Callable[[], T]) -> T:
    """Run `asyncio.run`-based code (migrations, admin SQL) off the test event loop."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]  # type: ignore[no-any-return]


def pg_admin(url: str, sql: str) -> None:
    u = make_url(url)

    async def go() -> None:
        conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                     password=u.password, database=u.database or "postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_in_thread(lambda: asyncio.run(go()))


def fresh_pg() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    name = f"newsclaims_jobs_{uuid.uuid4().hex[:12]}"
    pg_admin(base, f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        run_in_thread(lambda: upgrade(url))
        yield url
    finally:
        pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def jobs_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('jobs') / 'newsclaims.db'}"
        run_in_thread(lambda: upgrade(url))
        yield url
        return
    yield from fresh_pg()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (the multi-process tests)."""
    yield from fresh_pg()


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
