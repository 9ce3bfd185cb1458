"""Hand-made extraction documents (the contract shape) with offsets computed from the text."""

from __future__ import annotations

import random
import string
from typing import Any


def uniq(prefix: str = "") -> str:
    """A fresh capitalised word, so names and texts never collide between tests."""
    return (
        prefix + random.choice(string.ascii_uppercase) + "".join(random.choices(string.ascii_lowercase, k=7))
    )


class Doc:
    def __init__(self, text: str, published_at: str | None = None) -> None:
        self.text = text
        self.published_at = published_at
        self.entities: list[dict[str, Any]] = []
        self.claims: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.timexes: list[dict[str, Any]] = []

    def span(self, sub: str, nth: int = 0) -> dict[str, Any]:
        start = -1
        for _ in range(nth + 1):
            start = self.text.index(sub, start + 1)
        return {"start": start, "end": start + len(sub), "text": sub}

    def entity(
        self,
        name: str,
        type_: str = "PERSON",
        mentions: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> str:
        eid = f"e{len(self.entities) + 1}"
        spans = [self.span(m) for m in (mentions or (name,))]
        self.entities.append(
            {
                "id": eid,
                "name": name,
                "type": type_,
                "aliases": list(aliases),
                "roles": list(roles),
                "mentions": spans,
            }
        )
        return eid

    def claim(
        self,
        content: str,
        speaker: str | None = None,
        source_text: str | None = None,
        cue: str | None = "said",
        kind: str = "indirect",
        said_on: str | None = None,
        via: str | None = None,
        confidence: float = 0.9,
    ) -> str:
        cid = f"c{len(self.claims) + 1}"
        ent = next((e for e in self.entities if e["id"] == speaker), None)
        source = None
        if ent is not None or source_text:
            s = self.span(source_text or ent["mentions"][0]["text"])  # type: ignore[index]
            source = {
                **s,
                "entity": speaker,
                "name": ent["name"] if ent else None,
                "kind": "person" if ent and ent["type"] == "PERSON" else "anonymous",
                "role": None,
            }
        via_ent = next((e for e in self.entities if e["id"] == via), None)
        via_doc = None
        if via_ent is not None:
            via_doc = {
                **via_ent["mentions"][0],
                "entity": via,
                "name": via_ent["name"],
                "kind": "media",
                "role": None,
            }
        self.claims.append(
            {
                "id": cid,
                "kind": kind,
                "content": self.span(content),
                "cue": {**self.span(cue), "lemma": cue} if cue else None,
                "source": source,
                "via": via_doc,
                "said_on": {"value": said_on, "timex": None} if said_on else None,
                "confidence": confidence,
            }
        )
        return cid

    def event(
        self,
        trigger: str,
        type_: str = "meeting",
        date: str | None = None,
        place: str | None = None,
        participants: tuple[str, ...] = (),
        status: str = "occurred",
        claims: tuple[str, ...] = (),
        summary: str | None = None,
    ) -> str:
        vid = f"v{len(self.events) + 1}"
        self.events.append(
            {
                "id": vid,
                "trigger": self.span(trigger),
                "type": type_,
                "summary": summary or f"{type_} {trigger}",
                "date": {"value": date, "timex": None} if date else None,
                "place": place,
                "participants": list(participants),
                "status": status,
                "claims": list(claims),
            }
        )
        return vid

    def build(self) -> dict[str, Any]:
        """The document, with the text under `_text` for the `store` fixture."""
        return {
            "_text": self.text,
            "id": None,
            "published_at": self.published_at,
            "claims": self.claims,
            "entities": self.entities,
            "timexes": self.timexes,
            "events": self.events,
        }


async def every_item(client: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following `next` cursors page by page."""
    got: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (await client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})).json()
        got += page["items"]
        cursor = page["next"]
        if not cursor:
            return got
