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
