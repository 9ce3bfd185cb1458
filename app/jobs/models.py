"""Queue tables: a job (one accepted batch or re-extraction run) and one item per article.

The item row *is* the queue entry: workers claim items by leasing them (`lease_owner`,
`lease_expires_at`); an expired lease means its worker died, and any worker may take the item
over. Job progress is counted from the items, so workers never contend on one job row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime, utcnow

INGEST, REPROCESS = "ingest", "reprocess"
QUEUED, RUNNING, DONE, FAILED, DUPLICATE = "queued", "running", "done", "failed", "duplicate"
OPEN_STATES = (QUEUED, RUNNING)
_OPEN = text("state IN ('queued', 'running')")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobItem(Base):
    __tablename__ = "job_items"
    __table_args__ = (
        # the claim scan reads only open items, in id order: a small partial index on both backends
        Index("ix_job_items_open", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_job_items_job", "job_id", "position"),
        Index("ix_job_items_article", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
