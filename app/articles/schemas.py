"""API shapes of articles and of the extraction result document (shared/docs/extraction-json.md).

The document models mirror the contract field for field and allow extra fields, so the
extraction library can add information without a service change; the stored ids the service
adds (`stored_id`, `entity_id`, `place_id`, `participant_ids`) are declared here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_META_KEYS = 50


class ArticleCreate(BaseModel):
    """An article to ingest. With a `text/plain` body, every field but `text` is a query parameter."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The article text; offsets in results index into it.")
    title: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=200, description="Publisher; duplicates are per source.")
    published_at: datetime | date | None = Field(
        None, description="Publication date or time (ISO 8601); relative dates resolve against it.")
    language: str | None = Field(None, max_length=16)
    external_id: str | None = Field(None, max_length=200, description="The caller's id, unique per source.")
    metadata: dict[str, Any] | None = Field(None, description="Free-form, returned as given.")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty or whitespace only")
        return v

    @field_validator("published_at", mode="before")
    @classmethod
    def _date_or_datetime(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            if len(v) == 10:
                return date.fromisoformat(v)
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        return v

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and len(v) > MAX_META_KEYS:
            raise ValueError(f"at most {MAX_META_KEYS} metadata keys")
        return v

    def publication(self) -> tuple[datetime | None, date | None]:
        """(instant in UTC, the day as the publisher gave it)."""
        p = self.published_at
        if p is None:
            return None, None
        if isinstance(p, datetime):
            return (p if p.tzinfo else p.replace(tzinfo=UTC)).astimezone(UTC), p.date()
        return datetime.combine(p, time(), tzinfo=UTC), p


class ExtractRequest(BaseModel):
    """Text to extract from without storing anything."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    published_at: date | None = Field(None, description="Anchor for relative dates.")
    id: str | None = Field(None, max_length=200, description="Echoed in the result.")

    @field_validator("published_at", mode="before")
    @classmethod
    def _day(cls, v: Any) -> Any:
        return v[:10] if isinstance(v, str) else v


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class DocSpan(_Doc):
    start: int
    end: int
    text: str


class DocCue(DocSpan):
    lemma: str | None = None


class DocSource(DocSpan):
    entity: str | None = Field(None, description="Id of the entity in this document.")
    name: str | None = None
    kind: str | None = None
    role: str | None = None
    entity_id: int | None = Field(None, description="The stored entity (added by the service).")


class DocDateRef(_Doc):
    value: str | None = None
    timex: str | None = None


class DocClaim(_Doc):
    id: str
    kind: str
    content: DocSpan
    cue: DocCue | None = None
    source: DocSource | None = None
    via: DocSource | None = None
    said_on: DocDateRef | None = None
    confidence: float | None = None
    stored_id: int | None = Field(None, description="The stored claim (added by the service).")


class DocEntity(_Doc):
    id: str
    name: str
    type: str
    aliases: list[str] = []
    roles: list[str] = []
    mentions: list[DocSpan] = []
    stored_id: int | None = Field(None, description="The stored cross-article entity.")


class DocTimex(_Doc):
    id: str
    start: int
    end: int
    text: str
    type: str
    value: str | None = None
    anchor: str | None = None


class DocEvent(_Doc):
    id: str
    trigger: DocSpan
    type: str
    summary: str | None = None
    date: DocDateRef | None = None
    place: str | None = None
    participants: list[str] = []
    status: str | None = None
    claims: list[str] = []
    stored_id: int | None = Field(None, description="The stored (possibly cross-article) event.")
    place_id: int | None = None
    participant_ids: list[int] | None = None


class ExtractionDocument(_Doc):
    """The extraction result: the contract of shared/docs/extraction-json.md."""

    id: str | None = None
    published_at: str | None = None
    claims: list[DocClaim] = []
    entities: list[DocEntity] = []
    timexes: list[DocTimex] = []
    events: list[DocEvent] = []


class ExtractionState(BaseModel):
    state: str = Field(description="pending, done or failed.")
    error: str | None = Field(description="Why extraction failed (state failed).")
    extractor_version: str | None
    extracted_at: datetime | None


class ArticleSummary(BaseModel):
    id: int
    external_id: str | None
    source: str | None
    title: str | None
    url: str | None
    language: str | None
    published_at: datetime | None
    created_at: datetime
    content_hash: str
    metadata: dict[str, Any] | None
    extraction: ExtractionState


class ArticleOut(ArticleSummary):
    """The stored article with its extraction document (contract fields plus stored ids)."""

    text: str
    claims: list[DocClaim]
    entities: list[DocEntity]
    timexes: list[DocTimex]
    events: list[DocEvent]
