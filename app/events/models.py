"""Dated events, linked across articles: one row per real-world event, a source row per article.

Two articles reporting a meeting of the same type, on the same date, at the same place, with a
participant in common describe one event; `event_sources` keeps each article's report of it.
Participants remember which article named them, so deleting an article removes exactly its rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_date", "date_start", "date_end"),
        Index("ix_events_type_date", "type", "date_value"),
        Index("ix_events_place", "place_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    date_value: Mapped[str | None] = mapped_column(String(32))
    date_start: Mapped[date | None] = mapped_column(Date)
    date_end: Mapped[date | None] = mapped_column(Date)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventSource(Base):
    __tablename__ = "event_sources"
    __table_args__ = (
        Index("ix_event_sources_event", "event_id"),
        Index("ix_event_sources_article", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    local_id: Mapped[str] = mapped_column(String(32))
    trigger_start: Mapped[int] = mapped_column(Integer)
    trigger_end: Mapped[int] = mapped_column(Integer)
    trigger_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)


class EventParticipant(Base):
    __tablename__ = "event_participants"
    __table_args__ = (Index("ix_event_participants_entity", "entity_id", "event_id"),
                      Index("ix_event_participants_article", "article_id"),
                      Index("ix_event_participants_timeline", "entity_id", "event_date", "event_id"))

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    # the event's timeline key, coalesce(date_start, '9999-12-30'), copied by database triggers
    # (migration 0005) so one participant's events are read in timeline order from an index
    event_date: Mapped[date | None] = mapped_column(Date)


class EventClaim(Base):
    __tablename__ = "event_claims"
    __table_args__ = (Index("ix_event_claims_claim", "claim_id"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
