"""Dated events: triggers, type, date, place, participants and status.

Starting point: nothing found; the events stage is filled in by its own work.
"""

from __future__ import annotations

from .types import Context


def annotate(ctx: Context) -> None:
    """Stage 4: fill `ctx.events`."""
    ctx.events = []
