"""API shapes of entities (separate from the ORM rows in `models.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class EntityRef(BaseModel):
    """A stored entity as it appears inside claims and events."""

    id: int
    name: str
    type: str


class EntityOut(EntityRef):
    aliases: list[str] = Field(description="Other names this entity was found under, across articles.")
    roles: list[str] = Field(description="Titles and roles given to it in the articles.")
    mention_count: int
    article_count: int
    claim_count: int = Field(description="Claims it is the speaker of.")
    event_count: int = Field(description="Events it takes part in.")
    first_seen: datetime | None = Field(description="Publication (or ingestion) time of the first article.")
    last_seen: datetime | None
