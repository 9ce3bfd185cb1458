"""Attribution tables kept as data (media outlets, anonymous-source patterns, source nouns,
credit lines), loaded once per process. Kept apart from `lexicon.py` so it only holds loaders."""

from __future__ import annotations

import re
from functools import cache

from .lexicon import _rows, cue_types

# Cue types that name a speech act; the rule layer only trusts these (the CRF sees all types).
SPEECH_TYPES = frozenset({"speech", "report", "claim", "announce", "deny", "warn", "question", "source"})


@cache
def speech_cues() -> frozenset[str]:
    """Cue lemmas whose type is a speech act (say, write, insist ...)."""
    return frozenset(lemma for lemma, kind in cue_types().items() if kind in SPEECH_TYPES)


@cache
def media_table() -> tuple[re.Pattern[str], frozenset[str], frozenset[str]]:
    """(regex of outlet names, words marking an outlet name, nouns referring back to an outlet)."""
    rows = [(r[0].strip(), r[1].strip()) for r in _rows("media_outlets.tsv")]
    names = sorted((p for p, k in rows if k == "name"), key=len, reverse=True)
    regex = re.compile(r"(?<![\w.])(?:the\s+)?(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])")
    return (regex, frozenset(p for p, k in rows if k == "word"), frozenset(p for p, k in rows if k == "noun"))


@cache
def anonymous_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(r[0].strip(), re.IGNORECASE) for r in _rows("anonymous_sources.tsv"))


@cache
def source_nouns() -> dict[str, str]:
    """Head noun of a definite description -> "person" | "organization"."""
    return {r[0].strip(): r[1].strip() for r in _rows("source_nouns.tsv")}


@cache
def credit_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(r[0].strip(), re.IGNORECASE | re.MULTILINE) for r in _rows("credits.tsv"))
