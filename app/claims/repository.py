"""Queries over claims: storing a document's claims, and the filtered, paginated list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Row,
    Select,
    String,
    Text,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
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
    json_rows,
    pg_tsquery_param,
    search_words,
)
from app.core.pagination import PageParams, SortKey, decode_cursor, page_binds, page_of, paginate_bound
from app.entities.models import Entity
from app.entities.repository import entity_of

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


# how an entity filter's ids are bound: no filter, one id (`=`), several (a list)
_NONE, _ONE, _MANY = 0, 1, 2


def _shape(ids: list[int] | None) -> int:
    return _NONE if ids is None else (_ONE if len(ids) == 1 else _MANY)


def _is(dialect: str, column: Any, shape: int, name: str) -> Any:
    return column == bindparam(name) if shape == _ONE else in_param(dialect, column, name)


def _about(dialect: str, shape: int, name: str) -> Any:
    return exists().where(ClaimEntity.claim_id == Claim.id, _is(dialect, ClaimEntity.entity_id, shape, name))


def _list_columns(dialect: str, one_speaker: bool = False) -> tuple[Any, ...]:
    """What a list page reads, in the order `service.describe` unpacks it (positional: a row's
    attributes by name cost ~0.3 µs each, a fifth of a page's CPU): the claim, then its
    speaker, its intermediary and the entities it is about (`json_rows` of [id, name, type]).
    The entities are correlated subqueries, so the page costs one round trip and they are
    evaluated for the page's rows only, whatever plan reads the claims. With `one_speaker` (the
    list filtered by one speaker id) every row's speaker is that entity: it is read once, by a
    subquery on the parameter that both databases evaluate once a statement (21 lookups and
    JSON arrays fewer a page)."""
    ent, link = Entity.__table__.c, ClaimEntity.__table__.c
    if dialect == "postgresql":
        # each link's entity by a scalar subquery rather than a join: the same index lookups, but
        # a full-text page is planned anew per request (`list_claims`), and planning the join
        # cost PostgreSQL ~0.08 ms more per request (pgbench: 0.58 -> 0.50 ms a statement)
        one = select(func.json_build_array(ent.id, ent.name, ent.type)).where(ent.id == link.entity_id)
        about = (select(cast(func.json_agg(one.scalar_subquery()), Text)).where(link.claim_id == Claim.id)
                 .scalar_subquery().label("about"))
    else:  # (SQLite: a value from a subquery would reach json_group_array as text, not JSON)
        about = (select(json_rows(dialect, ent.id, ent.name, ent.type))
                 .select_from(ClaimEntity.__table__.join(Entity.__table__, ent.id == link.entity_id))
                 .where(link.claim_id == Claim.id).scalar_subquery().label("about"))
    return (
        Claim.id, Claim.article_id, Claim.local_id, Claim.kind, Claim.content_start, Claim.content_end,
        Claim.content_text, Claim.cue_start, Claim.cue_end, Claim.cue_text, Claim.cue_lemma, Claim.speaker_id,
        Claim.source_start, Claim.source_end, Claim.source_text, Claim.source_name, Claim.source_kind,
        Claim.source_role, Claim.via_id, Claim.via_text, Claim.via_name, Claim.via_kind, Claim.said_on_value,
        Claim.said_on, Claim.claim_date, Claim.confidence,
        entity_of(dialect, bindparam("speaker", type_=Integer) if one_speaker else Claim.speaker_id,
                  "speaker_id_entity"),
        entity_of(dialect, Claim.via_id), about,
    )


@cache
def _list_statement(dialect: str, speaker: int, about: int, entity: int, kind: bool, start: bool, end: bool,
                    article: bool, q: bool, cursor: bool) -> Select[Any]:
    """The page query of one shape of filters, every value a named parameter: built once per
    shape (the SQL, hence the plans, are those of a statement built per request)."""
    stmt: Select[Any] = select(*_list_columns(dialect, speaker == _ONE))
    if speaker:
        stmt = stmt.where(_is(dialect, Claim.speaker_id, speaker, "speaker"))
    if about:
        stmt = stmt.where(_about(dialect, about, "about"))
    if entity:
        stmt = stmt.where(or_(_is(dialect, Claim.speaker_id, entity, "entity"),
                              _about(dialect, entity, "entity")))
    if kind:
        stmt = stmt.where(Claim.kind == bindparam("kind"))
    if start:
        stmt = stmt.where(Claim.claim_date >= bindparam("start", type_=Date))
    if end:
        stmt = stmt.where(Claim.claim_date <= bindparam("end", type_=Date))
    if article:
        stmt = stmt.where(Claim.article_id == bindparam("article"))
    if q and dialect == "sqlite":
        # FTS5 yields matches newest first by rowid (the list order, migration 0005), so a page
        # reads `limit + 1` matches instead of sorting all of them
        key = _SEARCH.c.rowid
        stmt = (stmt.select_from(_SEARCH.join(Claim.__table__, Claim.id == key.op("&")((1 << _ID_BITS) - 1)))
                .where(literal_column("claims_search").op("MATCH")(bindparam("q", type_=String))))
        if cursor:
            stmt = stmt.where(key < bindparam("search_after", type_=Integer))
        return stmt.order_by(key.desc()).limit(bindparam("page_limit", type_=Integer))
    if q:
        # the condition on the row itself (not `id IN (matching ids)`) lets the planner weigh
        # the words: the GIN index then a top-N sort for rare words, the order index read
        # backwards with this filter for common ones
        stmt = stmt.where(literal_column("claims.search").op("@@")(pg_tsquery_param("q")))
    return paginate_bound(stmt, CLAIM_ORDER, cursor)


async def list_claims(session: Reader, f: ClaimQuery,
                      page: PageParams) -> tuple[list[Row[Any]], str | None]:
    """One page of claims as plain rows of `_list_columns` (no ORM objects: a list page is read,
    never changed, and building instances costs more than the query)."""
    dialect = dialect_of(session)
    if any(ids is not None and not ids for ids in (f.speaker, f.about, f.entity)):
        return [], None  # a name that names no entity
    binds: dict[str, Any] = {}
    for name, ids in (("speaker", f.speaker), ("about", f.about), ("entity", f.entity)):
        if ids is not None:
            binds[name] = ids[0] if len(ids) == 1 else list(ids)
    filters = (("kind", f.kind or None), ("start", f.start), ("end", f.end), ("article", f.article_id))
    for name, value in filters:
        if value is not None:
            binds[name] = value
    words = None
    if f.q is not None:
        words = search_words(f.q)
        if not words:
            return [], None
        binds["q"] = fts5_match(words) if dialect == "sqlite" else " ".join(words)
    if words is not None and dialect == "sqlite":
        binds["page_limit"] = page.limit + 1
        if page.cursor:
            binds["search_after"] = search_key(*decode_cursor(page.cursor, CLAIM_ORDER))
    else:
        binds.update(page_binds(CLAIM_ORDER, page))
    stmt = _list_statement(dialect, _shape(f.speaker), _shape(f.about), _shape(f.entity), "kind" in binds,
                           "start" in binds, "end" in binds, "article" in binds, words is not None,
                           bool(page.cursor))
    rows = (await session.execute(stmt, binds)).all()
    return page_of(rows, CLAIM_ORDER, page)


# SQLite's `claims_search` (FTS5, migration 0005) is keyed by the list order itself
_SEARCH = table_clause("claims_search", column("rowid", Integer))
_ID_BITS = 32
_JULIAN_OFFSET = 1721424  # date.toordinal() + this = SQLite's integer julian day


def search_key(claim_date: date | None, claim_id: int) -> int:
    """A claim's `claims_search` rowid: its list position (date, then id) as one integer."""
    return ((claim_date or _UNDATED).toordinal() + _JULIAN_OFFSET) << _ID_BITS | claim_id


async def delete_for_article(session: AsyncSession, article_id: int) -> set[int]:
    """Remove an article's claims (their links go with them); the speakers and intermediaries
    they named (which may now be orphans)."""
    rows = await session.execute(
        delete(Claim).where(Claim.article_id == article_id).returning(Claim.speaker_id, Claim.via_id))
    return {i for row in rows for i in row if i is not None}
