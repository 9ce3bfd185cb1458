"""Stored claims (one row per attributed statement) and the entities each is about."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_speaker_date", "speaker_id", "claim_date"),
        Index("ix_claims_via", "via_id"),
        Index("ix_claims_article", "article_id"),
        Index("ix_claims_date", "claim_date", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    local_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    content_start: Mapped[int] = mapped_column(Integer)
    content_end: Mapped[int] = mapped_column(Integer)
    content_text: Mapped[str] = mapped_column(Text)
    cue_start: Mapped[int | None] = mapped_column(Integer)
    cue_end: Mapped[int | None] = mapped_column(Integer)
    cue_text: Mapped[str | None] = mapped_column(Text)
    cue_lemma: Mapped[str | None] = mapped_column(String(64))
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    source_start: Mapped[int | None] = mapped_column(Integer)
    source_end: Mapped[int | None] = mapped_column(Integer)
    source_text: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str | None] = mapped_column(Text)
    source_kind: Mapped[str | None] = mapped_column(String(16))
    source_role: Mapped[str | None] = mapped_column(Text)
    via_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    via_text: Mapped[str | None] = mapped_column(Text)
    via_name: Mapped[str | None] = mapped_column(Text)
    via_kind: Mapped[str | None] = mapped_column(String(16))
    said_on_value: Mapped[str | None] = mapped_column(String(32))
    said_on: Mapped[date | None] = mapped_column(Date)
    # the claim's own date when known, else its article's publication date (the date filter)
    claim_date: Mapped[date | None] = mapped_column(Date)
    confidence: Mapped[float] = mapped_column(Float, default=0.5)


class ClaimEntity(Base):
    """An entity mentioned inside a claim's content: what the claim is about."""

    __tablename__ = "claim_entities"
    __table_args__ = (Index("ix_claim_entities_entity", "entity_id", "claim_id"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
