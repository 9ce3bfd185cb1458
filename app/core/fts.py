"""SQLite: keeping the full-text indexes (FTS5) merged while the service runs.

FTS5 writes each transaction's new terms as a segment of its own and merges segments only
when several pile up on one level (its `automerge`), so an index filled article by article
settles at a dozen or more segments, and every search reads and merges each one's list of
matches for its words. On the 1M-claim bench database (13 segments), one `GET /v1/claims?q=`
page cost 0.21 ms in SQLite, 0.11 ms of it in the index; merged into one segment, 0.12 and
0.02 ms. PostgreSQL's GIN indexes are kept by autovacuum and need none of this.

`SearchIndexMerger` runs in the API process (SQLite is single-host): every `interval_s` it
counts each index's segments, and past `max_segments` merges them into one with FTS5's
incremental 'merge' command, `MERGE_PAGES` pages per write transaction (a few tens of
milliseconds each), pausing between transactions so that ingestion's writes get in. Reads are
never blocked (WAL: they go on reading the last committed state). A full merge rewrites the
index once (1.5 s for the 1M-claim claims index), so it runs at most once an interval, and only
when the index has fragmented again. Several API processes on one file (`uvicorn --workers`)
each run a merger, started together; a lock on a file beside the database (`merge_lock`) lets one
of them merge and the others skip that round, rather than all rewriting the same index at once,
contending for the write lock.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial

from sqlalchemy import TextClause, text
from sqlalchemy.engine import make_url

from .database import Database, Reader

log = logging.getLogger("newsclaims.fts")

# the FTS5 tables of the schema (migrations 0001, 0005): how to count an index's segments (each
# has at least one row in the table's `_idx` b-tree index), and FTS5's 'merge' command
_STATEMENTS = {
    "claims_search": (text("SELECT count(DISTINCT segid) FROM claims_search_idx"),
                      text("INSERT INTO claims_search(claims_search, rank) VALUES ('merge', :pages)")),
    "articles_fts": (text("SELECT count(DISTINCT segid) FROM articles_fts_idx"),
                     text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('merge', :pages)")),
}
FTS_TABLES = tuple(_STATEMENTS)
# pages written per merge transaction: ~10-40 ms each on the bench VMs
MERGE_PAGES = 500
# pause between two merge transactions, for writers waiting on the lock
PAUSE_S = 0.01


async def segments(reader: Reader, table: str) -> int:
    """The number of segments of the index."""
    return int((await reader.execute(_statements(table)[0])).scalar_one())


async def merge_step(db: Database, table: str, *, first: bool) -> bool:
    """One bounded merge transaction; False once there was nothing left to merge.

    FTS5's rule: the first 'merge' of a full merge takes a negative page count (every segment
    joins one level, two suffice to merge), the ones after it a positive count (so that a
    segment written meanwhile does not restart the merge); it is done when a step changes fewer
    than two rows."""
    command = _statements(table)[1]
    async with db.session(write=True) as session:
        before = (await session.execute(text("SELECT total_changes()"))).scalar_one()
        await session.execute(command, {"pages": -MERGE_PAGES if first else MERGE_PAGES})
        after = (await session.execute(text("SELECT total_changes()"))).scalar_one()
    return bool(after - before >= 2)


async def merge(db: Database, table: str, pause_s: float = PAUSE_S, stop: asyncio.Event | None = None) -> int:
    """Merge the index into one segment, a bounded transaction at a time, until done or `stop`
    is set (what was merged so far stays merged); returns the number of transactions."""
    steps, more = 0, True
    while more and not (stop is not None and stop.is_set()):
        more = await merge_step(db, table, first=steps == 0)
        steps += 1
        if more and pause_s:
            await asyncio.sleep(pause_s)
    return steps


def lock_path(db: Database) -> str | None:
    """The merge lock's file: beside the database file (None for an in-memory database, which
    only its own process can see)."""
    path = make_url(db.url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return f"{path}-fts-merge.lock"


@contextmanager
def merge_lock(db: Database) -> Iterator[bool]:
    """Whether this process may merge the database's indexes now: True while it holds the
    lock, False when another process (or another `Database` here) holds it. Never waits: the
    holder is merging, and the others' next round comes an interval later. The lock is the
    kernel's (`flock`), so a process that dies lets go of it."""
    path = lock_path(db)
    if path is None:
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # (closing the descriptor releases the lock)
    finally:
        os.close(fd)


async def merge_fragmented(db: Database, max_segments: int, stop: asyncio.Event | None = None
                           ) -> dict[str, tuple[int, int]]:
    """Merge each index holding more than `max_segments` segments: {table: (before, after)};
    nothing while another process is merging the same database (`merge_lock`)."""
    with merge_lock(db) as mine:
        if not mine:
            log.debug("another process is merging the full-text indexes; skipped this round")
            return {}
        return await _merge_fragmented(db, max_segments, stop)


async def _merge_fragmented(db: Database, max_segments: int, stop: asyncio.Event | None
                            ) -> dict[str, tuple[int, int]]:
    done: dict[str, tuple[int, int]] = {}
    for table in FTS_TABLES:
        if stop is not None and stop.is_set():
            break
        before = await db.read(partial(segments, table=table))
        if before <= max_segments:
            continue
        t = time.perf_counter()
        steps = await merge(db, table, stop=stop)
        after = await db.read(partial(segments, table=table))
        done[table] = (before, after)
        log.info("merged the %s index: %d -> %d segments, %d transactions, %.1f s",
                 table, before, after, steps, time.perf_counter() - t)
    return done


def _statements(table: str) -> tuple[TextClause, TextClause]:
    try:
        return _STATEMENTS[table]
    except KeyError:
        raise ValueError(f"not a full-text index: {table}") from None


class SearchIndexMerger:
    """The background task: `merge_fragmented` every `interval_s`, the first one `first_s` (or
    `interval_s` if shorter) after start-up: a restarted service finds the index as it left it."""

    def __init__(self, db: Database, interval_s: float, max_segments: int, first_s: float = 30.0) -> None:
        self.db, self.interval_s, self.max_segments = db, interval_s, max_segments
        self.first_s = min(first_s, interval_s)
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        wait = self.first_s
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)
            if self._stop.is_set():
                return
            wait = self.interval_s
            try:
                await merge_fragmented(self.db, self.max_segments, self._stop)
            except Exception:  # (a locked or busy database: the next interval tries again)
                log.warning("full-text index merge failed; next try in %.0f s", self.interval_s,
                            exc_info=True)

    async def stop(self) -> None:
        """Stop after the transaction in progress (each is committed on its own)."""
        self._stop.set()
        with suppress(asyncio.CancelledError):
            await self._task


def start_merger(db: Database, interval_s: float, max_segments: int) -> SearchIndexMerger | None:
    """The merger for a SQLite database, None for PostgreSQL or when `interval_s` is 0."""
    if db.dialect != "sqlite" or interval_s <= 0:
        return None
    return SearchIndexMerger(db, interval_s, max_segments)
