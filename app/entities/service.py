"""Entities: storing a document's entities across articles, and reading them back."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database
from app.core.errors import NotFound
from app.core.pagination import Page, PageParams
from app.extraction.names import fold

from . import repository as repo
from .models import Entity
from .schemas import EntityOut


async def store_document_entities(session: AsyncSession, article_id: int,
                                  entities: list[dict[str, Any]]) -> dict[str, int]:
    """Resolve the document's entities to stored ones, record their names, roles and mentions,
    a few statements per table for the whole document.

    Adds `stored_id` to each entity of the document and returns {document id: stored id}.
    """
    todo: list[tuple[dict[str, Any], str, str, list[str]]] = []
    # a fixed order (type, name) so concurrent articles claim shared names in the same order
    for ent in sorted(entities, key=lambda e: (str(e.get("type")), fold(str(e.get("name") or "")))):
        name, type_ = str(ent.get("name") or "").strip(), str(ent.get("type") or "").upper()
        if name and type_ and fold(name):
            todo.append((ent, name, type_, [str(a) for a in ent.get("aliases") or [] if a]))
    stored = await repo.resolve_many(session, [(name, type_, aliases) for _, name, type_, aliases in todo])
    pairs = list(zip((t[0] for t in todo), stored, strict=True))
    ids: dict[str, int] = {}
    for ent, entity_id in pairs:
        ent["stored_id"] = entity_id
        ids[str(ent.get("id"))] = entity_id
    await repo.add_roles(session, ((e, str(r)) for ent, e in pairs for r in ent.get("roles") or []))
    mentions = ((e, m) for ent, e in pairs for m in ent.get("mentions") or [])
    await repo.add_mentions(session, article_id, mentions)
    return ids


async def describe(session: AsyncSession, entities: list[Entity]) -> list[EntityOut]:
    ids = [e.id for e in entities]
    aliases, roles, stats = (await repo.aliases_of(session, ids), await repo.roles_of(session, ids),
                             await repo.stats_of(session, ids))
    return [EntityOut(id=e.id, name=e.name, type=e.type,
                      aliases=[a for a in aliases.get(e.id, []) if a != e.name],
                      roles=roles.get(e.id, []), **vars(stats[e.id])) for e in entities]


class EntityService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, entity_id: int) -> EntityOut:
        async with self.db.session() as s:
            entity = await repo.get(s, entity_id)
            if entity is None:
                raise NotFound(f"No entity {entity_id}.")
            return (await describe(s, [entity]))[0]

    async def require(self, entity_id: int) -> None:
        async with self.db.session() as s:
            if await repo.get(s, entity_id) is None:
                raise NotFound(f"No entity {entity_id}.")

    async def list(self, *, q: str | None, type_: str | None, page: PageParams) -> Page[EntityOut]:
        async with self.db.session() as s:
            rows, nxt = await repo.list_entities(s, q=q, type_=type_, page=page)
            return Page(items=await describe(s, rows), next=nxt, limit=page.limit)
