"""Token features for the attribution taggers, shared by training and inference.

Both CRFs (cue tagger, per-cue source/content tagger) read the same per-document token table,
built once per document, so that the statistical layer costs a fraction of the parse. Features
are plain strings (`name=value`), the input format of CRFsuite.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc, Token

from .lexicon import cue_types

OPEN_QUOTES = "\u201c\u00ab\u201e"
CLOSE_QUOTES = "\u201d\u00bb"
STRAIGHT_QUOTES = '"'
QUOTE_CHARS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTES


def quote_mask(text: str) -> list[bool]:
    """Per character: inside a quotation. Quotes never run past a line break, so a stray mark
    (odd number of marks) or an unclosed paragraph of a multi-paragraph quote stops there.
    Curly, straight and doubled-apostrophe (''...'', ``...'') marks are understood."""
    mask = [False] * len(text)
    inside = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        pair = text[i:i + 2]
        if ch == "\n":
            inside = False
        elif ch in OPEN_QUOTES or pair == "``":
            inside = True
        elif ch in CLOSE_QUOTES:
            inside = False
        elif ch in STRAIGHT_QUOTES or pair == "''":
            inside = not inside
        mask[i] = inside
        if pair in ("``", "''"):
            mask[i + 1] = inside
            i += 1
        i += 1
    return mask


def _dist(d: int) -> str:
    a = abs(d)
    b = str(a) if a < 4 else ("4-7" if a < 8 else ("8-15" if a < 16 else "16+"))
    return ("-" if d < 0 else "+") + b


class TokenTable:
    """Per-token base features of one document, computed once and reused by both taggers."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        cues = cue_types()
        text = doc.text
        mask = quote_mask(text)
        self.quoted: list[bool] = []
        self.base: list[list[str]] = []
        self.short: list[str] = []  # compact identity used as context for neighbours
        for tok in doc:
            lemma = tok.lemma_.lower()
            quoted = bool(mask[tok.idx]) if tok.idx < len(mask) else False
            self.quoted.append(quoted)
            kids = {c.dep_ for c in tok.children}
            f = [
                "w=" + tok.lower_, "l=" + lemma, "p=" + tok.pos_, "t=" + tok.tag_, "d=" + tok.dep_,
                "hl=" + tok.head.lemma_.lower(), "hp=" + tok.head.pos_, "e=" + (tok.ent_type_ or "-"),
                "q=" + ("1" if quoted else "0"), "ld=" + lemma + "|" + tok.dep_,
                "lp=" + lemma + "|" + tok.pos_,
            ]
            ctype = cues.get(lemma)
            if ctype:
                f.append("cue=" + ctype)
                f.append("cued=" + ctype + "|" + tok.dep_)
            for k in ("ccomp", "nsubj", "nsubjpass", "dobj", "xcomp", "mark", "agent", "pobj", "dative"):
                if k in kids:
                    f.append("k=" + k)
                    f.append("lk=" + lemma + "|" + k)
            subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subj is not None:
                f.append("sj=" + (subj.ent_type_ or subj.pos_))
                f.append("lsj=" + lemma + "|" + (subj.ent_type_ or subj.pos_))
            f.append("hld=" + tok.head.lemma_.lower() + "|" + tok.dep_)
            f.append("suf=" + tok.lower_[-3:])
            if tok.text in QUOTE_CHARS or tok.text in ("''", "``", "'"):
                f.append("qm")
            if tok.is_sent_start:
                f.append("ss")
            if tok.text[:1].isupper():
                f.append("cap")
            self.base.append(f)
            self.short.append(lemma + "|" + tok.pos_)

    def cue_features(self, start: int, end: int) -> list[list[str]]:
        """Features for the cue tagger over tokens [start, end) (a sentence)."""
        out = []
        short, base = self.short, self.base
        for i in range(start, end):
            f = list(base[i])
            f.append("-1=" + (short[i - 1] if i - 1 >= start else "BOS"))
            f.append("+1=" + (short[i + 1] if i + 1 < end else "EOS"))
            f.append("-2=" + (short[i - 2] if i - 2 >= start else "BOS"))
            f.append("+2=" + (short[i + 2] if i + 2 < end else "EOS"))
            out.append(f)
        return out

    def role_features(self, start: int, end: int, cue: Sequence[Token]) -> list[list[str]]:
        """Features for the source/content tagger over [start, end), relative to one cue span."""
        doc = self.doc
        anchor = cue_anchor(cue)
        cue_ids = {t.i for t in cue}
        rel: dict[int, str] = {}
        for child in anchor.children:
            if child.i in cue_ids:
                continue
            for t in child.subtree:
                rel[t.i] = child.dep_
        head = anchor.head
        if head.i != anchor.i and head.i not in cue_ids:  # "according to", participial cues
            rel[head.i] = "H"
            for child in head.children:
                if child.i == anchor.i or child.i in cue_ids:
                    continue
                for t in child.subtree:
                    rel.setdefault(t.i, "h:" + child.dep_)
        anc = {a.i for a in anchor.ancestors}
        rel2: dict[int, str] = {}
        clemma = anchor.lemma_.lower()
        cq = self.quoted[anchor.i]
        labels = []
        for child in anchor.children:  # one level deeper: "ccomp>nsubj" marks the reported subject
            if child.i in cue_ids:
                continue
            for g in child.children:
                for t in g.subtree:
                    rel2[t.i] = child.dep_ + ">" + g.dep_
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
        out = []
        cue_lo, cue_hi = min(cue_ids), max(cue_ids)
        for k, i in enumerate(range(start, end)):
            side = "C" if i in cue_ids else ("B" if i < cue_lo else "A")
            d = i - cue_lo if i < cue_lo else i - cue_hi
            r = labels[k]
            tok = doc[i]
            b = self.base[i]
            q = "1" if self.quoted[i] else "0"
            f = [b[0], b[1], b[2], b[3], b[4], b[7], b[8],
                 "side=" + side, "dist=" + _dist(d), "rel=" + r, "rs=" + r + "|" + side,
                 "rp=" + r + "|" + tok.pos_, "rd=" + r + "|" + tok.dep_, "r2=" + rel2.get(i, "-"),
                 "cl=" + clemma, "cls=" + clemma + "|" + side + "|" + r,
                 "qq=" + q + ("1" if cq else "0"), "qs=" + q + side,
                 "-1r=" + (labels[k - 1] if k > 0 else "BOS"),
                 "+1r=" + (labels[k + 1] if k + 1 < len(labels) else "EOS"),
                 "-1w=" + (doc[i - 1].lower_ if k > 0 else "BOS"),
                 "+1w=" + (doc[i + 1].lower_ if k + 1 < len(labels) else "EOS")]
            if "qm" in b:
                f.append("qm")
            if tok.is_sent_start:
                f.append("ss")
            out.append(f)
        return out


def cue_anchor(cue: Sequence[Token]) -> Token:
    """The syntactic head of a cue span: the token whose head lies outside it (verbs preferred)."""
    ids = {t.i for t in cue}
    heads = [t for t in cue if t.head.i not in ids or t.head.i == t.i]
    verbs = [t for t in heads if t.pos_ in ("VERB", "AUX")] or [t for t in cue if t.pos_ == "VERB"]
    return (verbs or heads or list(cue))[0]
