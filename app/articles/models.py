"""Stored articles: the submitted text and metadata, the extraction state, the result document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime, utcnow

PENDING, DONE, FAILED = "pending", "done", "failed"


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        # Duplicates are refused by these constraints (INSERT ... ON CONFLICT), never by a prior read.
        UniqueConstraint("source", "external_id", name="uq_articles_source_external_id"),
        UniqueConstraint("source", "content_hash", name="uq_articles_source_content_hash"),
        Index("ix_articles_sort", "sort_at", "id"),
        Index("ix_articles_published_on", "published_on"),
        Index("ix_articles_state", "extraction_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    external_id: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the publication date as the publisher saw it (what relative dates resolve against)
    published_on: Mapped[date | None] = mapped_column(Date)
    # listing order: publication time, or ingestion time for undated articles
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    extraction_state: Mapped[str] = mapped_column(String(16), default=PENDING)
    extraction_error: Mapped[str | None] = mapped_column(Text)
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    extracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the extraction result document (contract shape) with the stored ids added
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
