"""Token features for the attribution taggers, shared by training and inference.

Both CRFs (cue tagger, per-cue source/content tagger) read the same per-document token table,
built once per document, so that the statistical layer costs a fraction of the parse. Features
are plain strings (`name=value`), the input format of CRFsuite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.attrs import ENT_TYPE, LEMMA, SENT_START, TAG
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from .lexicon import cue_types
from .types import Tokens, hash_strings

OPEN_QUOTES = "\u201c\u00ab\u201e"
CLOSE_QUOTES = "\u201d\u00bb"
STRAIGHT_QUOTES = '"'
QUOTE_CHARS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTES


_MARKS = re.compile("``|''|[\n" + OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTES + "]")


def quote_mask(text: str) -> list[bool]:
    """Per character: inside a quotation. Quotes never run past a line break, so a stray mark
    (odd number of marks) or an unclosed paragraph of a multi-paragraph quote stops there.
    Curly, straight and doubled-apostrophe (''...'', ``...'') marks are understood."""
    mask = [False] * len(text)
    inside, since = False, 0
    for m in _MARKS.finditer(text):
        i, mark = m.start(), m.group()
        if inside:
            mask[since:i] = [True] * (i - since)
        if mark == "\n":
            inside = False
        elif mark in OPEN_QUOTES or mark == "``":
            inside = True
        elif mark in CLOSE_QUOTES:
            inside = False
        else:
            inside = not inside
        if inside:
            mask[i:m.end()] = [True] * (m.end() - i)
        since = m.end()
    if inside:
        mask[since:] = [True] * (len(text) - since)
    return mask


# relations whose dependent's lemma is a cue-tagger feature of its head (particles, negation,
# auxiliaries, the object): the rest contribute only their relation
FUNCTION_DEPS = frozenset({"prep", "prt", "mark", "advmod", "neg", "aux", "auxpass", "acomp", "dobj"})
MAX_DEPTH = 60  # ancestor walks stop here (real parses are far shallower)
# a token's children with these relations are features of it (in this order)
KID_DEPS = ("ccomp", "nsubj", "nsubjpass", "dobj", "xcomp", "mark", "agent", "pobj", "dative")
_KID_BIT = {d: 1 << k for k, d in enumerate(KID_DEPS)}
# the relations present, in KID_DEPS order, for every combination of bits
_KIDS_OF_MASK = [tuple(d for k, d in enumerate(KID_DEPS) if m >> k & 1) for m in range(1 << len(KID_DEPS))]


def _dist(d: int) -> str:
    a = abs(d)
    b = str(a) if a < 4 else ("4-7" if a < 8 else ("8-15" if a < 16 else "16+"))
    return ("-" if d < 0 else "+") + b


def _dist_feature(d: int) -> str:
    return "dist=" + _dist(d)


_DIST = {d: _dist_feature(d) for d in range(-16, 17)}  # beyond, every distance is "16+"


class TokenTable:
    """Per-token base features of one document, computed once and reused by both taggers.

    Token attributes are read once into plain lists (spaCy `Token` objects are costly to
    create), and the tree (children, subtrees, sentences) is kept as index lists. The columns
    the other stages already read (`Context.tokens`) are shared rather than read again."""

    def __init__(self, doc: Doc, mask: list[bool] | None = None, text: str | None = None,
                 tokens: Tokens | None = None) -> None:
        self.doc = doc
        cues = cue_types()
        n = len(doc)
        if tokens is None:
            tokens = Tokens.of(doc)
        # the columns `Tokens` lacks; SENT_START because token 0's flag is the parser's, not forced
        arr = doc.to_array([LEMMA, TAG, ENT_TYPE, SENT_START]) if n else None
        if arr is not None:
            lemmas, tags, ents = arr[:, :3].T.tolist()
            lemma_raw, tag, ent = hash_strings(doc, lemmas, tags, ents)
            lowered = {x: x.lower() for x in set(lemma_raw)}
            lemma = list(map(lowered.__getitem__, lemma_raw))
            first_start = int(arr[0, 3]) == 1
        else:
            lemma, tag, ent, first_start = [], [], [], False
        lower, pos, dep, head, idx = tokens.lower, tokens.pos, tokens.dep, tokens.head, tokens.idx
        # a token's text is its slice of the document text (`Doc.text` joins them with their spaces)
        texts = tokens.text
        sent_starts = tokens.sent_starts
        starts = [False] * n
        for i in sent_starts:
            starts[i] = True
        if n:
            starts[0] = first_start
        if mask is None:
            mask = quote_mask(doc.text if text is None else text)
        self.lower, self.lemma, self.pos, self.dep, self.head, self.idx = lower, lemma, pos, dep, head, idx
        self.tag, self.ent = tag, ent
        self.texts, self.sent_start = texts, starts
        children: list[list[int]] = [[] for _ in range(n)]
        kid_mask = [0] * n  # which of KID_DEPS hang from each token, as bits
        subj = [-1] * n  # each token's first subject child
        for i, h in enumerate(head):
            if h != i:
                children[h].append(i)
                d = dep[i]
                if d in _KID_BIT:
                    kid_mask[h] |= _KID_BIT[d]
                    if subj[h] < 0 and (d == "nsubj" or d == "nsubjpass"):
                        subj[h] = i
        self.children = children
        bounds = [*sent_starts[1:], n]
        self.sents: list[tuple[int, int]] = list(zip(sent_starts, bounds, strict=True)) if n else []
        self.sent_of: list[int] = []
        for si, (s, e) in enumerate(self.sents):
            self.sent_of.extend([si] * (e - s))
        lm = len(mask)
        self.quoted = quoted = [i < lm and bool(mask[i]) for i in idx]
        self.base: list[list[str]] = []
        self.short: list[str] = []  # compact identity used as context for neighbours
        self.qm: list[bool] = []  # a quotation mark token (the base feature "qm")
        self.lemdep: list[str] = []  # "lemma|relation": the "ld" feature, and "-1d"/"+1d" of neighbours
        base, short, qm, lemdep = self.base, self.short, self.qm, self.lemdep
        for i in range(n):
            lem, d, p = lemma[i], dep[i], pos[i]
            h = head[i]
            lh = lemma[h]
            low = lower[i]
            ld = lem + "|" + d
            f = ["w=" + low, "l=" + lem, "p=" + p, "t=" + tag[i], "d=" + d, "hl=" + lh, "hp=" + pos[h],
                 "e=" + (ent[i] or "-"), "q=1" if quoted[i] else "q=0", "ld=" + ld,
                 "lp=" + lem + "|" + p]
            ctype = cues.get(lem)
            if ctype:
                f.append("cue=" + ctype)
                f.append("cued=" + ctype + "|" + d)
            if kid_mask[i]:
                for k in _KIDS_OF_MASK[kid_mask[i]]:
                    f.append("k=" + k)
                    f.append("lk=" + lem + "|" + k)
                c = subj[i]
                if c >= 0:
                    sj = ent[c] or pos[c]
                    f.append("sj=" + sj)
                    f.append("lsj=" + lem + "|" + sj)
            f.append("hld=" + lh + "|" + d)
            f.append("suf=" + low[-3:])
            t = texts[i]
            mark = t in QUOTE_CHARS or t in ("''", "``", "'")
            if mark:
                f.append("qm")
            if starts[i]:
                f.append("ss")
            if t[:1].isupper():
                f.append("cap")
            base.append(f)
            short.append(lem + "|" + p)
            lemdep.append(ld)
            qm.append(mark)

    def subtree(self, i: int) -> list[int]:
        """Token i and its descendants, in text order."""
        out, stack = [], [i]
        while stack:
            j = stack.pop()
            out.append(j)
            stack.extend(self.children[j])
        out.sort()
        return out

    def sent_bounds(self, i: int) -> tuple[int, int]:
        return self.sents[self.sent_of[i]]

    def sent(self, i: int) -> SpacySpan:
        """The sentence of token i, without spaCy's sentence scan."""
        s, e = self.sents[self.sent_of[i]]
        return self.doc[s:e]

    def sent_spans(self) -> list[SpacySpan]:
        return [self.doc[s:e] for s, e in self.sents]

    def anchor(self, cue: Sequence[int]) -> int:
        """The syntactic head of a cue span (see `cue_anchor`), on indices."""
        if len(cue) == 1:
            return cue[0]
        ids = set(cue)
        heads = [t for t in cue if self.head[t] not in ids or self.head[t] == t]
        verbs = [t for t in heads if self.pos[t] in ("VERB", "AUX")] or [
            t for t in cue if self.pos[t] == "VERB"]
        return (verbs or heads or list(cue))[0]

    def cue_features(self, start: int, end: int) -> list[list[str]]:
        """Features for the cue tagger over tokens [start, end) (a sentence): the token, a window
        of three either side, and its place in the tree (the head's relation and cue type, the
        function words hanging from it: "point | out", "accord | to", "do | not")."""
        short, base, lemma, dep, head, children = self.short, self.base, self.lemma, self.dep, self.head, \
            self.children
        lemdep = self.lemdep
        cues = cue_types()
        n = end - start
        # the window features, one list per offset (a comprehension each, not a test per token)
        win = []
        for off in (1, 2, 3):
            pad = min(off, n)
            before, after = f"-{off}=", f"+{off}="
            win.append([before + "BOS"] * pad + [before + x for x in short[start:max(start, end - off)]])
            win.append([after + x for x in short[start + off:end]] + [after + "EOS"] * pad)
        win.append(["-1d=BOS"][:n] + ["-1d=" + x for x in lemdep[start:max(start, end - 1)]])
        win.append(["+1d=" + x for x in lemdep[start + 1:end]] + ["+1d=EOS"][:n])
        out = []
        for i, m1, p1, m2, p2, m3, p3, m1d, p1d in zip(range(start, end), *win, strict=True):
            h = head[i]
            f = [*base[i], m1, p1, m2, p2, m3, p3, m1d, p1d, "hd=" + dep[h], "hh=" + lemma[head[h]]]
            htype = cues.get(lemma[h])
            if htype:
                f.append("hcue=" + htype + "|" + dep[i])
            for c in children[i]:
                f.append("kl=" + dep[c] + "|" + lemma[c] if dep[c] in FUNCTION_DEPS else "kd=" + dep[c])
            out.append(f)
        return out

    def role_features(self, start: int, end: int, cue: Sequence[Token] | Sequence[int]) -> list[list[str]]:
        """Features for the source/content tagger over [start, end), relative to one cue span."""
        cue_idx = [c if isinstance(c, int) else c.i for c in cue]
        dep, head_of = self.dep, self.head
        anchor = self.anchor(cue_idx)
        cue_ids = set(cue_idx)
        head = head_of[anchor]
        has_head = head != anchor and head not in cue_ids  # "according to", participial cues
        anc: set[int] = set()
        j = anchor
        while head_of[j] != j and head_of[j] not in anc and len(anc) < MAX_DEPTH:
            j = head_of[j]
            anc.add(j)
        # Each token's relation to the cue from a bounded walk up its ancestors (what the
        # subtrees of the cue's children would give, in time linear in the window).
        rel: dict[int, str] = {}
        rel2: dict[int, str] = {}
        for i in range(start, end):
            below2, below, j = -1, -1, i
            for _ in range(MAX_DEPTH):
                if j == anchor:
                    if below >= 0 and below not in cue_ids:
                        rel[i] = dep[below]
                        if below2 >= 0:
                            rel2[i] = dep[below] + ">" + dep[below2]
                    break
                if has_head and j == head:
                    if below < 0:
                        rel[i] = "H"
                    elif below != anchor and below not in cue_ids:
                        rel[i] = "h:" + dep[below]
                    break
                h = head_of[j]
                if h == j:
                    break
                below2, below, j = below, j, h
        clemma = self.lemma[anchor]
        cq = "1" if self.quoted[anchor] else "0"
        labels = []
        for i in range(start, end):
            if i in cue_ids:
                r = "CUE"
            elif i in rel:
                r = rel[i]
            elif i in anc:
                r = "ANC"
            else:
                r = "-"
            labels.append(r)
        cue_lo, cue_hi = min(cue_ids), max(cue_ids)
        lower, pos, dep, base, quoted = self.lower, self.pos, self.dep, self.base, self.quoted
        qm, sent_start = self.qm, self.sent_start
        n = end - start
        before = ["-1r=BOS"][:n] + ["-1r=" + r for r in labels[:-1]]
        after = ["+1r=" + r for r in labels[1:]] + ["+1r=EOS"][:n]
        w_before = ["-1w=BOS"][:n] + ["-1w=" + x for x in lower[start:max(start, end - 1)]]
        w_after = ["+1w=" + x for x in lower[start + 1:end]] + ["+1w=EOS"][:n]
        cl = "cl=" + clemma
        # the strings that depend on the token's side of the cue and its relation, made once a pair
        by_side_rel: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        quotes = {(q, side): ("qq=" + q + cq, "qs=" + q + side) for q in "01" for side in "BCA"}
        out = []
        for k, i in enumerate(range(start, end)):
            side = "C" if i in cue_ids else ("B" if i < cue_lo else "A")
            r = labels[k]
            sr = by_side_rel.get((side, r))
            if sr is None:
                sr = by_side_rel[side, r] = ("side=" + side, "rel=" + r, "rs=" + r + "|" + side,
                                             "cls=" + clemma + "|" + side + "|" + r)
            d = i - cue_lo if i < cue_lo else i - cue_hi
            b = base[i]
            qq, qs = quotes["1" if quoted[i] else "0", side]
            f = [b[0], b[1], b[2], b[3], b[4], b[7], b[8],
                 sr[0], _DIST.get(d) or _dist_feature(d),
                 sr[1], sr[2], "rp=" + r + "|" + pos[i], "rd=" + r + "|" + dep[i], "r2=" + rel2.get(i, "-"),
                 cl, sr[3], qq, qs, before[k], after[k], w_before[k], w_after[k]]
            if qm[i]:
                f.append("qm")
            if sent_start[i]:
                f.append("ss")
            out.append(f)
        return out


def cue_anchor(cue: Sequence[Token]) -> Token:
    """The syntactic head of a cue span: the token whose head lies outside it (verbs preferred)."""
    if len(cue) == 1:  # most cues; the rules below pick the token itself
        return cue[0]
    ids = {t.i for t in cue}
    heads = [t for t in cue if t.head.i not in ids or t.head.i == t.i]
    verbs = [t for t in heads if t.pos_ in ("VERB", "AUX")] or [t for t in cue if t.pos_ == "VERB"]
    return (verbs or heads or list(cue))[0]
