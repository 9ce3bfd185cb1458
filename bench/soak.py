"""`make soak`: a bounded mixed load against a live server on loopback (not part of CI).

Starts uvicorn on a fresh database (SQLite in a temporary directory, or `--database-url`), then
for `--minutes` runs `--clients` concurrent clients that mix ingestion (new articles, duplicate
re-posts, retries with one `Idempotency-Key`) with queries (lists, filters, full text, details,
entity pages, /metrics). Reports the error count (5xx and transport errors; must be zero), p50 /
p99 latency per kind of request, and the memory of the server and its workers over time
(growth after warm-up). Exit status 1 when any error occurred.

    python -m bench.soak --minutes 3 --clients 4
    python -m bench.soak --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/soak
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from .common import children, migrate, percentile, server

PEOPLE = ["Maria Lopez", "Ahmed Karimi", "Olena Shevchenko", "John Carter", "Li Wei", "Ana Souza",
          "Pierre Dubois", "Kwame Mensah", "Sofia Rossi", "Dmitri Volkov"]
ROLES = ["the finance minister", "a spokesperson for the ministry", "the mayor", "the union leader",
         "the chief executive", "an official who asked not to be named"]
PLACES = ["Geneva", "Nairobi", "Lisbon", "Warsaw", "Manila", "Lima", "Oslo", "Cairo"]
TOPICS = ["the budget", "the new rail line", "the ceasefire talks", "the harbour expansion",
          "the drought relief plan", "the election timetable"]


def make_article(rng: random.Random, n: int) -> dict[str, Any]:
    """A short synthetic news text with quotes, reported speech, names, places and dates."""
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
    paras = []
    for _ in range(rng.randint(3, 8)):
        who, role = rng.choice(PEOPLE), rng.choice(ROLES)
        where, topic = rng.choice(PLACES), rng.choice(TOPICS)
        paras.append(rng.choice([
            f'"We will not accept delays on {topic}," {who}, {role}, said in {where} on Monday.',
            f"{who} said talks on {topic} would resume in {where} next week.",
            f"According to {role}, {topic} will cost more than planned, officials said on {day:%B %d}.",
            f'{role.capitalize()} told reporters that {topic} "is on track" and a meeting is set for '
            f"{(day + timedelta(days=3)):%B %d} in {where}.",
        ]))
    return {"text": f"Article {n}. " + " ".join(paras), "source": "soak",
            "published_at": day.isoformat(), "external_id": f"soak-{n}"}


class Load:
    def __init__(self, base: str, seed: int) -> None:
        self.base = base
        self.rng = random.Random(seed)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []
        self.posted: list[dict[str, Any]] = []
        self.ids: list[int] = []
        self.counter = 0

    async def call(self, c: httpx.AsyncClient, kind: str, method: str, path: str,
                   **kw: Any) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = await c.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        self.latency[kind].append(time.perf_counter() - t0)
        self.status[kind][r.status_code] += 1
        if r.status_code >= 500:
            self.errors.append(f"{kind}: {r.status_code} {r.text[:200]}")
        return r

    async def step(self, c: httpx.AsyncClient) -> None:
        roll = self.rng.random()
        if roll < 0.20 or not self.ids:
            self.counter += 1
            body = make_article(self.rng, self.counter)
            r = await self.call(c, "ingest", "POST", "/v1/articles", json=body)
            if r is not None and r.status_code in (200, 201):
                self.ids.append(r.json()["id"])
                self.posted.append(body)
        elif roll < 0.25:
            body = self.rng.choice(self.posted)
            await self.call(c, "duplicate", "POST", "/v1/articles", json=body)
        elif roll < 0.30:
            self.counter += 1
            body, key = make_article(self.rng, self.counter), uuid.uuid4().hex
            headers = {"Idempotency-Key": key}
            results = await asyncio.gather(*[self.call(c, "idempotent-retry", "POST", "/v1/articles",
                                                       json=body, headers=headers) for _ in range(3)])
            ok = [r for r in results if r is not None and r.status_code in (200, 201)]
            if len({r.json()["id"] for r in ok}) > 1:
                self.errors.append("idempotent-retry: one key produced several articles")
            elif ok:
                self.ids.append(ok[0].json()["id"])
        elif roll < 0.45:
            await self.call(c, "article", "GET", f"/v1/articles/{self.rng.choice(self.ids)}")
        elif roll < 0.55:
            d = date(2025, 1, 1) + timedelta(days=self.rng.randrange(365))
            await self.call(c, "articles", "GET", "/v1/articles",
                            params={"published_from": d.isoformat(), "limit": 20})
        elif roll < 0.70:
            await self.call(c, "claims", "GET", "/v1/claims",
                            params={"q": self.rng.choice(TOPICS).split()[-1], "limit": 20})
        elif roll < 0.80:
            r = await self.call(c, "entities", "GET", "/v1/entities",
                                params={"q": self.rng.choice(PEOPLE).split()[0], "limit": 10})
            items = r.json().get("items", []) if r is not None and r.status_code == 200 else []
            if items:
                await self.call(c, "entity-claims", "GET", f"/v1/entities/{items[0]['id']}/claims")
        elif roll < 0.95:
            d = date(2025, 1, 1) + timedelta(days=self.rng.randrange(365))
            await self.call(c, "events", "GET", "/v1/events",
                            params={"from": d.isoformat(), "to": (d + timedelta(days=30)).isoformat()})
        else:
            await self.call(c, "metrics", "GET", "/metrics")


def rss_mb(pid: int) -> float:
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


async def drive(base: str, pid: int, minutes: float, clients: int, seed: int) -> dict[str, Any]:
    load = Load(base, seed)
    memory: list[tuple[float, float]] = []
    start = time.monotonic()
    end = start + minutes * 60

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            while time.monotonic() < end:
                await load.step(c)

    async def sample() -> None:
        while time.monotonic() < end:
            memory.append((round(time.monotonic() - start, 1), round(rss_mb(pid), 1)))
            await asyncio.sleep(5)

    await asyncio.gather(sample(), *[client_loop() for _ in range(clients)])
    warm = [m for t, m in memory if t >= min(60.0, minutes * 60 / 3)] or [m for _, m in memory]
    return {
        "minutes": minutes, "clients": clients,
        "requests": sum(len(v) for v in load.latency.values()),
        "errors": len(load.errors), "first_errors": load.errors[:10],
        "articles": len(set(load.ids)),
        "latency_ms": {k: {"n": len(v), "p50": round(percentile(v, 50) * 1000, 1),
                           "p99": round(percentile(v, 99) * 1000, 1)}
                       for k, v in sorted(load.latency.items())},
        "p99_ms_all": round(percentile([x for v in load.latency.values() for x in v], 99) * 1000, 1),
        "status": {k: dict(v) for k, v in load.status.items()},
        "memory_mb": {"start": memory[0][1] if memory else None, "end": memory[-1][1] if memory else None,
                      "max": max((m for _, m in memory), default=None),
                      "growth_after_warmup": round(warm[-1] - warm[0], 1) if warm else None},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1, help="extraction worker processes of the server")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsclaims-soak-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'soak.db'}"
        migrate(url)
        log = Path(tmp) / "server.log"
        with server(url, log, NEWSCLAIMS_EXTRACTION_WORKERS=str(args.workers),
                    NEWSCLAIMS_METRICS_ENABLED="true") as (base, proc):
            report = asyncio.run(drive(base, proc.pid, args.minutes, args.clients, args.seed))
    print(json.dumps(report, indent=2))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
