"""Job retention: queue workers delete finished jobs older than `job_retention_days` when idle
(the articles stay), never a job with an open item, and not at all with a retention of 0 (on
both backends, each test on a database of its own)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.articles import repository as articles_repo
from app.articles.models import Article
from app.articles.schemas import ArticleCreate
from app.articles.service import article_fields
from app.core.database import Database, utcnow
from app.jobs import repository as repo
from app.jobs.models import DONE, QUEUED, Job, JobItem
from app.jobs.settings import JobSettings
from app.jobs.worker import QueueWorker

from .conftest import make_article


async def job(db: Database, states: list[str], age_days: float) -> int:
    """A job of one article per state, created `age_days` ago."""
    async with db.session(write=True) as s:
        ids = [await articles_repo.insert_new(s, article_fields(ArticleCreate(**make_article())))
               for _ in states]
        job_id = await repo.create_job(s, "ingest", len(states))
        await repo.add_items(s, job_id, [(i, a, st) for i, (a, st) in enumerate(zip(ids, states, strict=True))
                                         if a is not None])
        created = utcnow() - timedelta(days=age_days)
        await s.execute(update(Job).where(Job.id == job_id).values(created_at=created))
    return job_id


async def nothing_to_extract(items: list[Any]) -> list[dict[str, Any]]:
    raise AssertionError("no article is queued in these tests")


async def jobs_left(db: Database) -> tuple[set[int], int, int]:
    async with db.session() as s:
        ids = set((await s.execute(select(Job.id))).scalars())
        items = (await s.execute(select(func.count()).select_from(JobItem))).scalar_one()
        articles = (await s.execute(select(func.count()).select_from(Article))).scalar_one()
    return ids, items, articles


async def test_an_idle_worker_deletes_finished_jobs_past_retention(db: Database) -> None:
    old_done = await job(db, [DONE, DONE], age_days=40)
    old_open = await job(db, [DONE, QUEUED], age_days=40)
    recent = await job(db, [DONE], age_days=1)
    async with db.session(write=True) as s:  # the open item is leased and finished meanwhile
        [c] = await repo.claim(s, "other", 1, 60)
    worker = QueueWorker(db, nothing_to_extract, JobSettings(job_retention_days=30))
    assert await worker.purge_old_jobs() == 1
    assert await jobs_left(db) == ({old_open, recent}, 3, 5)
    async with db.session() as s:
        assert await repo.get_job(s, old_done) is None

    # the open job finishes; the next purge waits for its interval, unless forced
    async with db.session(write=True) as s:
        assert await repo.finish(s, c.id, "other", DONE)
    assert await worker.purge_old_jobs() == 0
    assert await worker.purge_old_jobs(force=True) == 1
    assert await jobs_left(db) == ({recent}, 1, 5)


async def test_the_worker_loop_purges_when_the_queue_is_empty(db: Database) -> None:
    old = await job(db, [DONE], age_days=10)
    worker = QueueWorker(db, nothing_to_extract, JobSettings(job_retention_days=7, job_poll_s=0.05))
    await asyncio.wait_for(worker.run(asyncio.Event(), exit_when_idle=True), 30)
    ids, _, _ = await jobs_left(db)
    assert old not in ids


async def test_purges_go_in_bounded_batches(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.jobs.worker.PURGE_BATCH", 2)
    for _ in range(5):
        await job(db, [DONE], age_days=40)
    worker = QueueWorker(db, nothing_to_extract, JobSettings(job_retention_days=30))
    assert await worker.purge_old_jobs() == 5
    assert await jobs_left(db) == (set(), 0, 5)


async def test_a_retention_of_zero_keeps_every_job(db: Database) -> None:
    kept = await job(db, [DONE], age_days=4000)
    worker = QueueWorker(db, nothing_to_extract, JobSettings(job_retention_days=0))
    assert await worker.purge_old_jobs(force=True) == 0
    assert (await jobs_left(db))[0] == {kept}
