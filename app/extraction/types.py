"""The extraction result as typed objects, serialised to the JSON contract.

The contract is `shared/docs/extraction-json.md`: one shape for the API, the batch command and
the scorers. Stages fill a `Context`; only `to_dict` decides field names, so a rename happens in
one place.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from spacy.tokens import Doc

ClaimKind = Literal["direct", "indirect", "mixed"]
SourceKind = Literal["person", "organization", "media", "anonymous", "unknown"]
EventStatus = Literal["occurred", "ongoing", "scheduled", "planned", "expected", "cancelled", "uncertain"]
TimexType = Literal["DATE", "TIME", "DURATION", "SET"]


@dataclass(slots=True)
class Span:
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Span:
        """A span whose text is read from the document, so `text[start:end] == span.text` holds."""
        return cls(start, end, text[start:end])

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(slots=True)
class Cue(Span):
    lemma: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "lemma": self.lemma}


@dataclass(slots=True)
class Source(Span):
    """Who a claim is attributed to: the span in the text plus what it resolves to."""

    entity: str | None = None
    name: str | None = None
    kind: SourceKind = "unknown"
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "entity": self.entity,
                "name": self.name, "kind": self.kind, "role": self.role}


@dataclass(slots=True)
class Entity:
    id: str
    name: str
    type: str  # PERSON, ORG, GPE, LOC, NORP, FAC, MEDIA ...
    aliases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    mentions: list[Span] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "aliases": list(self.aliases),
                "roles": list(self.roles), "mentions": [m.to_dict() for m in self.mentions]}


@dataclass(slots=True)
class Timex:
    id: str
    start: int
    end: int
    text: str
    type: TimexType
    value: str | None
    anchor: str | None = None  # "published_at", another timex id, an event id, or None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "start": self.start, "end": self.end, "text": self.text,
                "type": self.type, "value": self.value, "anchor": self.anchor}


@dataclass(slots=True)
class DateRef:
    value: str | None
    timex: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "timex": self.timex}


@dataclass(slots=True)
class Claim:
    id: str
    kind: ClaimKind
    content: Span
    cue: Cue | None
    source: Source | None
    via: Source | None = None
    said_on: DateRef | None = None
    confidence: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "content": self.content.to_dict(),
                "cue": self.cue.to_dict() if self.cue else None,
                "source": self.source.to_dict() if self.source else None,
                "via": self.via.to_dict() if self.via else None,
                "said_on": self.said_on.to_dict() if self.said_on else None,
                "confidence": round(self.confidence, 3)}


@dataclass(slots=True)
class Event:
    id: str
    trigger: Span
    type: str
    summary: str
    status: EventStatus
    date: DateRef | None = None
    place: str | None = None
    participants: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    mentions: list[Span] = field(default_factory=list)  # every trigger after coreference, first = trigger

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "trigger": self.trigger.to_dict(), "type": self.type,
                "summary": self.summary, "date": self.date.to_dict() if self.date else None,
                "place": self.place, "participants": list(self.participants),
                "status": self.status, "claims": list(self.claims),
                "mentions": [m.to_dict() for m in self.mentions]}


# string hash -> string, shared by all documents of the process (hashes are fixed per string)
_STRINGS: dict[int, str] = {}
_STRINGS_MAX = 500_000


def hash_strings(doc: Doc, *columns: list[int]) -> list[list[str]]:
    """Columns of string hashes (`Doc.to_array`) as strings: one `StringStore` look-up per string
    the process has not seen yet, shared by every stage and document."""
    # a membership test per distinct hash: `set - dict.keys()` would walk the whole cache
    missing = [h for h in set().union(*columns) if h not in _STRINGS]
    if missing:
        strings = doc.vocab.strings
        for h in missing:
            _STRINGS[h] = strings[h]
    get = _STRINGS.__getitem__
    out = [list(map(get, col)) for col in columns]
    if len(_STRINGS) > _STRINGS_MAX:  # bounded for a long-running worker; refilled as needed
        _STRINGS.clear()
    return out


@dataclass(slots=True)
class Tokens:
    """Per-token attributes of a parsed document, read once into plain lists.

    Creating a spaCy `Token` (`doc[i]`, iterating a doc or span) costs about a microsecond, and
    `Doc.sents` / `Token.sent` build `Span` objects on every call; stages that scan every token
    read these lists instead (one `Doc.to_array` call per document, shared through `Context`).
    """

    idx: list[int]  # character offset of each token
    text: list[str]
    lower: list[str]
    pos: list[str]
    dep: list[str]
    head: list[int]  # index of the syntactic head (a root is its own head)
    sent_starts: list[int]  # first token of each sentence, ascending (`Doc.sents`' boundaries)
    space: list[int]  # 1 when a space follows the token (`Token.whitespace_`)

    @classmethod
    def of(cls, doc: Doc) -> Tokens:
        from spacy.attrs import DEP, HEAD, IDX, LOWER, ORTH, POS, SENT_START, SPACY

        if not len(doc):
            return cls([], [], [], [], [], [], [], [])
        arr = doc.to_array([ORTH, LOWER, POS, DEP, IDX, SENT_START, SPACY, HEAD])
        orth, lower, pos, dep, idx, flags, space = arr[:, :7].T.tolist()
        head = [i + d for i, d in enumerate(arr[:, 7].astype("int64").tolist())]  # HEAD is relative
        text, low, tags, deps = hash_strings(doc, orth, lower, pos, dep)
        # SENT_START is 1 at a sentence start (-1 elsewhere, read as a large unsigned number)
        starts = [0] + [i for i, f in enumerate(flags) if i and f == 1]
        return cls(idx, text, low, tags, deps, head, starts, space)

    def sent_start(self, i: int) -> int:
        """The first token of the sentence holding token i (`doc[i].sent.start`)."""
        return self.sent_starts[bisect_right(self.sent_starts, i) - 1]

    def sent_bounds(self, i: int) -> tuple[int, int]:
        """(start, end) tokens of the sentence holding token i (`doc[i].sent`)."""
        k = bisect_right(self.sent_starts, i)
        end = self.sent_starts[k] if k < len(self.sent_starts) else len(self.idx)
        return self.sent_starts[k - 1], end


@dataclass
class Context:
    """Everything one article's stages share: the parsed doc and what earlier stages found.

    Stage order is fixed (entities, timexes, claims, events) so each stage may read the ones
    before it; see `pipeline.STAGES`.
    """

    doc: Doc
    published_at: date | None
    doc_id: str | None = None
    entities: Any = None  # entities.EntityTable; typed loosely to keep this module import-light
    timexes: list[Timex] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        """The document text, joined once from the token columns (`Doc.text` joins the same
        strings through a `Token` per token, on each call)."""
        toks = self.tokens
        return "".join([t + " " if w else t for t, w in zip(toks.text, toks.space, strict=True)])

    @cached_property
    def tokens(self) -> Tokens:
        """The document's tokens as plain lists, read once and shared by the stages."""
        return Tokens.of(self.doc)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.doc_id,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "claims": [c.to_dict() for c in self.claims],
            "entities": [e.to_dict() for e in self.entities.entities] if self.entities else [],
            "timexes": [t.to_dict() for t in self.timexes],
            "events": [e.to_dict() for e in self.events],
        }
