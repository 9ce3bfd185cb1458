"""Claim sizing: near the end of the queue a worker claims an equal share with the workers
holding live leases, not a full batch that would leave the others idle (on both backends, each
test on a database of its own so no other worker touches its queue)."""

from __future__ import annotations

from app.articles import repository as articles_repo
from app.articles.schemas import ArticleCreate
from app.articles.service import article_fields
from app.core.database import Database
from app.jobs import repository as repo
from app.jobs.models import QUEUED
from app.jobs.worker import claim_size

from .conftest import make_article


async def queue(db: Database, n: int) -> None:
    async with db.session(write=True) as s:
        ids = [await articles_repo.insert_new(s, article_fields(ArticleCreate(**make_article())))
               for _ in range(n)]
        job_id = await repo.create_job(s, "ingest", n)
        await repo.add_items(s, job_id, [(i, a, QUEUED) for i, a in enumerate(ids) if a is not None])


def test_claim_size_is_a_full_batch_until_the_end_of_the_queue() -> None:
    assert claim_size(8, 100, 3) == 8  # a long queue: full batches
    assert claim_size(8, 12, 3) == 3  # its end: a quarter each for four workers
    assert claim_size(8, 5, 0) == 5  # alone: all that is left, up to a batch
    assert claim_size(8, 1, 5) == 1  # never nothing while something is queued


async def test_queue_stats_count_claimable_items_and_busy_workers(db: Database) -> None:
    await queue(db, 10)
    async with db.session() as s:
        assert await repo.queue_stats(s) == (10, 0)
    async with db.session(write=True) as s:
        a = await repo.claim(s, "worker-a", claim_size(4, 10, 0), 60)
    async with db.session(write=True) as s:
        b = await repo.claim(s, "worker-b", 4, 60)
    assert len(a) == len(b) == 4
    async with db.session() as s:
        depth, busy = await repo.queue_stats(s)
    assert (depth, busy) == (2, 2)
    assert claim_size(4, depth, busy) == 1  # worker c leaves one for whoever finishes next
    async with db.session(write=True) as s:  # an expired lease is claimable, its owner not busy
        await repo.claim(s, "worker-c", 2, -1)
    async with db.session() as s:
        assert await repo.queue_stats(s) == (2, 2)
