"""Name keys and compatibility: when two person/organisation names denote the same entity.

Shared by in-document grouping (`entities.py`) and the service's cross-article entity store, so
"Umerov" in one article and "Rustem Umerov" in another resolve the same way everywhere.

Two strengths of match:
- `compatible`: same folded surname and no conflicting first name. Safe on its own.
- `translit_compatible`: same surname after the declarative transliteration table
  (`data/translit.tsv`: w/v, kh/h, y/i, ff/v ...), so "Vitkoff" may be "Steve Witkoff". This is
  a *candidate* only: callers must also check that the context supports it (a single candidate,
  compatible first names and roles). Plain string similarity is never used: "Putin"/"Patin" and
  "Johnson"/"Jonson" differ by one letter and are different people.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from .lexicon import translit_rules

# The name functions are pure and called many times per name (every mention is compared with
# every candidate entity): results are cached, bounded so a long-running worker stays flat.
_CACHE = 50_000


@lru_cache(maxsize=_CACHE)
def fold(name: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a name."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


@lru_cache(maxsize=_CACHE)
def surname_key(name: str) -> str:
    """The key a person is filed under: the folded last token of the name."""
    parts = fold(name).split()
    return parts[-1] if parts else ""


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in translit_rules())


_DOUBLE = re.compile(r"(.)\1+")


@lru_cache(maxsize=_CACHE)
def translit_word(word: str) -> str:
    """One folded word reduced by the transliteration equivalences, doubled letters collapsed."""
    w = word
    for pattern, repl in _compiled():
        w = pattern.sub(repl, w)
    return _DOUBLE.sub(r"\1", w)


def translit_key(name: str) -> str:
    """The surname key after transliteration folding: Witkoff, Vitkoff -> 'vitkof'."""
    key = surname_key(name)
    return translit_word(key) if key else ""


def _first_names_agree(pa: list[str], pb: list[str], word: bool = False) -> bool:
    if len(pa) == 1 or len(pb) == 1:
        return True
    a, b = pa[0], pb[0]
    if word:
        a, b = translit_word(a), translit_word(b)
    return a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))


def compatible(a: str, b: str, type_: str = "PERSON") -> bool:
    """Whether two names of one type may denote the same entity.

    People: same surname key and no conflicting first names ("Umerov" ~ "Rustem Umerov", but not
    "Rustem Umerov" ~ "Ivan Umerov"). Other types: same folded name.
    """
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return True
    if type_ != "PERSON":
        return False
    pa, pb = fa.split(), fb.split()
    if not pa or not pb or pa[-1] != pb[-1]:
        return False
    return _first_names_agree(pa, pb)


def translit_compatible(a: str, b: str, type_: str = "PERSON") -> bool:
    """Whether two person names are spelling variants: same surname after transliteration
    folding and first names that agree after the same folding (or one side has none).

    Only a candidate test: see the module docstring for what callers must check as well.
    """
    if compatible(a, b, type_):
        return True
    if type_ != "PERSON":
        return False
    pa, pb = fold(a).split(), fold(b).split()
    if not pa or not pb or translit_word(pa[-1]) != translit_word(pb[-1]):
        return False
    if min(len(pa[-1]), len(pb[-1])) < 4:  # short surnames collide too easily
        return False
    return _first_names_agree(pa, pb, word=True)
