"""`newsclaims reprocess`: queue the articles of another extractor version for re-extraction.

Workers (`newsclaims worker`, or the API's own on SQLite) replace each article's derived rows
atomically; `--run` processes the job in this process instead and returns when it is done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from app.core.database import Database
from app.core.settings import Settings
from app.jobs.service import JobService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reprocess", help="re-extract stored articles of another extractor version")
    p.add_argument("--force", action="store_true", help="re-extract every article")
    p.add_argument("--run", action="store_true", help="process the queue here until it is empty")
    p.add_argument("--database-url", default=None, help="override NEWSCLAIMS_DATABASE_URL")
    p.set_defaults(func=run)


async def _queue(url: str, force: bool) -> dict[str, object]:
    settings = Settings()
    db = Database(url, pool_size=2)
    try:
        job = await JobService(db, settings).reprocess(force=force)
        return {"job": job.id, "queued": job.counts.total}
    finally:
        await db.dispose()


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    url = args.database_url or settings.effective_database_url
    out = asyncio.run(_queue(url, args.force))
    print(json.dumps(out), flush=True)
    if args.run and out["queued"]:
        from app.jobs.settings import JobSettings

        from .worker import serve

        return asyncio.run(serve(url, JobSettings(), settings.extraction_model, exit_when_idle=True))
    print("queued; `newsclaims worker` (or the API on SQLite) will process it", file=sys.stderr)
    return 0
