"""Queries over events: cross-article linking on ingestion, and the filtered timeline list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, delete, exists, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import insert_ignore
from app.core.pagination import PageParams, SortKey, page_of, paginate_query

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
    session: AsyncSession, type_: str, date_value: str, place_id: int | None, participants: Sequence[int]
) -> int | None:
    """An already stored event this report describes: same type, date and place, and at least
    one participant in common."""
    stmt = (
        select(Event.id)
        .where(
            Event.type == type_,
            Event.date_value == date_value,
            Event.place_id.is_(None) if place_id is None else Event.place_id == place_id,
            exists().where(
                EventParticipant.event_id == Event.id, EventParticipant.entity_id.in_(participants)
            ),
        )
        .order_by(Event.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def create(session: AsyncSession, **fields: Any) -> int:
    event = Event(**fields)
    session.add(event)
    await session.flush()
    return event.id


async def add_report(
    session: AsyncSession,
    event_id: int,
    article_id: int,
    report: dict[str, Any],
    participants: Iterable[int],
    claims: Iterable[int],
) -> None:
    await session.execute(
        insert(EventSource), [{"event_id": event_id, "article_id": article_id, **report}]
    )
    rows = [{"event_id": event_id, "entity_id": e, "article_id": article_id} for e in set(participants)]
    if rows:
        await session.execute(insert_ignore(_dialect(session), EventParticipant, rows))
    crows = [{"event_id": event_id, "claim_id": c} for c in set(claims)]
    if crows:
        await session.execute(insert_ignore(_dialect(session), EventClaim, crows))


async def list_events(
    session: AsyncSession, f: EventQuery, page: PageParams
) -> tuple[list[Event], str | None]:
    stmt = select(Event)
    if f.entity is not None:
        stmt = stmt.where(
            exists().where(EventParticipant.event_id == Event.id, EventParticipant.entity_id.in_(f.entity))
        )
    if f.place is not None:
        stmt = stmt.where(Event.place_id.in_(f.place))
    if f.type:
        stmt = stmt.where(Event.type == f.type)
    if f.status:
        stmt = stmt.where(Event.status == f.status)
    # the event's own date range must lie inside [from, to]
    if f.start:
        stmt = stmt.where(Event.date_start >= f.start)
    if f.end:
        stmt = stmt.where(Event.date_end <= f.end)
    if f.article_id is not None:
        stmt = stmt.where(
            exists().where(EventSource.event_id == Event.id, EventSource.article_id == f.article_id)
        )
    rows = (await session.execute(paginate_query(stmt, EVENT_ORDER, page))).scalars().all()
    return page_of(rows, EVENT_ORDER, page)


async def participants_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(EventParticipant.event_id, EventParticipant.entity_id)
            .where(EventParticipant.event_id.in_(ids))
            .distinct()
            .order_by(EventParticipant.event_id, EventParticipant.entity_id)
        )
        for ev, ent in rows:
            out[ev].append(ent)
    return out


async def sources_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[EventSource]]:
    out: dict[int, list[EventSource]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(EventSource).where(EventSource.event_id.in_(ids)).order_by(EventSource.id)
        )
        for src in rows.scalars():
            out[src.event_id].append(src)
    return out


async def claims_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(EventClaim.event_id, EventClaim.claim_id)
            .where(EventClaim.event_id.in_(ids))
            .order_by(EventClaim.event_id, EventClaim.claim_id)
        )
        for ev, cl in rows:
            out[ev].append(cl)
    return out


async def of_article(session: AsyncSession, article_id: int) -> tuple[set[int], set[int]]:
    """The events an article reports, and their places."""
    rows = (
        await session.execute(
            select(Event.id, Event.place_id)
            .join(EventSource, EventSource.event_id == Event.id)
            .where(EventSource.article_id == article_id)
        )
    ).all()
    return {r.id for r in rows}, {r.place_id for r in rows if r.place_id is not None}


async def delete_orphans(session: AsyncSession, ids: Iterable[int]) -> None:
    """Remove events no article reports any more."""
    wanted = set(ids)
    if wanted:
        await session.execute(
            delete(Event).where(Event.id.in_(wanted), ~exists().where(EventSource.event_id == Event.id))
        )


async def delete_reports(session: AsyncSession, article_id: int) -> None:
    """Remove an article's reports of events and the participants it named."""
    await session.execute(delete(EventSource).where(EventSource.article_id == article_id))
    await session.execute(delete(EventParticipant).where(EventParticipant.article_id == article_id))
