"""Temporal expressions: find dates, times, durations and sets; normalise to TimeML values.

Starting point: spaCy DATE/TIME spans with ISO values only where the text is absolute.
"""

from __future__ import annotations

import re

from .types import Context, Timex

_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def annotate(ctx: Context) -> None:
    """Stage 2: fill `ctx.timexes`."""
    out: list[Timex] = []
    for ent in ctx.doc.ents:
        if ent.label_ not in ("DATE", "TIME"):
            continue
        text = ent.text
        value = text if _ISO.match(text) else None
        out.append(Timex(id=f"t{len(out) + 1}", start=ent.start_char, end=ent.end_char, text=text,
                         type="DATE" if ent.label_ == "DATE" else "TIME", value=value))
    ctx.timexes = out
