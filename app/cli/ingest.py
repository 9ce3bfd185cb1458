"""`newsclaims ingest FILE.jsonl|DIR --url http://...`: bulk-post articles to a running service.

Bounded concurrency (httpx, async), retries with exponential backoff and jitter on 429, 5xx and
connection errors (honouring `Retry-After`), an `Idempotency-Key` per request derived from the
article's source and id (or its text), so a retried or re-run ingest never stores anything twice.
`--batch N` posts N articles per `POST /v1/articles/batch` (answered 202, extracted by workers);
`--async` sends single articles with `Prefer: respond-async`. A progress bar shows articles/s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

FIELDS = ("text", "title", "url", "source", "published_at", "language", "external_id", "metadata")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ingest", help="post JSONL articles (a file or a directory of them) to a service")
    p.add_argument("path", type=Path, help="a .jsonl file, or a directory of .jsonl files")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of the service")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    p.add_argument("--batch", type=int, default=0,
                   help="articles per POST /v1/articles/batch (0: one by one)")
    p.add_argument("--async", dest="respond_async", action="store_true",
                   help="single articles with Prefer: respond-async (202, extracted by workers)")
    p.add_argument("--api-key", default=None, help="API key (or NEWSCLAIMS_API_KEY)")
    p.add_argument("--retries", type=int, default=6, help="attempts per request on 429/5xx (default 6)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=run)


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    done: int = 0


def files_of(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".jsonl", ".ndjson") and p.is_file())
    return [path]


def articles(paths: list[Path], tally: Tally) -> Iterator[dict[str, Any]]:
    """Articles from JSONL lines; `id` becomes `external_id` when that is absent."""
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                        raise ValueError("expected an object with a string 'text'")
                except ValueError as exc:
                    tally.counts["invalid"] += 1
                    tally.errors.append(f"{path}:{n}: {exc}")
                    continue
                if "external_id" not in obj and obj.get("id") is not None:
                    obj["external_id"] = str(obj["id"])
                yield {k: obj[k] for k in FIELDS if obj.get(k) is not None}


def idempotency_key(article: dict[str, Any]) -> str:
    """Stable per article: its source and id, or its text when it has no id."""
    ident = article.get("external_id") or hashlib.sha256(article["text"].encode()).hexdigest()
    return "ingest-" + hashlib.sha256(f"{article.get('source') or ''}\x1f{ident}".encode()).hexdigest()[:40]


def _delay(attempt: int, response: httpx.Response | None) -> float:
    if response is not None:
        after = response.headers.get("retry-after", "")
        if after.replace(".", "", 1).isdigit():
            return min(float(after), 30.0)
    return min(0.25 * 2 ** attempt, 15.0) * (0.5 + random.random())


async def post(client: httpx.AsyncClient, path: str, *, retries: int, **kwargs: Any) -> httpx.Response | str:
    """POST with retries; the final response, or the reason no response came."""
    last: httpx.Response | None = None
    for attempt in range(retries):
        try:
            last = await client.post(path, **kwargs)
            if last.status_code not in RETRY_STATUS:
                return last
        except httpx.TransportError as exc:
            last = None
            if attempt == retries - 1:
                return f"{type(exc).__name__}: {exc}"
        await asyncio.sleep(_delay(attempt, last))
    return last if last is not None else "no response"


def _outcome(resp: httpx.Response | str, tally: Tally, n: int, label: str) -> None:
    if isinstance(resp, str):
        tally.counts["failed"] += n
        tally.errors.append(f"{label}: {resp}")
        return
    kind = {201: "created", 200: "duplicate", 202: "accepted"}.get(resp.status_code)
    if kind is not None and resp.headers.get("idempotent-replayed") == "true":
        kind = "duplicate"  # the service replayed its answer to an earlier run
    if kind is None:
        tally.counts["failed"] += n
        try:
            detail = resp.json().get("detail")
        except ValueError:
            detail = resp.text[:200]
        tally.errors.append(f"{label}: HTTP {resp.status_code}: {detail}")
    elif kind == "accepted" and n > 1:
        counts = resp.json().get("counts", {})
        tally.counts["accepted"] += n - int(counts.get("duplicate", 0))
        tally.counts["duplicate"] += int(counts.get("duplicate", 0))
    else:
        tally.counts[kind] += n


def _chunks(it: Iterator[dict[str, Any]], n: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for a in it:
        chunk.append(a)
        if len(chunk) >= n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def ingest(args: argparse.Namespace, tally: Tally, on_progress: Any = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
    import os

    headers = {"User-Agent": "newsclaims-ingest"}
    key = args.api_key or os.environ.get("NEWSCLAIMS_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    size = max(1, args.batch)
    queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(maxsize=args.concurrency * 2)
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.url.rstrip("/"), headers=headers, limits=limits,
                                 timeout=args.timeout, transport=transport) as client:

        async def send_batch(chunk: list[dict[str, Any]]) -> None:
            """One batch request; a batch the server finds too large (413) is sent in halves."""
            keys = "".join(idempotency_key(a) for a in chunk)
            batch_key = hashlib.sha256(keys.encode()).hexdigest()
            resp = await post(client, "/v1/articles/batch", json=chunk, retries=args.retries,
                              headers={"Idempotency-Key": "ingest-batch-" + batch_key[:40]})
            if not isinstance(resp, str) and resp.status_code == 413 and len(chunk) > 1:
                half = len(chunk) // 2
                await send_batch(chunk[:half])
                await send_batch(chunk[half:])
                return
            label = f"batch of {len(chunk)} from {chunk[0].get('external_id', '?')}"
            _outcome(resp, tally, len(chunk), label)

        async def consume() -> None:
            while (chunk := await queue.get()) is not None:
                if args.batch:
                    await send_batch(chunk)
                else:
                    extra = {"Idempotency-Key": idempotency_key(chunk[0])}
                    if args.respond_async:
                        extra["Prefer"] = "respond-async"
                    resp = await post(client, "/v1/articles", json=chunk[0], retries=args.retries,
                                      headers=extra)
                    label = f"article {chunk[0].get('external_id') or chunk[0]['text'][:40]!r}"
                    _outcome(resp, tally, len(chunk), label)
                tally.done += len(chunk)
                if on_progress is not None:
                    on_progress(tally.done)

        workers = [asyncio.create_task(consume()) for _ in range(args.concurrency)]
        for chunk in _chunks(articles(files_of(args.path), tally), size):
            await queue.put(chunk)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)


def run(args: argparse.Namespace) -> int:
    if not args.path.exists():
        print(f"newsclaims ingest: {args.path} does not exist", file=sys.stderr)
        return 2
    tally = Tally()
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    start = time.perf_counter()
    if show:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("ingesting {task.completed} articles"),
                      TextColumn("{task.fields[rate]} articles/s"),
                      TimeElapsedColumn(), console=Console(file=sys.stderr)) as progress:
            task = progress.add_task("ingest", total=None, rate="-")

            def update(done: int) -> None:
                rate = done / max(time.perf_counter() - start, 1e-9)
                progress.update(task, completed=done, rate=f"{rate:.1f}")

            asyncio.run(ingest(args, tally, update))
    else:
        asyncio.run(ingest(args, tally))
    elapsed = time.perf_counter() - start
    summary = {"articles": tally.done, **dict(tally.counts), "seconds": round(elapsed, 2),
               "articles_per_s": round(tally.done / elapsed, 2) if elapsed else None}
    print(json.dumps(summary), flush=True)
    for err in tally.errors[:20]:
        print(f"  {err}", file=sys.stderr)
    if len(tally.errors) > 20:
        print(f"  ... and {len(tally.errors) - 20} more", file=sys.stderr)
    return 1 if tally.counts["failed"] or tally.counts["invalid"] else 0
