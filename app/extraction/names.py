"""Name keys and compatibility: when two person/organisation names denote the same entity.

Shared by in-document grouping (`entities.py`) and the service's cross-article entity store, so
"Umerov" in one article and "Rustem Umerov" in another resolve the same way everywhere.
"""

from __future__ import annotations

import unicodedata


def fold(name: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a name."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def surname_key(name: str) -> str:
    """The key a person is filed under: the folded last token of the name."""
    parts = fold(name).split()
    return parts[-1] if parts else ""


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
    if len(pa) == 1 or len(pb) == 1:
        return True
    return pa[0] == pb[0] or (len(pa[0]) == 1 and pb[0].startswith(pa[0])) or (
        len(pb[0]) == 1 and pa[0].startswith(pb[0]))
