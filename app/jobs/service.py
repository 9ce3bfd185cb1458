"""Jobs: accept articles for background extraction, queue re-extraction, report progress.

Accepting stores the articles (pending) and the job with its items in *one* transaction, so a
202 means every article and its queue entry are durable; the workers (app/jobs/worker.py) do the
rest through the same storage code as the synchronous path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.articles import repository as articles_repo
from app.articles.schemas import ArticleCreate
from app.articles.service import article_fields
from app.core.database import Database
from app.core.errors import Invalid, NotFound
from app.core.settings import Settings
from app.extraction import EXTRACTOR_VERSION

from . import repository as repo
from .models import DUPLICATE, INGEST, OPEN_STATES, QUEUED, REPROCESS, RUNNING
from .schemas import JobCounts, JobItemOut, JobOut

SHOWN_ITEMS = 1000


async def queue_depth(db: Database) -> int:
    """Claimable queue items now (readiness probe and the queue-depth gauge)."""
    async with db.session() as s:
        return await repo.queue_depth(s)


class JobService:
    def __init__(self, db: Database, settings: Settings, wake: Callable[[], None] | None = None) -> None:
        self.db, self.settings, self.wake = db, settings, wake

    def check(self, payloads: Sequence[ArticleCreate], *, batch: bool) -> None:
        limit = self.settings.max_text_chars
        for i, p in enumerate(payloads):
            if len(p.text) > limit:
                loc: list[str | int] = ["body", i, "text"] if batch else ["body", "text"]
                raise Invalid.field(loc, f"text is longer than {limit} characters", "string_too_long")

    async def accept(self, payloads: Sequence[ArticleCreate], *, batch: bool = True) -> JobOut:
        """Store the articles and their job in one transaction; duplicates are recorded as such."""
        self.check(payloads, batch=batch)
        async with self.db.session() as s:
            job_id = await repo.create_job(s, INGEST, len(payloads))
            items: list[tuple[int, int, str]] = []
            for i, payload in enumerate(payloads):
                fields = article_fields(payload)
                article_id = await articles_repo.insert_new(s, fields)
                state = QUEUED
                if article_id is None:
                    article_id = await articles_repo.find_duplicate(
                        s, fields["source"], fields["external_id"], fields["content_hash"])
                    if article_id is None:  # pragma: no cover - the conflicting row vanished meanwhile
                        raise Invalid.field(["body", i], "conflicting article was deleted meanwhile; retry")
                    state = DUPLICATE
                items.append((i, article_id, state))
            await repo.add_items(s, job_id, items)
        if self.wake is not None:
            self.wake()
        return await self.get(job_id)

    async def reprocess(self, *, force: bool = False) -> JobOut:
        """Queue every article extracted by another extractor version (or all, with `force`)."""
        async with self.db.session() as s:
            job_id = await repo.create_job(s, REPROCESS, 0)
            n = await repo.enqueue_stale(s, job_id, EXTRACTOR_VERSION, force)
            await repo.set_total(s, job_id, n)
        if self.wake is not None:
            self.wake()
        return await self.get(job_id)

    async def get(self, job_id: int) -> JobOut:
        async with self.db.session() as s:
            job = await repo.get_job(s, job_id)
            if job is None:
                raise NotFound(f"No job {job_id}.")
            by_state, last = await repo.counts(s, job_id)
            shown = await repo.items(s, job_id, SHOWN_ITEMS)
            failed = await repo.items(s, job_id, SHOWN_ITEMS, failed_only=True)
        open_ = sum(by_state.get(k, 0) for k in OPEN_STATES)
        finished = sum(by_state.values()) - open_
        if open_ == 0:
            state = "done"
        elif finished == 0 and by_state.get(RUNNING, 0) == 0:
            state = "queued"
        else:
            state = "running"

        def out(it: Any) -> JobItemOut:
            return JobItemOut(position=it.position, article_id=it.article_id, state=it.state,
                              attempts=it.attempts, error=it.error)

        return JobOut(
            id=job.id, kind=job.kind, state=state, created_at=job.created_at,
            finished_at=(last or job.created_at) if state == "done" else None,
            counts=JobCounts(total=job.total,
                             **{k: v for k, v in by_state.items() if k in JobCounts.model_fields}),
            items=[out(i) for i in shown], errors=[out(i) for i in failed])
