"""Cross-article entities, their names (aliases), roles and mentions.

`entity_aliases` has one row per (type, folded name) across the whole database: that unique key
is what makes two concurrent articles mentioning a new name agree on one entity.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime, utcnow


class Entity(Base):
    __tablename__ = "entities"
    __table_args__ = (Index("ix_entities_type_key", "type", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(Text)
    # where a name is filed: the surname for people, the folded name otherwise
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntityAlias(Base):
    __tablename__ = "entity_aliases"
    __table_args__ = (
        UniqueConstraint("type", "norm", name="uq_entity_aliases_type_norm"),
        Index("ix_entity_aliases_entity", "entity_id"),
        Index("ix_entity_aliases_norm", "norm"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(String(300))


class EntityRole(Base):
    __tablename__ = "entity_roles"
    __table_args__ = (UniqueConstraint("entity_id", "role", name="uq_entity_roles_entity_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(300))


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        Index("ix_mentions_entity_article", "entity_id", "article_id"),
        Index("ix_mentions_article", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
