"""Attributed claims: who said what, with source, cue and content spans.

Starting point: a cue verb from the lexicon whose subject is the source and whose clausal
complement (or the rest of its sentence) is the content.
"""

from __future__ import annotations

from spacy.tokens import Span as SpacySpan
from spacy.tokens import Token

from .lexicon import cue_types
from .types import Claim, Context, Cue, Source, Span

QUOTES = "\"\u201c\u201d"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


def _content(sent: SpacySpan, cue: Token) -> tuple[int, int] | None:
    comp = next((c for c in cue.children if c.dep_ in ("ccomp", "xcomp")), None)
    if comp is not None:
        toks = list(comp.subtree)
        start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
    elif cue.i > sent.start + 2:  # "..., X said."
        start, end = sent.start_char, min(t.idx for t in cue.subtree)
    else:
        return None
    start, end = _trim(sent.doc.text, start, end)
    return (start, end) if end - start > 3 else None


def annotate(ctx: Context) -> None:
    """Stage 3: fill `ctx.claims`."""
    cues, text = cue_types(), ctx.text
    for sent in ctx.doc.sents:
        for tok in sent:
            if tok.pos_ != "VERB" or tok.lemma_ not in cues:
                continue
            subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            span = _content(sent, tok)
            if subj is None or span is None:
                continue
            s_toks = list(subj.subtree)
            s_start, s_end = s_toks[0].idx, s_toks[-1].idx + len(s_toks[-1].text)
            ent = ctx.entities.at(s_start, s_end) if ctx.entities else None
            if ent is None and subj.pos_ == "PRON" and ctx.entities:
                ent = ctx.entities.antecedent(s_start)
            kind = "person" if ent is not None and ent.type == "PERSON" else (
                "organization" if ent is not None else "unknown")
            content = Span.of(text, *span)
            quoted = any(q in content.text for q in QUOTES)
            ctx.claims.append(Claim(
                id=f"c{len(ctx.claims) + 1}",
                kind="direct" if quoted else "indirect",
                content=content,
                cue=Cue(tok.idx, tok.idx + len(tok.text), tok.text, lemma=tok.lemma_),
                source=Source(s_start, s_end, text[s_start:s_end], entity=ent.id if ent else None,
                              name=ent.name if ent else None, kind=kind),
                confidence=0.5,
            ))
