"""Dated events: triggers, type, date, place, participants, status and the claims reporting them.

An event is something that happened, is happening or is planned. Each trigger word from
`data/event_triggers.tsv` (noun or verb, with conditions that keep generic senses out) is a
*mention*; mentions are merged into events in text order, so "send X to Miami for talks. These
talks are scheduled for December 20, and X will meet Y" is one event with every trigger in
`Event.mentions`. The model and statuses are documented in `docs/events.md`.

For each mention:
- participants: subject/object of a verb trigger, "with/between/among X", a possessive or
  compound ("Dmitriev's visit", "US-Ukraine talks"), the arguments of a governing verb listed in
  `data/event_governors.tsv` ("send X for talks"), titles resolved through their appositions
  ("the US special envoy Steve Witkoff") and pronouns through `EntityTable.antecedent`;
- place: a place entity after "in/at" on the trigger or its verb, "to" after verbs of motion,
  a place that hosts ("the United States will host talks");
- date: a DATE/TIME timex attached to the trigger or its verb chain, else one elsewhere in the
  sentence unless it dates a reporting verb ("wrote Axios on December 17") or another event;
- status: from `data/event_status_cues.tsv` (governing verbs, auxiliaries, hedges, the trigger's
  modifiers) and then tense; a negated plan ("no plans for a meeting") is no event.

Merging: an anaphoric mention ("these talks") joins the most recent event of its type; a bare
definite one ("the talks") joins it or is dropped; any other mention joins the most recent event
of the same type family with positive evidence (same date, same place, a shared person, or
participants that are the same countries) and no conflict (different date, place, or a past
status against a future one). Everything is indexed by token, so the stage is linear.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from .entities import EntityTable
from .lexicon import cue_types, demonyms, event_governors, event_status_cues, event_triggers, titles
from .types import Context, DateRef, Entity, Event, EventStatus, Span, Timex

PARTICIPANT_TYPES = {"PERSON", "ORG", "GPE", "NORP", "MEDIA"}
PLACE_TYPES = {"GPE", "LOC", "FAC"}
FAMILY = {"visit": "meeting"}  # types that may name one event ("talks" ... "his visit")
FUTURE = {"scheduled", "planned", "expected"}
SPEECH_CUES = {"speech", "report", "claim", "announce", "deny", "warn", "question", "source"}
ANAPHORS = {"these", "this", "those", "that", "such"}
WINDOW = 15  # sentences within which a non-anaphoric mention may join an earlier event
NEAR = 4  # ... and within which shared countries alone are enough evidence
# Status strength when mentions of one event disagree: explicit statements beat hedges.
PRIORITY: dict[str, int] = {"cancelled": 7, "occurred": 6, "scheduled": 5, "ongoing": 4,
                            "planned": 3, "expected": 2, "uncertain": 1}
_SUMMARY_PREP = {"meeting": "between", "call": "between", "visit": "by", "attack": "by"}


@dataclass
class _Mention:
    tok: Token
    type: str
    label: str
    sent: int
    participants: list[str]
    place: str | None
    date: Timex | None
    status: str | None
    anaphor: str  # "strong", "weak" or ""
    negated: bool = False
    relative: tuple[Timex, str, int] | None = None
    verb: Token | None = None


@dataclass
class _Event:
    type: str
    mentions: list[_Mention] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    place: str | None = None
    date: Timex | None = None
    statuses: list[str] = field(default_factory=list)
    last_sent: int = 0
    relative: tuple[Timex, str, int] | None = None  # (duration, before|after, governing token)
    relative_to: _Event | None = None


class _Index:
    """Token-level views of the earlier stages' output."""

    def __init__(self, ctx: Context) -> None:
        doc = ctx.doc
        self.doc = doc
        self.table: EntityTable | None = ctx.entities
        self.ent: list[Entity | None] = [None] * len(doc)
        self.timex: dict[int, Timex] = {}
        self.duration: dict[int, Timex] = {}
        self.tokens = toks = ctx.tokens  # plain lists: no Token objects for the full scans
        self.line = [0] * len(doc)
        line = 0
        for i, word in enumerate(toks.text):  # (a token's trailing whitespace is one space at most)
            self.line[i] = line
            line += word.count("\n")
        if self.table is not None:
            for e in self.table.entities:
                for m in e.mentions:
                    span = doc.char_span(m.start, m.end, alignment_mode="expand")
                    if span is not None:
                        for k in range(span.start, span.end):
                            cur = self.ent[k]
                            if cur is None or cur.type in ("NORP", "GPE") and e.type == "PERSON":
                                self.ent[k] = e
        for t in ctx.timexes:
            span = doc.char_span(t.start, t.end, alignment_mode="expand")
            if span is not None:
                (self.timex if t.type in ("DATE", "TIME") else self.duration)[span.root.i] = t
        self.sent_of = [0] * len(doc)
        bounds = [*toks.sent_starts, len(doc)]
        for n in range(len(bounds) - 1):
            for k in range(bounds[n], bounds[n + 1]):
                self.sent_of[k] = n


def _trigger(tok: Token) -> tuple[str, str, set[str]] | None:
    """(type, label, conditions left for after argument search) when the token is a trigger."""
    pos = "VERB" if tok.pos_ in ("VERB", "AUX") else tok.pos_
    hit = event_triggers().get((tok.lemma_.lower(), pos))
    if hit is None or (pos == "NOUN" and tok.dep_ in ("compound", "nmod")):
        return None
    type_, conds, label = hit
    later: set[str] = set()
    for cond in filter(None, conds.split(",")):
        if cond in ("anchored", "placed", "social", "toparty"):
            later.add(cond)
        elif not _holds(tok, cond):
            return None
    return type_, label, later


def _social(tok: Token, idx: _Index) -> bool:
    """Objects of "meet" that are parties: a name, a pronoun, a title ("met the minister")."""
    for obj in _args(tok, ("dobj",)):
        ent = idx.ent[obj.i]
        if not ((ent is not None and ent.type != "NORP") or obj.pos_ == "PRON"
                or titles().get(obj.lemma_.lower()) or titles().get(obj.lower_)):
            return False
    return True


def _party(tok: Token, idx: _Index) -> bool:
    ent = idx.ent[tok.i]
    return (ent is not None and ent.type in ("PERSON", "ORG", "MEDIA")) or tok.pos_ == "PRON" \
        or bool(titles().get(tok.lemma_.lower()) or titles().get(tok.lower_))


def _to_party(tok: Token, idx: _Index) -> bool:
    """"report to the president" / "to Zelenskyy", not "reported figures to the agency"."""
    return any(_party(t, idx) for t in _pobjs(tok, ("to",)))


def _holds(tok: Token, cond: str) -> bool:
    if cond == "plural":
        return tok.tag_ in ("NNS", "NNPS")
    if cond == "singular":
        return tok.tag_ in ("NN", "NNP")
    if cond.startswith("prep:"):
        return any(c.dep_ in ("prep", "dative") and c.lower_ == cond[5:] for c in tok.children)
    if cond == "obj":
        return any(c.dep_ in ("dobj", "dative") for c in tok.children)
    if cond.startswith("mod:"):
        return any(c.lemma_.lower() == cond[4:] for c in tok.children)
    if cond == "noprt":
        return not any(c.dep_ == "prt" for c in tok.children)
    if cond == "active":
        return not any(c.dep_ in ("auxpass", "nsubjpass") for c in tok.children)
    return True


def _is_speech(tok: Token) -> bool:
    return cue_types().get(tok.lemma_.lower(), "") in SPEECH_CUES


def _governor(tok: Token) -> tuple[Token | None, list[Token]]:
    """The nearest verb above a noun trigger (not a reporting verb) and the nouns passed on the way."""
    if tok.pos_ in ("VERB", "AUX"):
        return tok, []
    nouns: list[Token] = []
    node = tok
    for _ in range(6):
        head = node.head
        if head.i == node.i or node.dep_ in ("ccomp", "relcl", "advcl"):
            return None, nouns
        if head.pos_ in ("VERB", "AUX"):
            return (None if _is_speech(head) else head), nouns
        if head.pos_ in ("NOUN", "PROPN"):
            nouns.append(head)
        node = head
    return None, nouns


def _chain(verb: Token | None) -> list[Token]:
    """The verb and the verbs it complements ("planning to send", "expected to inform")."""
    out: list[Token] = []
    while verb is not None and len(out) < 5:
        out.append(verb)
        if verb.dep_ in ("xcomp",) and verb.head.i != verb.i and not _is_speech(verb.head):
            verb = verb.head
        else:
            break
    return out


def _cue_meanings(tok: Token) -> list[str]:
    cues, out = event_status_cues(), []
    for c in tok.children:
        if c.dep_ in ("aux", "auxpass", "neg", "advmod", "amod", "det", "acomp") or c.tag_ == "MD":
            if c.dep_ == "aux" and c.tag_ != "MD" and c.lower_ not in cues:
                continue
            meaning = cues.get(c.lower_) or (cues.get(c.lemma_.lower()) if c.tag_ != "MD" else None)
            if meaning:
                out.append(meaning)
    return out


def _status(tok: Token, verb: Token | None, nouns: list[Token], dated: bool) -> tuple[str | None, bool]:
    """(status or None when the text does not say, negated)."""
    cues = event_status_cues()
    meanings = _cue_meanings(tok)
    for n in nouns:
        meanings += _cue_meanings(n)
        if n.lemma_.lower() in cues and cues[n.lemma_.lower()] not in ("negation",):
            meanings.append(cues[n.lemma_.lower()])
    chain = _chain(verb)
    for k, v in enumerate(chain):
        if v.i != tok.i or k > 0:
            lemma = cues.get(v.lemma_.lower())
            if lemma:
                meanings.append(lemma)
        meanings += _cue_meanings(v)
    if "negation" in meanings:
        return None, True
    for status in ("cancelled", "uncertain", "expected", "scheduled", "planned"):
        if status in meanings:
            return status, False
    if "future" in meanings:
        return ("scheduled" if dated else "planned"), False
    if "ongoing" in meanings:
        return "ongoing", False
    if chain and not nouns:  # tense speaks for a direct argument only, not "X for the Y at a rally"
        v = chain[0]
        if v.tag_ == "VB" and len(chain) > 1:  # "began discussing", not "agreed to meet"
            if cues.get(chain[1].lemma_.lower()) != "aspect":
                return None, False
            v = chain[1]
        elif v.tag_ == "VBG" and v.dep_ == "xcomp" and len(chain) > 1 \
                and cues.get(chain[1].lemma_.lower()) == "aspect":
            v = chain[1]
        auxes = {c.lower_ for c in v.children if c.dep_ in ("aux", "auxpass")}
        if v.tag_ == "VBD" or (v.tag_ == "VBN" and (auxes & {"has", "have", "had", "was", "were"}
                                                    or v.dep_ in ("acl", "amod"))):
            return "occurred", False
        if v.tag_ == "VBG" and auxes & {"is", "are", "am", "been", "'re", "'s"}:
            return "ongoing", False
        if v.tag_ == "VBG" and auxes & {"was", "were"}:
            return "occurred", False
    return None, False


def _entities_of(tok: Token, idx: _Index) -> list[Entity]:
    """Entities a participant token stands for: itself, a pronoun's antecedent, a title's
    apposition ("the envoy Steve Witkoff"), or the names modifying a common noun ("U.S. officials")."""
    ent = idx.ent[tok.i]
    if ent is not None:
        return [ent]
    if tok.pos_ == "PRON" and idx.table is not None and tok.lower_ in ("he", "she", "him", "her", "his"):
        found = idx.table.antecedent(tok.idx, ("PERSON",))
        return [found] if found else []
    out: list[Entity] = []
    named = [e for c in tok.children if c.dep_ == "appos" and not _possessor(c)
             and (e := idx.ent[c.i]) is not None and e.type == "PERSON"]
    if named:  # "the US special envoy Steve Witkoff": the person, not the country
        return named
    for c in tok.children:
        if c.dep_ in ("compound", "nmod") or (c.dep_ == "amod" and idx.ent[c.i] is not None):
            for t in (c, *_conjuncts(c)):
                e = idx.ent[t.i]
                if e is not None and e not in out and not _possessor(t) \
                        and idx.line[t.i] == idx.line[tok.i]:
                    out.append(e)
    return out


def _same_line(t: Token, tok: Token, idx: _Index) -> Token | None:
    """`t`, or the named word of its phrase on the trigger's line: a caption run into the
    sentence ("report to Zelenskyy\n\nRustem Umerov (Photo: ...)") is not an argument."""
    if idx.line[t.i] == idx.line[tok.i]:
        return t
    return next((c for c in t.subtree if idx.line[c.i] == idx.line[tok.i] and idx.ent[c.i] is not None),
                None)


def _possessor(tok: Token) -> bool:
    """"Trump" in "Trump's son-in-law": a modifier, not a participant."""
    return tok.dep_ == "poss" or any(c.tag_ == "POS" for c in tok.children)


def _conjuncts(tok: Token) -> list[Token]:
    out: list[Token] = []
    stack = [tok]
    while stack and len(out) < 12:
        t = stack.pop()
        for c in t.children:
            if c.dep_ == "conj":
                out.append(c)
                stack.append(c)
    return out


def _args(tok: Token, deps: tuple[str, ...]) -> list[Token]:
    out: list[Token] = []
    for c in tok.children:
        if c.dep_ in deps:
            out += [c, *_conjuncts(c)]
    return out


def _pobjs(tok: Token, preps: tuple[str, ...]) -> list[Token]:
    out: list[Token] = []
    for c in tok.children:
        if c.dep_ in ("prep", "dative") and c.lower_ in preps:
            out += _args(c, ("pobj",))
    return out


def _argument_of(tok: Token, verb: Token) -> bool:
    """Whether a noun is what the verb is about: "hold talks", "send X for talks", "take part in
    talks" — not "the diplomacy he began after the invasion"."""
    if tok.head.i == verb.i:
        return tok.dep_ in ("dobj", "nsubj", "nsubjpass", "attr")
    head = tok.head
    return tok.dep_ == "pobj" and head.head.i == verb.i and head.lower_ in ("for", "in", "into", "to")


def _participants(tok: Token, type_: str, verb: Token | None, idx: _Index) -> list[str]:
    toks: list[Token] = []
    preps = ("with", "between", "among", "to") if type_ == "briefing" else ("with", "between", "among")
    if tok.pos_ in ("VERB", "AUX"):
        toks += _args(tok, ("nsubj", "dobj"))
        if tok.dep_ == "xcomp" and not any(c.dep_ == "nsubj" for c in tok.children):
            toks += _args(tok.head, ("nsubj",))  # "X began discussing it with Y"
        toks += _pobjs(tok, preps)
    else:
        toks += _args(tok, ("poss", "compound", "nmod"))
        toks += _pobjs(tok, preps)
        if verb is not None and _argument_of(tok, verb):
            roles = event_governors().get(verb.lemma_.lower(), frozenset())
            if "subj" in roles:
                toks += [t for t in _args(verb, ("nsubj",)) if t.i != tok.i]
            if "obj" in roles:
                toks += [t for t in _args(verb, ("dobj",)) if t.i != tok.i]
    out: list[str] = []
    for t in toks:
        if t.dep_ != "poss" and _possessor(t):
            continue
        if t.dep_ in ("compound", "nmod") and type_ != "meeting":
            continue  # "the Atlanta clinic bombing": a place, read by `_place`
        on_line = _same_line(t, tok, idx)
        if on_line is None:
            continue
        for e in _entities_of(on_line, idx):
            if e.type in PARTICIPANT_TYPES and e.id not in out:
                out.append(e.id)
    return out


def _place(tok: Token, type_: str, verb: Token | None, idx: _Index) -> str | None:
    cands: list[Token] = _pobjs(tok, ("in", "at"))
    if tok.pos_ == "NOUN" and type_ != "meeting":
        cands += _args(tok, ("compound", "nmod"))
    if type_ in ("visit", "attack"):
        cands += _pobjs(tok, ("to",) if type_ == "visit" else ("on", "of"))
        if tok.pos_ == "VERB":
            cands += _args(tok, ("dobj",))
    if tok.pos_ == "VERB":  # "met Scholz in Paris": the parser often hangs it on the object
        for obj in _args(tok, ("dobj",)):
            cands += _pobjs(obj, ("in", "at"))
    if verb is not None:
        roles = event_governors().get(verb.lemma_.lower(), frozenset())
        if verb.i != tok.i and not _argument_of(tok, verb):
            roles = frozenset()
        for v in _chain(verb):  # "scheduled to resume in Oslo", "expected to meet in Vienna"
            if v.i != tok.i:
                cands += _pobjs(v, ("in", "at"))
            for x in v.children:
                if x.dep_ == "xcomp" and x.i != tok.i:
                    cands += _pobjs(x, ("in", "at"))
        if "dest" in roles:
            cands += _pobjs(verb, ("to",))
        if "place" in roles:
            cands += [t for t in _args(verb, ("nsubj",)) if t.i != tok.i]
    for t in cands:
        e = idx.ent[t.i]
        if e is not None and e.type in PLACE_TYPES and idx.line[t.i] == idx.line[tok.i]:
            return e.id
    return None


def _timex_head(doc: Doc, t: Timex) -> Token | None:
    span = doc.char_span(t.start, t.end, alignment_mode="expand")
    if span is None:
        return None
    head = span.root.head
    while head.pos_ == "ADP" and head.head.i != head.i:
        head = head.head
    return head


def _date(tok: Token, verb: Token | None, idx: _Index,
          trigger_tokens: set[int]) -> tuple[Timex | None, bool]:
    """The event's timex and whether it is attached to the trigger or its verbs."""
    cluster = {tok.i}
    for v in _chain(verb):
        cluster.add(v.i)
        cluster.update(c.i for c in v.children if c.dep_ == "xcomp")
    fallback: Timex | None = None
    for k in range(*idx.tokens.sent_bounds(tok.i)):
        t = idx.timex.get(k)
        if t is None:
            continue
        head = _timex_head(idx.doc, t)
        if head is None:
            continue
        if head.i in cluster:
            return t, True
        if fallback is None and not _is_speech(head) and head.i not in trigger_tokens:
            fallback = t
    return fallback, False


def _relative(tok: Token, idx: _Index) -> tuple[Timex, str, int] | None:
    """"Y came two weeks after X met": X is dated relative to Y (duration, before|after, Y)."""
    if tok.dep_ != "advcl":
        return None
    mark = next((c.lower_ for c in tok.children if c.dep_ == "mark" and c.lower_ in ("after", "before")),
                None)
    if mark is None:
        return None
    for c in tok.children:
        for t in c.subtree:
            d = idx.duration.get(t.i)
            if d is not None:
                return d, ("before" if mark == "after" else "after"), tok.head.i
    return None


def _anaphor(tok: Token, has_args: bool) -> str:
    if tok.pos_ != "NOUN":
        return ""
    dets = {c.lower_ for c in tok.children if c.dep_ == "det"}
    if dets & ANAPHORS or any(c.lower_ == "same" for c in tok.children):
        return "strong"
    if "the" in dets and not has_args:
        return "weak"
    return ""


def _latest(recent: dict[int, _Event], sent: int, reach: int) -> Iterator[_Event]:
    """Events mentioned within `reach` sentences before `sent`, the most recent first."""
    for ev in reversed(recent.values()):
        if sent - ev.last_sent > reach:
            return
        yield ev


def _family(type_: str) -> str:
    return FAMILY.get(type_, type_)


def _key(eid: str, table: EntityTable | None) -> str:
    """What a participant stands for when comparing events: countries for demonyms."""
    ent = table.get(eid) if table else None
    if ent is None:
        return eid
    if ent.type == "NORP":
        return demonyms().get(ent.name, ent.name)
    return ent.name if ent.type == "GPE" else eid


def _date_conflict(a: Timex | None, b: Timex | None) -> bool:
    if a is None or b is None or not a.value or not b.value:
        return False
    return not (a.value.startswith(b.value) or b.value.startswith(a.value))


def _joins(ev: _Event, m: _Mention, table: EntityTable | None) -> bool:
    if _family(ev.type) != _family(m.type):
        return False
    if _date_conflict(ev.date, m.date):
        return False
    if ev.place and m.place and ev.place != m.place:
        return False
    past = "occurred" in ev.statuses
    if m.status and ((m.status == "occurred" and set(ev.statuses) & FUTURE) or
                     (m.status in FUTURE and past)):
        return False
    if ev.date and m.date and ev.date.value and ev.date.value == m.date.value:
        return True
    if ev.place and m.place == ev.place:
        return True
    persons = {p for p in m.participants if table and (e := table.get(p)) and e.type == "PERSON"}
    shared = persons & set(ev.participants)
    # Plans about one person in one article are usually one plan; past meetings of one person
    # are often several ("X met his wife in 1990 ... X met the board in 2015").
    if len(shared) >= (2 if m.status == "occurred" and past else 1):
        return True
    if m.sent - ev.last_sent > NEAR:
        return False
    mine = {_key(p, table) for p in m.participants if p not in persons}
    theirs = {_key(p, table) for p in ev.participants}
    return bool(mine) and not (persons - shared) and mine <= theirs


def _status_of(ev: _Event, published: str | None) -> EventStatus:
    if ev.statuses:
        best = max(ev.statuses, key=lambda s: PRIORITY[s])
        return best  # type: ignore[return-value]
    value = ev.date.value if ev.date else None
    if value and published and value[:4].isdigit():
        n = min(len(value), len(published))
        if value[:n] < published[:n]:
            return "occurred"
        if value[:n] > published[:n]:
            return "scheduled"
    return "uncertain"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _summary(ev: _Event, idx: _Index) -> str:
    table = idx.table
    nouns = [m for m in ev.mentions if m.tok.pos_ == "NOUN" and m.tok.text.isalpha()]
    # Named after its most informative noun mention: "talks between the US and Ukraine on
    # December 19" rather than a headline's bare "meeting".
    best = max(nouns, key=lambda m: len(m.participants) + (m.place is not None) + (m.date is not None),
               default=None)
    label = best.tok.text.lower() if best is not None else ev.mentions[0].label
    keys = {_key(p, table) for p in ev.participants
            if table and (e := table.get(p)) and e.type != "NORP"}
    names = [_key(p, table) if e.type == "NORP" else e.name for p in ev.participants
             if table and (e := table.get(p)) and not (e.type == "NORP" and _key(p, table) in keys)]
    text = label[:1].upper() + label[1:]
    if ev.type == "briefing" and table is not None:  # "Report by A to B"
        to = {e.id for m in ev.mentions for t in _pobjs(m.tok, ("to",))
              if (t2 := _same_line(t, m.tok, idx)) is not None for e in _entities_of(t2, idx)}
        by = [table.get(p) for p in ev.participants if p not in to]
        rec = [table.get(p) for p in ev.participants if p in to]
        if by:
            text += " by " + _joined([e.name for e in by if e])
        if rec:
            text += " to " + _joined([e.name for e in rec if e])
        names = []
    if names:
        joined = _joined(names)
        prep = _SUMMARY_PREP.get(ev.type, "involving")
        if prep == "between" and len(names) == 1:
            prep = "with"
        text += f" {prep} {joined}"
    place = table.get(ev.place) if table and ev.place else None
    if place is not None:
        text += f" {'to' if ev.type == 'visit' else 'in'} {place.name}"
    if ev.relative is not None and ev.relative_to is not None:
        other = ev.relative_to
        other_nouns = [m for m in other.mentions if m.tok.pos_ == "NOUN"]
        label = other_nouns[-1].tok.text.lower() if other_nouns else other.mentions[0].label
        text += f", {ev.relative[0].text} {ev.relative[1]} the {label}"
    return text


def _claims_at(ctx: Context, offsets: list[int]) -> dict[int, list[str]]:
    """Offset -> ids of the claims whose content contains it, by one sweep over both sorted lists."""
    claims = sorted(ctx.claims, key=lambda c: c.content.start)
    out: dict[int, list[str]] = {}
    active: list[tuple[int, int, str]] = []  # (end, order, id) heap of claims begun so far
    k = 0
    for pos in sorted(set(offsets)):
        while k < len(claims) and claims[k].content.start <= pos:
            heapq.heappush(active, (claims[k].content.end, k, claims[k].id))
            k += 1
        while active and active[0][0] <= pos:
            heapq.heappop(active)
        if active:
            out[pos] = [cid for _, _, cid in sorted(active, key=lambda a: a[1])]
    return out


def _mentions(doc: Doc, idx: _Index) -> list[_Mention]:
    """Every trigger that passes its conditions, with its own arguments, date and status."""
    found: list[tuple[Token, str, str, set[str]]] = []
    for i, pos in enumerate(idx.tokens.pos):
        if pos in ("NOUN", "VERB", "AUX"):
            tok = doc[i]
            hit = _trigger(tok)
            if hit is not None:
                found.append((tok, *hit))
    trigger_tokens = {t.i for t, _, _, _ in found}
    mentions: list[_Mention] = []
    for tok, type_, label, later in found:
        verb, nouns = _governor(tok)
        participants = _participants(tok, type_, verb, idx)
        place = _place(tok, type_, verb, idx)
        if place in participants and type_ != "meeting":
            participants.remove(place)  # "visited Baghdad": where, not who
        date, attached = _date(tok, verb, idx, trigger_tokens - {tok.i})
        status, negated = _status(tok, verb, nouns, date is not None and bool(date.value))
        stated = status not in (None, "occurred", "ongoing")  # a cue word, not tense alone
        if ("placed" in later and not (place or attached)) or (
                "anchored" in later and not (place or attached or participants or stated)) or (
                "social" in later and not _social(tok, idx)) or (
                "toparty" in later and not _to_party(tok, idx)):
            continue
        if tok.pos_ != "NOUN" and not (participants or place or attached) and not (
                tok.dep_ == "conj" and tok.head.i in trigger_tokens):
            continue  # "make ends meet": a verb with nobody, nowhere and no time is no event
        own_args = bool(participants or place or _pobjs(tok, ("in", "at")))
        mentions.append(_Mention(tok, type_, label, idx.sent_of[tok.i], participants, place, date,
                                 status, _anaphor(tok, own_args), negated,
                                 None if date is not None else _relative(tok, idx), verb))
    return mentions


def _merge(mentions: list[_Mention], idx: _Index) -> list[_Event]:
    """Event coreference in text order (see the module docstring)."""
    events: list[_Event] = []
    recent: dict[int, _Event] = {}  # id -> event, least recently mentioned first
    by_token: dict[int, _Event] = {}
    for m in mentions:
        if m.negated:
            continue
        target: _Event | None = None
        if m.tok.dep_ == "conj" and m.tok.head.i in by_token:
            target = by_token[m.tok.head.i]
        elif m.anaphor:
            reach = 5 if m.anaphor == "strong" else 3
            near = [ev for ev in _latest(recent, m.sent, reach) if _family(ev.type) == _family(m.type)
                    and not _date_conflict(ev.date, m.date)
                    and not (ev.place and m.place and ev.place != m.place)]
            lemma = m.tok.lemma_.lower()  # "the talks" -> the latest "talks" first
            target = next((ev for ev in near if any(x.tok.lemma_.lower() == lemma for x in ev.mentions)),
                          near[0] if near else None)
            if target is None and m.anaphor == "weak" and m.status is None:
                continue  # "the talks" with nothing said about them: unknown referent
        else:
            target = next((ev for ev in _latest(recent, m.sent, WINDOW)
                           if _joins(ev, m, idx.table)), None)
        if target is None:
            target = _Event(type=m.type)
            events.append(target)
        target.mentions.append(m)
        by_token[m.tok.i] = target
        target.last_sent = m.sent
        recent.pop(id(target), None)
        recent[id(target)] = target
        target.relative = target.relative or m.relative
        for p in m.participants:
            if p not in target.participants:
                target.participants.append(p)
        target.place = target.place or m.place
        if m.date is not None and (target.date is None or not target.date.value):
            target.date = m.date
        if m.status:
            target.statuses.append(m.status)
    _link_relatives(events)
    return events


def _link_relatives(events: list[_Event]) -> None:
    """"Y came two weeks after X met": X's event is dated relative to Y's."""
    heads: dict[int, _Event] = {}
    for ev in events:
        for m in ev.mentions:
            heads.setdefault(m.tok.i, ev)
            if m.verb is not None:
                heads.setdefault(m.verb.i, ev)
    for ev in events:
        if ev.relative is not None and ev.date is None:
            other = heads.get(ev.relative[2])
            ev.relative_to = other if other is not ev else None


def annotate(ctx: Context) -> None:
    """Stage 4: fill `ctx.events`."""
    idx = _Index(ctx)
    events = _merge(_mentions(ctx.doc, idx), idx)
    published = ctx.published_at.isoformat() if ctx.published_at else None
    text = ctx.text  # computed by spaCy on every access: read once
    out: list[Event] = []
    all_spans = [[Span.of(text, m.tok.idx, m.tok.idx + len(m.tok.text)) for m in ev.mentions]
                 for ev in events]
    reported = _claims_at(ctx, [s.start for spans in all_spans for s in spans])
    for n, (ev, spans) in enumerate(zip(events, all_spans, strict=True), 1):
        claims = list(dict.fromkeys(c for s in spans for c in reported.get(s.start, [])))
        out.append(Event(
            id=f"v{n}", trigger=spans[0], type=ev.type, summary=_summary(ev, idx),
            status=_status_of(ev, published),
            date=DateRef(ev.date.value, ev.date.id) if ev.date else (
                DateRef(None, ev.relative[0].id) if ev.relative and ev.relative_to else None),
            place=ev.place, participants=list(ev.participants), claims=claims, mentions=spans))
    ctx.events = out
