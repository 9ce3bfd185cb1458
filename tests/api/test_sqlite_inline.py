"""SQLite reads run on the event loop's thread within a time budget (app/core/sqlite_inline.py):
what runs past it, or meets a lock, must give up at once and complete on a connection thread;
PostgreSQL never reads this way."""

from __future__ import annotations

import sqlite3
import threading
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Integer, func, literal, select

from app.core.database import Database
from app.core.metrics import REGISTRY
from app.core.sqlite_inline import InlineReader

# statements that take SQLite ~0.5 s: far past any budget here
SLOW = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*) FROM n")
_n = select(literal(1, Integer).label("i")).cte("n", recursive=True)
_n = _n.union_all(select((_n.c.i + 1).label("i")).where(_n.c.i < 3_000_000))
SLOW_STMT = select(func.count()).select_from(_n)  # (the same, as repositories build theirs)


def reads(where: str) -> float:
    return REGISTRY.get_sample_value("newsclaims_sqlite_reads_total", {"where": where}) or 0.0


def sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL reads are asyncpg's (no inline reader: test_postgresql_has_none)")


async def test_postgresql_has_none(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert (db.inline is None) == db_url.startswith("postgresql")
    finally:
        await db.dispose()


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite://"])
async def test_none_for_an_in_memory_database(url: str) -> None:
    """Another connection to an in-memory database would see another, empty database."""
    db = Database(url)
    try:
        assert db.inline is None
    finally:
        await db.dispose()


async def test_none_with_a_budget_of_zero(db_url: str) -> None:
    sqlite_only(db_url)
    db = Database(db_url, sqlite_inline_read_ms=0)
    try:
        assert db.inline is None
        assert (await db.read(lambda r: r.scalar(select(literal(7, Integer))))) == 7
    finally:
        await db.dispose()


async def test_a_list_request_reads_inline(client: httpx.AsyncClient, db_url: str) -> None:
    """Through the app: a list page's statement ran on the loop, none moved to a thread."""
    sqlite_only(db_url)
    created = await client.post("/v1/articles", json={
        "text": "The minister said the budget would pass.", "published_at": "2025-03-04"})
    assert created.status_code == 201, created.text
    inline = reads("inline")
    page = await client.get("/v1/claims", params={"q": "budget"})
    assert page.status_code == 200 and page.json()["items"], page.text  # the write is seen at once
    assert reads("inline") > inline


async def test_a_read_past_the_budget_completes_on_a_thread(db_url: str) -> None:
    sqlite_only(db_url)
    db = Database(db_url, sqlite_inline_read_ms=1)
    assert db.inline is not None
    try:
        assert db.inline.run(SLOW, ()) is None  # stopped at the budget
        moved = reads("moved")
        assert await db.read(lambda r: r.scalar(SLOW_STMT)) == 3_000_000
        assert reads("moved") == moved + 1
        # the reader is usable afterwards: the stopped statement left nothing open
        assert db.inline.run("SELECT 41 + 1", ()) == [(42,)]
    finally:
        await db.dispose()


def test_a_lock_moves_the_read_instead_of_stalling_the_loop(tmp_path: Path) -> None:
    """The inline reader never waits for a lock (that would stall the loop for the busy
    timeout): with the file locked, `run` gives up at once and the read goes to a connection
    thread, whose busy timeout waits. (In WAL mode, as the service runs SQLite, no other
    connection can take such a lock while the service has the file open; a rollback-journal
    file shows the reader's side.)"""
    path = tmp_path / "locked.db"
    setup = sqlite3.connect(path)
    setup.executescript("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);")
    setup.close()
    reader = InlineReader(partial(sqlite3.connect, path), budget_s=1.0)
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locker.executescript("BEGIN EXCLUSIVE; INSERT INTO t VALUES (3);")
    unlock = threading.Timer(1.0, lambda: locker.execute("COMMIT"))
    unlock.start()
    try:
        moved = reads("moved")
        # had it waited for the lock, it would read the three rows committed a second later
        assert reader.run("SELECT count(*) FROM t", ()) is None
        assert reads("moved") == moved + 1
    finally:
        unlock.join()
        locker.close()
    assert reader.run("SELECT count(*) FROM t", ()) == [(3,)]
    reader.close()
