"""Queries over entities; the cross-article resolution of a document's names to stored entities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, distinct, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.models import Article
from app.claims.models import Claim, ClaimEntity
from app.core.database import insert_ignore
from app.core.pagination import ID_MAX, PageParams, SortKey, page_of, paginate_query
from app.events.models import Event, EventParticipant
from app.extraction.names import compatible, fold, surname_key

from .models import Entity, EntityAlias, EntityRole, Mention

MAX_NAME = 300
ENTITY_ORDER = (SortKey(Entity.id, lambda e: e.id),)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def entity_key(name: str, type_: str) -> str:
    return (surname_key(name) if type_ == "PERSON" else fold(name))[:200]


@dataclass
class EntityStats:
    mention_count: int = 0
    article_count: int = 0
    claim_count: int = 0
    event_count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None


async def find_by_name(session: AsyncSession, type_: str, norm: str) -> int | None:
    return (await session.execute(
        select(EntityAlias.entity_id).where(EntityAlias.type == type_, EntityAlias.norm == norm)
    )).scalar_one_or_none()


async def resolve(session: AsyncSession, name: str, type_: str, aliases: Sequence[str] = ()) -> int | None:
    """The stored entity a document entity denotes, created when there is none.

    An exact (type, folded name) match wins; a person otherwise joins a stored person with a
    compatible name ("Umerov" ~ "Rustem Umerov"); the most recent one when several fit. A new
    entity claims its name through the unique (type, norm) alias key: if a concurrent
    transaction claimed it first, the new row is dropped and theirs is used.
    """
    norm = fold(name)[:MAX_NAME]
    if not norm:
        return None
    entity_id = await find_by_name(session, type_, norm)
    if entity_id is None and type_ == "PERSON":
        rows = (await session.execute(
            select(Entity.id, Entity.name).where(Entity.type == type_, Entity.key == entity_key(name, type_))
            .order_by(Entity.id.desc())
        )).all()
        entity_id = next((r.id for r in rows if compatible(name, r.name, type_)), None)
    if entity_id is None and type_ != "PERSON":
        for alias in aliases:
            if (a := fold(alias)[:MAX_NAME]) and (entity_id := await find_by_name(session, type_, a)):
                break
    if entity_id is None:
        entity = Entity(type=type_, name=name, norm=norm, key=entity_key(name, type_))
        session.add(entity)
        await session.flush()
        claimed = await session.execute(
            insert_ignore(_dialect(session), EntityAlias,
                          {"entity_id": entity.id, "type": type_, "name": name, "norm": norm})
            .returning(EntityAlias.id))
        if claimed.scalar_one_or_none() is None:
            await session.execute(delete(Entity).where(Entity.id == entity.id))
            entity_id = await find_by_name(session, type_, norm)
            if entity_id is None:  # pragma: no cover - the winner's row must be visible by now
                raise RuntimeError(f"entity name {norm!r} claimed but not found")
        else:
            entity_id = entity.id
    await _add_names(session, entity_id, type_, name, aliases)
    return entity_id


async def _add_names(session: AsyncSession, entity_id: int, type_: str, name: str,
                     aliases: Sequence[str]) -> None:
    """Accumulate aliases; a fuller compatible name of a person becomes the canonical one."""
    names = {fold(n)[:MAX_NAME]: n for n in (*aliases, name) if fold(n)}
    rows = [{"entity_id": entity_id, "type": type_, "name": n, "norm": k} for k, n in names.items()]
    if rows:
        await session.execute(insert_ignore(_dialect(session), EntityAlias, rows))
    if type_ == "PERSON":
        current = (await session.execute(select(Entity.name).where(Entity.id == entity_id))).scalar_one()
        if len(fold(name).split()) > len(fold(current).split()) and compatible(name, current, type_):
            # conditional on the name we read, so two concurrent upgrades cannot interleave
            await session.execute(update(Entity).where(Entity.id == entity_id, Entity.name == current)
                                  .values(name=name, norm=fold(name)[:MAX_NAME]))


async def add_roles(session: AsyncSession, entity_id: int, roles: Iterable[str]) -> None:
    rows = [{"entity_id": entity_id, "role": r.strip()[:300]} for r in roles if r and r.strip()]
    if rows:
        await session.execute(insert_ignore(_dialect(session), EntityRole, rows))


async def add_mentions(session: AsyncSession, article_id: int, entity_id: int,
                       spans: Iterable[dict[str, Any]]) -> None:
    rows = [{"article_id": article_id, "entity_id": entity_id, "start": int(s["start"]),
             "end": int(s["end"]), "text": str(s["text"])} for s in spans]
    if rows:
        await session.execute(insert(Mention), rows)


async def ids_for_ref(session: AsyncSession, ref: str) -> list[int]:
    """Entity ids a filter value names: a numeric id, or a name matched on any stored alias."""
    ref = ref.strip()
    if ref.isdigit():
        return [int(ref)] if int(ref) <= ID_MAX else []
    norm = fold(ref)
    if not norm:
        return []
    rows = await session.execute(select(EntityAlias.entity_id).where(EntityAlias.norm == norm).distinct())
    return [r for (r,) in rows]


async def get(session: AsyncSession, entity_id: int) -> Entity | None:
    return await session.get(Entity, entity_id)


async def get_many(session: AsyncSession, ids: Iterable[int]) -> dict[int, Entity]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Entity).where(Entity.id.in_(wanted)))
    return {e.id: e for e in rows.scalars()}


async def list_entities(session: AsyncSession, *, q: str | None, type_: str | None,
                        page: PageParams) -> tuple[list[Entity], str | None]:
    stmt = select(Entity)
    if type_:
        stmt = stmt.where(Entity.type == type_.upper())
    if q is not None:
        norm = fold(q)
        if not norm:
            return [], None
        stmt = stmt.where(exists().where(
            EntityAlias.entity_id == Entity.id,
            or_(EntityAlias.norm.startswith(norm, autoescape=True),
                EntityAlias.norm.contains(" " + norm, autoescape=True))))
    rows = (await session.execute(paginate_query(stmt, ENTITY_ORDER, page))).scalars().all()
    return page_of(rows, ENTITY_ORDER, page)


async def _grouped(session: AsyncSession, table: type[EntityAlias] | type[EntityRole], column: Any,
                   ids: Sequence[int]) -> dict[int, list[str]]:
    """`column` of `table` per entity id, in insertion order (aliases and roles alike)."""
    out: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = await session.execute(select(table.entity_id, column)
                                     .where(table.entity_id.in_(ids)).order_by(table.id))
        for eid, value in rows:
            out[eid].append(value)
    return out


async def aliases_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    return await _grouped(session, EntityAlias, EntityAlias.name, ids)


async def roles_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    return await _grouped(session, EntityRole, EntityRole.role, ids)


async def stats_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, EntityStats]:
    """Counts and first/last seen, computed from the rows so they stay right after deletions."""
    out = {i: EntityStats() for i in ids}
    if not ids:
        return out
    rows = await session.execute(
        select(Mention.entity_id, func.count(), func.count(distinct(Mention.article_id)),
               func.min(Article.sort_at), func.max(Article.sort_at))
        .join(Article, Article.id == Mention.article_id)
        .where(Mention.entity_id.in_(ids)).group_by(Mention.entity_id))
    for eid, mentions, articles, first, last in rows:
        s = out[eid]
        s.mention_count, s.article_count = mentions, articles
        # min/max over a type-decorated column come back raw on SQLite: re-read through the type
        s.first_seen, s.last_seen = _as_dt(first), _as_dt(last)
    for speaker, n in await session.execute(select(Claim.speaker_id, func.count()).where(
            Claim.speaker_id.in_(ids)).group_by(Claim.speaker_id)):
        if speaker is not None:
            out[speaker].claim_count = n
    for eid, n in await session.execute(select(EventParticipant.entity_id, func.count(
            distinct(EventParticipant.event_id))).where(EventParticipant.entity_id.in_(ids))
            .group_by(EventParticipant.entity_id)):
        out[eid].event_count = n
    return out


def _as_dt(value: Any) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def delete_orphans(session: AsyncSession, ids: Iterable[int]) -> None:
    """Remove entities no stored row refers to any more (after an article was deleted)."""
    wanted = set(ids)
    if not wanted:
        return
    await session.execute(delete(Entity).where(
        Entity.id.in_(wanted),
        ~exists().where(Mention.entity_id == Entity.id),
        ~exists().where(or_(Claim.speaker_id == Entity.id, Claim.via_id == Entity.id)),
        ~exists().where(ClaimEntity.entity_id == Entity.id),
        ~exists().where(EventParticipant.entity_id == Entity.id),
        ~exists().where(Event.place_id == Entity.id),
    ))


async def touched_by_article(session: AsyncSession, article_id: int) -> set[int]:
    """Every entity an article's rows refer to (candidates for removal when it is deleted)."""
    ids: set[int] = set()
    for stmt in (
        select(Mention.entity_id).where(Mention.article_id == article_id),
        select(Claim.speaker_id).where(Claim.article_id == article_id),
        select(Claim.via_id).where(Claim.article_id == article_id),
        select(EventParticipant.entity_id).where(EventParticipant.article_id == article_id),
    ):
        ids.update(i for (i,) in await session.execute(stmt) if i is not None)
    return ids


async def delete_mentions(session: AsyncSession, article_id: int) -> None:
    await session.execute(delete(Mention).where(Mention.article_id == article_id))
