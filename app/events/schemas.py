"""API shapes of stored events (the timeline list)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.claims.schemas import TextSpan
from app.core.pagination import ListQuery, id_field
from app.entities.schemas import EntityRef


class EventQuery(ListQuery):
    """The event list's query parameters (entity filters by id or by name)."""

    entity: str | None = Field(None, max_length=300, description="A participant: entity id or name.")
    place: str | None = Field(None, max_length=300, description="The place: entity id or name.")
    type: str | None = Field(None, max_length=32, description="Event type, e.g. meeting.")
    status: str | None = Field(None, max_length=16, description="occurred, scheduled, planned, ...")
    article_id: int | None = id_field("Only events reported by this article.")


class EventDate(BaseModel):
    value: str | None = Field(description="TimeML value, e.g. 2025-12-20, 2025-12, 2025-W51.")
    start: date | None = Field(description="First day the value covers.")
    end: date | None = Field(description="Last day the value covers.")


class EventReport(BaseModel):
    """One article's report of the event."""

    article_id: int
    local_id: str = Field(description="The event's id inside that article's extraction document.")
    trigger: TextSpan
    status: str
    summary: str


class EventOut(BaseModel):
    id: int
    type: str
    summary: str
    status: str
    date: EventDate
    place: EntityRef | None
    participants: list[EntityRef]
    sources: list[EventReport] = Field(description="Every article reporting this event.")
    claim_ids: list[int] = Field(description="Stored claims that speak of it.")
