"""Claims: storing a document's claims against stored entities, and the filtered list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database, Reader, Reading, json_rows_of
from app.core.pagination import DateRange, Page, PageParams, page_json
from app.entities import repository as entities_repo
from app.events.dates import day_of

from . import repository as repo
from .schemas import ClaimOut, ClaimQuery

CLAIM_PAGE = Page[ClaimOut]


@dataclass(frozen=True)
class ClaimFilters:
    """The claim list's query parameters, as given (entity filters by id or by name)."""

    speaker: str | None = None
    about: str | None = None
    entity: str | None = None
    kind: str | None = None
    q: str | None = None
    article_id: int | None = None


def claim_filters(query: ClaimQuery) -> ClaimFilters:
    return ClaimFilters(query.speaker, query.about, query.entity, query.kind, query.q, query.article_id)


def _span(d: dict[str, Any] | None, key: str) -> Any:
    return None if not d else d.get(key)


def _inside(mention: dict[str, Any], start: int, end: int) -> bool:
    return start <= int(mention["start"]) and int(mention["end"]) <= end


async def store_document_claims(
    session: AsyncSession,
    article_id: int,
    published_on: date | None,
    doc: dict[str, Any],
    entity_ids: dict[str, int],
) -> dict[str, int]:
    """Store the document's claims (one batched INSERT per table); adds `stored_id` to each,
    returns {document id: stored id}."""
    ids: dict[str, int] = {}
    claims: list[dict[str, Any]] = doc.get("claims") or []
    rows: list[dict[str, Any]] = []
    abouts: list[list[int]] = []
    for c in claims:
        content, cue = c.get("content") or {}, c.get("cue")
        source, via, said = c.get("source"), c.get("via"), c.get("said_on") or {}
        start, end = int(content.get("start", 0)), int(content.get("end", 0))
        speaker = entity_ids.get(str(_span(source, "entity")))
        about = [
            entity_ids[str(e["id"])]
            for e in doc.get("entities") or []
            if str(e.get("id")) in entity_ids and any(_inside(m, start, end) for m in e.get("mentions") or [])
        ]
        said_value = said.get("value")
        said_day = day_of(said_value)
        row = {
            "article_id": article_id,
            "local_id": str(c.get("id") or ""),
            "kind": str(c.get("kind") or ""),
            "content_start": start,
            "content_end": end,
            "content_text": str(content.get("text") or ""),
            "cue_start": _span(cue, "start"),
            "cue_end": _span(cue, "end"),
            "cue_text": _span(cue, "text"),
            "cue_lemma": (_span(cue, "lemma") or "")[:64] or None,  # the column is VARCHAR(64)
            "speaker_id": speaker,
            "source_start": _span(source, "start"),
            "source_end": _span(source, "end"),
            "source_text": _span(source, "text"),
            "source_name": _span(source, "name"),
            "source_kind": _span(source, "kind"),
            "source_role": _span(source, "role"),
            "via_id": entity_ids.get(str(_span(via, "entity"))),
            "via_text": _span(via, "text"),
            "via_name": _span(via, "name"),
            "via_kind": _span(via, "kind"),
            "said_on_value": said_value,
            "said_on": said_day,
            "claim_date": said_day or published_on,
            "confidence": float(c.get("confidence") or 0.0),
        }
        rows.append(row)
        abouts.append(about)
    stored = await repo.insert_many(session, rows, abouts)
    for c, row, claim_id in zip(claims, rows, stored, strict=True):
        source, via = c.get("source"), c.get("via")
        c["stored_id"] = claim_id
        if source and row["speaker_id"] is not None:
            source["entity_id"] = row["speaker_id"]
        if via and row["via_id"] is not None:
            via["entity_id"] = row["via_id"]
        ids[str(c.get("id"))] = claim_id
    return ids


def entity_refs(column: str | None) -> list[dict[str, Any]]:
    """A `json_rows` column of [id, name, type] as `EntityRef`s (by id)."""
    return [{"id": i, "name": n, "type": t} for i, n, t in json_rows_of(column)]


def entity_ref(entity: str | None) -> dict[str, Any] | None:
    """An entity column (`json_rows` of one [id, name, type], or none) as `EntityRef`."""
    refs = entity_refs(entity)
    return refs[0] if refs else None


def describe(claims: Sequence[Any]) -> list[dict[str, Any]]:
    """Claim rows (`repository.list_claims`) as dicts of exactly `ClaimOut`'s shape (every
    field, in its order, so that they serialise as the model would without being validated)."""
    out = []
    speakers: dict[str | None, dict[str, Any] | None] = {}  # (a speaker's page: one entity, read once)
    for (id_, article_id, local_id, kind, content_start, content_end, content_text, cue_start, cue_end,
         cue_text, cue_lemma, speaker_id, source_start, source_end, source_text, source_name, source_kind,
         source_role, via_id, via_text, via_name, via_kind, said_on_value, said_on, claim_date,
         confidence, speaker, via_entity, about) in claims:
        source = via = cue = None
        if source_text is not None or speaker_id is not None:
            source = {"text": source_text, "start": source_start, "end": source_end, "name": source_name,
                      "kind": source_kind, "role": source_role,
                      "entity": speakers[speaker] if speaker in speakers
                      else speakers.setdefault(speaker, entity_ref(speaker))}
        if via_text is not None or via_id is not None:
            via = {"text": via_text, "start": None, "end": None, "name": via_name, "kind": via_kind,
                   "role": None, "entity": entity_ref(via_entity)}
        if cue_start is not None and cue_end is not None:
            cue = {"start": cue_start, "end": cue_end, "text": cue_text or "", "lemma": cue_lemma}
        out.append({
            "id": id_,
            "article_id": article_id,
            "local_id": local_id,
            "kind": kind,
            "content": {"start": content_start, "end": content_end, "text": content_text},
            "cue": cue,
            "source": source,
            "via": via,
            "said_on": {"value": said_on_value, "date": said_on} if said_on_value else None,
            "claim_date": claim_date,
            "confidence": float(confidence),
            "about": entity_refs(about),
        })
    return out


async def resolve_ref(session: Reader, ref: str | None) -> list[int] | None:
    """A filter's entity reference as ids (None: no filter; []: names nothing, so no results)."""
    return None if ref is None else await entities_repo.ids_for_ref(session, ref)


class ClaimService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def items(self, f: ClaimFilters, dates: DateRange, page: PageParams
                    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page: `ClaimOut`-shaped dicts and the next cursor."""

        async def work(conn: Reading) -> tuple[list[dict[str, Any]], str | None]:
            query = repo.ClaimQuery(
                speaker=await resolve_ref(conn, f.speaker),
                about=await resolve_ref(conn, f.about),
                entity=await resolve_ref(conn, f.entity),
                kind=f.kind,
                start=dates.start,
                end=dates.end,
                q=f.q,
                article_id=f.article_id,
            )
            rows, nxt = await repo.list_claims(conn, query, page)
            return describe(rows), nxt

        return await self.db.read(work)

    async def list(self, f: ClaimFilters, dates: DateRange, page: PageParams) -> Page[ClaimOut]:
        items, nxt = await self.items(f, dates, page)
        # one validation of the whole page (pydantic-core)
        return CLAIM_PAGE.model_validate({"items": items, "next": nxt, "limit": page.limit})

    async def list_json(self, f: ClaimFilters, dates: DateRange, page: PageParams) -> bytes:
        """The page as `list` would serialise it, without building and validating the models."""
        items, nxt = await self.items(f, dates, page)
        return page_json(items, nxt, page.limit)
