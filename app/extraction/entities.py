"""Document entities: people, organisations, places and groups with roles, aliases and mentions.

spaCy's small NER makes systematic mistakes on news text, so its spans are only candidates that
are corrected with context and with tables kept as data (`data/titles.tsv`, `org_heads.tsv`,
`gazetteer.tsv`, `demonyms.tsv`, `media_heads.tsv`):

- spans never cross a line break, and photo credits "(Photo: ...)" are not names;
- an ORG span that runs from an organisation head into a personal name ("the National Security
  and Defense Council Rustem Umerov") is split into the organisation and the person;
- a name NER typed ORG becomes PERSON when a title precedes it ("President Trump"), a kinship or
  title noun follows its possessive ("Trump's son-in-law"), a photo credit captions it, or the
  same surname is a PERSON elsewhere in the article; words glued before a name ("Injecting
  Clinton", "New Mitt Romney") are dropped;
- the gazetteer (general world knowledge: countries, capitals, international bodies, news
  outlets) fixes types, canonicalises aliases (US, U.S. -> United States) and finds names NER
  missed; names ending in an outlet word ("Chicago Tribune") are MEDIA; uncovered capitalised
  names after a title ("president ... Volodymyr Zelenskyy") or before a photo credit, and bare
  surnames of known people are added;
- roles come from title phrases before a name, appositions after it, and bracketed titles,
  trimmed to the title; a later description equal to a known role ("the Russian dictator",
  "Putin's special representative") is a mention of its holder.

Media outlets: `Entity.type == "MEDIA"` (a spaCy-style label next to ORG). Use
`EntityTable.is_media(entity)` rather than comparing strings, so the rule can change in one place.

Within a document, "Rustem Umerov" ... "Umerov" ... "he" are one entity (`antecedent` resolves
pronouns with gender and number agreement, and not into a quotation from outside it); pronouns
are not added as mentions (the attribution stage resolves them in context); a transliteration
variant ("Vitkoff" for "Steve
Witkoff") joins only when it is the single candidate (see `names.translit_compatible`).
Lookups by offset use a sorted index, so every stage stays linear in the size of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from spacy.tokens import Doc, Token

from .lexicon import demonyms, gazetteer, media_heads, org_heads, titles
from .names import compatible, fold, surname_key, translit_compatible, translit_key
from .types import Context, Entity, Span, Tokens

NER_TYPES = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
MEDIA = "MEDIA"

# Pronoun -> (gender m|f|n|'' , number sg|pl): agreement for antecedent search.
PRONOUNS: dict[str, tuple[str, str]] = {
    "he": ("m", "sg"), "him": ("m", "sg"), "his": ("m", "sg"), "himself": ("m", "sg"),
    "she": ("f", "sg"), "her": ("f", "sg"), "hers": ("f", "sg"), "herself": ("f", "sg"),
    "it": ("n", "sg"), "its": ("n", "sg"), "itself": ("n", "sg"),
    "they": ("", "pl"), "them": ("", "pl"), "their": ("", "pl"), "themselves": ("", "pl"),
}
_LOOKBACK = 400  # mentions scanned backwards for an antecedent
_CREDIT = re.compile(
    r"\(\s*(?:photo|photograph|picture|image|video|illustration|credit|source)s?\b[^)\n]*\)?",
    re.IGNORECASE)
_NAME_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*$")


class EntityTable:
    """The entities of one document, with lookups by character offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.entities: list[Entity] = []
        self.gender: dict[str, str] = {}  # entity id -> "m" | "f" when the text says so
        self._ids: dict[str, Entity] = {}
        self._by_key: dict[tuple[str, str], Entity] = {}
        self._by_surname: dict[str, list[Entity]] = {}
        self._by_translit: dict[str, list[Entity]] = {}
        self._index: list[tuple[int, int, str]] = []  # (start, end, entity id), sorted
        self._starts: list[int] = []
        self._maxlen = 0
        self._quotes: list[tuple[int, int]] | None = None  # quoted stretches, built on first use

    # --- lookups -------------------------------------------------------------------------

    def get(self, entity_id: str) -> Entity | None:
        return self._ids.get(entity_id)

    def is_media(self, entity: Entity | None) -> bool:
        """Whether the entity is a news outlet (attributions through it are `kind: media`)."""
        return entity is not None and entity.type == MEDIA

    def at(self, start: int, end: int) -> Entity | None:
        """The entity with a mention overlapping [start, end), the longest overlap first."""
        best: Entity | None = None
        best_overlap = 0
        j = bisect_left(self._starts, end) - 1
        while j >= 0 and self._starts[j] > start - self._maxlen - 1:
            m_start, m_end, eid = self._index[j]
            overlap = min(end, m_end) - max(start, m_start)
            if overlap > best_overlap:
                best, best_overlap = self._ids[eid], overlap
            j -= 1
        return best

    def antecedent(self, offset: int, types: Iterable[str] = ("PERSON",),
                   pronoun: str | None = None) -> Entity | None:
        """The entity of the closest mention ending at or before `offset` that agrees with the
        pronoun (given, or read from the text at `offset`) in gender and number."""
        wanted = set(types)
        if pronoun is None:
            m = re.match(r"[A-Za-z]+", self.text[offset:offset + 12])
            pronoun = m.group(0) if m else ""
        gender, number = PRONOUNS.get(pronoun.lower(), ("", ""))
        # Outside quotation marks, a pronoun does not point into a quotation ('"... together
        # with general Andriy Hnatov we will start ...," he wrote': he is the writer).
        outside = self._quoted(offset) is None
        j = bisect_right(self._starts, offset) - 1
        seen = 0
        while j >= 0 and seen < _LOOKBACK:
            m_start, m_end, eid = self._index[j]
            j -= 1
            seen += 1
            if m_end > offset:
                continue
            ent = self._ids[eid]
            if ent.type not in wanted or not self._agrees(ent, gender, number):
                continue
            if outside and self._quoted(m_start) is not None:
                continue
            return ent
        return None

    def _quoted(self, offset: int) -> tuple[int, int] | None:
        """The quotation containing `offset`, if any (quotes pair up within a paragraph)."""
        if self._quotes is None:
            self._quotes = _quotations(self.text)
        k = bisect_right(self._quotes, (offset, len(self.text) + 1)) - 1
        if k >= 0 and self._quotes[k][0] <= offset < self._quotes[k][1]:
            return self._quotes[k]
        return None

    def _agrees(self, ent: Entity, gender: str, number: str) -> bool:
        if ent.type == "PERSON":
            if gender == "n" or number == "pl":
                return False
            known = self.gender.get(ent.id)
            return not (gender and known and gender != known)
        if gender in ("m", "f"):
            return False
        return not (number == "sg" and ent.type == "NORP")

    # --- building ------------------------------------------------------------------------

    def add_mention(self, name: str, type_: str, start: int, end: int) -> Entity:
        """Record a mention, joining an existing entity with a compatible name or creating one."""
        canonical = _canonical(name, type_)
        ent = self._find(canonical, type_)
        if ent is None:
            ent = Entity(id=f"e{len(self.entities) + 1}", name=canonical, type=type_)
            self.entities.append(ent)
            self._ids[ent.id] = ent
        elif type_ == "PERSON" and len(fold(canonical).split()) > len(fold(ent.name).split()) \
                and compatible(canonical, ent.name):
            if ent.name not in ent.aliases:
                ent.aliases.append(ent.name)
            ent.name = canonical
        for alias in (canonical, name):
            if alias != ent.name and alias not in ent.aliases:
                ent.aliases.append(alias)
        self._register(ent, canonical)
        if name != canonical:
            self._register(ent, name)
        self.attach(ent, start, end)
        return ent

    def attach(self, ent: Entity, start: int, end: int) -> None:
        """Add a mention span to an entity without touching its names (pronoun, description)."""
        if any(m.start == start and m.end == end for m in ent.mentions):
            return
        ent.mentions.append(Span.of(self.text, start, end))
        ent.mentions.sort(key=lambda m: m.start)
        item = (start, end, ent.id)
        k = bisect_left(self._index, item)
        self._index.insert(k, item)
        self._starts.insert(k, start)
        self._maxlen = max(self._maxlen, end - start)

    def add_role(self, ent: Entity, role: str) -> None:
        role = " ".join(role.split())
        if role and all(fold(r) != fold(role) for r in ent.roles):
            ent.roles.append(role)
        for word in role.lower().split():
            kind_gender = titles().get(word)
            if kind_gender and kind_gender[1] and ent.id not in self.gender:
                self.gender[ent.id] = kind_gender[1]

    def _register(self, ent: Entity, name: str) -> None:
        self._by_key[(ent.type, fold(name))] = ent
        if ent.type == "NORP" and name in demonyms():  # "American" and "Americans": one group
            self._by_key.setdefault(("NORP", "@" + demonyms()[name]), ent)
        if ent.type == "PERSON":
            for index, key in ((self._by_surname, surname_key(name)),
                               (self._by_translit, translit_key(name))):
                bucket = index.setdefault(key, [])
                if ent not in bucket:
                    bucket.append(ent)

    def _find(self, name: str, type_: str) -> Entity | None:
        hit = self._by_key.get((type_, fold(name)))
        if hit is None and type_ == "NORP" and name in demonyms():
            hit = self._by_key.get(("NORP", "@" + demonyms()[name]))
        if hit is not None or type_ != "PERSON":
            return hit
        # Compatible with every full name the entity goes by: "Bill Clinton" must not join
        # "Hillary Clinton" through her alias "Clinton".
        exact = [e for e in self._by_surname.get(surname_key(name), [])
                 if all(compatible(name, n) for n in (e.name, *e.aliases))]
        if exact:
            return _most_recent(exact)
        variants = [e for e in self._by_translit.get(translit_key(name), [])
                    if translit_compatible(name, e.name)]
        # A spelling variant joins only when it is the one candidate (no competing person).
        return variants[0] if len(variants) == 1 else None


_QUOTE = re.compile(r"[\"\u201c\u201d\u00ab\u00bb]|\n\s*\n")


def _quotations(text: str) -> list[tuple[int, int]]:
    """Spans between paired quotation marks; an unclosed quotation ends at its paragraph."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for m in _QUOTE.finditer(text):
        mark = m.group(0)
        if mark.strip() == "":  # paragraph break
            if start is not None:
                out.append((start, m.start()))
            start = None
        elif start is None and mark not in "\u201d\u00bb":
            start = m.start()
        elif start is not None and mark not in "\u201c\u00ab":
            out.append((start, m.end()))
            start = None
    if start is not None:
        out.append((start, len(text)))
    return out


def _most_recent(ents: list[Entity]) -> Entity:
    return max(ents, key=lambda e: e.mentions[-1].start if e.mentions else -1)


def _canonical(name: str, type_: str) -> str:
    name = " ".join(name.split())
    if type_ == "PERSON":
        return name
    hit = gazetteer().get(name)
    return hit[1] if hit else name


# --- candidates from NER, cleaned ----------------------------------------------------------


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    label: str


def _title_kind(word: str) -> str:
    hit = titles().get(word.lower())
    return hit[0] if hit else ""


def _is_name_word(tok: Token) -> bool:
    return _is_name(tok.text, tok.lower_)


def _is_name(text: str, lower: str) -> bool:
    return bool(_NAME_WORD.match(text)) and not _title_kind(text) and lower not in org_heads()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip spaces, punctuation, a leading article and a trailing possessive."""
    while start < end and not text[start].isalnum():
        start += 1
    if text[start:start + 4].lower() == "the " and end - start > 4:
        start += 4
    for _ in range(2):  # "DuVernay's", "DuVernay's\u201d"
        while end > start and not (text[end - 1].isalnum() or text[end - 1] == "."):
            end -= 1
        while end > start and text[end - 2:end] in ("'s", "\u2019s"):
            end -= 2
    return start, end


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a span at line breaks and cut it at an opening bracket: NER runs captions together."""
    out = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        s, e = start + m.start(), start + m.end()
        cut = min((i for i in (text.find(c, s, e) for c in "([") if i >= 0), default=e)
        s, e = _trim(text, s, cut)
        if e > s:
            out.append((s, e))
    return out


def _split_title(doc: Doc, text: str, s: int, e: int, label: str) -> list[_Cand]:
    """Split "<organisation head|Title> <Personal Name>" into its organisation and person."""
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None or len(span) < 2:
        return [_Cand(s, e, label)]
    toks = list(span)
    if label == "PERSON":  # "President Donald Trump": the title is a role, not the name
        k = 0
        while k < len(toks) - 1 and _title_kind(toks[k].text.rstrip(".")) in ("title", "honorific"):
            k += 1
        return [_Cand(toks[k].idx, e, label)] if k else [_Cand(s, e, label)]
    tail = 0
    while tail < min(3, len(toks) - 1) and _is_name_word(toks[len(toks) - 1 - tail]):
        tail += 1
    if tail < 2 or tail == len(toks):
        return [_Cand(s, e, label)]
    head = toks[len(toks) - 1 - tail]
    person = _Cand(toks[len(toks) - tail].idx, e, "PERSON")
    if head.lower_ in org_heads():
        os_, oe = _trim(text, s, head.idx + len(head.text))
        return [_Cand(os_, oe, "ORG"), person]
    if _title_kind(head.text):
        return [person]
    return [_Cand(s, e, label)]


def _ner_candidates(doc: Doc, text: str, credits: list[tuple[int, int]]) -> list[_Cand]:
    out: list[_Cand] = []
    for ent in doc.ents:
        if ent.label_ not in NER_TYPES:
            continue
        for s, e in _pieces(text, ent.start_char, ent.end_char):
            if any(cs < e and s < ce for cs, ce in credits):
                continue
            out.extend(_split_title(doc, text, s, e, ent.label_))
    return out


def _covered_tokens(doc: Doc, spans: Iterable[tuple[int, int]]) -> set[int]:
    covered: set[int] = set()
    for s, e in spans:
        span = doc.char_span(s, e, alignment_mode="expand")
        if span is not None:
            covered.update(range(span.start, span.end))
    return covered


@cache
def _gazetteer_prefixes() -> frozenset[str]:
    """Every prefix of every gazetteer name: a token whose text is none of them starts no name
    (a name starting at a token begins with that token's text)."""
    return frozenset(name[:k] for name in gazetteer() for k in range(1, len(name) + 1))


def _gazetteer_candidates(toks: Tokens, text: str, covered: set[int], surnames: set[str]) -> list[_Cand]:
    """Names NER missed that the gazetteer knows ("wrote Axios"), longest first."""
    gaz, prefixes, out = gazetteer(), _gazetteer_prefixes(), []
    idx, words = toks.idx, toks.text
    i, n = 0, len(idx)
    while i < n:
        word = words[i]
        if not word[:1].isalpha() or i in covered or word not in prefixes:
            i += 1
            continue
        for size in (4, 3, 2, 1):
            j = i + size
            if j > n or any(k in covered for k in range(i, j)):
                continue
            s, e = idx[i], idx[j - 1] + len(words[j - 1])
            hit = gaz.get(text[s:e])
            if hit and "\n" not in text[s:e] and not (size == 1 and fold(text[s:e]) in surnames):
                out.append(_Cand(s, e, hit[0]))
                i = j - 1
                break
        i += 1
    return out


def _titled_candidates(toks: Tokens, text: str, covered: set[int], surnames: set[str],
                       credit_starts: set[int]) -> list[_Cand]:
    """Uncovered capitalised name runs (2-3 words) after a title in the same sentence, ending in
    a surname seen elsewhere, or captioned by a photo credit: "the president of Ukraine To
    Volodymyr Zelenskyy", "Rustem Umerov (Photo: ...)"."""
    idx, words, lower, pos = toks.idx, toks.text, toks.lower, toks.pos
    out, i, n = [], 0, len(idx)
    while i < n:
        if i in covered or pos[i] != "PROPN" or not _is_name(words[i], lower[i]):
            i += 1
            continue
        j = i
        # (a line break is a token of its own, so a run of PROPN words never crosses one)
        while j < n and j - i < 3 and j not in covered and pos[j] == "PROPN" \
                and _is_name(words[j], lower[j]):
            j += 1
        if j - i >= 2 and (j >= n or lower[j] not in org_heads()):
            s, e = idx[i], idx[j - 1] + len(words[j - 1])
            sent_start = toks.sent_start(i)
            titled = any(_title_kind(words[k].rstrip(".")) in ("title", "honorific")
                         for k in range(max(sent_start, i - 6), i))
            captioned = _captioned(text, e, credit_starts)
            if "\n" not in text[s:e] and (titled or captioned or fold(words[j - 1]) in surnames) \
                    and not gazetteer().get(text[s:e]):
                out.append(_Cand(s, e, "PERSON"))
        i = max(j, i + 1)
    return out


def _retype(doc: Doc, text: str, cands: list[_Cand], credit_starts: set[int]) -> None:
    """Fix NER types with the gazetteer, demonyms and person evidence from the context."""
    gaz, dem = gazetteer(), demonyms()
    # "Jim Jordan ... Jordan said": a surname of a person named in full is not the country.
    full_surnames = {surname_key(text[c.start:c.end]) for c in cands
                     if c.label == "PERSON" and " " in text[c.start:c.end]}
    for c in cands:
        name = text[c.start:c.end]
        if name in gaz and not (c.label == "PERSON" and surname_key(name) in full_surnames):
            c.label = gaz[name][0]
        elif name in dem and c.label in ("GPE", "ORG", "LOC"):
            c.label = "NORP"
        elif c.label in ("ORG", "FAC", "LOC", "GPE") and " " in name \
                and name.split()[-1] in media_heads():
            c.label = MEDIA
        elif c.label in ("ORG", "GPE", "NORP") and (_person_context(doc, text, c) or (
                " " in name and _looks_personal(name) and _captioned(text, c.end, credit_starts))):
            c.label = "PERSON"
    persons = {surname_key(text[c.start:c.end]) for c in cands if c.label == "PERSON"}
    variants = {translit_key(text[c.start:c.end]) for c in cands if c.label == "PERSON"}
    for c in cands:
        name = text[c.start:c.end]
        if c.label in ("ORG", "GPE", "LOC", "FAC") and name not in gaz and _looks_personal(name) and (
                surname_key(name) in persons or translit_key(name) in variants):
            c.label = "PERSON"


_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "del", "della", "la", "le", "al", "bin",
              "ibn", "el", "ter", "du", "dos", "das"}


def _strip_person_prefix(doc: Doc, text: str, cands: list[_Cand]) -> None:
    """Drop words NER glued before a name: headline words ("Injecting Clinton"), articles
    ("a Mitt Romney") and a prefix before a full name seen elsewhere ("New Mitt Romney")."""
    full = {text[c.start:c.end] for c in cands if c.label == "PERSON" and " " in text[c.start:c.end]}
    for c in cands:
        if c.label != "PERSON":
            continue
        span = doc.char_span(c.start, c.end, alignment_mode="expand")
        if span is None or len(span) < 2:
            continue
        toks = list(span)
        k = 0
        while k < len(toks) - 1 and toks[k].lower_ not in _PARTICLES and (
                toks[k].pos_ != "PROPN" or toks[k].is_lower):
            k += 1
        for j in range(k + 1, len(toks) - 1):
            if text[toks[j].idx:c.end] in full:
                k = j
                break
        if k:
            c.start = toks[k].idx


def _captioned(text: str, end: int, credit_starts: set[int]) -> bool:
    """Whether a photo credit follows: "Rustem Umerov (Photo: ...)" names the person pictured."""
    k = end
    while k < len(text) and text[k] == " ":
        k += 1
    return k in credit_starts


def _looks_personal(name: str) -> bool:
    words = name.split()
    return 1 <= len(words) <= 3 and all(_NAME_WORD.match(w) for w in words) and not any(
        w.lower() in org_heads() for w in words)


def _person_context(doc: Doc, text: str, c: _Cand) -> bool:
    """A title right before ("President Trump") or a kin/title noun after the possessive
    ("Trump's son-in-law", "Putin's envoy")."""
    if not _looks_personal(text[c.start:c.end]):
        return False
    span = doc.char_span(c.start, c.end, alignment_mode="expand")
    if span is None:
        return False
    if span.start > 0 and _title_kind(doc[span.start - 1].text.rstrip(".")) in ("title", "honorific") \
            and doc[span.start - 1].text[:1].isupper():
        return True
    k = span.end
    if k < len(doc) and doc[k].tag_ == "POS":
        for t in doc[k + 1:min(len(doc), k + 5)]:
            word = t.text.lower()
            if _title_kind(word) in ("kin", "title") or (
                    t.text == "-" and _title_kind(doc[t.i - 1].text + "".join(
                        x.text for x in doc[t.i:min(len(doc), t.i + 4)])) == "kin"):
                return True
            if t.pos_ not in ("ADJ", "NOUN", "PUNCT", "ADP"):
                break
    return False


# --- roles ---------------------------------------------------------------------------------


def _hyphen_word(doc: Doc, i: int) -> bool:
    """Whether token i is inside a hyphenated word ("son-in-law")."""
    t = doc[i]
    if t.text == "-" and not t.whitespace_ and i > 0 and not doc[i - 1].whitespace_:
        return True
    return (i + 1 < len(doc) and doc[i + 1].text == "-" and not t.whitespace_) or (
        i > 0 and doc[i - 1].text == "-" and not doc[i - 1].whitespace_)


def _of_ok(doc: Doc, j: int, end: int) -> bool:
    """'of' may sit inside a title when what follows names a body: "Secretary of the National
    Security Council", "head of the Ukrainian delegation" (not "representative of the dictator")."""
    toks = [t for t in doc[j + 1:end] if t.lower_ != "the"]
    if not toks:
        return False
    if toks[-1].lower_ in org_heads():
        return True
    return all(t.pos_ == "PROPN" or t.lower_ == "and" for t in toks)


def _title_phrase(doc: Doc, toks: Tokens, end: int, person: list[int]) -> tuple[int, int, int]:
    """The title phrase ending right before token `end`: (start token, end token, stop token)."""
    sent_start = toks.sent_start(end - 1) if end > 0 else 0
    j = end - 1
    while j >= sent_start:
        t = doc[j]
        if "\n" in t.text or "\n" in t.whitespace_:
            break
        lw = t.lower_
        if person[j] >= 0:
            if j + 1 < len(doc) and doc[j + 1].tag_ == "POS" and j + 1 < end:
                j -= 1
                while j >= sent_start and person[j] == person[j + 1]:
                    j -= 1
                continue
            break
        if _hyphen_word(doc, j):
            j -= 1
            continue
        if t.pos_ in ("PROPN", "NOUN", "ADJ", "NUM") or _title_kind(lw) or t.tag_ == "POS":
            j -= 1
            continue
        if lw == "the" or (lw == "of" and _of_ok(doc, j, end)):
            j -= 1
            continue
        if lw == "and" and 0 < j < end - 1 and doc[j - 1].pos_ == "PROPN" and doc[j + 1].pos_ == "PROPN":
            j -= 1
            continue
        break
    a = j + 1
    while a < end and (doc[a].pos_ in ("DET", "ADP", "CCONJ", "PART", "PUNCT") or doc[a].lower_ == "the"):
        a += 1
    return a, end, j


def _has_title(doc: Doc, a: int, b: int) -> bool:
    words = doc[a:b].text.lower().split() if b > a else []
    return any(_title_kind(w.strip(".,")) in ("title", "kin") for w in words)


_ROLE_EDGE = {"DET", "PRON", "ADV", "PUNCT", "CCONJ", "ADP", "PART", "SCONJ", "AUX", "VERB"}


def _clean_role(doc: Doc, a: int, b: int) -> tuple[int, int]:
    """Trim a role phrase to the title: drop what precedes a non-title "of" ("views of Senator"),
    a common-noun possessor ("the committee's investigation"), words before "former", edge
    determiners, pronouns and punctuation, and an honorific that belongs to the name."""
    while b > a and (doc[b - 1].pos_ == "PUNCT" or _title_kind(doc[b - 1].lower_) == "honorific"):
        b -= 1
    first_title = next((k for k in range(a, b) if _title_kind(doc[k].lower_) in ("title", "kin")), b)
    for k in range(a, first_title):  # only what stands before the title: "Staff of the Forces" stays
        t = doc[k]
        if t.lower_ == "of" and k > a and _title_kind(doc[k - 1].lower_) not in ("title", "kin"):
            a = k + 1
        elif t.tag_ == "POS" and k > a and doc[k - 1].pos_ != "PROPN":
            a = k + 1
    prefix = next((k for k in range(a, first_title) if _title_kind(doc[k].lower_) == "prefix"), None)
    if prefix is not None:
        a = prefix
    while a < b and doc[a].pos_ in _ROLE_EDGE and not _title_kind(doc[a].lower_):
        a += 1
    return a, b


def _add_role(doc: Doc, table: EntityTable, ent: Entity, a: int, b: int) -> None:
    a, b = _clean_role(doc, a, b)
    if b > a and _has_title(doc, a, b):
        table.add_role(ent, _text(doc, a, b))


def _text(doc: Doc, a: int, b: int) -> str:
    return " ".join(doc[a:b].text.split())


def _roles(doc: Doc, toks: Tokens, table: EntityTable) -> None:
    person = [-1] * len(doc)
    first_tokens: list[tuple[int, int, Entity]] = []
    for n, ent in enumerate(table.entities):
        if ent.type != "PERSON":
            continue
        for m in ent.mentions:
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is None:
                continue
            for k in range(span.start, span.end):
                person[k] = n
            first_tokens.append((span.start, span.end, ent))
    for start, end, ent in first_tokens:
        a, b, stop = _title_phrase(doc, toks, start, person)
        if b > a and _has_title(doc, a, b):
            _add_role(doc, table, ent, a, b)
            # "head of the delegation, Secretary of the Council Rustem Umerov": a chain of titles.
            if stop >= 0 and doc[stop].text == "," and _title_kind(doc[a].text):
                a2, b2, _ = _title_phrase(doc, toks, stop, person)
                if b2 > a2 and _title_kind(doc[a2].text) and _has_title(doc, a2, b2):
                    _add_role(doc, table, ent, a2, b2)
        stop = a - 1 if b > a else stop
        if stop >= 0 and doc[stop].text in ("]", ")"):  # "[chief of the General Staff] general X"
            k = stop - 1
            while k >= max(0, stop - 20) and doc[k].text not in ("[", "(") and "\n" not in doc[k].text:
                k -= 1
            if k >= 0 and doc[k].text in ("[", "(") and k + 1 < stop and _title_kind(doc[k + 1].text):
                _add_role(doc, table, ent, k + 1, stop)
        root = doc[start:end].root
        for child in root.rights:
            if child.dep_ == "appos" and child.i >= end and _title_kind(child.lower_):
                sub = [t for t in child.subtree]
                a3 = sub[0].i
                b3 = sub[-1].i + 1
                cut = next((t.i for t in doc[a3:b3] if t.text in ",;()[]" or "\n" in t.whitespace_
                            or t.lower_ in ("who", "which", "that", "whose")), b3)
                if 0 < cut - a3 <= 14:
                    _add_role(doc, table, ent, a3, cut)
        if root.dep_ == "appos" and root.head.i < start and _title_kind(root.head.lower_) \
                and all(person[k] < 0 for k in range(root.head.i, start)):
            left = root.head.left_edge.i
            while left < root.head.i and doc[left].pos_ == "DET":
                left += 1
            _add_role(doc, table, ent, left, root.head.i + 1)


_NP_POS = frozenset(("NOUN", "PROPN", "PRON"))
_NP_DEPS = frozenset(("oprd", "nsubj", "dobj", "nsubjpass", "pcomp", "pobj", "dative", "appos", "attr",
                      "ROOT"))


def _noun_chunks(doc: Doc, toks: Tokens) -> list[tuple[int, int]]:
    """The token ranges of `doc.noun_chunks` (spaCy's English base-NP rule, the same result) read
    from the token lists: spaCy's iterator creates a `Token` for every token of the document."""
    pos, dep, head = toks.pos, toks.dep, toks.head
    out: list[tuple[int, int]] = []
    prev_end = -1  # no nested chunks
    for i, p in enumerate(pos):
        if p not in _NP_POS:
            continue
        d = dep[i]
        if d == "conj":  # coordinated to an NP: an NP
            h = head[i]
            while dep[h] == "conj" and head[h] < h:
                h = head[h]
            if dep[h] not in _NP_DEPS:
                continue
        elif d not in _NP_DEPS:
            continue
        left = doc[i].left_edge.i
        if left <= prev_end:
            continue
        prev_end = i
        out.append((left, i + 1))
    return out


def _role_mentions(doc: Doc, toks: Tokens, table: EntityTable) -> None:
    """A definite description equal to one person's role ("the Russian dictator") mentions them."""
    index: dict[str, set[str]] = {}
    for ent in table.entities:
        if ent.type == "PERSON":
            for role in ent.roles:
                index.setdefault(fold(role), set()).add(ent.id)
    if not index:
        return
    owned = _owned_roles(table)
    idx, words, lower = toks.idx, toks.text, toks.lower
    for a, b in _noun_chunks(doc, toks):
        if owned:
            _possessive_role_mention(doc, table, [doc[k] for k in range(a, b)], owned)
        if lower[a] not in ("the", "this", "that"):
            continue
        end_char = idx[b - 1] + len(words[b - 1])
        s, e = idx[a + 1] if b - a > 1 else end_char, end_char
        ids = index.get(fold(table.text[s:e]))
        other = table.at(s, e)
        if e > s and ids and len(ids) == 1 and (other is None or other.type in ("NORP", "GPE")):
            target = table.get(next(iter(ids)))
            before, after = a - 1, b
            while before >= 0 and doc[before].is_punct:
                before -= 1
            if (after < len(doc) and table.at(doc[after].idx, doc[after].idx + 1) is target) or (
                    before >= 0 and table.at(doc[before].idx, doc[before].idx + 1) is target):
                continue  # the role written next to the name itself (title or apposition)
            if target is not None:
                table.attach(target, s, e)


def _owned_roles(table: EntityTable) -> dict[tuple[str, str], set[str]]:
    """(folded role head, owner entity id) -> holders: "special representative of ... Vladimir
    Putin" and "Putin's special representative" both give ("special representative", Putin)."""
    people = [e for e in table.entities if e.type == "PERSON"]
    by_surname: dict[str, str] = {surname_key(e.name): e.id for e in people}
    out: dict[tuple[str, str], set[str]] = {}
    for ent in people:
        for role in ent.roles:
            folded = fold(role)
            if " of " in f" {folded} ":
                head, _, tail = folded.partition(" of ")
                owners = [by_surname[w] for w in tail.split() if w in by_surname]
            elif "'s " in role or "’s " in role:
                owner, _, head_text = role.replace("’", "'").partition("'s ")
                head = fold(head_text)
                owners = [by_surname[w] for w in fold(owner).split()[-1:] if w in by_surname]
            else:
                continue
            for owner_id in owners:
                if owner_id != ent.id:
                    out.setdefault((head, owner_id), set()).add(ent.id)
    return out


def _possessive_role_mention(doc: Doc, table: EntityTable, toks: list[Token],
                             owned: dict[tuple[str, str], set[str]]) -> None:
    """"Putin's special representative" mentions the one person known to hold that role."""
    pos = next((k for k, t in enumerate(toks) if t.tag_ == "POS"), None)
    if pos is None or pos == 0 or pos == len(toks) - 1:
        return
    owner = table.at(toks[0].idx, toks[pos - 1].idx + len(toks[pos - 1].text))
    if owner is None or owner.type != "PERSON":
        return
    s, e = toks[pos + 1].idx, toks[-1].idx + len(toks[-1].text)
    holders = owned.get((fold(table.text[s:e]), owner.id))
    if holders and len(holders) == 1 and table.at(s, e) is None:
        target = table.get(next(iter(holders)))
        after = toks[-1].i + 1
        if target is not None and not (after < len(doc) and table.at(doc[after].idx, doc[after].idx + 1)
                                       is target):
            table.attach(target, s, e)


def _propagate(toks: Tokens, table: EntityTable) -> None:
    """Bare surnames NER missed ("Umerov spoke ...") when the surname is a known person's."""
    known: dict[str, str] = {}
    for ent in table.entities:
        if ent.type == "PERSON":
            for name in (ent.name, *ent.aliases):
                known.setdefault(name.split()[-1], name)
    for pos, word, start in zip(toks.pos, toks.text, toks.idx, strict=True):
        if pos == "PROPN" and word in known and table.at(start, start + len(word)) is None:
            table.add_mention(word, "PERSON", start, start + len(word))


def annotate(ctx: Context) -> None:
    """Stage 1: fill `ctx.entities` from the parse, corrected with context and gazetteers."""
    doc, toks = ctx.doc, ctx.tokens
    text = ctx.text  # spaCy rebuilds it on every access: read it once (shared with later stages)
    table = EntityTable(text)
    credits = [(m.start(), m.end()) for m in _CREDIT.finditer(text)]
    cands = _ner_candidates(doc, text, credits)
    covered = _covered_tokens(doc, [(c.start, c.end) for c in cands])
    covered |= _covered_tokens(doc, [(e.start_char, e.end_char) for e in doc.ents
                                     if e.label_ not in NER_TYPES])
    covered |= _covered_tokens(doc, credits)
    named = {surname_key(text[c.start:c.end]) for c in cands
             if c.label == "PERSON" and " " in text[c.start:c.end]}
    gaz = _gazetteer_candidates(toks, text, covered, named)
    cands += gaz
    covered |= _covered_tokens(doc, [(c.start, c.end) for c in gaz])
    credit_starts = {s for s, _ in credits}
    _retype(doc, text, cands, credit_starts)
    # Surnames of people, and single names NER typed ORG that may be people ("Zelenskyy").
    surnames = {surname_key(text[c.start:c.end]) for c in cands if c.label == "PERSON" or (
        c.label == "ORG" and " " not in text[c.start:c.end] and _looks_personal(text[c.start:c.end]))}
    cands += _titled_candidates(toks, text, covered, surnames, credit_starts)
    _retype(doc, text, cands, credit_starts)
    _strip_person_prefix(doc, text, cands)
    for c in sorted(cands, key=lambda c: c.start):
        table.add_mention(text[c.start:c.end], c.label, c.start, c.end)
    _propagate(toks, table)
    _roles(doc, toks, table)
    _role_mentions(doc, toks, table)
    ctx.entities = table
