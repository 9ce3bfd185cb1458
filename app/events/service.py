"""Events: linking a document's events to stored ones across articles, and the timeline list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.claims.service import entity_ref, entity_refs, resolve_ref
from app.core.database import Database, Reading, json_rows_of
from app.core.pagination import DateRange, Page, PageParams, page_json

from . import repository as repo
from .dates import timeml_range
from .schemas import EventOut, EventQuery

EVENT_PAGE = Page[EventOut]


@dataclass(frozen=True)
class EventFilters:
    entity: str | None = None
    place: str | None = None
    type: str | None = None
    status: str | None = None
    article_id: int | None = None


def event_filters(query: EventQuery) -> EventFilters:
    return EventFilters(query.entity, query.place, query.type, query.status, query.article_id)


@dataclass(eq=False)
class _Linked:
    """A stored or new event the document's reports join: what `find_same` matches on."""

    order: tuple[int, int]  # stored events (0, id) come before new ones (1, n), as ids would
    type: str
    value: str | None
    place: int | None
    participants: set[int]
    id: int | None = None


async def store_document_events(
    session: AsyncSession,
    article_id: int,
    doc: dict[str, Any],
    entity_ids: dict[str, int],
    claim_ids: dict[str, int],
) -> None:
    """Store each document event, joining a stored event when it reports the same one (same
    type, date and place, a participant in common; the oldest such event), a few statements for
    the whole document; adds `stored_id` and entity ids to each event.

    Matching is as if the events were stored one at a time: a report also joins an event created,
    or given participants, by an earlier report of the same article.
    """
    events: list[dict[str, Any]] = doc.get("events") or []
    prepared = []
    for ev in events:
        value = (ev.get("date") or {}).get("value")
        place = entity_ids.get(str(ev.get("place")))
        participants = [entity_ids[str(p)] for p in ev.get("participants") or [] if str(p) in entity_ids]
        type_ = str(ev.get("type") or "event")[:32]
        # the columns an event and each report of it both keep
        fields = {"status": str(ev.get("status") or "uncertain")[:16],
                  "summary": str(ev.get("summary") or "")}
        prepared.append((ev, None if value is None else str(value), type_, place, participants, fields))
    rows = await repo.find_same(
        session,
        ((t, v) for _, v, t, _, ps, _ in prepared if v and ps),
        (p for _, _, _, _, ps, _ in prepared for p in ps),
    )
    known: dict[int, _Linked] = {}
    for eid, t, v, place, person in rows:
        known.setdefault(eid, _Linked((0, eid), t, v, place, set(), eid)).participants.add(person)
    candidates = list(known.values())
    new: list[tuple[_Linked, dict[str, Any]]] = []
    linked: list[_Linked] = []
    for _, value, type_, place, participants, fields in prepared:
        match = None
        if value and participants:
            match = min(
                (c for c in candidates if c.type == type_ and c.value == value and c.place == place
                 and not c.participants.isdisjoint(participants)),
                key=lambda c: c.order,
                default=None,
            )
        if match is None:
            match = _Linked((1, len(new)), type_, value, place, set())
            candidates.append(match)
            rng = timeml_range(value)
            new.append((match, {
                "type": type_,
                **fields,
                "date_value": value,
                "date_start": rng[0] if rng else None,
                "date_end": rng[1] if rng else None,
                "place_id": place,
            }))
        match.participants.update(participants)
        linked.append(match)
    for (event, _), event_id in zip(new, await repo.create_many(session, [r for _, r in new]), strict=True):
        event.id = event_id
    reports = []
    for (ev, _, _, place, participants, fields), event in zip(prepared, linked, strict=True):
        assert event.id is not None
        trigger = ev.get("trigger") or {}
        report = {
            "local_id": str(ev.get("id") or ""),
            "trigger_start": int(trigger.get("start", 0)),
            "trigger_end": int(trigger.get("end", 0)),
            "trigger_text": str(trigger.get("text") or ""),
            **fields,
        }
        claims = [claim_ids[str(c)] for c in ev.get("claims") or [] if str(c) in claim_ids]
        reports.append((event.id, report, participants, claims))
        ev["stored_id"], ev["place_id"], ev["participant_ids"] = event.id, place, participants
    await repo.add_reports(session, article_id, reports)




def describe(events: Sequence[Any]) -> list[dict[str, Any]]:
    """Event rows (`repository.list_events`) as dicts of exactly `EventOut`'s shape (every
    field, in its order, so that they serialise as the model would without being validated)."""
    return [
        {
            "id": id_,
            "type": type_,
            "summary": summary,
            "status": status,
            "date": {"value": date_value, "start": date_start, "end": date_end},
            "place": entity_ref(place),
            "participants": entity_refs(participants),
            "sources": [
                {
                    "article_id": article_id,
                    "local_id": local_id,
                    "trigger": {"start": trigger_start, "end": trigger_end, "text": trigger_text},
                    "status": report_status,
                    "summary": report_summary,
                }
                for (_, article_id, local_id, report_status, report_summary, trigger_start, trigger_end,
                     trigger_text) in json_rows_of(reports)
            ],
            "claim_ids": [i for (i,) in json_rows_of(claims)],
        }
        for (id_, type_, summary, status, date_value, date_start, date_end, _, place, participants, claims,
             reports) in events
    ]


class EventService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def items(self, f: EventFilters, dates: DateRange, page: PageParams
                    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page: `EventOut`-shaped dicts and the next cursor."""

        async def work(conn: Reading) -> tuple[list[dict[str, Any]], str | None]:
            query = repo.EventQuery(
                entity=await resolve_ref(conn, f.entity),
                place=await resolve_ref(conn, f.place),
                type=f.type,
                status=f.status,
                start=dates.start,
                end=dates.end,
                article_id=f.article_id,
            )
            rows, nxt = await repo.list_events(conn, query, page)
            return describe(rows), nxt

        return await self.db.read(work)

    async def list(self, f: EventFilters, dates: DateRange, page: PageParams) -> Page[EventOut]:
        items, nxt = await self.items(f, dates, page)
        # one validation of the whole page (pydantic-core)
        return EVENT_PAGE.model_validate({"items": items, "next": nxt, "limit": page.limit})

    async def list_json(self, f: EventFilters, dates: DateRange, page: PageParams) -> bytes:
        """The page as `list` would serialise it, without building and validating the models."""
        items, nxt = await self.items(f, dates, page)
        return page_json(items, nxt, page.limit)
