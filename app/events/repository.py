"""Queries over events: cross-article linking on ingestion, and the filtered timeline list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Date,
    Row,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Reader, core_table, dialect_of, in_param, insert_ignore, json_rows, utcnow
from app.core.pagination import PageParams, SortKey, page_binds, page_of, paginate_bound
from app.entities.models import Entity
from app.entities.repository import entity_of

from .models import Event, EventClaim, EventParticipant, EventSource

# (not date.max: asyncpg sends date.min/max as -infinity/infinity)
_UNDATED = date(9999, 12, 30)
# timeline order: by the event's own date, undated events last (as indexed by migration 0004)
EVENT_DATE = func.coalesce(Event.date_start, literal_column("'9999-12-30'"), type_=Date)
EVENT_ORDER = (
    SortKey(EVENT_DATE, lambda e: e.date_start or _UNDATED, "date"),
    SortKey(Event.id, lambda e: e.id),
)


@dataclass
class EventQuery:
    entity: list[int] | None = None
    place: list[int] | None = None
    type: str | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None
    article_id: int | None = None


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def find_same(
    session: AsyncSession, keys: Iterable[tuple[str, str]], participants: Iterable[int]
) -> list[tuple[int, str, str | None, int | None, int]]:
    """Stored events a document's reports may describe, in one query: those of these (type,
    date value) pairs with one of these participants, as (event id, type, date value, place id,
    participant id) rows; the caller matches them (same place, a participant in common)."""
    wanted, people = sorted(set(keys)), sorted(set(participants))
    if not wanted or not people:
        return []
    stmt = (
        select(Event.id, Event.type, Event.date_value, Event.place_id, EventParticipant.entity_id)
        .join(EventParticipant, EventParticipant.event_id == Event.id)
        .where(
            Event.type.in_({t for t, _ in wanted}),
            Event.date_value.in_({v for _, v in wanted}),
            EventParticipant.entity_id.in_(people),
        )
        .distinct()
    )
    pairs = set(wanted)
    return [(i, t, v, p, e) for i, t, v, p, e in await session.execute(stmt) if (t, v) in pairs]


async def create_many(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert events (one batched statement); their ids in the order of `rows`."""
    if not rows:
        return []
    now = utcnow()
    table = core_table(Event)
    result = await session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                   [{"created_at": now, **row} for row in rows])
    return [i for (i,) in result]


async def add_reports(
    session: AsyncSession,
    article_id: int,
    reports: Sequence[tuple[int, dict[str, Any], Iterable[int], Iterable[int]]],
) -> None:
    """An article's reports of events, as (event id, report columns, participants, claims): one
    batched INSERT each for sources, participants and claim links."""
    if not reports:
        return
    await session.execute(
        insert(core_table(EventSource)),
        [{"event_id": e, "article_id": article_id, **report} for e, report, _, _ in reports],
    )
    parts = sorted({(e, p) for e, _, ps, _ in reports for p in ps})
    if parts:
        await session.execute(insert_ignore(_dialect(session), core_table(EventParticipant)),
                              [{"event_id": e, "entity_id": p, "article_id": article_id} for e, p in parts])
    links = sorted({(e, c) for e, _, _, cs in reports for c in cs})
    if links:
        await session.execute(insert_ignore(_dialect(session), core_table(EventClaim)),
                              [{"event_id": e, "claim_id": c} for e, c in links])


def _list_columns(dialect: str) -> tuple[Any, ...]:
    """What a list page reads, in the order `service.describe` unpacks it (positional: cheaper
    than a row's attributes by name): the event, then `json_rows` of its place and participants
    [id, name, type], claim ids [id] and reports (oldest first once sorted by
    their id) [id, article, local id, status, summary, trigger start, end, text]. Correlated
    subqueries: one round trip a page, evaluated for the page's rows only."""
    # (an alias: the page's own FROM may be `event_participants`, which would correlate)
    ent, part, ec = Entity.__table__.c, EventParticipant.__table__.alias("who").c, EventClaim.__table__.c
    src = EventSource.__table__.c
    people = (select(json_rows(dialect, ent.id, ent.name, ent.type))
              .where(ent.id.in_(select(part.entity_id).where(part.event_id == Event.id)
                                .correlate(Event.__table__))))
    claims = select(json_rows(dialect, ec.claim_id)).where(ec.event_id == Event.id)
    reports = (select(json_rows(dialect, src.id, src.article_id, src.local_id, src.status, src.summary,
                                src.trigger_start, src.trigger_end, src.trigger_text))
               .where(src.event_id == Event.id))
    return (Event.id, Event.type, Event.summary, Event.status, Event.date_value, Event.date_start,
            Event.date_end, Event.place_id, entity_of(dialect, Event.place_id),
            people.scalar_subquery().label("participants"),
            claims.scalar_subquery().label("claims"), reports.scalar_subquery().label("reports"))


@cache
def _list_statement(dialect: str, entity: int, place: int, type_: bool, status: bool, start: bool, end: bool,
                    article: bool, cursor: bool) -> tuple[Select[Any], tuple[SortKey, SortKey]]:
    """The page query of one shape of filters (entity and place: 0 none, 1 one id, 2 several),
    every value a named parameter: built once per shape (same SQL, hence plans, as a statement
    built per request), with the order it pages in."""
    stmt: Select[Any] = select(*_list_columns(dialect))
    keys = EVENT_ORDER
    if entity == 1:
        # one participant: read its events in timeline order from `ix_event_participants_timeline`
        # (migration 0005), the date window as a range of the index (date_start <= date_end);
        # one row per event (the participant's row from its first reporting article)
        part, other = EventParticipant.__table__.c, EventParticipant.__table__.alias("other").c
        first = (select(func.min(other.article_id))
                 .where(other.event_id == part.event_id, other.entity_id == part.entity_id)
                 .scalar_subquery())
        stmt = (stmt.select_from(EventParticipant.__table__.join(Event.__table__, Event.id == part.event_id))
                .where(part.entity_id == bindparam("entity"), part.article_id == first))
        if start:
            stmt = stmt.where(part.event_date >= bindparam("start", type_=Date))
        if end:
            stmt = stmt.where(part.event_date <= bindparam("end", type_=Date))
        keys = _timeline_order(part.event_date, part.event_id)
    elif entity:
        stmt = stmt.where(exists().where(EventParticipant.event_id == Event.id,
                                         in_param(dialect, EventParticipant.entity_id, "entity")))
    if place:
        stmt = stmt.where(Event.place_id == bindparam("place") if place == 1
                          else in_param(dialect, Event.place_id, "place"))
    if type_:
        stmt = stmt.where(Event.type == bindparam("type"))
    if status:
        stmt = stmt.where(Event.status == bindparam("status"))
    # the event's own date range must lie inside [from, to]
    if start:
        stmt = stmt.where(Event.date_start >= bindparam("start", type_=Date))
    if end:
        stmt = stmt.where(Event.date_end <= bindparam("end", type_=Date))
    if article:
        stmt = stmt.where(exists().where(EventSource.event_id == Event.id,
                                         EventSource.article_id == bindparam("article")))
    return paginate_bound(stmt, keys, cursor), keys


def _shape(ids: list[int] | None) -> int:
    return 0 if ids is None else (1 if len(ids) == 1 else 2)


async def list_events(
    session: Reader, f: EventQuery, page: PageParams
) -> tuple[list[Row[Any]], str | None]:
    """One page of events as plain rows of `_list_columns` (no ORM objects: the page is only
    read)."""
    if any(ids is not None and not ids for ids in (f.entity, f.place)):
        return [], None  # a name that names no entity
    binds: dict[str, Any] = {}
    for name, ids in (("entity", f.entity), ("place", f.place)):
        if ids is not None:
            binds[name] = ids[0] if len(ids) == 1 else list(ids)
    filters = (("type", f.type or None), ("status", f.status or None), ("start", f.start), ("end", f.end),
               ("article", f.article_id))
    for name, value in filters:
        if value is not None:
            binds[name] = value
    stmt, keys = _list_statement(dialect_of(session), _shape(f.entity), _shape(f.place), "type" in binds,
                                 "status" in binds, "start" in binds, "end" in binds, "article" in binds,
                                 bool(page.cursor))
    binds.update(page_binds(keys, page))
    rows = (await session.execute(stmt, binds)).all()
    return page_of(rows, keys, page)


def _timeline_order(date_key: Any, event_id: Any) -> tuple[SortKey, SortKey]:
    """EVENT_ORDER over other columns holding the same values (so cursors stay interchangeable)."""
    return (SortKey(date_key, EVENT_ORDER[0].get, "date"), SortKey(event_id, EVENT_ORDER[1].get))


async def delete_orphans(session: AsyncSession, ids: Iterable[int]) -> set[int]:
    """Remove events no article reports any more; the places of those removed (which may now
    be orphans too)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = await session.execute(
        delete(Event).where(Event.id.in_(wanted), ~exists().where(EventSource.event_id == Event.id))
        .returning(Event.place_id)
    )
    return {p for (p,) in rows if p is not None}


async def delete_reports(session: AsyncSession, article_id: int) -> tuple[set[int], set[int]]:
    """Remove an article's reports of events and the participants it named; the (events,
    entities) they referred to (which may now be orphans)."""
    events = await session.execute(
        delete(EventSource).where(EventSource.article_id == article_id).returning(EventSource.event_id))
    event_ids = {e for (e,) in events}
    people = await session.execute(
        delete(EventParticipant).where(EventParticipant.article_id == article_id)
        .returning(EventParticipant.entity_id))
    return event_ids, {p for (p,) in people}
