"""Document entities: people, organisations, places and groups with their mentions.

Starting point: spaCy's NER, grouped by name (a surname-only mention joins the full name that
contains it). Later stages use the `EntityTable` API (`at`, `add_mention`, `antecedent`) rather
than reaching into spaCy, so the entity logic can deepen without touching them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .types import Context, Entity, Span

NER_TYPES = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}


class EntityTable:
    """The entities of one document, with lookups by character offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.entities: list[Entity] = []
        self._by_key: dict[tuple[str, str], Entity] = {}

    def get(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)

    def at(self, start: int, end: int) -> Entity | None:
        """The entity with a mention overlapping [start, end), the longest overlap first."""
        best, best_overlap = None, 0
        for ent in self.entities:
            for m in ent.mentions:
                overlap = min(end, m.end) - max(start, m.start)
                if overlap > best_overlap:
                    best, best_overlap = ent, overlap
        return best

    def antecedent(self, offset: int, types: Iterable[str] = ("PERSON",)) -> Entity | None:
        """The entity of the closest mention ending at or before `offset` (pronoun resolution)."""
        wanted, best, best_end = set(types), None, -1
        for ent in self.entities:
            if ent.type not in wanted:
                continue
            for m in ent.mentions:
                if best_end < m.end <= offset:
                    best, best_end = ent, m.end
        return best

    def add_mention(self, name: str, type_: str, start: int, end: int) -> Entity:
        """Record a mention, joining an existing entity with a compatible name or creating one."""
        span = Span.of(self.text, start, end)
        ent = self._find(name, type_)
        if ent is None:
            ent = Entity(id=f"e{len(self.entities) + 1}", name=name, type=type_)
            self.entities.append(ent)
        elif len(name) > len(ent.name) and type_ == "PERSON":
            if ent.name not in ent.aliases:
                ent.aliases.append(ent.name)
            ent.name = name
        if name != ent.name and name not in ent.aliases:
            ent.aliases.append(name)
        if not any(m.start == start and m.end == end for m in ent.mentions):
            ent.mentions.append(span)
            ent.mentions.sort(key=lambda m: m.start)
        self._by_key[(type_, name.lower())] = ent
        return ent

    def _find(self, name: str, type_: str) -> Entity | None:
        hit = self._by_key.get((type_, name.lower()))
        if hit is not None or type_ != "PERSON":
            return hit
        parts = name.lower().split()
        for ent in self.entities:
            if ent.type != "PERSON":
                continue
            other = ent.name.lower().split()
            if parts and other and parts[-1] == other[-1] and (len(parts) == 1 or len(other) == 1):
                return ent
        return None


def annotate(ctx: Context) -> None:
    """Stage 1: fill `ctx.entities` from the parse."""
    table = EntityTable(ctx.text)
    for ent in ctx.doc.ents:
        if ent.label_ in NER_TYPES:
            name = ent.text.strip()
            if name.lower().startswith("the "):
                name = name[4:]
            table.add_mention(name, ent.label_, ent.start_char, ent.end_char)
    ctx.entities = table
