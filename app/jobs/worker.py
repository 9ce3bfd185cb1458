"""The queue worker: claim leased items, extract them in batches, store each result atomically.

A loop claims up to `batch_size` items (a lease of `lease_s` seconds, renewed by a heartbeat
while the batch is extracted; near the end of the queue only a share, see `claim_size`), runs
the whole batch through the extractor
(`nlp.pipe` inside `Extractor.extract_many`), then stores each article in its own transaction
that *first* closes the item under this worker's lease and then replaces the article's derived
rows with `app.articles.service.store_result` (the synchronous path's storage code). If the
lease was lost meanwhile, the transaction rolls back: whoever holds the item stores it. A worker
killed mid-batch leaves leases that expire, and the next claim resumes those items; since a
store replaces derived rows and closes the item in one transaction, each accepted article is
stored exactly once.

`newsclaims worker` runs this loop in its own process with the model loaded in-process;
the API runs one embedded loop (extracting in its worker pool) on SQLite, see `start_embedded`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from app.articles import repository as articles_repo
from app.articles.pool import ExtractionUnavailable
from app.articles.service import store_result
from app.core import metrics
from app.core.database import Database, is_transient, utcnow
from app.extraction import EXTRACTOR_VERSION
from app.extraction.inputs import ArticleInput

from . import repository as repo
from .models import DONE, FAILED
from .settings import JobSettings

log = logging.getLogger("newsclaims.jobs")

Extract = Callable[[list[ArticleInput]], Awaitable[list[dict[str, Any]]]]


PURGE_EVERY_S = 3600.0  # retention purges per worker: the first when idle, then at most hourly
PURGE_BATCH = 500  # jobs deleted per transaction


class LeaseLost(Exception):
    """Another worker took the item over (our lease expired): roll back, it stores the article."""


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class QueueWorker:
    def __init__(self, db: Database, extract: Extract, cfg: JobSettings, owner: str | None = None) -> None:
        self.db, self.extract, self.cfg = db, extract, cfg
        self.owner = owner or worker_id()
        self.processed = 0
        self._wake = asyncio.Event()
        self._purged_at = float("-inf")  # monotonic time of the last retention purge

    def wake(self) -> None:
        """New work was queued in this process: skip the rest of the idle wait."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, exit_when_idle: bool = False) -> None:
        """Work until `stop` is set (or, with `exit_when_idle`, until the queue is empty)."""
        while not stop.is_set():
            try:
                n = await self.run_once()
            except Exception:  # the database went away for a moment: retry after a pause
                log.exception("queue worker %s: claim failed", self.owner)
                n = 0
            if n:
                continue
            await self.purge_old_jobs()
            if exit_when_idle and not await self._open_work():
                return
            self._wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(_first(stop.wait(), self._wake.wait()), self.cfg.job_poll_s)

    async def purge_old_jobs(self, *, force: bool = False) -> int:
        """Delete finished jobs past `job_retention_days`, when idle and at most every
        PURGE_EVERY_S per worker, in bounded batches so no transaction holds many locks; the
        number deleted. Failures are logged and left for the next time."""
        days = self.cfg.job_retention_days
        now = time.monotonic()
        if days <= 0 or (not force and now - self._purged_at < PURGE_EVERY_S):
            return 0
        self._purged_at = now
        before = utcnow() - timedelta(days=days)
        total = 0
        try:
            while True:
                async with self.db.session(write=True) as s:
                    n = await repo.purge_finished(s, before, PURGE_BATCH)
                total += n
                if n < PURGE_BATCH:
                    break
        except Exception:
            log.warning("queue worker %s: purging old jobs failed", self.owner, exc_info=True)
        if total:
            log.info("queue worker %s: deleted %d finished jobs older than %g days", self.owner, total, days)
        return total

    async def _open_work(self) -> bool:
        """Idle means nothing open at all: items leased to another worker still count, since that
        worker may die and leave them for this one once their leases expire."""
        try:
            async with self.db.session() as s:
                return await repo.has_open_work(s)
        except Exception:
            log.exception("queue worker %s: checking for open work failed", self.owner)
            return True

    async def run_once(self) -> int:
        """Claim and finish one batch; the number of items claimed (0: nothing to do)."""
        async with self.db.session() as s:
            depth, busy = await repo.queue_stats(s)
        if not depth:
            metrics.set_queue_depth(0)
            return 0
        async with self.db.session() as s:
            claimed = await repo.claim(s, self.owner, claim_size(self.cfg.job_batch_size, depth, busy),
                                       self.cfg.job_lease_s)
        metrics.set_queue_depth(max(0, depth - len(claimed)))
        if not claimed:
            return 0
        heartbeat = asyncio.create_task(self._heartbeat([c.id for c in claimed]))
        try:
            await self._process(claimed)
        finally:
            heartbeat.cancel()
            with suppress(asyncio.CancelledError):
                await heartbeat
        return len(claimed)

    async def _heartbeat(self, ids: list[int]) -> None:
        while True:
            await asyncio.sleep(self.cfg.job_lease_s / 3)
            try:
                async with self.db.session() as s:
                    await repo.renew(s, self.owner, ids, self.cfg.job_lease_s)
            except Exception:
                log.warning("queue worker %s: lease renewal failed", self.owner, exc_info=True)

    async def _process(self, claimed: list[repo.Claimed]) -> None:
        async with self.db.session() as s:
            work = await repo.work_for(s, [c.article_id for c in claimed])
        todo: list[tuple[repo.Claimed, repo.Work]] = []
        for c in claimed:
            w = work.get(c.article_id)
            if w is None:  # deleted meanwhile (its item went with it): nothing to store
                continue
            if c.attempts > self.cfg.job_max_attempts:
                await self._fail(c, w, f"gave up after {c.attempts - 1} attempts (the worker stopped or "
                                       "failed each time)")
                continue
            todo.append((c, w))
        if not todo:
            return
        inputs = [ArticleInput(text=w.text, published_at=w.published_on, id=w.external_id) for _, w in todo]
        results: list[dict[str, Any] | BaseException]
        try:
            results = list(await self.extract(inputs))
        except ExtractionUnavailable as exc:  # the pool is restarting: not the articles' fault
            for c, _ in todo:
                async with self.db.session() as s:
                    await repo.release(s, c.id, self.owner, f"extraction unavailable, retried: {exc}")
            await asyncio.sleep(1.0)
            return
        except Exception:  # one bad article must not sink the batch: retry one by one
            results = []
            for item in inputs:
                try:
                    results.extend(await self.extract([item]))
                except Exception as exc:
                    results.append(exc)
        for (c, w), doc in zip(todo, results, strict=True):
            if isinstance(doc, BaseException):
                await self._fail(c, w, f"extraction failed: {type(doc).__name__}: {doc}")
            else:
                await self._store(c, w, doc)

    async def _store(self, c: repo.Claimed, w: repo.Work, doc: dict[str, Any]) -> None:
        try:
            async with self.db.session() as s:
                if not await repo.finish(s, c.id, self.owner, DONE):
                    raise LeaseLost
                await store_result(s, w.article_id, w.published_on, doc)
            self.processed += 1
        except LeaseLost:
            log.warning("queue worker %s: lost the lease of item %s", self.owner, c.id)
        except DBAPIError as exc:
            if _transient(exc):  # e.g. a deadlock with another writer: give it back to the queue
                log.warning("queue worker %s: storing article %s failed, requeued: %s",
                            self.owner, w.article_id, exc)
                async with self.db.session() as s:
                    await repo.release(s, c.id, self.owner, f"storing failed, retried: {type(exc).__name__}")
            else:  # the same data would fail again: record why, do not retry
                log.error("queue worker %s: storing article %s failed: %s", self.owner, w.article_id, exc)
                reason = str(exc.orig if exc.orig is not None else exc).splitlines()[0]
                await self._fail(c, w, f"storing failed: {type(exc).__name__}: {reason}")
        except Exception as exc:  # a result the storage code rejects: record why, do not retry
            log.exception("queue worker %s: storing article %s failed", self.owner, w.article_id)
            await self._fail(c, w, f"storing failed: {type(exc).__name__}: {exc}")

    async def _fail(self, c: repo.Claimed, w: repo.Work, reason: str) -> None:
        with suppress(LeaseLost):
            async with self.db.session() as s:
                if not await repo.finish(s, c.id, self.owner, FAILED, reason):
                    raise LeaseLost
                await articles_repo.mark_failed(s, w.article_id, reason, EXTRACTOR_VERSION)
            metrics.job_failed(reason.split(" ", 1)[0])  # "extraction" / "storing"


def claim_size(batch_size: int, depth: int, busy: int) -> int:
    """Articles to claim: a full batch while the queue is long, but near its end an equal share
    with the workers busy elsewhere, so one worker is not left extracting a full batch while the
    others have nothing to do (84 articles in batches of 8 over two processes left one idle for
    a whole batch)."""
    return max(1, min(batch_size, -(-depth // (busy + 1))))


def _transient(exc: DBAPIError) -> bool:
    """Worth retrying: a lost connection, a lock timeout, or what `is_transient` says running the
    transaction again cures (a deadlock, a serialization failure, a row pruned concurrently)."""
    code = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    return (exc.connection_invalidated or isinstance(exc, OperationalError) or code.startswith("40")
            or is_transient(exc))


async def _first(*aws: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()


class Embedded:
    """The API process's own queue worker loops (SQLite by default), two per extraction pool
    process (as in `newsclaims worker`): each claims a batch and extracts it in the pool, so
    while one loop stores its results every pool process still has another loop's batch to
    parse (with one loop per process, a process idled while its loop stored)."""

    def __init__(self, workers: list[QueueWorker]) -> None:
        self.workers = workers
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(w.run(self._stop)) for w in workers]

    def wake(self) -> None:
        for w in self.workers:
            w.wake()

    @property
    def alive(self) -> bool:
        """Every loop still running (a loop only ends when stopped: one that ended is dead)."""
        return not self._stop.is_set() and not any(t.done() for t in self._tasks)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task


def start_embedded(app: Any) -> Embedded:
    """Called from the application lifespan once `app.state.db` and `app.state.pool` exist; sets
    `app.state.jobs` (the routers use it to wake the loops)."""
    cfg: JobSettings = getattr(app.state, "job_settings", None) or JobSettings()
    db: Database = app.state.db
    run_here = cfg.queue_worker == "on" or (cfg.queue_worker == "auto" and db.dialect == "sqlite")
    pool = app.state.pool
    loops = 2 * max(1, pool.workers) if run_here else 0
    app.state.jobs = Embedded([QueueWorker(db, pool.extract, cfg, owner=f"api-{worker_id()}")
                               for _ in range(loops)])
    return app.state.jobs
