"""SQLite's full-text indexes are merged in the background (app/core/fts.py): a fragmented index
ends as one segment while the service runs, and searches find exactly what they found before."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.core import fts
from app.core.database import Database
from app.core.settings import Settings
from app.main import create_app
from tests.backends import database


@asynccontextmanager
async def serving(url: str, data: Path, interval_s: float) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(Settings(database_url=url, data_dir=data, extraction_workers=1,
                              sqlite_fts_merge_interval_s=interval_s, sqlite_fts_max_segments=4))
    async with app.router.lifespan_context(app):
        assert await app.state.pool.wait_ready()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as c:
            yield c, app.state.fts_merger


async def segments(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return {t: await fts.segments(s, t) for t in fts.FTS_TABLES}


async def no_automerge(db: Database) -> None:
    """Each transaction's segment stays a segment (FTS5 would otherwise merge every few)."""
    async with db.session(write=True) as s:
        await s.execute(text("INSERT INTO claims_search(claims_search, rank) VALUES ('automerge', 0)"))
        await s.execute(text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', 0)"))


async def fragmented(db: Database, n: int) -> None:
    """`n` one-row transactions into the claims index: `n` segments."""
    await no_automerge(db)
    for i in range(n):
        async with db.session(write=True) as s:
            await s.execute(text("INSERT INTO claims_search(rowid, content_text) VALUES (:r, :t)"),
                            {"r": i + 1, "t": f"words number {i}"})
    assert (await segments(db))["claims_search"] == n


async def search(client: httpx.AsyncClient, path: str, q: str) -> list[int]:
    r = await client.get(path, params={"q": q, "limit": 50})
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


async def test_the_service_merges_a_fragmented_index(tmp_path: Path) -> None:
    word = "zq" + uuid.uuid4().hex[:8]
    with database("sqlite", tmp_path) as url:
        db = Database(url)
        try:
            await no_automerge(db)
            # articles stored one transaction each, by a service that does not merge
            async with serving(url, tmp_path / "d1", interval_s=0) as (client, merger):
                assert merger is None
                for i in range(6):
                    r = await client.post("/v1/articles", json={
                        "text": f"The minister said the {word} budget number {i} would pass.",
                        "published_at": f"2025-03-0{i + 1}"})
                    assert r.status_code == 201, r.text
                claims = await search(client, "/v1/claims", word)
                articles = await search(client, "/v1/articles", word)
            assert len(claims) == 6 and len(articles) == 6
            before = await segments(db)
            assert all(n >= 6 for n in before.values()), before

            async with serving(url, tmp_path / "d2", interval_s=0.2) as (client, merger):
                assert merger is not None
                deadline = time.monotonic() + 30
                while (now := await segments(db)) != {t: 1 for t in fts.FTS_TABLES}:
                    assert time.monotonic() < deadline, f"not merged: {now}"
                    await asyncio.sleep(0.1)
                assert await search(client, "/v1/claims", word) == claims
                assert await search(client, "/v1/articles", word) == articles
                # and what is written after the merge is found beside what was merged
                r = await client.post("/v1/articles", json={
                    "text": f"The mayor said the {word} plan was late.", "published_at": "2025-04-01"})
                assert r.status_code == 201, r.text
                assert len(await search(client, "/v1/claims", word)) == 7
        finally:
            await db.dispose()


async def test_merging_below_the_threshold_or_when_stopped_does_nothing(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        db = Database(url)
        try:
            await fragmented(db, 3)
            assert await fts.merge_fragmented(db, max_segments=3) == {}
            stop = asyncio.Event()
            stop.set()
            assert await fts.merge(db, "claims_search", stop=stop) == 0
            assert await fts.merge_fragmented(db, max_segments=2, stop=stop) == {}  # (shutting down)
            assert (await segments(db))["claims_search"] == 3
            assert await fts.merge_fragmented(db, max_segments=2) == {"claims_search": (3, 1)}
            with pytest.raises(ValueError, match="not a full-text index"):
                await fts.merge(db, "claims")
        finally:
            await db.dispose()


async def test_no_merger_on_postgresql(db_url: str) -> None:
    db = Database(db_url)
    try:
        merger = fts.start_merger(db, 300, 4)
        assert (merger is None) == (db.dialect == "postgresql")
        if merger is not None:
            await merger.stop()
        assert fts.start_merger(db, 0, 4) is None
    finally:
        await db.dispose()


async def test_one_process_merges_a_database_at_a_time(tmp_path: Path) -> None:
    """Several API processes on one SQLite file each run a merger: while one holds the merge lock
    the others skip the round, and the kernel lets go of the lock when its holder dies."""
    with database("sqlite", tmp_path) as url:
        db, other = Database(url), Database(url)
        try:
            await fragmented(db, 3)
            path = fts.lock_path(db)
            assert path is not None and path == fts.lock_path(other)
            # another merger of this process holds it
            with fts.merge_lock(other) as mine:
                assert mine
                assert await fts.merge_fragmented(db, max_segments=2) == {}
            assert (await segments(db))["claims_search"] == 3
            # another process holds it, then is killed
            holder = await asyncio.create_subprocess_exec(
                sys.executable, "-c",
                "import fcntl, os, sys, time\n"
                "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                "print('held', flush=True)\n"
                "time.sleep(60)\n", path,
                stdout=asyncio.subprocess.PIPE)
            try:
                assert holder.stdout is not None
                assert (await asyncio.wait_for(holder.stdout.readline(), 30)).strip() == b"held"
                assert await fts.merge_fragmented(db, max_segments=2) == {}
                assert (await segments(db))["claims_search"] == 3
            finally:
                holder.kill()
                await holder.wait()
            # two mergers started together: one merges, the other skips
            results = await asyncio.gather(fts.merge_fragmented(db, max_segments=2),
                                           fts.merge_fragmented(other, max_segments=2))
            assert sorted(results, key=len) == [{}, {"claims_search": (3, 1)}]
            assert (await segments(db))["claims_search"] == 1
        finally:
            await db.dispose()
            await other.dispose()
