"""Linguistic tables kept as data files under `data/`, loaded once per process."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


def _rows(name: str) -> list[list[str]]:
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8") as f:
        return [row for row in csv.reader(f, delimiter="\t") if row and not row[0].startswith("#")]


@cache
def cue_types() -> dict[str, str]:
    """Cue lemma -> cue type (speech, report, claim, ...)."""
    return {row[0].strip(): row[1].strip() for row in _rows("cues.tsv")}


# --- entity and event tables (entities.py, names.py, events.py) ---


@cache
def titles() -> dict[str, tuple[str, str]]:
    """Title/role word (lower-case) -> (kind: title|honorific|kin, gender: m|f|'')."""
    return {r[0].strip().lower(): (r[1].strip(), r[2].strip() if len(r) > 2 else "")
            for r in _rows("titles.tsv")}


@cache
def org_heads() -> frozenset[str]:
    """Head nouns of organisation names (council, ministry, delegation ...)."""
    return frozenset(r[0].strip().lower() for r in _rows("org_heads.tsv"))


@cache
def gazetteer() -> dict[str, tuple[str, str]]:
    """Name as written -> (type, canonical name); the canonical name is the key when not given."""
    return {r[0].strip(): (r[1].strip(), (r[2].strip() if len(r) > 2 else "") or r[0].strip())
            for r in _rows("gazetteer.tsv")}


@cache
def media_heads() -> frozenset[str]:
    """Last words of news outlet names ("Tribune", "Observer", "News")."""
    return frozenset(r[0].strip() for r in _rows("media_heads.tsv"))


@cache
def demonyms() -> dict[str, str]:
    """Demonym/adjective ("Ukrainian", "Americans") -> country or region name."""
    return {r[0].strip(): r[1].strip() for r in _rows("demonyms.tsv")}


@cache
def translit_rules() -> tuple[tuple[str, str], ...]:
    """(regex, replacement) transliteration equivalences, applied in order to folded names."""
    return tuple((r[0], r[1] if len(r) > 1 else "") for r in _rows("translit.tsv"))


@cache
def event_triggers() -> dict[tuple[str, str], tuple[str, str, str]]:
    """(lemma, POS NOUN|VERB) -> (event type, condition, summary noun); condition '' or e.g.
    'prep:to'."""
    return {(r[0].strip(), r[1].strip()): (r[2].strip(), r[3].strip() if len(r) > 3 else "",
                                           (r[4].strip() if len(r) > 4 else "") or r[0].strip())
            for r in _rows("event_triggers.tsv")}


@cache
def event_status_cues() -> dict[str, str]:
    """Cue word or lemma -> what it says about an event (status name, 'future', 'negation' ...)."""
    return {r[0].strip(): r[1].strip() for r in _rows("event_status_cues.tsv")}


@cache
def event_governors() -> dict[str, frozenset[str]]:
    """Verb governing an event noun -> which of its arguments join the event (subj, obj, place)."""
    return {r[0].strip(): frozenset(r[1].strip().split(",")) for r in _rows("event_governors.tsv")}
