"""TimeML values as date ranges, so "2025-12", "2025-W51" or "2025-12-19T10:00" can be filtered
with plain `start <= to AND end >= from` comparisons on indexed date columns."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})(?:-WE)?$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def timeml_range(value: str | None) -> tuple[date, date] | None:
    """The first and last day a TimeML value covers; None for durations, references, or junk."""
    if not value:
        return None
    value = value.strip()
    try:
        if m := _DAY.match(value):
            d = date(int(m[1]), int(m[2]), int(m[3]))
            return d, d
        if m := _MONTH.match(value):
            y, mo = int(m[1]), int(m[2])
            return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])
        if m := _WEEK.match(value):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return start, start + timedelta(days=6)
        if m := _QUARTER.match(value):
            y, q = int(m[1]), int(m[2])
            last = 3 * q
            return date(y, last - 2, 1), date(y, last, calendar.monthrange(y, last)[1])
        if m := _YEAR.match(value):
            y = int(m[1])
            return date(y, 1, 1), date(y, 12, 31)
    except ValueError:  # "2025-13-40": not a real date
        return None
    return None


def day_of(value: str | None) -> date | None:
    """The day a value names when it names exactly one day."""
    rng = timeml_range(value)
    return rng[0] if rng and rng[0] == rng[1] else None
