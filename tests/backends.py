"""Test databases on both backends, shared by every suite that touches one.

SQLite is a file in a temporary directory. PostgreSQL runs when NEWSCLAIMS_TEST_DATABASE_URL is
set (as .ci/run does): each database is created for the test that asks for it and dropped with
`FORCE` afterwards, so concurrent runs never collide. Schemas come from the Alembic migrations,
exactly as in production.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.cli.migrate import upgrade

PG_ENV = "NEWSCLAIMS_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


def run_in_thread(fn: Callable[[], T]) -> T:
    """Run blocking or `asyncio.run`-based code (migrations, admin SQL) off the test event loop."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            out["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]  # type: ignore[no-any-return]


def pg_admin(url: str, sql: str) -> None:
    """One statement on the server of `url` (its database, or `postgres` if that does not exist)."""
    u = make_url(url)

    async def go() -> None:
        kwargs = {"host": u.host or "127.0.0.1", "port": u.port or 5432, "user": u.username,
                  "password": u.password}
        try:
            conn = await asyncpg.connect(**kwargs, database=u.database or "postgres")
        except asyncpg.InvalidCatalogNameError:
            conn = await asyncpg.connect(**kwargs, database="postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_in_thread(lambda: asyncio.run(go()))


def pg_base_url() -> str:
    """The configured PostgreSQL URL, or a skip with the reason."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    return base


@contextmanager
def database(backend: str, directory: Path, prefix: str = "newsclaims_test",
             migrate: bool = True) -> Iterator[str]:
    """A new database on `backend` ("sqlite" or "postgresql"), migrated unless `migrate=False`."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / f'{prefix}.db'}"
        if migrate:
            run_in_thread(lambda: upgrade(url))
        yield url
        return
    base = pg_base_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    pg_admin(base, f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            run_in_thread(lambda: upgrade(url))
        yield url
    finally:
        pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
