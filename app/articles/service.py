"""Articles: ingestion (store, extract in the worker pool, store the result), reads, deletion.

Ingestion commits in two steps so nothing accepted is lost: the article is stored (pending)
first, then its extraction result replaces its derived rows in one transaction; an extraction
failure leaves the article stored with state `failed` and the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Query
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.claims import repository as claims_repo
from app.claims.service import store_document_claims
from app.core.database import Database, is_transient
from app.core.errors import Invalid, NotFound
from app.core.pagination import Page, PageParams
from app.core.settings import Settings
from app.entities import repository as entities_repo
from app.entities.service import store_document_entities
from app.events import repository as events_repo
from app.events.service import store_document_events
from app.extraction import EXTRACTOR_VERSION
from app.extraction.inputs import ArticleInput

from . import repository as repo
from .models import Article
from .pool import ExtractionPool, ExtractionUnavailable
from .schemas import (
    ArticleCreate,
    ArticleOut,
    ArticleSummary,
    DocClaim,
    DocEntity,
    DocEvent,
    DocTimex,
    ExtractionState,
    ExtractRequest,
)

log = logging.getLogger("newsclaims")
T = TypeVar("T")


def article_fields(payload: ArticleCreate) -> dict[str, Any]:
    """The stored columns of a submitted article; one definition for the synchronous path and
    the queue, so both store (and deduplicate) an article identically."""
    published_at, published_on = payload.publication()
    return {
        "source": payload.source or "",
        "external_id": payload.external_id,
        "content_hash": repo.content_hash(payload.text),
        "title": payload.title,
        "url": payload.url,
        "language": payload.language,
        "text": payload.text,
        "metadata": payload.metadata,
        "published_at": published_at,
        "published_on": published_on,
    }


@dataclass(frozen=True)
class ArticleFilters:
    source: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    q: str | None = None
    state: str | None = None


async def article_filters(
    source: str | None = Query(None, max_length=200, description="Only articles from this source."),
    published_from: date | None = Query(None, description="Published on or after this day."),
    published_to: date | None = Query(None, description="Published on or before this day."),
    q: str | None = Query(None, max_length=500, description="Full-text search over title and text."),
    state: str | None = Query(None, pattern="^(pending|done|failed)$", description="Extraction state."),
) -> ArticleFilters:
    if published_from and published_to and published_from > published_to:
        raise Invalid.field(["query", "published_to"], "`published_to` is before `published_from`")
    return ArticleFilters(source, published_from, published_to, q, state)


async def _detach(session: AsyncSession, article_id: int) -> tuple[set[int], set[int]]:
    """Remove an article's mentions, claims and event reports; return the events and entities
    they referred to (which may now be orphans). Each DELETE returns what it referred to, so
    this is four statements, whatever the article's size."""
    events, entities = await events_repo.delete_reports(session, article_id)
    entities |= await claims_repo.delete_for_article(session, article_id)
    entities |= await entities_repo.delete_mentions(session, article_id)
    return events, entities


async def _prune(session: AsyncSession, events: set[int], entities: set[int]) -> None:
    """Remove those of these events and entities nothing refers to any more (with the places of
    the events removed)."""
    entities |= await events_repo.delete_orphans(session, events)
    await entities_repo.delete_orphans(session, entities)


async def clear_derived(session: AsyncSession, article_id: int) -> None:
    """Remove everything extracted from an article, and the events and entities left orphaned."""
    await _prune(session, *await _detach(session, article_id))


async def store_result(
    session: AsyncSession,
    article_id: int,
    published_on: date | None,
    doc: dict[str, Any],
    version: str = EXTRACTOR_VERSION,
) -> None:
    """Replace an article's derived rows with those of `doc` (a contract document), atomically
    within the caller's transaction; `doc` gains the stored ids and is kept on the article.

    Storage is set-based: a few statements per table for the whole document, not one per row.
    Orphans are pruned only after the new rows are in, so re-extracting an article keeps the
    ids of the entities it still mentions (and those are no orphan candidates at all).
    """
    events, entities = await _detach(session, article_id)
    entity_ids = await store_document_entities(session, article_id, doc.get("entities") or [])
    claim_ids = await store_document_claims(session, article_id, published_on, doc, entity_ids)
    await store_document_events(session, article_id, doc, entity_ids, claim_ids)
    stored_events = {ev.get("stored_id") for ev in doc.get("events") or []}
    await _prune(session, events - stored_events, entities - set(entity_ids.values()))
    await repo.mark_done(session, article_id, doc, version)


def to_summary(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "external_id": a.external_id,
        "source": a.source or None,
        "title": a.title,
        "url": a.url,
        "language": a.language,
        "published_at": a.published_at,
        "created_at": a.created_at,
        "content_hash": a.content_hash,
        "metadata": a.meta,
        "extraction": ExtractionState(
            state=a.extraction_state,
            error=a.extraction_error,
            extractor_version=a.extractor_version,
            extracted_at=a.extracted_at,
        ),
    }


def to_out(a: Article) -> ArticleOut:
    doc = a.result or {}
    return ArticleOut(
        **to_summary(a),
        text=a.text,
        claims=[DocClaim.model_validate(c) for c in doc.get("claims") or []],
        entities=[DocEntity.model_validate(e) for e in doc.get("entities") or []],
        timexes=[DocTimex.model_validate(t) for t in doc.get("timexes") or []],
        events=[DocEvent.model_validate(e) for e in doc.get("events") or []],
    )


SYNC_BATCH = 4  # articles of concurrent requests parsed together (nlp.pipe) by one pool process


class ExtractionBatcher:
    """Concurrent synchronous requests' articles extracted together: a pool process takes what
    is waiting (up to `size` articles) as one `nlp.pipe` batch, which costs less per article than
    one at a time (~5% on PolNeAR texts). A lone request is sent at once, never held back for
    company. Two batches per pool process are in flight, one parsing and one queued behind it
    (with one, a process idled while its finished batch was being stored and the next requests
    were arriving); arrivals gather meanwhile. A batch that fails is retried article by
    article, so a bad article fails alone."""

    def __init__(self, pool: ExtractionPool, size: int = SYNC_BATCH) -> None:
        self.pool, self.size = pool, size
        self._pending: list[tuple[ArticleInput, asyncio.Future[dict[str, Any]]]] = []
        self._running: set[asyncio.Task[None]] = set()

    async def extract(self, item: ArticleInput) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._running) < 2 * max(1, self.pool.workers):
            self._running.add(asyncio.get_running_loop().create_task(self._drain()))
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[ArticleInput, asyncio.Future[dict[str, Any]]]] = []
        try:
            while self._pending:
                waiting = [(i, f) for i, f in self._pending if not f.done()]  # not given up meanwhile
                batch, self._pending = waiting[: self.size], waiting[self.size :]
                if not batch:
                    break
                try:
                    await self._run(batch)
                except Exception as exc:  # never leave a request waiting for a result
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
        except BaseException:  # cancelled (shutdown): so are the requests waiting here
            for _, future in [*batch, *self._pending]:
                future.cancel()
            raise
        finally:
            # at once (not in a done callback): a request arriving next must see the free slot
            task = asyncio.current_task()
            if task is not None:
                self._running.discard(task)

    async def _run(self, batch: list[tuple[ArticleInput, asyncio.Future[dict[str, Any]]]]) -> None:
        try:
            docs = await self.pool.extract([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or isinstance(exc, ExtractionUnavailable):
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            for one in batch:
                await self._run([one])
            return
        for (_, future), doc in zip(batch, docs, strict=True):
            if not future.done():
                future.set_result(doc)


_batchers: WeakKeyDictionary[ExtractionPool, ExtractionBatcher] = WeakKeyDictionary()


def batcher(pool: ExtractionPool) -> ExtractionBatcher:
    """The batcher of a pool (services are per request; the batcher lives as long as the pool)."""
    if pool not in _batchers:
        _batchers[pool] = ExtractionBatcher(pool)
    return _batchers[pool]


class ArticleService:
    def __init__(self, db: Database, pool: ExtractionPool, settings: Settings) -> None:
        self.db, self.pool, self.settings = db, pool, settings

    def check(self, text: str, loc: str = "text") -> None:
        if len(text) > self.settings.max_text_chars:
            raise Invalid.field(
                ["body", loc],
                f"text is longer than {self.settings.max_text_chars} characters",
                "string_too_long",
            )

    async def create(self, payload: ArticleCreate) -> tuple[ArticleOut, bool]:
        """Store and extract an article; (article, False) when it was already stored."""
        article_id, created = await self.store(payload)
        if created:
            _, published_on = payload.publication()
            await self.extract_and_store(article_id, payload.text, published_on, payload.external_id)
        else:
            await self.retry_failed(article_id)
        return await self.get(article_id), created

    async def retry_failed(self, article_id: int) -> bool:
        """Run a failed extraction again (re-posting a failed article retries it). The state moves
        failed -> pending in one conditional UPDATE, so concurrent retries run it once."""
        async with self.db.session(write=True) as s:
            claimed = await repo.claim_failed(s, article_id)
        if claimed is None:
            return False
        text, published_on, external_id = claimed
        await self.extract_and_store(article_id, text, published_on, external_id)
        return True

    async def store(self, payload: ArticleCreate) -> tuple[int, bool]:
        """Store the article as pending (committed); (id, False) when a unique constraint says it
        is already stored (same external_id, or same text, from the same source)."""
        self.check(payload.text)
        fields = article_fields(payload)
        source, digest = fields["source"], fields["content_hash"]
        for _ in range(3):
            async with self.db.session(write=True) as s:
                article_id = await repo.insert_new(s, fields)
                if article_id is not None:
                    return article_id, True
                existing = await repo.find_duplicate(s, source, payload.external_id, digest)
                if existing is not None:
                    return existing, False
            # the conflicting row was deleted between the two statements: try again
        raise RuntimeError("article insert kept conflicting with a vanishing row")

    async def save_result(self, article_id: int, doc: dict[str, Any]) -> None:
        """Store an extraction document for a stored article (replacing earlier derived rows)."""

        async def work(s: AsyncSession) -> None:
            article = await repo.get(s, article_id)
            if article is None:
                raise NotFound(f"No article {article_id}.")
            await store_result(s, article_id, article.published_on, doc)

        await self._write(work)

    async def extract_and_store(
        self, article_id: int, text: str, published_on: date | None, doc_id: str | None
    ) -> None:
        try:
            item = ArticleInput(text=text, published_at=published_on, id=doc_id)
            doc = await batcher(self.pool).extract(item)
        except Exception as exc:
            log.warning("extraction failed for article %s: %s", article_id, exc)
            reason = f"extraction failed: {type(exc).__name__}: {exc}"
            await self._write(lambda s: repo.mark_failed(s, article_id, reason, EXTRACTOR_VERSION))
            return
        await self._write(lambda s: store_result(s, article_id, published_on, doc))

    async def _write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in a write unit of work, again when the database reports a deadlock or
        lock timeout (concurrent articles naming the same new entities can collide)."""
        for attempt in range(4):
            try:
                async with self.db.session(write=True) as s:
                    return await work(s)
            except DBAPIError as exc:
                if attempt == 3 or not is_transient(exc):
                    raise
                log.info("retrying a write after %s", type(exc.orig).__name__)
                await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    async def get(self, article_id: int) -> ArticleOut:
        async with self.db.session() as s:
            article = await repo.get(s, article_id)
            if article is None:
                raise NotFound(f"No article {article_id}.")
            return to_out(article)

    async def list(self, f: ArticleFilters, page: PageParams) -> Page[ArticleSummary]:
        async with self.db.session() as s:
            rows, nxt = await repo.list_articles(
                s,
                source=f.source,
                start=f.published_from,
                end=f.published_to,
                q=f.q,
                state=f.state,
                page=page,
            )
            return Page(items=[ArticleSummary(**to_summary(a)) for a in rows], next=nxt, limit=page.limit)

    async def delete(self, article_id: int) -> None:
        async def work(s: AsyncSession) -> None:
            if await repo.get(s, article_id) is None:
                raise NotFound(f"No article {article_id}.")
            await clear_derived(s, article_id)
            await repo.delete_article(s, article_id)

        await self._write(work)

    async def extract(self, req: ExtractRequest) -> dict[str, Any]:
        self.check(req.text)
        [doc] = await self.pool.extract(
            [ArticleInput(text=req.text, published_at=req.published_at, id=req.id)]
        )
        return doc
