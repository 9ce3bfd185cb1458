"""Attributed claims: who said what, with source, cue and content spans.

Two layers:
- statistical (trained on PolNeAR train by `make train`): a CRF tags cue tokens sentence by
  sentence, and for each cue a second CRF tags the tokens of its sentence as source or content.
  PolNeAR's notion of attribution is broad (beliefs, "according to", polls that "show"), which
  dependency rules alone miss;
- rules on top, where rules are better: quotes that run over sentence ends, inverted reports
  whose content is the previous sentence, quotes whose speaker is in the previous paragraph,
  source resolution (entities, pronouns, "the official", media outlets, anonymous sources),
  nested attribution (`via`), the statement date (`said_on`) and credit lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pycrfsuite
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from .attribution_features import CLOSE_QUOTES, OPEN_QUOTES, QUOTE_CHARS, TokenTable, cue_anchor, quote_mask
from .attribution_lexicon import (
    anonymous_patterns,
    credit_patterns,
    media_table,
    source_nouns,
    speech_cues,
)
from .lexicon import cue_types
from .types import Claim, ClaimKind, Context, Cue, DateRef, Source, SourceKind, Span, Timex

MODEL_PACKAGE = "app.extraction"
MODEL_PATH = ("models", "attribution")
PRONOUNS = {"he": "person", "she": "person", "him": "person", "her": "person", "i": "person",
            "we": "any", "they": "any", "it": "organization", "his": "person", "its": "organization",
            "their": "any"}
MIN_CONTENT_CHARS = 3


@cache
def _taggers() -> tuple[pycrfsuite.Tagger, pycrfsuite.Tagger] | None:
    """The trained cue and role taggers, or None when `make train` has not been run."""
    base = resources.files(MODEL_PACKAGE).joinpath(*MODEL_PATH)
    out = []
    for name in ("cue.crfsuite", "role.crfsuite"):
        path = base.joinpath(name)
        if not path.is_file():
            return None
        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        out.append(tagger)
    return out[0], out[1]


@dataclass(slots=True)
class _Found:
    """A claim before source resolution: token-level spans and tagger confidences."""

    cue: list[Token]
    source: list[Token]
    content: tuple[int, int]  # character offsets
    confidence: float
    via: list[Token] | None = None


def _runs(labels: list[str], tag: str, offset: int) -> list[list[int]]:
    """Token index runs labelled B-/I-tag."""
    runs: list[list[int]] = []
    for k, lab in enumerate(labels):
        if lab == "B-" + tag or (lab == "I-" + tag and not (runs and runs[-1][-1] == offset + k - 1)):
            runs.append([offset + k])
        elif lab == "I-" + tag:
            runs[-1].append(offset + k)
    return runs


def _char_span(toks: list[Token]) -> tuple[int, int]:
    return toks[0].idx, toks[-1].idx + len(toks[-1].text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;:-\u2014\u2013"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:-\u2014\u2013"):
        end -= 1
    return start, end


def _extend_quote(text: str, mask: list[bool], start: int, end: int) -> tuple[int, int]:
    """Grow content that stops inside a quotation to the quotation's marks (multi-sentence
    quotes), never past a line break."""
    if end > start and mask[end - 1] and end < len(text) and mask[end]:
        while end < len(text) and mask[end] and text[end] != "\n":
            end += 1
        if text[end:end + 2] == "''":
            end += 2
        elif end < len(text) and text[end] in CLOSE_QUOTES + '"':
            end += 1
    if start < end and mask[start] and text[start] not in QUOTE_CHARS and start > 0 and mask[start - 1]:
        while start > 0 and mask[start - 1] and text[start - 1] != "\n":
            start -= 1
        if start > 0 and text[start - 1] in OPEN_QUOTES + '"':
            start -= 1
    return start, end


ROLE_WINDOW = 80  # tokens either side of a cue the role tagger reads (whole sentences in news)
LONG_SENTENCE = 250  # beyond this (run-on or garbage text) the subtree-walking rules stand aside
CUE_THRESHOLD = 0.55  # a token is a cue when P(O) under the cue CRF falls below 1 - this (chosen on dev)


def _cue_runs(tagger: pycrfsuite.Tagger, n: int, offset: int) -> list[tuple[list[int], float]]:
    """Cue spans from the cue CRF's marginals (a recall knob the Viterbi path lacks)."""
    runs: list[tuple[list[int], float]] = []
    prev = False
    for k in range(n):
        p = 1.0 - tagger.marginal("O", k)
        if p >= CUE_THRESHOLD:
            if prev and tagger.marginal("B-CUE", k) < tagger.marginal("I-CUE", k) + 0.3:
                runs[-1][0].append(offset + k)
                runs[-1] = (runs[-1][0], max(runs[-1][1], p))
            else:
                runs.append(([offset + k], p))
            prev = True
        else:
            prev = False
    return runs


def _cut_at_cue(text: str, mask: list[bool], start: int, end: int, cue: list[Token],
                source: list[Token]) -> tuple[int, int]:
    """Content that runs across its own cue keeps one side, unless both sides are quotations
    ("The plan," he said, "is dead.")."""
    lo, hi = min(t.i for t in cue), max(t.i for t in cue)
    near = [t for t in source if lo - 5 <= t.i <= hi + 5]  # "he said", "said Ms. Lee"
    cs = min(t.idx for t in cue + near)
    ce = max(t.idx + len(t.text) for t in cue + near)
    if not (start < cs and ce < end):
        return start, end
    before = _trim(text, start, cs)
    after = _trim(text, ce, end)
    q_before = before[1] > before[0] and (_is_mark(text, before[0]) or _is_mark(text, before[1] - 1))
    q_after = after[1] > after[0] and (_is_mark(text, after[0]) or _quote_resumes(text, mask, after))
    if q_before and q_after:
        return start, end
    if q_before or (after[1] > after[0] and text[after[0]] in ".!?"):
        return before  # '"A," X said, adding ...' / the cue ends its sentence ("..., X said.")
    if q_after or after[1] - after[0] >= before[1] - before[0]:
        return after
    return before


RESUME_WITHIN = 80  # characters of attribution adjunct between the cue and the resumed quotation


def _quote_resumes(text: str, mask: list[bool], after: tuple[int, int]) -> bool:
    """ '"A," X said at a rally in Ohio, "B."': after the cue's adjunct, within the sentence,
    a quotation resumes after a comma."""
    s, e = after
    for q in range(s, min(e, s + RESUME_WITHIN)):
        ch = text[q]
        if ch == "\n" or (ch in ".!?" and text[q + 1:q + 2] in (" ", "\n", "")):
            return False  # a sentence end (abbreviations such as "N.C.," run on)
        if _is_mark(text, q):
            return q + 1 < len(text) and mask[q + 1] and text[s:q].rstrip().endswith(",")
    return False


def _is_mark(text: str, i: int) -> bool:
    """A quotation mark at i: curly, straight, or one of a doubled-apostrophe pair ('' or ``)."""
    return text[i] in QUOTE_CHARS or text[i - 1:i + 1] in ("''", "``") or text[i:i + 2] in ("''", "``")


def _quote_before(text: str, mask: list[bool], cue: list[Token],
                  source: list[Token]) -> tuple[int, int] | None:
    """ '"A," said X.' / '"A?" X said.' when the role tagger gave no content: the quotation that
    closes just before the cue (or its subject), in the same or the previous sentence."""
    left = min([cue[0].idx] + [t.idx for t in source if t.i < cue[0].i])
    if mask[cue[0].idx]:
        return None
    e = left
    while e > 0 and text[e - 1] in " \t,":
        e -= 1
    if text[e - 2:e] == "''" and e >= 2:
        k = e - 2
    elif e > 0 and text[e - 1] in CLOSE_QUOTES + '"':
        k = e - 1
    else:
        return None
    st = k
    while st > 0 and mask[st - 1] and text[st - 1] != "\n":
        st -= 1
    if k - st < 2 + MIN_CONTENT_CHARS or not _is_mark(text, st):
        return None
    return st, e


def _syntactic_source(cue: list[Token]) -> list[Token]:
    """The subject of the cue, or of the verb a participial cue hangs from ("..., adding")."""
    tok = cue_anchor(cue)
    for _ in range(3):
        subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is not None:
            return [t for t in subj.subtree if not t.is_space]
        agent = next((c for c in tok.children if c.dep_ == "agent"), None)
        if agent is not None:
            return [t for c in agent.children if c.dep_ == "pobj" for t in c.subtree]
        if tok.dep_ not in ("advcl", "xcomp", "conj", "ccomp", "acl") or tok.head.i == tok.i:
            break
        tok = tok.head
    return []


def _snap_subtree(table: TokenTable, cont: list[int], cue: list[Token]) -> int:
    """The last content token, moved to the end of the content head's phrase when the tagger
    stopped inside it ("that Trump" -> "that Trump tells so many lies ...")."""
    s, e = table.sent_bounds(cont[0])
    if e - s > LONG_SENTENCE:
        return cont[-1]
    ids = set(cont)
    anchor = cue_anchor(cue).i
    last = cont[-1]
    heads: set[int] = set()
    for i in cont:
        h = table.head[i]
        if h in ids:
            continue
        sub = table.subtree(i)
        if anchor in sub or sub[0] < cont[0] - 1:
            continue
        if sub[-1] > last and sub[-1] < e:
            last = sub[-1]
        if h > cont[-1] and h != i:
            heads.add(h)
    for h in sorted(heads):
        # "that Trump | tells so many lies": the tagger stopped before the clause's own head
        sub = table.subtree(h)
        if anchor not in sub and sub[0] >= cont[0] - 1 and last < sub[-1] < e:
            last = sub[-1]
    return last


ADJUNCT_DEPS = frozenset({"advcl", "conj", "npadvmod"})
# prepositions that place the act of saying in time or on an occasion ("during the debate",
# "at a rally"); others ("criticized X as Y") often belong to what was said
OCCASION_PREPS = frozenset({"during", "at", "amid", "while", "since"})
DATE_PREPS = frozenset({"on", "in"})  # "on Friday", "in July"; not "from 1995" (what was published)
SPEECH_TYPES = frozenset({"speech", "report", "claim", "announce", "deny", "warn", "question"})


def _time_or_occasion(table: TokenTable, i: int) -> bool:
    """A prepositional phrase of time or occasion: "during ...", "at ...", "on Friday"."""
    return table.lower[i] in OCCASION_PREPS or (table.lower[i] in DATE_PREPS and any(
        table.dep[c] == "pobj" and table.ent[c] in ("DATE", "TIME") for c in table.children[i]))


def _cut_cue_adjuncts(table: TokenTable, first: int, last: int, cue: list[Token]) -> int:
    """The last content token, cut before a clause that hangs from the cue itself after the
    content ("has championed X [and extended Y]", "shows that A[, contradicting B]"): those
    modify the act of saying, not what is said. Prepositional adjuncts stay (gold often keeps
    "criticized X [as Y]"), as do tails holding a quotation."""
    anchor = cue_anchor(cue).i
    if first <= anchor or last - first > LONG_SENTENCE:
        return last
    cue_ids = {t.i for t in cue}
    seen_arg = False
    types = cue_types()
    for i in range(first, last + 1):
        h = table.head[i]
        if h != anchor and h not in cue_ids:
            if (seen_arg and table.dep[i] == "conj" and table.tag[i] == table.tag[anchor]
                    and types.get(table.lemma[i]) in SPEECH_TYPES
                    and not any(table.dep[c] in ("nsubj", "nsubjpass") for c in table.children[i])):
                pass  # "said A and warned B": a second cue coordinated with the first
            else:
                continue
        dep = table.dep[i]
        if seen_arg and (dep in ADJUNCT_DEPS or (dep == "prep" and _time_or_occasion(table, i))):
            if any(table.quoted[k] for k in range(i, last + 1)):
                return last  # a quotation in the tail: part of what was said ("... and called it \"X\"")
            j = i - 1
            while j > first and table.pos[j] in ("PUNCT", "CCONJ", "SPACE"):
                j -= 1
            return j
        if dep not in ("punct", "cc"):
            seen_arg = True
    return last


# A comment set off after the content (", which ...", ", the presumed favourite", ", citing ...",
# " -- a charge that ..."): the writer's aside, not what the source said.
TAIL_SEPARATORS = frozenset({",", "\u2014", "\u2013", "\u2015", "--", "-"})
TAIL_RELATIVES = frozenset({"which", "who", "whom", "whose", "where", "when"})
TAIL_MARKS = frozenset({"although", "though", "while", "whereas", "even", "when", "as"})


def _cut_tail(table: TokenTable, first: int, last: int, cue: list[Token]) -> int:
    """The last content token, cut before a non-restrictive tail that closes the content: a
    relative clause, an apposition or a participial/concessive clause after a comma or dash.
    Only for reported content after its cue; a tail holding a quotation stays."""
    anchor = cue_anchor(cue).i
    if first <= anchor or last - first > LONG_SENTENCE:
        return last
    texts, head, dep, tag, lower = table.texts, table.head, table.dep, table.tag, table.lower
    for k in range(first + 2, last + 1):
        if texts[k - 1] not in TAIL_SEPARATORS:
            continue
        r = k
        for _ in range(MAX_TAIL_HOPS):
            if not k <= head[r] <= last or head[r] == r:
                break
            r = head[r]
        if head[r] >= k - 1 or any(table.quoted[j] for j in range(k, last + 1)):
            continue
        sub = table.subtree(r)
        if sub[0] < k or sub[-1] < last:
            continue
        d = dep[r]
        if not (d == "appos" or (d == "relcl" and lower[k] in TAIL_RELATIVES)
                or (d in ("advcl", "acl") and (tag[r] in ("VBG", "VBN") or lower[k] in TAIL_MARKS))):
            continue
        j = k - 2
        while j > first and table.pos[j] in ("PUNCT", "SPACE"):
            j -= 1
        return j
    return last


MAX_TAIL_HOPS = 8


def _mend_split(table: TokenTable, last: int) -> int:
    """Content that stops at the end of a parser "sentence" that has no closing punctuation
    ("she felt the 13th | Amendment was worth ...") runs on to the end of the next sentence of
    the same paragraph: the parser split a sentence, the content did not end there."""
    s, e = table.sent_bounds(last)
    n = len(table.texts)
    if last != e - 1 or e >= n or table.pos[last] in ("PUNCT", "SPACE") or "\n" in table.texts[e]:
        return last
    if table.texts[last][-1:] in ".!?" or not table.texts[e][:1].isalnum():
        return last
    _, e2 = table.sent_bounds(e)
    if e2 - s > LONG_SENTENCE:
        return last
    j = e2 - 1
    while j > e and table.pos[j] in ("PUNCT", "SPACE") and not table.quoted[j]:
        j -= 1
    return j


COLON_REACH = 600  # characters a colon-introduced statement may run on for


def _after_colon(text: str, mask: list[bool], start: int, end: int, cue_end: int) -> tuple[int, int]:
    """ "X added: A. B. C.": reported speech introduced by a colon runs to the end of its
    paragraph (within reach), not to the end of its first sentence. Quotations are left to the
    quotation rules."""
    if not (cue_end <= start and text[:start].rstrip().endswith(":")
            and text[cue_end:start].strip() in ("", ":")) or mask[start]:
        return start, end
    nl = text.find("\n", end)
    stop = min(nl if nl >= 0 else len(text), start + COLON_REACH)
    if stop <= end or any(mask[i] for i in range(end, stop)):
        return start, end
    return start, _trim(text, start, stop)[1]


def _one_paragraph(text: str, start: int, end: int, cue_start: int) -> tuple[int, int]:
    """Content does not cross a line break: keep the paragraph nearest the cue."""
    if "\n" not in text[start:end]:
        return start, end
    if cue_start >= end:
        s, e = text.rfind("\n", start, end) + 1, end
    elif cue_start < start:
        s, e = start, text.find("\n", start, end)
    else:
        s = text.rfind("\n", start, cue_start) + 1 if "\n" in text[start:cue_start] else start
        nl = text.find("\n", cue_start, end)
        e = nl if nl >= 0 else end
    s, e = _trim(text, s, e)
    return (s, e) if e - s >= MIN_CONTENT_CHARS else (start, end)


def _continue_quote(text: str, mask: list[bool], start: int, end: int, cue_end: int,
                    sent_end: int) -> tuple[int, int]:
    """ '"A," he said. "B."': a quotation before its cue goes on with the quotation that opens
    right after the cue's sentence, in the same paragraph."""
    if not (start < end <= cue_end <= sent_end):
        return start, end
    # a quotation, or reported speech ending in one ('X was sure that "A," she said. "B."')
    if text[start] not in OPEN_QUOTES + '"' + "'`" and not (
            text[end - 1] in CLOSE_QUOTES + '"' or text[end - 2:end] == "''"):
        return start, end
    j = sent_end
    while j > cue_end and text[j - 1] in " \t":
        j -= 1
    # the parser may end the cue's sentence after the next quotation's opening mark
    if text[j - 2:j] in ("''", "``") and j - 2 >= cue_end and j < len(text) and mask[j]:
        j -= 2
    elif text[j - 1] in OPEN_QUOTES and j - 1 >= cue_end:
        j -= 1
    while j < len(text) and text[j] in " \t":
        j += 1
    if text[j:j + 2] in ("''", "``"):
        j += 1
    if j >= len(text) or text[j] not in OPEN_QUOTES + '"\'`' or j + 1 >= len(text) or not mask[j + 1]:
        return start, end
    k = j + 1
    while k < len(text) and mask[k] and text[k] != "\n":
        k += 1
    if text[k:k + 2] == "''":
        k += 2
    elif k < len(text) and text[k] in CLOSE_QUOTES + '"':
        k += 1
    # One span holds both quotations and what lies between; past a long description of the
    # speaker ('"A," said X, a lawyer who ... "B."') the first quotation alone is the better span.
    a, b, gap = end - start, k - j, j - end
    if a * gap > b * (a + b):
        return start, end
    return start, k


def _statistical(ctx: Context, table: TokenTable, taggers: tuple[pycrfsuite.Tagger, pycrfsuite.Tagger],
                 mask: list[bool]) -> list[_Found]:
    doc, text = ctx.doc, ctx.text
    cue_tagger, role_tagger = taggers
    found: list[_Found] = []
    for sent in table.sent_spans():
        if all(table.pos[i] == "SPACE" for i in range(sent.start, sent.end)):
            continue
        cue_tagger.set(table.cue_features(sent.start, sent.end))
        for run, p_cue in _cue_runs(cue_tagger, len(sent), sent.start):
            cue = _clean_cue([doc[i] for i in run if not doc[i].is_space])
            if not cue:
                continue
            # the cue's sentence, or a window of it around the cue in run-on "sentences"
            ws = max(sent.start, cue[0].i - ROLE_WINDOW)
            we = min(sent.end, cue[-1].i + ROLE_WINDOW)
            role_tagger.set(table.role_features(ws, we, cue))
            roles = role_tagger.tag()
            cont = [i for k, i in enumerate(range(ws, we)) if roles[k].endswith("CON")]
            srcs = _runs(roles, "SRC", ws)
            source: list[Token] = []
            if srcs:
                anchor = cue_anchor(cue).i
                best = min(srcs, key=lambda r: min(abs(i - anchor) for i in r))
                source = [doc[i] for i in best]
            elif len(sent) <= LONG_SENTENCE:
                source = _syntactic_source(cue)
            if cont:
                p_con = sum(role_tagger.marginal(roles[i - ws], i - ws) for i in cont) / len(cont)
                last = _cut_cue_adjuncts(table, cont[0], _snap_subtree(table, cont, cue), cue)
                last = _cut_tail(table, cont[0], last, cue)
                last = _mend_split(table, last)
                start, end = _trim(text, doc[cont[0]].idx, doc[last].idx + len(doc[last].text))
                start, end = _cut_at_cue(text, mask, start, end, cue, source)
                anchor_tok = cue_anchor(cue)
                subj = next((c for c in anchor_tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
                if subj is not None and not mask[anchor_tok.idx] and _parenthetical(table, subj, anchor_tok):
                    start, end = _trim(text, sent.start_char, sent.end_char)  # "A, X said, B."
                start, end = _one_paragraph(text, start, end, cue[0].idx)
                start, end = _after_colon(text, mask, start, end, _char_span(cue)[1])
                start, end = _extend_quote(text, mask, start, end)
                start, end = _continue_quote(text, mask, start, end, _char_span(cue)[1],
                                             sent.end_char if not sent[-1].is_space else sent[-1].idx)
            else:
                anchor_tok = cue_anchor(cue)
                span = None
                if anchor_tok.lemma_.lower() in speech_cues() and not mask[anchor_tok.idx]:
                    subj = next((c for c in anchor_tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
                    span = _syntactic_content(ctx, table, mask, anchor_tok, subj)
                span = (span or _quote_before(text, mask, cue, source)
                        or _inverted_report(table, sent, cue, source))
                if span is None:
                    continue
                start, end = _continue_quote(text, mask, *span, _char_span(cue)[1],
                                             sent.end_char if not sent[-1].is_space else sent[-1].idx)
                p_con = 0.5
            if end - start < MIN_CONTENT_CHARS:
                continue
            found.append(_nested(ctx, table, _Found(cue, source, (start, end), p_cue * 0.5 + p_con * 0.5)))
    return found


def _clean_cue(run: list[Token]) -> list[Token]:
    """A cue run without the subject the tagger sometimes swallows ("sources noted")."""
    anchor = cue_anchor(run)
    kept = [t for t in run if not (t.head.i == anchor.i and t.dep_ in ("nsubj", "nsubjpass", "poss"))
            and not (t.i < anchor.i and t.pos_ in ("NOUN", "PROPN", "PRON", "DET"))]
    return kept or run


def _nested(ctx: Context, table: TokenTable, f: _Found) -> _Found:
    """ "X quoted Y, ..." / "X cited Y as saying ...": Y is the source, X the channel (`via`);
    when the tagger took Y for the content, the content is what follows Y."""
    anchor = cue_anchor(f.cue)
    if anchor.lemma_.lower() not in ("quote", "cite"):
        return f
    obj = next((c for c in anchor.children if c.dep_ in ("dobj", "obj")), None)
    if obj is None or not _speaker_like(obj):
        return f
    obj_toks = [t for t in obj.subtree if not t.is_space]
    os_, oe = _char_span(obj_toks)
    via = f.source or _syntactic_source(f.cue)
    start, end = f.content
    if os_ <= start and end <= oe + 1 or (start < oe and end - start < 2 * (oe - os_)):
        sent = table.sent(anchor.i)
        start, end = _trim(ctx.text, oe, sent.end_char)
        if end - start < MIN_CONTENT_CHARS:
            return f
    return _Found(f.cue, obj_toks, (start, end), f.confidence, via=via or None)


def _speaker_like(tok: Token) -> bool:
    """Whether the object of "quote"/"cite" names who spoke ("cited an official", "quoted
    Smith") rather than what was cited ("cited the audit as the reason")."""
    return (tok.pos_ in ("PROPN", "PRON") or tok.ent_type_ in ("PERSON", "ORG", "NORP", "GPE")
            or tok.lemma_.lower() in source_nouns() or tok.lemma_.lower() in media_table()[2]
            or any(pat.search(" ".join(t.lower_ for t in tok.subtree)) for pat in anonymous_patterns()))


def _syntactic_content(ctx: Context, table: TokenTable, mask: list[bool], tok: Token,
                       subj: Token | None) -> tuple[int, int] | None:
    """The clausal complement of a speech verb, or for "..., X noted." the clause before X."""
    text = ctx.text
    sent = table.sent(tok.i)
    if len(sent) > LONG_SENTENCE:
        return None
    comp = next((c for c in tok.children if c.dep_ == "ccomp"), None)
    if comp is not None and comp.i > tok.i:
        sub = table.subtree(comp.i)
        last = ctx.doc[_cut_tail(table, sub[0], sub[-1], [tok])]
        start, end = ctx.doc[sub[0]].idx, last.idx + len(last.text)
    elif subj is not None and (comp is not None
                               or (sent.start + 2 < subj.i < tok.i and tok.i >= sent.end - 3)):
        first = min(t.i for t in subj.subtree)
        start, end = sent.start_char, ctx.doc[first].idx
    elif subj is not None and _parenthetical(table, subj, tok):
        # "The latest test, North Korea said, was its biggest yet."
        start, end = sent.start_char, sent.end_char
    else:
        return None
    start, end = _trim(text, start, end)
    start, end = _extend_quote(text, mask, start, end)
    return (start, end) if end - start >= MIN_CONTENT_CHARS else None


def _parenthetical(table: TokenTable, subj: Token, verb: Token) -> bool:
    """ ", X said," inside a sentence: commas around the subject and its verb."""
    first = min(table.subtree(subj.i))
    s, e = table.sent_bounds(verb.i)
    return (s < first - 1 and verb.i + 2 < e and table.texts[first - 1] == ","
            and table.texts[verb.i + 1] == "," and first < verb.i)


def _rule_claims(ctx: Context, table: TokenTable, mask: list[bool], found: list[_Found]) -> list[_Found]:
    """Speech verbs with a subject the taggers passed over: "X said that ...", "..., X noted."."""
    have = {t.i for f in found for t in f.cue}
    speech = speech_cues()
    extra: list[_Found] = []
    for i, lemma in enumerate(table.lemma):
        if table.pos[i] != "VERB" or i in have or lemma not in speech or table.quoted[i]:
            continue
        tok = ctx.doc[i]
        subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is None or subj.pos_ not in ("PROPN", "NOUN", "PRON") or subj.tag_ in ("WDT", "WP"):
            continue
        span = _syntactic_content(ctx, table, mask, tok, subj)
        if span is not None:
            extra.append(_Found([tok], [t for t in subj.subtree if not t.is_space], span, 0.45))
    extra.extend(_belief_claims(ctx, table, have | {t.i for f in extra for t in f.cue}))
    extra.extend(_noun_claims(ctx, table, have | {t.i for f in extra for t in f.cue}))
    extra.extend(_report_tails(ctx, table, {t.i for f in found + extra for t in f.cue}))
    return extra


def _noun_claims(ctx: Context, table: TokenTable, have: set[int]) -> list[_Found]:
    """A cue noun with an owner and a "that"-clause ("her statement that ...", "his claim that
    ..."): the owner is the source, the clause the content."""
    types = cue_types()
    out: list[_Found] = []
    for i, lemma in enumerate(table.lemma):
        if table.pos[i] != "NOUN" or i in have or table.quoted[i] or lemma not in types:
            continue
        tok = ctx.doc[i]
        owner = next((c for c in tok.children if c.dep_ == "poss" and c.i < i), None)
        comp = next((c for c in tok.children if c.dep_ in ("acl", "ccomp") and c.i > i
                     and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)), None)
        if owner is None or comp is None:
            continue
        sub = table.subtree(comp.i)
        start, end = _trim(ctx.text, ctx.doc[sub[0]].idx, ctx.doc[sub[-1]].idx + len(ctx.doc[sub[-1]].text))
        if end - start >= MIN_CONTENT_CHARS:
            src = [t for t in owner.subtree if not t.is_space and t.tag_ != "POS"]
            out.append(_Found([tok], src, (start, end), 0.4))
    return out


# cue types (cues.tsv) whose verbs, with a clausal complement, make a claim by rule
RULE_TYPES = frozenset({"belief", "evidence", "stance", "intent"})
RULE_COMPS = ("ccomp", "xcomp")


def _belief_claims(ctx: Context, table: TokenTable, have: set[int]) -> list[_Found]:
    """Beliefs, findings and intentions with a clausal complement the taggers passed over
    ("X believes that ...", "the poll shows that ...", "X wants to ..."): PolNeAR attributes
    them like speech."""
    types = cue_types()
    out: list[_Found] = []
    for i, lemma in enumerate(table.lemma):
        if table.pos[i] != "VERB" or i in have or table.quoted[i] or types.get(lemma) not in RULE_TYPES:
            continue
        tok = ctx.doc[i]
        subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        comp = next((c for c in tok.children if c.dep_ in RULE_COMPS and c.i > i), None)
        if subj is None or comp is None or subj.tag_ in ("WDT", "WP") or subj.i > i:
            continue
        s, e = table.sent_bounds(i)
        if e - s > LONG_SENTENCE:
            continue
        sub = table.subtree(comp.i)
        start, end = _trim(ctx.text, ctx.doc[sub[0]].idx, ctx.doc[sub[-1]].idx + len(ctx.doc[sub[-1]].text))
        if end - start >= MIN_CONTENT_CHARS:
            out.append(_Found([tok], [t for t in subj.subtree if not t.is_space], (start, end), 0.4))
    return out


def _report_tails(ctx: Context, table: TokenTable, have: set[int]) -> list[_Found]:
    """ "Reported by X." / "This was stated by the minister X.": a sentence that is only a report
    verb and its source attributes the sentence before it."""
    speech = speech_cues()
    out: list[_Found] = []
    for s, e in table.sents[1:]:
        if not any(table.lemma[i] in speech for i in range(s, min(e, s + 6))):
            continue
        sent = ctx.doc[s:e]
        words = [t for t in sent if not t.is_space and not t.is_punct]
        if len(words) < 2:
            continue
        cue = next((t for t in words[:4] if t.lemma_.lower() in speech and t.tag_ in ("VBD", "VBN")), None)
        if cue is None or cue.i in have:
            continue
        tail = [t for t in words if t.i > cue.i and t.lower_ != "by"]
        if not tail or any(t.pos_ in ("VERB", "AUX") for t in tail) or all(t.pos_ != "PROPN" for t in tail):
            continue
        prev = table.sent(sent.start - 1)
        while prev.start > 0 and not prev.text.strip():
            prev = table.sent(prev.start - 1)
        start, end = _trim(ctx.text, prev.start_char, prev.end_char)
        if end - start >= MIN_CONTENT_CHARS:
            out.append(_Found([cue], tail, (start, end), 0.4))
    return out


def _inverted_report(table: TokenTable, sent: SpacySpan, cue: list[Token],
                     source: list[Token]) -> tuple[int, int] | None:
    """ "This was reported by X." / "Reported X." with nothing else to report: the content is the
    previous sentence."""
    if not source or cue_anchor(cue).lemma_.lower() not in speech_cues():
        return None
    used = {t.i for t in cue} | {t.i for t in source}
    rest = [t for t in sent if t.i not in used and not t.is_punct and not t.is_space
            and t.pos_ not in ("DET", "ADP", "PRON", "AUX", "ADV", "PART")
            and not any(s.i in (t.head.i,) for s in source) and t.head.i not in used]
    if rest or sent.start == 0:
        return None
    prev = table.sent(sent.start - 1)
    start, end = _trim(sent.doc.text, prev.start_char, prev.end_char)
    return (start, end) if end - start >= MIN_CONTENT_CHARS else None


_SIGNATURE = re.compile(  # no-break spaces are common around the dash and after the name
    "[\u201d\"][ \t\u00a0]*([\u2015\u2014\u2013])[ \t\u00a0]*"
    "([A-Z][\\w.'\u2019-]{0,40}(?:[ \t\u00a0]+[A-Z][\\w.'\u2019-]{0,40}){0,4})[ \t\u00a0]*[.,]?[ \t\u00a0]*$")


def _dash_signed(ctx: Context, have: list[_Found]) -> list[_Found]:
    """Testimonials signed with a dash: '"Quote." \u2015 Jane Doe' (the name signs the quote).
    Line by line, anchored at the line's end, so the cost stays linear in the text."""
    out: list[_Found] = []
    doc, text = ctx.doc, ctx.text
    pos = 0
    for line in text.split("\n"):
        base, pos = pos, pos + len(line) + 1
        if not any(d in line for d in "\u2015\u2014\u2013"):
            continue
        m = _SIGNATURE.search(line, max(0, len(line) - 300))
        if m is None:
            continue
        opening = next((i for i, ch in enumerate(line[:m.start()]) if ch in QUOTE_CHARS), None)
        if opening is None or m.start() + 1 - opening < 5:
            continue
        cue = doc.char_span(base + m.start(1), base + m.end(1), alignment_mode="expand")
        src = doc.char_span(base + m.start(2), base + m.end(2), alignment_mode="expand")
        if cue is None or src is None:
            continue
        content = (base + opening, base + m.start() + 1)
        out.append(_Found(list(cue), [t for t in src if not t.is_punct], content, 0.6))
    return out


_TURN = re.compile("^[ \t]*[\"\u201c]?[ \t]*([A-Z][A-Z.'\u2019 -]{0,38}[A-Z.]):[ \t]+(\\S[^\n]*)$", re.M)


def _transcript_turns(ctx: Context) -> list[_Found]:
    """Transcripts ("SMITH: We will ..."): a paragraph opened by a speaker's name in capitals and
    a colon is that speaker's turn, running on over the following paragraphs that open no turn
    of their own. Only where the text has at least two turns, so that a single all-caps
    headline label ("UPDATE: ...") is not taken for a speaker."""
    doc, text = ctx.doc, ctx.text
    turns = list(_TURN.finditer(text))
    if len(turns) < 2:
        return []
    out: list[_Found] = []
    for k, m in enumerate(turns):
        end = m.end(2)
        limit = turns[k + 1].start() if k + 1 < len(turns) else len(text)
        blank = text.find("\n\n", end, limit)  # a paragraph that opens no turn and is quoted
        while blank >= 0:
            nxt = blank + 2
            while nxt < limit and text[nxt] in " \t\n":
                nxt += 1
            if nxt >= limit or text[nxt] not in OPEN_QUOTES + '"':
                break
            line_end = text.find("\n", nxt, limit)
            end = line_end if line_end >= 0 else limit
            blank = text.find("\n\n", end, limit)
        start, end = _trim(text, m.start(2), end)
        cue = doc.char_span(m.end(1), m.end(1) + 1, alignment_mode="expand")
        src = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        if cue is None or src is None or end - start < MIN_CONTENT_CHARS:
            continue
        out.append(_Found(list(cue), [t for t in src if not t.is_punct] or list(src), (start, end), 0.6))
    return out


def _floating_quotes(ctx: Context, mask: list[bool], found: list[_Found]) -> list[_Found]:
    """Quoted paragraphs no claim covers, whose speaker is the last source of the paragraph
    before: the quote continues the previous speaker ("floating" quotes)."""
    text = ctx.text
    covered = [f.content for f in found]
    extra: list[_Found] = []
    pos = 0
    paragraphs = []
    for para in text.split("\n"):
        paragraphs.append((pos, pos + len(para)))
        pos += len(para) + 1
    last_source: _Found | None = None
    by_para = sorted(found, key=lambda f: f.content[0])
    fi = 0
    for pstart, pend in paragraphs:
        para_found = []
        while fi < len(by_para) and by_para[fi].content[0] < pend + 1:
            para_found.append(by_para[fi])
            fi += 1
        s, e = _trim(text, pstart, pend)
        if e - s > 20 and not para_found and text[s] in OPEN_QUOTES + '"' and last_source is not None:
            if all(mask[i] or text[i] in QUOTE_CHARS or text[i] in ".!?" for i in range(s, e)) and not any(
                    a < e and s < b for a, b in covered):
                extra.append(_Found(last_source.cue, last_source.source, (s, e), 0.4))
        if para_found:
            with_source = [f for f in para_found if f.source]
            last_source = with_source[-1] if with_source else None
        elif e > s and text[s] not in OPEN_QUOTES + '"':
            last_source = None
    return extra


class _Resolver:
    """Source resolution for one document: entity linking, pronouns, definite descriptions,
    media outlets and anonymous sources, with the claims found so far as discourse context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.text = ctx.text
        self.entities = ctx.entities
        regex, self.media_words, self.media_nouns = media_table()
        self.media_spans = [(m.start(), m.end()) for m in regex.finditer(self.text)]
        self.history: list[Source] = []

    def is_media_name(self, name: str, start: int = -1, end: int = -1) -> bool:
        if any(s < end and start < e for s, e in self.media_spans):
            return True
        return any(w in self.media_words for w in name.split()[1:]) and name[:1].isupper()

    def entity_source(self, start: int, end: int, ent: Any) -> Source:
        name = ent.name
        kind: SourceKind
        if self.is_media_name(name, *self._mention_near(ent, start, end)):
            kind = "media"
        elif ent.type == "PERSON":
            kind = "person"
        elif ent.type in ("ORG", "NORP", "GPE", "FAC", "LOC", "MEDIA"):
            kind = "media" if ent.type == "MEDIA" else "organization"
        else:
            kind = "unknown"
        role = self._role(start, end, ent)
        return Source(start, end, self.text[start:end], entity=ent.id, name=name, kind=kind, role=role)

    def _mention_near(self, ent: Any, start: int, end: int) -> tuple[int, int]:
        for m in ent.mentions:
            if m.start < end and start < m.end:
                return m.start, m.end
        return (ent.mentions[0].start, ent.mentions[0].end) if ent.mentions else (start, end)

    def _role(self, start: int, end: int, ent: Any) -> str | None:
        """The title in the source phrase before or after the name ("Secretary of ... Rustem
        Umerov", "Rustem Umerov, the secretary of ..."), else the entity's first role."""
        mention = next((m for m in ent.mentions if start <= m.start and m.end <= end), None)
        if mention is not None:
            before = self.text[start:mention.start].strip(" ,")
            after = self.text[mention.end:end].strip(" ,")
            for cand in (before, after):
                words = cand.split()
                if words and words[0].lower() in ("the", "a", "an"):
                    words = words[1:]
                cand = " ".join(words).strip(" ,")
                if cand and len(cand) > 2 and not cand.endswith("'s"):
                    return cand
        roles = getattr(ent, "roles", None)
        return roles[0] if roles else None

    def resolve(self, toks: list[Token]) -> Source:
        if len(toks) == 1 and toks[0].dep_ == "poss" and toks[0].head.pos_ in ("NOUN", "PROPN"):
            toks = [t for t in toks[0].head.subtree if not t.is_space]  # "His sources", not "His"
        start, end = _char_span(toks)
        text = self.text[start:end]
        low = text.lower()
        ids = {x.i for x in toks}
        head = max(toks, key=lambda t: (t.head.i not in ids or t.head.i == t.i, t.pos_ != "DET"))
        for pat in anonymous_patterns():
            if pat.search(low):
                return Source(start, end, text, kind="anonymous")
        ent = self._entity_in(start, end)
        if ent is not None:
            return self.entity_source(start, end, ent)
        for s, e in self.media_spans:
            if s < end and start < e:
                return Source(start, end, text, name=self.text[s:e], kind="media")
        if len(toks) == 1 and toks[0].pos_ == "PRON" and low in PRONOUNS:
            return self._pronoun(start, end, PRONOUNS[low])
        hl = head.lemma_.lower()
        det = any(t.lower_ in ("the", "this", "that") for t in toks if t.i < head.i)
        if det and (hl in self.media_nouns or head.lower_ in self.media_nouns or any(
                t.lower_ in self.media_nouns for t in toks if t.i < head.i and t.dep_ == "compound")):
            prev = self._previous(("media",))
            if prev is not None:
                return Source(start, end, text, entity=prev.entity, name=prev.name, kind="media")
            return Source(start, end, text, kind="media")
        nouns = source_nouns()
        if det and hl in nouns:
            want = nouns[hl]
            prev = self._previous((want,), noun=hl)
            if prev is not None:
                return Source(start, end, text, entity=prev.entity, name=prev.name, kind=prev.kind,
                              role=prev.role)
            if want == "person" and self.entities is not None:
                ent = self.entities.antecedent(start)
                if ent is not None:
                    return Source(start, end, text, entity=ent.id, name=ent.name, kind="person",
                                  role=ent.roles[0] if ent.roles else None)
        kind: SourceKind = "person" if head.ent_type_ == "PERSON" else "unknown"
        return Source(start, end, text, kind=kind)

    def owner(self, toks: list[Token]) -> Source | None:
        """For "his/its/their sources": who the possessive stands for, as a `via`."""
        poss = next((t for t in toks if t.dep_ == "poss" and t.pos_ == "PRON"), None)
        if poss is None:
            return None
        owner = self._pronoun(poss.idx, poss.idx + len(poss.text), "any")
        return owner if owner.name else None

    def _entity_in(self, start: int, end: int) -> Any:
        if self.entities is None:
            return None
        best, best_len = None, 0
        for ent in self.entities.entities:
            if ent.type not in ("PERSON", "ORG", "NORP", "GPE", "MEDIA", "FAC"):
                continue
            for m in ent.mentions:
                if start <= m.start and m.end <= end and m.end - m.start > best_len:
                    best, best_len = ent, m.end - m.start
        if best is not None:
            # a person named in the phrase outranks the organisation of their title
            persons = [e for e in self.entities.entities if e.type == "PERSON" and any(
                start <= m.start and m.end <= end for m in e.mentions)]
            if persons and best.type != "PERSON":
                return persons[-1]
        return best

    def _pronoun(self, start: int, end: int, want: str) -> Source:
        text = self.text[start:end]
        prev = self._previous(("person",) if want == "person" else (
            ("organization", "media") if want == "organization" else ("person", "organization", "media",
                                                                      "anonymous")))
        if prev is not None and prev.end <= start and start - prev.end < 1500:
            return Source(start, end, text, entity=prev.entity, name=prev.name, kind=prev.kind,
                          role=prev.role)
        if self.entities is not None:
            types = {"person": ("PERSON",), "organization": ("ORG",)}.get(want, ("PERSON", "ORG"))
            ent = self.entities.antecedent(start, types)
            if ent is not None:
                kind: SourceKind = "person" if ent.type == "PERSON" else "organization"
                return Source(start, end, text, entity=ent.id, name=ent.name, kind=kind,
                              role=ent.roles[0] if ent.roles else None)
        return Source(start, end, text, kind="unknown")

    def _previous(self, kinds: tuple[str, ...], noun: str | None = None) -> Source | None:
        """The most recent resolved source (or `via`) of one of the kinds; for a role noun, one
        whose role mentions it first."""
        named = [s for s in reversed(self.history[-100:]) if s.kind in kinds and (s.name or s.entity)]
        if noun:
            for s in named:
                if s.role and noun in s.role.lower():
                    return s
        return named[0] if named else None


def _said_on(ctx: Context, table: TokenTable, cue: list[Token], content: tuple[int, int]) -> DateRef | None:
    """A date attached to the cue verb ("wrote Axios on December 17", "On Monday, X said")."""
    anchor = cue_anchor(cue)
    sent = table.sent(anchor.i)
    for tx in ctx.timexes:
        if not (sent.start_char <= tx.start < sent.end_char) or (content[0] <= tx.start < content[1]):
            continue
        span = ctx.doc.char_span(tx.start, tx.end, alignment_mode="expand")
        if span is None:
            continue
        tok: Token = span.root
        hops = 0
        while tok.head.i != tok.i and hops < 4 and tok.i != anchor.i:
            tok = tok.head
            hops += 1
            if tok.pos_ in ("VERB", "AUX") and tok.i != anchor.i:
                break
        if tok.i == anchor.i:
            return _dateref(tx)
    return None


def _dateref(tx: Timex) -> DateRef:
    return DateRef(value=tx.value, timex=tx.id)


def _via(source_toks: list[Token], cue: list[Token],
         resolver: _Resolver) -> tuple[list[Token], Source | None]:
    """Nested attribution: "X quoted Y" / "X cited Y" -> source Y via X; "Y told X" with an
    outlet X -> source Y via X."""
    anchor = cue_anchor(cue)
    lemma = anchor.lemma_.lower()
    if lemma in ("quote", "cite"):
        obj = next((c for c in anchor.children if c.dep_ in ("dobj", "obj")), None)
        subj = next((c for c in anchor.children if c.dep_ in ("nsubj",)), None)
        if obj is not None and subj is not None and _speaker_like(obj):
            return list(obj.subtree), resolver.resolve(list(subj.subtree))
    return source_toks, None


def _kind(text: str, mask: list[bool], start: int, end: int) -> ClaimKind:
    letters = [i for i in range(start, end) if text[i].isalnum()]
    if not letters:
        return "indirect"
    inside = sum(1 for i in letters if mask[i])
    if inside >= 0.9 * len(letters):
        return "direct"
    return "mixed" if inside >= 3 else "indirect"


def _in_credit(text: str, offset: int) -> bool:
    """Whether `offset` lies in a photo credit, byline or similar line."""
    ls = text.rfind("\n", 0, offset) + 1
    le = text.find("\n", offset)
    line = text[ls: le if le >= 0 else len(text)]
    return any(p.search(line) for p in credit_patterns())


def annotate(ctx: Context) -> None:
    """Stage 3: fill `ctx.claims`."""
    taggers = _taggers()
    if taggers is None:
        return
    doc: Doc = ctx.doc
    text = ctx.text
    mask = quote_mask(text)
    table = TokenTable(doc, mask, text, ctx.tokens)
    found = _statistical(ctx, table, taggers, mask)
    found.extend(_rule_claims(ctx, table, mask, found))
    signed = _dash_signed(ctx, found) + _transcript_turns(ctx)
    if signed:  # the signature names the speaker better than a cue the tagger found inside
        spans = [f.content for f in signed]
        found = [f for f in found if not any(_jaccard(f.content, s) > 0.3 for s in spans)] + signed
    found.extend(_floating_quotes(ctx, mask, found))
    found = _drop_nested(found)
    found.sort(key=lambda f: (f.content[0], -f.confidence))
    resolver = _Resolver(ctx)
    claims: list[Claim] = []
    taken: list[tuple[int, int]] = []
    for f in sorted(found, key=lambda f: f.cue[0].i):
        start, end = f.content
        if _in_credit(text, f.cue[0].idx) or any(_jaccard((start, end), t) >= 0.8 for t in taken[-50:]):
            continue
        via: Source | None
        if f.via:
            src_toks, via = f.source, resolver.resolve(f.via)
        else:
            src_toks, via = _via(f.source, f.cue, resolver)
        passive = f.via is None and _passive_target(f.cue, src_toks)
        source = resolver.resolve(src_toks) if src_toks and not passive else None
        kind = _kind(text, mask, start, end)
        if source is None and kind != "direct" and not passive:
            continue  # an unsourced reported statement is mostly a tagger false alarm (PolNeAR dev)
        taken.append((start, end))
        if via is None and source is not None and source.kind == "anonymous":
            via = resolver.owner(src_toks)  # "His sources": the sources of the one named before
        elif via is not None:
            resolver.history.append(via)
        if source is not None:
            resolver.history.append(source)
        anchor = cue_anchor(f.cue)
        cs, ce = _char_span(f.cue)
        claims.append(Claim(
            id="",
            kind=kind,
            content=Span.of(text, start, end),
            cue=Cue(cs, ce, text[cs:ce], lemma=anchor.lemma_.lower() if len(f.cue) == 1 else " ".join(
                t.lemma_.lower() for t in f.cue)),
            source=source,
            via=via,
            said_on=_said_on(ctx, table, f.cue, f.content),
            confidence=round(f.confidence * (1.0 if source is not None else 0.8), 3),
        ))
    claims.sort(key=lambda c: (c.content.start, c.content.end))
    for n, c in enumerate(claims, 1):
        c.id = f"c{n}"
    ctx.claims = claims


def _drop_nested(found: list[_Found]) -> list[_Found]:
    """Claims found inside the content of another claim, cue and all ("X said that Y wants Z"
    -> "Y wants Z"): on PolNeAR dev the taggers' nested claims are mostly false alarms (a quarter
    right), so the outer claim stands alone. One sweep over the claims sorted by start."""
    order = sorted(found, key=lambda f: (f.content[0], -f.content[1]))
    kept: list[_Found] = []
    witness: tuple[int, int] | None = None
    for f in order:
        s, e = f.content
        if (witness is not None and witness[0] <= s and e <= witness[1] and (s, e) != witness
                and witness[0] <= f.cue[0].idx < witness[1]):
            continue
        kept.append(f)
        if witness is None or e > witness[1]:
            witness = (s, e)
    return kept


def _passive_target(cue: list[Token], src: list[Token]) -> bool:
    """ "X was accused of ...", "X has been criticized for ...": the subject of a passive cue
    without a by-agent is its target, not its source; nor is an expletive "it" a source. Such a
    claim has no source."""
    if not src:
        return False
    anchor = cue_anchor(cue)
    if len(src) == 1 and (src[0].dep_ == "expl" or (src[0].lower_ == "it" and anchor.pos_ in ("ADJ", "AUX"))):
        return True  # "it is clear that ...", "it seems that ...": nobody is quoted
    subj = next((c for c in anchor.children if c.dep_ == "nsubjpass"), None)
    if subj is None or any(c.dep_ == "agent" for c in anchor.children):
        return False
    doc = anchor.doc
    if any(t.lemma_.lower() in speech_cues() and t.tag_ == "VBG"
           for t in doc[anchor.i + 1:min(len(doc), anchor.i + 4)]):
        return False  # "X was quoted as saying", "X was heard telling": X speaks
    return subj.left_edge.i <= src[0].i <= subj.right_edge.i


def _jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))
