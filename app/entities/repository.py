"""Queries over entities; the cross-article resolution of a document's names to stored entities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, distinct, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.models import Article
from app.claims.models import Claim, ClaimEntity
from app.core.database import Reader, core_table, insert_ignore, json_rows, utcnow
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


@dataclass(eq=False)
class _Resolved:
    """A stored or new entity as one document's names resolve to it (identity: the object)."""

    id: int | None  # None: new, not inserted yet
    type: str
    name: str  # canonical name, upgraded in memory by a fuller compatible name
    read_name: str | None = None  # the stored name as read (a rename is conditional on it)
    first: str = ""  # a new entity's first name (its surname key)
    claim: str = ""  # a new entity's folded first name: the alias key it must win
    names: dict[str, str] = field(default_factory=dict)  # alias rows to add: norm -> name


def _fuller(name: str, current: str) -> bool:
    """A person's name that should replace `current` as the canonical one."""
    return len(fold(name).split()) > len(fold(current).split()) and compatible(name, current, "PERSON")


async def find_by_names(session: AsyncSession, norms: Iterable[str]) -> dict[tuple[str, str], int]:
    """The stored entity of each of these folded names, per (type, norm): one SELECT."""
    wanted = sorted(set(norms))
    if not wanted:
        return {}
    rows = await session.execute(select(EntityAlias.type, EntityAlias.norm, EntityAlias.entity_id)
                                 .where(EntityAlias.norm.in_(wanted)))
    return {(t, n): e for t, n, e in rows}


async def find_people(session: AsyncSession, keys: Iterable[str],
                      ids: Iterable[int] = ()) -> list[tuple[int, str, str]]:
    """(id, name, key) of the people filed under these keys or with these ids, newest first."""
    wanted_keys, wanted_ids = sorted(set(keys)), sorted(set(ids))
    if not wanted_keys and not wanted_ids:
        return []
    rows = await session.execute(
        select(Entity.id, Entity.name, Entity.key)
        .where(Entity.type == "PERSON", or_(Entity.key.in_(wanted_keys), Entity.id.in_(wanted_ids)))
        .order_by(Entity.id.desc()))
    return [(i, n, k) for i, n, k in rows]


async def resolve_many(session: AsyncSession, items: Sequence[tuple[str, str, Sequence[str]]]) -> list[int]:
    """The stored entity each (name, type, aliases) denotes, created when there is none; a
    handful of statements per document however many names it has (storage was row by row).

    Resolution is as if the names were stored one at a time in the given order: an exact (type,
    folded name) match on any stored alias wins; a person otherwise joins a stored person with a
    compatible name under the same surname key ("Umerov" ~ "Rustem Umerov"), the most recent
    first; other types try their aliases. Names added for earlier items count for later ones, and
    a fuller compatible name of a person becomes its canonical one.

    A new entity claims its folded name through the unique (type, norm) alias key: if a concurrent
    transaction claimed it first, the new row is dropped and theirs is used. Alias rows are
    written in (type, norm) order, so concurrent writers take the unique-index locks in one order.
    """
    folded = []
    for name, type_, aliases in items:
        spelled = [(fold(x)[:MAX_NAME], x) for x in (*aliases, name)]  # fold once: it is not cheap
        norm = spelled[-1][0]
        if not norm:
            raise ValueError(f"entity name {name!r} has no letters or digits")
        folded.append((name, type_, norm, [k for k, _ in spelled[:-1] if k], {k: x for k, x in spelled if k}))
    known = await find_by_names(session, {n for _, _, norm, al, _ in folded for n in (norm, *al)})
    keys = {entity_key(name, t) for name, t, norm, _, _ in folded if t == "PERSON" and (t, norm) not in known}
    people = await find_people(session, keys, (e for (t, _), e in known.items() if t == "PERSON"))

    stored: dict[int, _Resolved] = {}
    for (t, _), e in known.items():
        stored.setdefault(e, _Resolved(e, t, ""))
    by_key: dict[str, list[_Resolved]] = defaultdict(list)  # people per surname key, newest first
    for pid, pname, pkey in people:
        person = stored.setdefault(pid, _Resolved(pid, "PERSON", pname))
        person.name = person.read_name = pname
        by_key[pkey].append(person)
    names: dict[tuple[str, str], _Resolved] = {k: stored[e] for k, e in known.items()}
    new: list[_Resolved] = []
    out: list[_Resolved] = []
    for name, type_, norm, alias_norms, spellings in folded:
        r: _Resolved | None = names.get((type_, norm))
        if r is None and type_ == "PERSON":
            same_key = by_key.get(entity_key(name, type_), [])
            r = next((c for c in same_key if compatible(name, c.name, type_)), None)
        if r is None and type_ != "PERSON":
            r = next((names[(type_, a)] for a in alias_norms if (type_, a) in names), None)
        if r is None:
            r = _Resolved(None, type_, name, first=name, claim=norm)
            new.append(r)
            if type_ == "PERSON":
                by_key[entity_key(name, type_)].insert(0, r)
        for k, n in spellings.items():
            if names.setdefault((type_, k), r) is r and (type_, k) not in known:
                r.names.setdefault(k, n)
        if type_ == "PERSON" and _fuller(name, r.name):
            r.name = name
        out.append(r)

    if new:
        ids = await insert_entities(session, [
            {"type": r.type, "name": r.name, "norm": fold(r.name)[:MAX_NAME],
             "key": entity_key(r.first, r.type)} for r in new])
        for r, i in zip(new, ids, strict=True):
            r.id = i
    added = await add_aliases(session, [(r.id, r.type, k, n) for r in {id(r): r for r in out}.values()
                                        for k, n in r.names.items()])
    lost = [r for r in new if (r.id, r.type, r.claim) not in added]
    if lost:
        await _join_winners(session, lost)
    for _, r in sorted(stored.items()):  # row locks in id order, as any concurrent writer takes them
        if r.read_name is not None and r.name != r.read_name:
            await rename(session, r.id, r.read_name, r.name)
    return [r.id for r in out if r.id is not None]  # every one has its id by now


async def _join_winners(session: AsyncSession, lost: list[_Resolved]) -> None:
    """New entities whose name a concurrent transaction claimed first: drop them (their alias
    rows go with them), use the winners, and give the winners the names the dropped rows had."""
    await session.execute(delete(Entity).where(Entity.id.in_([r.id for r in lost])))
    winners = await find_by_names(session, (r.claim for r in lost))
    for r in lost:
        if (w := winners.get((r.type, r.claim))) is None:  # pragma: no cover - must be visible now
            raise RuntimeError(f"entity name {r.claim!r} claimed but not found")
        r.id = w
    await add_aliases(session, [(r.id, r.type, k, n) for r in lost for k, n in r.names.items()])
    winner_people = [r.id for r in lost if r.type == "PERSON" and r.id is not None]
    current = {i: n for i, n, _ in await find_people(session, (), winner_people)}
    for r in lost:
        if r.id in current and _fuller(r.name, current[r.id]):
            await rename(session, r.id, current[r.id], r.name)


async def insert_entities(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert entities (one batched statement); their ids in the order of `rows`."""
    now = utcnow()
    table = core_table(Entity)
    result = await session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                   [{"created_at": now, **row} for row in rows])
    return [i for (i,) in result]


async def add_aliases(session: AsyncSession,
                      rows: Iterable[tuple[int | None, str, str, str]]) -> set[tuple[int, str, str]]:
    """Add (entity_id, type, norm, name) alias rows where (type, norm) is free (a taken name keeps
    its entity); the (entity_id, type, norm) of the rows added."""
    values = sorted(
        ({"entity_id": e, "type": t, "norm": k, "name": n} for e, t, k, n in rows if e is not None),
        key=lambda v: (v["type"], v["norm"], v["entity_id"]))
    if not values:
        return set()
    table = core_table(EntityAlias)
    stmt = insert_ignore(_dialect(session), table).returning(table.c.entity_id, table.c.type, table.c.norm)
    return {(e, t, k) for e, t, k in await session.execute(stmt, values)}


async def rename(session: AsyncSession, entity_id: int | None, current: str, name: str) -> None:
    """Make `name` the canonical name, conditional on the name read (two concurrent upgrades
    cannot interleave: the second finds the name changed and does nothing)."""
    await session.execute(update(Entity).where(Entity.id == entity_id, Entity.name == current)
                          .values(name=name, norm=fold(name)[:MAX_NAME]))


async def add_roles(session: AsyncSession, rows: Iterable[tuple[int, str]]) -> None:
    """Add (entity_id, role) rows, ignoring those already recorded."""
    values = sorted({(e, r.strip()[:300]) for e, r in rows if r and r.strip()})
    if values:
        await session.execute(insert_ignore(_dialect(session), core_table(EntityRole)),
                              [{"entity_id": e, "role": r} for e, r in values])


async def add_mentions(session: AsyncSession, article_id: int,
                       rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Add an article's mentions as (entity_id, span) pairs, in one batched statement."""
    values = [{"article_id": article_id, "entity_id": e, "start": int(s["start"]), "end": int(s["end"]),
               "text": str(s["text"])} for e, s in rows]
    if values:
        await session.execute(insert(core_table(Mention)), values)


async def ids_for_ref(session: Reader, ref: str) -> list[int]:
    """Entity ids a filter value names: a numeric id, or a name matched on any stored alias."""
    ref = ref.strip()
    if ref.isdigit():
        return [int(ref)] if int(ref) <= ID_MAX else []
    norm = fold(ref)
    if not norm:
        return []
    rows = await session.execute(_BY_ALIAS, {"norm": norm})
    return [r for (r,) in rows]


def entity_of(dialect: str, ref: Any, label: str | None = None) -> Any:
    """The entity `ref` names (a column holding an entity id, or a parameter) as `json_rows` of
    [id, name, type], a subquery labelled `label` (default `<ref>_entity`): a list row's entity
    within the page's one query, one index lookup."""
    ent = Entity.__table__.c
    return (select(json_rows(dialect, ent.id, ent.name, ent.type)).where(ent.id == ref)
            .scalar_subquery().label(label or f"{ref.key}_entity"))


# built once: `Database.read` compiles each statement once (app/core/database.py)
_BY_ALIAS = select(EntityAlias.entity_id).where(EntityAlias.norm == bindparam("norm")).distinct()


async def get(session: AsyncSession, entity_id: int) -> Entity | None:
    return await session.get(Entity, entity_id)


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


async def delete_mentions(session: AsyncSession, article_id: int) -> set[int]:
    """Remove an article's mentions; the entities they named (which may now be orphans)."""
    rows = await session.execute(delete(Mention).where(Mention.article_id == article_id)
                                 .returning(Mention.entity_id))
    return {e for (e,) in rows}
