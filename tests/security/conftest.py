"""An app of its own for the production tests (its own database per backend, own settings).

The database, app and client fixtures are the service's (tests/api/conftest.py), re-declared here
so this package gets separate instances: these tests create API keys, claim idempotency keys and
break the database on purpose, none of which may leak into the API tests.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from api.conftest import app, client, db_url
from backends import database
from fastapi import FastAPI

from app.core.settings import Settings
from app.main import create_app

__all__ = ["app", "client", "db_url", "fresh_db_url", "make_settings", "running_app", "settings"]


def make_settings(url: str, data_dir: os.PathLike[str] | str, **overrides: object) -> Settings:
    fields: dict[str, object] = {"database_url": url, "data_dir": data_dir, "extraction_workers": 1,
                                 "max_body_bytes": 1_000_000, "max_text_chars": 50_000,
                                 "log_json": True}
    fields.update(overrides)
    return Settings(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(db_url, tmp_path_factory.mktemp("data"))


@pytest.fixture
def fresh_db_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another migrated database on the same backend, for tests that must not share state."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with database(backend, tmp_path_factory.mktemp("fresh"), "newsclaims_sec") as url:
        yield url


@pytest_asyncio.fixture
async def running_app() -> AsyncIterator[object]:
    """Build and run an app for one test: `async with running_app(settings) as (app, client)`."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def run(s: Settings, wait_ready: bool = False) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        application = create_app(s)
        async with application.router.lifespan_context(application):
            if wait_ready:
                assert await application.state.pool.wait_ready()
            transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as c:
                yield application, c
        await asyncio.sleep(0)

    yield run
