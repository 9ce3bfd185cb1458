"""(4) query latency at scale: `GET /v1/events?entity=&from=&to=`, `GET /v1/claims?speaker=` and
full-text `GET /v1/claims?q=` on a seeded database (bench/seed.py), through a real uvicorn,
under concurrent clients; p50/p99 per query, and the plans (EXPLAIN) of the queries the
repositories actually send, to show which indexes they use. `GET /livez` under the same load
(of the service, and of bench/floor_app.py) is what the HTTP stack costs with no query.

The load comes from `wrk` when it is installed (`apt-get install wrk`): one C thread that leaves
the two cores to the server and the database. Otherwise from an httpx script, which on a small
machine takes CPU the server needs (its figures are pessimistic); `LOAD_GENERATOR` says which.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import event, text

from app.core.database import Database, DriverReader
from app.core.pagination import DateRange, PageParams

from .common import children, percentile
from .seed import DAYS, START, WORDS


@dataclass
class Latency:
    name: str
    n: int
    errors: int
    p50_ms: float
    p99_ms: float
    rps: float
    # over a closed loop of c clients the mean is c / rps (Little's law): the p99 target is
    # first a throughput target (32 clients within 20 ms take >= 1,600 req/s)
    mean_ms: float


@dataclass
class QueryFigures:
    backend: str
    scale: float
    latencies: list[Latency] = field(default_factory=list)
    plans: dict[str, list[str]] = field(default_factory=dict)


def _window(rng: random.Random) -> tuple[str, str]:
    start = START + timedelta(days=rng.randrange(DAYS - 60))
    return start.isoformat(), (start + timedelta(days=60)).isoformat()


def requests_for(kind: str, rng: random.Random, hot: list[int]) -> tuple[str, dict[str, Any]]:
    if kind == "livez":  # the HTTP stack alone: no database (floor_app.py)
        return "/livez", {}
    if kind == "events":
        frm, to = _window(rng)
        return "/v1/events", {"entity": str(rng.choice(hot)), "from": frm, "to": to}
    if kind == "claims_speaker":
        return "/v1/claims", {"speaker": str(rng.choice(hot))}
    return "/v1/claims", {"q": rng.choice(WORDS)}


WRK = shutil.which("wrk")
LOAD_GENERATOR = (
    "wrk (one thread)" if WRK else "an httpx script (it takes CPU from the server: install wrk)"
)

# wrk: each connection walks the prepared request paths from its own offset; `done` prints the
# figures as one JSON line (latencies in microseconds)
_WRK_SCRIPT = """
local paths = {}
local i = 0
local think = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
  think = tonumber(args[2]) or 0
  if args[3] and args[3] ~= "" then wrk.headers["Authorization"] = args[3] end
end
-- paced runs: an exponential think time (mean `think` ms) between a response and the next
-- request; wrk starts a request's clock when it writes it, so the wait is not in its latency
function delay()
  if think <= 0 then return 0 end
  return math.floor(-math.log(1 - math.random()) * think + 0.5)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"n": %d, "errors": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %d}\\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99), math.floor(latency.mean)))
end
"""


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a server process and its worker processes: per
    request, a figure of the work done that the other jobs on a shared machine hardly change."""
    total = 0
    for p in (pid, *children(pid)):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by this machine's PostgreSQL processes (0 when it runs elsewhere):
    on a small machine the API, the database and the load generator share the cores, and a
    list's throughput is bounded by their sum per request."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm", encoding="ascii") as fh:
                if fh.read().strip() != "postgres":
                    continue
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, UnicodeDecodeError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def think_ms(clients: int, rate: float | None) -> float:
    """The mean pause per client between a response and its next request that offers about
    `rate` requests a second over `clients` connections (0: a closed loop, each client sends
    its next request at once). Requests then come about as they would from many independent
    users, and the latency is that of a service below its saturation: the p99 a client sees at
    that load, where a closed loop's p99 is 32 / throughput times the spread."""
    return clients * 1000 / rate if rate else 0.0


def load(url: str, kind: str, hot: list[int], clients: int, seconds: float,
         rate: float | None = None, key: str = "") -> Latency:
    """`clients` concurrent connections for `seconds`, with wrk when installed; paced to about
    `rate` requests a second when given (`think_ms`), else as fast as the server answers; each
    request with the API key `key` when given."""
    think = think_ms(clients, rate)
    auth = f"Bearer {key}" if key else ""
    if WRK:
        return _wrk(url, kind, hot, clients, seconds, think, auth)
    return asyncio.run(_httpx_load(url, kind, hot, clients, seconds, think, auth))


def _wrk(url: str, kind: str, hot: list[int], clients: int, seconds: float, think: float = 0.0,
         auth: str = "") -> Latency:
    rng = random.Random(kind)
    with tempfile.TemporaryDirectory(prefix="newsclaims-wrk-") as tmp:
        paths, script = Path(tmp) / "paths.txt", Path(tmp) / "load.lua"
        lines = []
        for _ in range(5000):
            path, params = requests_for(kind, rng, hot)
            lines.append(f"{path}?{urlencode(params)}" if params else path)
        paths.write_text("\n".join(lines) + "\n")
        script.write_text(_WRK_SCRIPT)
        for path in lines[:3]:  # warm the server's connection pool and caches
            httpx.get(url + path, timeout=60, headers={"Authorization": auth} if auth else None)
        out = subprocess.run(
            [str(WRK), "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", str(script),
             url, "--", str(paths), f"{think:.3f}", auth],
            capture_output=True, text=True, check=True,
        ).stdout
    fig = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    return Latency(kind, fig["n"], fig["errors"], fig["p50_us"] / 1000, fig["p99_us"] / 1000,
                   fig["n"] / (fig["duration_us"] / 1e6), fig["mean_us"] / 1000)


async def _httpx_load(url: str, kind: str, hot: list[int], clients: int, seconds: float,
                      think: float = 0.0, auth: str = "") -> Latency:
    rng = random.Random(kind)
    times: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            path, params = requests_for(kind, rng, hot)
            t = time.perf_counter()
            r = await c.get(path, params=params)
            times.append(time.perf_counter() - t)
            errors += r.status_code != 200
            if think:
                await asyncio.sleep(rng.expovariate(1000 / think))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": auth} if auth else None
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits, headers=headers) as c:
        for _ in range(3):  # warm the connection pool and caches
            await c.get(*requests_for(kind, rng, hot)[:1], params=requests_for(kind, rng, hot)[1])
        t0 = time.perf_counter()
        await asyncio.gather(*(client(c) for _ in range(clients)))
        wall = time.perf_counter() - t0
    ms = [x * 1000 for x in times]
    return Latency(kind, len(ms), errors, percentile(ms, 50), percentile(ms, 99), len(ms) / wall,
                   sum(ms) / max(len(ms), 1))


def merge_search_indexes(db_url: str) -> dict[str, tuple[int, int]]:
    """What the service does with a fragmented SQLite full-text index within its first 30 s of
    running (app/core/fts.py), done before the clock starts rather than during a measurement."""
    from app.core import fts
    from app.core.settings import Settings

    async def go() -> dict[str, tuple[int, int]]:
        db = Database(db_url, pool_size=1)
        try:
            return await fts.merge_fragmented(db, Settings().sqlite_fts_max_segments)
        finally:
            await db.dispose()

    return asyncio.run(go())


def hot_people(db_url: str, n: int = 200) -> list[int]:
    """The seeded people with the most claims (the skewed head: the expensive filter values)."""

    async def go() -> list[int]:
        db = Database(db_url, pool_size=1)
        try:
            async with db.engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT speaker_id FROM claims WHERE speaker_id IS NOT NULL GROUP BY speaker_id "
                         "ORDER BY count(*) DESC LIMIT :n"), {"n": n})
                return [int(r[0]) for r in rows]
        finally:
            await db.dispose()

    return asyncio.run(go())


_INDEX = re.compile(
    r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on|"
    r"Bitmap Heap Scan on|SEARCH|SCAN|Seq Scan on|VIRTUAL TABLE INDEX)\s*\S*"
)


def explain(db_url: str, hot: int, rare: str = "Umiskaso") -> dict[str, list[str]]:
    """EXPLAIN of the statements the list services send for each benchmarked query."""
    from app.claims.service import ClaimFilters, ClaimService
    from app.events.service import EventFilters, EventService

    async def go() -> dict[str, list[str]]:
        db = Database(db_url, pool_size=1)
        seen: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
            seen.append((statement, parameters))

        event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
        # `Database.read` runs statements on the driver itself (`DriverReader`), past
        # SQLAlchemy's cursor events: capture them as compiled there
        pg_execute = DriverReader.execute

        async def pg_capture(reader: DriverReader, stmt: Any, params: dict[str, Any] | None = None) -> Any:
            comp = stmt.compile(dialect=reader.dialect)
            given = params or {}
            seen.append((comp.string, tuple(given.get(n, comp.binds[n].effective_value)
                                            for n in comp.positiontup or ())))
            return await pg_execute(reader, stmt, params)

        DriverReader.execute = pg_capture  # type: ignore[method-assign]
        frm = START + timedelta(days=DAYS // 2)
        calls = {
            "events": lambda: EventService(db).list(
                EventFilters(entity=str(hot)), DateRange(frm, frm + timedelta(60)), PageParams(20, None)
            ),
            "claims_speaker": lambda: ClaimService(db).list(
                ClaimFilters(speaker=str(hot)), DateRange(None, None), PageParams(20, None)
            ),
            "claims_q": lambda: ClaimService(db).list(
                ClaimFilters(q="ceasefire"), DateRange(None, None), PageParams(20, None)
            ),
            # a word in a few hundred claims (a rarely quoted person's surname)
            "claims_q_rare": lambda: ClaimService(db).list(
                ClaimFilters(q=rare), DateRange(None, None), PageParams(20, None)
            ),
        }
        plans: dict[str, list[str]] = {}
        try:
            for name, call in calls.items():
                seen.clear()
                await call()
                stmt, params = next(s for s in seen if "LIMIT" in s[0])  # the page's query
                prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
                event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
                async with db.engine.connect() as conn:
                    rows = (await conn.exec_driver_sql(prefix + stmt, params)).all()
                event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
                lines = [str(r[-1]) for r in rows]
                plans[name] = lines
        finally:
            DriverReader.execute = pg_execute  # type: ignore[method-assign]
            await db.dispose()
        return plans

    return asyncio.run(go())


def indexes_in(plan: list[str]) -> list[str]:
    found = []
    for line in plan:
        for m in _INDEX.finditer(line):
            found.append(m.group(0).strip())
    return found


__all__ = [
    "LOAD_GENERATOR", "Latency", "QueryFigures", "cpu_seconds", "date", "explain", "hot_people", "think_ms",
    "postgres_cpu_seconds",
    "merge_search_indexes",
    "indexes_in", "load",
]
