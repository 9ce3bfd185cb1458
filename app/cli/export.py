"""`newsclaims export events|claims|entities --format ndjson|csv [filters]`: stream a whole list
from the database, with the API's filters, order and item shape (the list services are reused,
walking their keyset pages, so memory stays bounded by one page).

CSV flattens nested objects into dotted columns (`source.entity.name`) and writes lists as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from typing import IO, Any

from app.core.database import Database
from app.core.pagination import DateRange, PageParams
from app.core.settings import Settings
from app.core.streaming import iter_items

PAGE = 500


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="stream events, claims or entities as NDJSON or CSV")
    p.add_argument("what", choices=("events", "claims", "entities"))
    p.add_argument("--format", choices=("ndjson", "csv"), default="ndjson")
    p.add_argument("--output", default="-", help="file to write; - for stdout")
    p.add_argument("--database-url", default=None, help="override NEWSCLAIMS_DATABASE_URL")
    g = p.add_argument_group("filters (as in the API)")
    g.add_argument("--entity", help="claims/events: an entity (id or name)")
    g.add_argument("--speaker", help="claims: the speaker (id or name)")
    g.add_argument("--about", help="claims: an entity in the content")
    g.add_argument("--kind", help="claims: direct, indirect or mixed")
    g.add_argument("--q", help="claims: full text; entities: name prefix")
    g.add_argument("--article-id", type=int, help="claims/events of one article")
    g.add_argument("--place", help="events: the place (id or name)")
    g.add_argument("--type", help="events: event type; entities: entity type")
    g.add_argument("--status", help="events: occurred, scheduled, ...")
    g.add_argument("--from", dest="start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    g.add_argument("--to", dest="end", type=date.fromisoformat, help="last day, YYYY-MM-DD")
    p.set_defaults(func=run)


def fetcher(db: Database, args: argparse.Namespace) -> Callable[[PageParams], Any]:
    """The list service call for `args.what` with its filters, as a function of the page."""
    dates = DateRange(args.start, args.end)
    if args.what == "claims":
        from app.claims.service import ClaimFilters, ClaimService

        cf = ClaimFilters(args.speaker, args.about, args.entity, args.kind, args.q, args.article_id)
        return lambda p: ClaimService(db).list(cf, dates, p)
    if args.what == "events":
        from app.events.service import EventFilters, EventService

        ef = EventFilters(args.entity, args.place, args.type, args.status, args.article_id)
        return lambda p: EventService(db).list(ef, dates, p)
    from app.entities.service import EntityService

    return lambda p: EntityService(db).list(q=args.q, type_=args.type, page=p)


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v, ensure_ascii=False)
        else:
            out[key] = v
    return out


async def export(db: Database, args: argparse.Namespace, dst: IO[str]) -> int:
    fetch: Callable[[PageParams], Any] = fetcher(db, args)
    n = 0
    writer: csv.DictWriter[str] | None = None
    buffered: list[dict[str, Any]] = []

    def start_csv() -> csv.DictWriter[str]:
        cols: dict[str, None] = {}
        for row in buffered:
            cols.update(dict.fromkeys(row))
        w = csv.DictWriter(dst, fieldnames=list(cols), extrasaction="ignore")
        w.writeheader()
        w.writerows(buffered)
        return w

    async for item in iter_items(fetch, PAGE):
        data = item.model_dump(mode="json")
        n += 1
        if args.format == "ndjson":
            dst.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif writer is None:  # the first page decides the CSV columns
            buffered.append(flatten(data))
            if len(buffered) >= PAGE:
                writer = start_csv()
        else:
            writer.writerow(flatten(data))
    if args.format == "csv" and writer is None:
        start_csv()
    return n


def run(args: argparse.Namespace) -> int:
    url = args.database_url or Settings().effective_database_url

    async def go(dst: IO[str]) -> int:
        db = Database(url, pool_size=2)
        try:
            return await export(db, args, dst)
        finally:
            await db.dispose()

    with ExitStack() as stack:
        dst: IO[str] = sys.stdout if args.output == "-" else stack.enter_context(
            open(args.output, "w", encoding="utf-8", newline=""))
        n = asyncio.run(go(dst))
        dst.flush()
    print(f"newsclaims export: {n} {args.what}", file=sys.stderr)
    return 0


__all__ = ["export", "flatten"]
