"""API shapes of jobs (asynchronous ingestion and re-extraction)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class JobCounts(BaseModel):
    total: int = Field(description="Articles in the job.")
    queued: int = 0
    running: int = 0
    done: int = Field(0, description="Extracted and stored.")
    failed: int = Field(0, description="Extraction failed (see `errors`); the article keeps state failed.")
    duplicate: int = Field(0, description="Already stored before this job: nothing new was created.")


class JobItemOut(BaseModel):
    position: int = Field(description="Index of the article in the batch (its id for reprocess).")
    article_id: int
    state: str = Field(description="queued, running, done, failed or duplicate.")
    attempts: int
    error: str | None = None


class JobOut(BaseModel):
    id: int
    kind: str = Field(description="ingest or reprocess.")
    state: str = Field(description="queued (nothing started), running, or done (every article finished).")
    created_at: datetime
    finished_at: datetime | None = None
    counts: JobCounts
    items: list[JobItemOut] = Field(description="Per-article state, in submission order (first 1,000).")
    errors: list[JobItemOut] = Field(description="The failed articles with their reasons (first 1,000).")


class ReprocessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(False, description="Re-extract every article, not only other versions' ones.")
