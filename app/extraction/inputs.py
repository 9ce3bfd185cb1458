"""What an extraction takes in: light types with no spaCy import.

Kept apart from `pipeline` so the API process, the queue and the CLI can build inputs without
importing spaCy (about 2 s and 100+ MB), which only worker processes need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ArticleInput:
    text: str
    published_at: date | None = None
    id: str | None = None


def parse_date(value: str | date | None) -> date | None:
    """`published_at` as a date; accepts a date, an ISO date or datetime string, or None."""
    if value is None or isinstance(value, date):
        return value
    value = value.strip()
    if not value:
        return None
    return date.fromisoformat(value[:10])
