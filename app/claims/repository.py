"""Queries over claims: storing a document's claims, and the filtered, paginated list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, delete, exists, false, func, insert, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import core_table, fulltext_ids, insert_ignore
from app.core.pagination import PageParams, SortKey, page_of, paginate_query

from .models import Claim, ClaimEntity

# (not date.min: asyncpg sends date.min/max as -infinity/infinity)
_UNDATED = date(1, 1, 2)
# newest claim first, undated ones last, the id making the order total; the expression is
# written as in the `ix_claims_order` indexes (migration 0004) so that they serve it
CLAIM_DATE = func.coalesce(Claim.claim_date, literal_column("'0001-01-02'"), type_=Date)
CLAIM_ORDER = (
    SortKey(CLAIM_DATE, lambda c: c.claim_date or _UNDATED, "date", desc=True),
    SortKey(Claim.id, lambda c: c.id, desc=True),
)


@dataclass
class ClaimQuery:
    """Resolved claim filters: entity filters are already lists of stored ids."""

    speaker: list[int] | None = None
    about: list[int] | None = None
    entity: list[int] | None = None
    kind: str | None = None
    start: date | None = None
    end: date | None = None
    q: str | None = None
    article_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def insert_many(session: AsyncSession, rows: list[dict[str, Any]],
                      about: Sequence[Sequence[int]]) -> list[int]:
    """Insert claims and the entities each is about (one batched statement per table); the new
    claims' ids in the order of `rows`."""
    if not rows:
        return []
    table = core_table(Claim)
    result = await session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    ids = [i for (i,) in result]
    links = sorted({(c, e) for c, ents in zip(ids, about, strict=True) for e in ents})
    if links:
        await session.execute(insert_ignore(session.get_bind().dialect.name, core_table(ClaimEntity)),
                              [{"claim_id": c, "entity_id": e} for c, e in links])
    return ids


def _about(ids: list[int]) -> Any:
    return exists().where(ClaimEntity.claim_id == Claim.id, ClaimEntity.entity_id.in_(ids))


async def list_claims(session: AsyncSession, f: ClaimQuery,
                      page: PageParams) -> tuple[list[Claim], str | None]:
    stmt = select(Claim)
    if f.speaker is not None:
        stmt = stmt.where(Claim.speaker_id.in_(f.speaker))
    if f.about is not None:
        stmt = stmt.where(_about(f.about))
    if f.entity is not None:
        stmt = stmt.where(or_(Claim.speaker_id.in_(f.entity), _about(f.entity)))
    if f.kind:
        stmt = stmt.where(Claim.kind == f.kind)
    if f.start:
        stmt = stmt.where(Claim.claim_date >= f.start)
    if f.end:
        stmt = stmt.where(Claim.claim_date <= f.end)
    if f.article_id is not None:
        stmt = stmt.where(Claim.article_id == f.article_id)
    if f.q is not None:
        ids = fulltext_ids(session.get_bind().dialect.name, "claims", f.q)
        stmt = stmt.where(false() if ids is None else Claim.id.in_(ids))
    rows = (await session.execute(paginate_query(stmt, CLAIM_ORDER, page))).scalars().all()
    return page_of(rows, CLAIM_ORDER, page)


async def about_of(session: AsyncSession, claim_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if claim_ids:
        rows = await session.execute(select(ClaimEntity.claim_id, ClaimEntity.entity_id)
                                     .where(ClaimEntity.claim_id.in_(claim_ids))
                                     .order_by(ClaimEntity.claim_id, ClaimEntity.entity_id))
        for cid, eid in rows:
            out[cid].append(eid)
    return out


async def delete_for_article(session: AsyncSession, article_id: int) -> set[int]:
    """Remove an article's claims (their links go with them); the speakers and intermediaries
    they named (which may now be orphans)."""
    rows = await session.execute(
        delete(Claim).where(Claim.article_id == article_id).returning(Claim.speaker_id, Claim.via_id))
    return {i for row in rows for i in row if i is not None}
