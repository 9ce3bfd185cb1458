"""The database going away and coming back: a clear 503 problem, no 500, then recovery.

SQLite: the database directory is renamed and the pool's connections dropped, so every new
connection fails. PostgreSQL: only this test's own database is closed to new connections and its
backends are terminated from a second connection (the server itself keeps running).
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from backends import PG_ENV, pg_admin, run_in_thread
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.cli.migrate import upgrade

from .conftest import make_settings

# aiosqlite leaves a never-opened Connection behind for each connect that fails during the outage;
# its ResourceWarning surfaces at garbage collection. Collect here so it is attributed (and
# ignored) in these tests rather than in whichever test runs next.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning",
                                        "ignore::ResourceWarning")


@pytest.fixture(autouse=True)
def _collect_failed_connections() -> Iterator[None]:
    yield
    gc.collect()


ARTICLE = {"text": "The harbour master said on Tuesday that the port would reopen next week.",
           "source": "fault-test"}


def _terminate(name: str | None) -> str:
    """SQL ending every session on the test's own database (its name is ours: hex and '_')."""
    assert name and all(c.isalnum() or c == "_" for c in name)
    return ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")


def _outage(url: str, tmp: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    """(break, restore) for the database at `url`."""
    if url.startswith("sqlite"):
        live = Path(url.split("///", 1)[1]).parent
        away = live.with_name(live.name + "-away")
        return (lambda: os.rename(live, away)), (lambda: os.rename(away, live))
    name = make_url(url).database
    base = os.environ[PG_ENV]

    def down() -> None:
        pg_admin(base, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        pg_admin(base, _terminate(name))

    def up() -> None:
        pg_admin(base, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    return down, up


def _assert_503(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text and "sqlite" not in r.text.lower() and "asyncpg" not in r.text
    assert "retry-after" in r.headers


async def _drop_connections(app: FastAPI) -> None:
    await app.state.db.engine.dispose()


def _db_for(fresh_db_url: str, tmp_path: Path) -> str:
    """SQLite needs the database in a directory of its own (the directory is what goes away)."""
    if not fresh_db_url.startswith("sqlite"):
        return fresh_db_url
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'newsclaims.db'}"
    (tmp_path / "db").mkdir()
    run_in_thread(lambda: upgrade(url))
    return url


async def test_database_outage_gives_503_then_recovers(fresh_db_url: str, tmp_path: Path,
                                                       running_app: Any) -> None:
    url = _db_for(fresh_db_url, tmp_path)
    down, up = _outage(url, tmp_path)
    async with running_app(make_settings(url, tmp_path), wait_ready=True) as (app, client):
        first = await client.post("/v1/articles", json=ARTICLE)
        assert first.status_code == 201, first.text

        run_in_thread(down)
        await _drop_connections(app)
        try:
            _assert_503(await client.get("/v1/articles"))
            _assert_503(await client.get(f"/v1/articles/{first.json()['id']}"))
            again = {**ARTICLE, "text": ARTICLE["text"] + " Again."}
            _assert_503(await client.post("/v1/articles", json=again))
            ready = await client.get("/readyz")
            assert ready.status_code == 503
        finally:
            run_in_thread(up)

        # recovery: the same client, no restart
        listed = await client.get("/v1/articles", params={"source": "fault-test"})
        assert listed.status_code == 200
        assert [a["id"] for a in listed.json()["items"]] == [first.json()["id"]]
        again = await client.post("/v1/articles", json={**ARTICLE, "text": ARTICLE["text"] + " Again."})
        assert again.status_code == 201
        assert (await client.get("/readyz")).status_code == 200


async def test_database_lost_mid_request(fresh_db_url: str, tmp_path: Path, running_app: Any) -> None:
    """The database disappears after the article is stored and while it is being extracted."""
    url = _db_for(fresh_db_url, tmp_path)
    down, up = _outage(url, tmp_path)
    async with running_app(make_settings(url, tmp_path), wait_ready=True) as (app, client):
        pool = app.state.pool
        original = pool.extract

        async def extract_then_lose_db(items: list[Any]) -> list[dict[str, Any]]:
            docs: list[dict[str, Any]] = await original(items)
            run_in_thread(down)
            await _drop_connections(app)
            return docs

        pool.extract = extract_then_lose_db
        try:
            _assert_503(await client.post("/v1/articles", json=ARTICLE))
        finally:
            pool.extract = original
            run_in_thread(up)
        # the retry finds the stored article instead of failing or duplicating it
        retry = await client.post("/v1/articles", json=ARTICLE)
        assert retry.status_code in (200, 201), retry.text
        listed = (await client.get("/v1/articles", params={"source": "fault-test"})).json()["items"]
        assert len(listed) == 1


async def test_dropped_connections_are_replaced(fresh_db_url: str, tmp_path: Path, running_app: Any) -> None:
    """Connections killed under the pool (database restart, failover): the next request works,
    whether it is a list read (`Database.read`: no ping, run again on a fresh connection) or
    goes through a unit of work (pinged at checkout)."""
    url = _db_for(fresh_db_url, tmp_path)
    async with running_app(make_settings(url, tmp_path)) as (app, client):
        name = make_url(url).database
        for path in ("/v1/claims", "/v1/events", "/v1/articles"):
            assert (await client.get(path)).status_code == 200
            if not url.startswith("sqlite"):
                run_in_thread(lambda: pg_admin(os.environ[PG_ENV], _terminate(name)))
            else:
                await _drop_connections(app)
            r = await client.get(path)
            assert r.status_code == 200, (path, r.text)


async def test_a_read_on_a_dead_connection_runs_again(fresh_db_url: str) -> None:
    """`Database.read` skips the pool's ping: a read that meets a connection the server has
    dropped runs once more, on a new connection, instead of failing."""
    if fresh_db_url.startswith("sqlite"):
        pytest.skip("a SQLite connection cannot be dropped by a server")
    from sqlalchemy import func, select, text

    from app.core.database import Database

    db = Database(fresh_db_url, pool_size=1)
    calls = 0
    # a Core statement runs on the driver itself (`DriverReader`), a text one through SQLAlchemy
    for stmt in (select(func.pg_backend_pid()), text("SELECT pg_backend_pid()")):

        async def backend_pid(conn: Any, stmt: Any = stmt) -> int:
            nonlocal calls
            calls += 1
            return int((await conn.execute(stmt)).scalar_one())

        try:
            first = await db.read(backend_pid)
            run_in_thread(lambda: pg_admin(os.environ[PG_ENV], _terminate(make_url(fresh_db_url).database)))
            calls = 0
            second = await db.read(backend_pid)
            assert second != first and calls == 2, stmt
        finally:
            await db.dispose()


async def test_kept_read_connections_after_a_restart(fresh_db_url: str) -> None:
    """Reads keep their connections between requests (no pool round trip); when the server has
    dropped them all, the first read to notice runs again on a new connection and the others
    are let go, so the next read does not meet a dead one."""
    if fresh_db_url.startswith("sqlite"):
        pytest.skip("a SQLite connection cannot be dropped by a server")
    from sqlalchemy import func, select

    from app.core.database import Database

    db = Database(fresh_db_url, pool_size=3)
    calls = 0

    async def backend_pid(conn: Any) -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)  # (held long enough for three reads to need three connections)
        return int((await conn.execute(select(func.pg_backend_pid()))).scalar_one())

    try:
        pids = set(await asyncio.gather(*(db.read(backend_pid) for _ in range(3))))
        assert len(pids) == 3
        assert await db.read(backend_pid) in pids  # a kept one
        run_in_thread(lambda: pg_admin(os.environ[PG_ENV], _terminate(make_url(fresh_db_url).database)))
        calls = 0
        fresh = await db.read(backend_pid)
        assert fresh not in pids and calls == 2
        calls = 0
        assert await db.read(backend_pid) not in pids and calls == 1
    finally:
        await db.dispose()
