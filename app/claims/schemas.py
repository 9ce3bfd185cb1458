"""API shapes of stored claims."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from app.core.pagination import ListQuery, id_field
from app.entities.schemas import EntityRef

ClaimKind = Literal["direct", "indirect", "mixed"]


class ClaimQuery(ListQuery):
    """The claim list's query parameters (entity filters by id or by name)."""

    speaker: str | None = Field(None, max_length=300, description="Speaker: entity id or name.")
    about: str | None = Field(None, max_length=300, description="Entity in the content (id or name).")
    entity: str | None = Field(None, max_length=300, description="An entity as speaker or as subject.")
    kind: ClaimKind | None = Field(None, description="direct, indirect or mixed.")
    q: str | None = Field(None, max_length=500, description="Full-text search over the claim content.")
    article_id: int | None = id_field("Only claims of this article.")


class TextSpan(BaseModel):
    start: int
    end: int
    text: str


class CueOut(TextSpan):
    lemma: str | None = None


class Attribution(BaseModel):
    """Who the claim is attributed to (or, for `via`, through whom it reached the article)."""

    text: str | None
    start: int | None = None
    end: int | None = None
    name: str | None = None
    kind: str | None = None
    role: str | None = None
    entity: EntityRef | None = Field(description="The stored entity, when the source is a named one.")


class SaidOn(BaseModel):
    value: str | None = Field(description="TimeML value of when it was said, e.g. 2025-12-17.")
    date: dt.date | None = Field(description="That value as a day, when it names one.")


class ClaimOut(BaseModel):
    id: int
    article_id: int
    local_id: str = Field(description="The claim's id inside its article's extraction document.")
    kind: ClaimKind | str
    content: TextSpan
    cue: CueOut | None
    source: Attribution | None
    via: Attribution | None
    said_on: SaidOn | None
    claim_date: dt.date | None = Field(description="When it was said if known, else the publication date.")
    confidence: float
    about: list[EntityRef] = Field(description="Stored entities mentioned in the content.")
