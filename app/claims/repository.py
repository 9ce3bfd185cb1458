"""Queries over claims: storing a document's claims, and the filtered, paginated list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    Integer,
    Row,
    Select,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy import table as table_clause
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import (
    Reader,
    core_table,
    dialect_of,
    fts5_match,
    in_param,
    insert_ignore,
    one_of,
    pg_tsquery,
    search_words,
)
from app.core.pagination import PageParams, SortKey, decode_cursor, page_of, paginate_query
from app.entities.models import Entity

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


class EntityRow(NamedTuple):
    """A stored entity as lists show it."""

    id: int
    name: str
    type: str


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


def _about(dialect: str, ids: list[int]) -> Any:
    return exists().where(ClaimEntity.claim_id == Claim.id, one_of(dialect, ClaimEntity.entity_id, ids))


async def list_claims(session: Reader, f: ClaimQuery,
                      page: PageParams) -> tuple[list[Row[Any]], str | None]:
    """One page of claims as plain rows of the table's columns (no ORM objects: a list page is
    read, never changed, and building instances costs more than the query)."""
    dialect = dialect_of(session)
    stmt = select(*Claim.__table__.c)
    if f.speaker is not None:
        stmt = stmt.where(one_of(dialect, Claim.speaker_id, f.speaker))
    if f.about is not None:
        stmt = stmt.where(_about(dialect, f.about))
    if f.entity is not None:
        stmt = stmt.where(or_(one_of(dialect, Claim.speaker_id, f.entity), _about(dialect, f.entity)))
    if f.kind:
        stmt = stmt.where(Claim.kind == f.kind)
    if f.start:
        stmt = stmt.where(Claim.claim_date >= f.start)
    if f.end:
        stmt = stmt.where(Claim.claim_date <= f.end)
    if f.article_id is not None:
        stmt = stmt.where(Claim.article_id == f.article_id)
    if f.q is not None:
        words = search_words(f.q)
        if not words:
            return [], None
        if dialect == "sqlite":
            return await _search_sqlite(session, stmt, words, page)
        # the condition on the row itself (not `id IN (matching ids)`) lets the planner weigh
        # the words: the GIN index then a top-N sort for rare words, the order index read
        # backwards with this filter for common ones
        stmt = stmt.where(literal_column("claims.search").op("@@")(pg_tsquery(words)))
    rows = (await session.execute(paginate_query(stmt, CLAIM_ORDER, page))).all()
    return page_of(rows, CLAIM_ORDER, page)


# SQLite's `claims_search` (FTS5, migration 0005) is keyed by the list order itself
_SEARCH = table_clause("claims_search", column("rowid", Integer))
_ID_BITS = 32
_JULIAN_OFFSET = 1721424  # date.toordinal() + this = SQLite's integer julian day


def search_key(claim_date: date | None, claim_id: int) -> int:
    """A claim's `claims_search` rowid: its list position (date, then id) as one integer."""
    return ((claim_date or _UNDATED).toordinal() + _JULIAN_OFFSET) << _ID_BITS | claim_id


async def _search_sqlite(session: Reader, stmt: Select[Any], words: list[str],
                         page: PageParams) -> tuple[list[Row[Any]], str | None]:
    """Full text on SQLite: FTS5 yields matches newest first by rowid (the list order), so a
    page reads `limit + 1` matches instead of sorting all of them."""
    key = _SEARCH.c.rowid
    stmt = (stmt.select_from(_SEARCH.join(Claim.__table__, Claim.id == key.op("&")((1 << _ID_BITS) - 1)))
            .where(literal_column("claims_search").op("MATCH")(fts5_match(words))))
    if page.cursor:
        claim_date, claim_id = decode_cursor(page.cursor, CLAIM_ORDER)
        stmt = stmt.where(key < search_key(claim_date, claim_id))
    rows = (await session.execute(stmt.order_by(key.desc()).limit(page.limit + 1))).all()
    return page_of(rows, CLAIM_ORDER, page)


@cache
def _entities_of(dialect: str) -> Any:
    ent = Entity.__table__.c
    linked = (select(ClaimEntity.claim_id, ent.id, ent.name, ent.type)
              .join_from(ClaimEntity, Entity.__table__, ent.id == ClaimEntity.entity_id)
              .where(in_param(dialect, ClaimEntity.claim_id, "claims")))
    named = select(literal(0, Integer), ent.id, ent.name, ent.type).where(in_param(dialect, ent.id, "named"))
    return union_all(linked, named)


async def entities_of(session: Reader, claim_ids: Sequence[int], entity_ids: Iterable[int]
                      ) -> tuple[dict[int, list[int]], dict[int, EntityRow]]:
    """In one query: the entities each claim is about ({claim id: entity ids}), and (id, name,
    type) of those and of `entity_ids` (the speakers and intermediaries)."""
    about: dict[int, list[int]] = defaultdict(list)
    refs: dict[int, EntityRow] = {}
    others = sorted(set(entity_ids))
    if not claim_ids and not others:
        return about, refs
    stmt = _entities_of(dialect_of(session))
    rows = await session.execute(stmt, {"claims": list(claim_ids), "named": others})
    for claim_id, eid, name, type_ in rows:
        refs[eid] = EntityRow(eid, name, type_)
        if claim_id:
            about[claim_id].append(eid)
    for ids in about.values():
        ids.sort()
    return about, refs


async def delete_for_article(session: AsyncSession, article_id: int) -> set[int]:
    """Remove an article's claims (their links go with them); the speakers and intermediaries
    they named (which may now be orphans)."""
    rows = await session.execute(
        delete(Claim).where(Claim.article_id == article_id).returning(Claim.speaker_id, Claim.via_id))
    return {i for row in rows for i in row if i is not None}
