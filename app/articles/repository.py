"""Queries over articles. Duplicates are refused by unique constraints (ON CONFLICT DO NOTHING)."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.core.database import fulltext_ids, insert_ignore, utcnow
from app.core.pagination import PageParams, SortKey, page_of, paginate_query

from .models import DONE, FAILED, PENDING, Article

# newest first; the id breaks ties
ARTICLE_ORDER = (
    SortKey(Article.sort_at, lambda a: a.sort_at, "datetime", desc=True),
    SortKey(Article.id, lambda a: a.id, desc=True),
)


def content_hash(text: str) -> str:
    """The same text from the same source is the same article, whatever its whitespace."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()


async def insert_new(session: AsyncSession, fields: dict[str, Any]) -> int | None:
    """Insert a pending article; None when a unique constraint says it already exists."""
    now = utcnow()
    row = {
        "created_at": now,
        "sort_at": fields.get("published_at") or now,
        "extraction_state": PENDING,
        **fields,
    }
    dialect = session.get_bind().dialect.name
    result = await session.execute(insert_ignore(dialect, Article, row).returning(Article.id))
    return result.scalar_one_or_none()


async def find_duplicate(
    session: AsyncSession, source: str, external_id: str | None, digest: str
) -> int | None:
    cond = Article.content_hash == digest
    if external_id is not None:
        cond = or_(cond, Article.external_id == external_id)
    stmt = select(Article.id).where(Article.source == source, cond).order_by(Article.id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def mark_done(session: AsyncSession, article_id: int, result: dict[str, Any], version: str) -> None:
    await session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            extraction_state=DONE,
            extraction_error=None,
            extractor_version=version,
            extracted_at=utcnow(),
            result=result,
        )
    )


async def claim_failed(session: AsyncSession, article_id: int) -> tuple[str, date | None, str | None] | None:
    """Move a failed article back to pending; its (text, published_on, external_id) when this
    call did it, None when it was not failed (or another request claimed it first)."""
    row = (
        await session.execute(
            update(Article)
            .where(Article.id == article_id, Article.extraction_state == FAILED)
            .values(extraction_state=PENDING, extraction_error=None)
            .returning(Article.text, Article.published_on, Article.external_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def mark_failed(session: AsyncSession, article_id: int, reason: str, version: str) -> None:
    await session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            extraction_state=FAILED,
            extraction_error=reason[:2000],
            extractor_version=version,
            extracted_at=utcnow(),
            result=None,
        )
    )


async def delete_article(session: AsyncSession, article_id: int) -> bool:
    result = await session.execute(delete(Article).where(Article.id == article_id).returning(Article.id))
    return result.scalar_one_or_none() is not None


async def list_articles(
    session: AsyncSession,
    *,
    source: str | None,
    start: date | None,
    end: date | None,
    q: str | None,
    state: str | None,
    page: PageParams,
) -> tuple[list[Article], str | None]:
    stmt = select(Article).options(defer(Article.text), defer(Article.result))
    if source is not None:
        stmt = stmt.where(Article.source == source)
    if start:
        stmt = stmt.where(Article.published_on >= start)
    if end:
        stmt = stmt.where(Article.published_on <= end)
    if state:
        stmt = stmt.where(Article.extraction_state == state)
    if q is not None:
        ids = fulltext_ids(session.get_bind().dialect.name, "articles", q)
        stmt = stmt.where(false() if ids is None else Article.id.in_(ids))
    rows = (await session.execute(paginate_query(stmt, ARTICLE_ORDER, page))).scalars().all()
    return page_of(rows, ARTICLE_ORDER, page)
