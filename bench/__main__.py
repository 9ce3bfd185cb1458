"""`make bench` = `python -m bench --shared ../shared`: the five throughput/latency/memory figures,
side by side on the same PolNeAR dev texts, each as a ratio to bare spaCy parsing where that
makes sense. Figures are printed (and never asserted); record them in bench/RESULTS.md.

1. bare `en_core_web_sm` `nlp.pipe` parsing (one process);
2. the extraction library (`newsclaims extract`'s pool), 1 worker and all cores;
3. end to end through HTTP (real uvicorn, concurrent clients) into SQLite and PostgreSQL,
   synchronous and asynchronous ingestion;
4. query latency p50/p99 under 32 concurrent clients on a seeded database (`--scale 1` =
   1,000,000 claims / 200,000 articles / 50,000 entities), with EXPLAIN; beside them the floor
   of this machine's HTTP stack under the same clients (FastAPI with one route and nothing of
   ours, bench/floor_app.py) and the service's own `/livez`, each list's req/s as a ratio to
   the floor's; and the lists once more at one process with the default settings (an API key
   on every request, metrics, the access log);
5. peak RSS per extraction worker process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from . import extraction_speed, http_ingest, memory, queries, seed
from .common import ROOT, env_for, migrate, polnear_texts, server

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TARGETS = {"per_core": 0.9, "two_workers": 1.8, "http_pg": 0.8, "p99_ms": 20.0, "rss_mb": 500.0}


def _pg(base: str, sql: str) -> None:
    u = make_url(base)

    async def go() -> None:
        conn = await asyncpg.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            database=u.database or "postgres",
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def _pg_db(base: str, name: str, *, fresh: bool) -> tuple[str, bool]:
    """(URL of database `name`, whether it was created now)."""
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    if fresh:
        _pg(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        _pg(base, f'CREATE DATABASE "{name}"')
        return url, True
    except asyncpg.DuplicateDatabaseError:
        return url, False


def _pg_available(base: str) -> bool:
    try:
        _pg(base, "SELECT 1")
        return True
    except (OSError, asyncpg.PostgresError):
        return False


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            mem = int(fh.readline().split()[1]) / 1024 / 1024
    except OSError:
        mem = float("nan")
    load = os.getloadavg()[0]
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, Python "
        f"{platform.python_version()}, load average at start {load:.1f}"
    )


def line(label: str, value: float, unit: str, ratio: float | None = None, target: str = "") -> None:
    r = f"{ratio:5.2f}x of (1)" if ratio is not None else " " * 13
    print(f"  {label:<52} {value:9.2f} {unit:<8} {r}  {target}", flush=True)


def _measure(base: str, proc: subprocess.Popen[bytes], kind: str, hot: list[int], clients: int,
             seconds: float, rate: float | None = None, key: str = ""
             ) -> tuple[queries.Latency, float, float]:
    """One load run; with the server's and PostgreSQL's CPU per request over it."""
    cpu, pg_cpu = queries.cpu_seconds(proc.pid), queries.postgres_cpu_seconds()
    lat = queries.load(base, kind, hot, clients, seconds, rate, key)
    cpu_ms = (queries.cpu_seconds(proc.pid) - cpu) * 1000 / max(lat.n, 1)
    pg_ms = (queries.postgres_cpu_seconds() - pg_cpu) * 1000 / max(lat.n, 1)
    return lat, cpu_ms, pg_ms


def report(backend: str, processes: int, kind: str, clients: int, lat: queries.Latency, cpu_ms: float,
           pg_ms: float, note: str = "", paced: bool = False) -> None:
    db = f"PostgreSQL CPU {pg_ms:4.2f} ms/req " if backend == "postgresql" and pg_ms else ""
    print(
        f"  {backend:<10} {processes} proc {kind:<15} {clients:>2} clients{' paced' if paced else '      '}  "
        f"p50 {lat.p50_ms:7.1f} ms  p99 {lat.p99_ms:7.1f} ms  "
        f"mean {lat.mean_ms:5.1f} ms  {lat.rps:6.0f} req/s  "
        f"server CPU {cpu_ms:4.2f} ms/req {db}"
        f"({lat.n} requests, {lat.errors} errors, load {os.getloadavg()[0]:.1f})"
        + (f"  [{note}]" if note else ""),
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--docs", type=int, default=0, help="PolNeAR dev texts to use (0: all)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the texts this many times")
    ap.add_argument("--repeats", type=int, default=3,
                    help="rounds of (1)/(2), each timing bare parsing next to the extraction; medians")
    ap.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="'all cores' (default: cpu count)"
    )
    ap.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients for ingestion")
    ap.add_argument("--batch", type=int, default=50, help="articles per asynchronous batch request")
    ap.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("NEWSCLAIMS_BENCH_SCALE", "1")),
        help="query database size: 1 (default, or NEWSCLAIMS_BENCH_SCALE) = 1M claims; seeded once, reused",
    )
    ap.add_argument("--query-clients", type=int, default=32)
    ap.add_argument(
        "--api-processes", type=lambda v: [int(n) for n in v.split(",")], default=[os.cpu_count() or 1, 1],
        help="uvicorn worker processes serving the query benchmark, one run each (default: the cpu count, "
        "then 1: on a small machine the database and the load generator need a core too)")
    ap.add_argument("--query-seconds", type=float, default=10.0)
    ap.add_argument(
        "--query-rate", type=float, default=1000.0,
        help="also run each list with the same clients paced to about this many requests a second "
        "in all (a pause between a response and the next request): the latency below saturation "
        "(0: closed loop only)")
    ap.add_argument(
        "--pg",
        default=os.environ.get("NEWSCLAIMS_BENCH_PG", DEFAULT_PG),
        help="PostgreSQL server (an admin URL); benchmark databases are created on it",
    )
    ap.add_argument("--only", default="1,2,3,4,5", help="comma-separated figure numbers to run")
    ap.add_argument("--reseed", action="store_true", help="rebuild the query database even if present")
    args = ap.parse_args(argv)
    only = {int(x) for x in args.only.split(",") if x.strip()}
    shared = args.shared.resolve()
    if not (shared / "data" / "polnear").is_dir():
        print(f"bench: PolNeAR not found under {shared}", file=sys.stderr)
        return 2
    texts = polnear_texts(shared)
    texts = (texts[: args.docs] if args.docs else texts) * args.rounds
    pg = _pg_available(args.pg)
    tmp = http_ingest.tmpdir()
    print(f"newsclaims bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    print(f"targets: p99 <= {TARGETS['p99_ms']:.0f} ms at 32 clients; RSS <= {TARGETS['rss_mb']:.0f} MB")
    print(
        f"{len(texts)} PolNeAR dev texts (avg {sum(map(len, texts)) / len(texts):.0f} chars); "
        f"'all cores' = {args.workers} workers; PostgreSQL {'at ' + args.pg if pg else 'not reachable'}"
    )

    bare = float("nan")
    if only & {1, 2, 3}:
        speeds = extraction_speed.measure(texts, args.workers, args.repeats, extraction=2 in only)
        bare = speeds.median("bare")
        print(f"(1) bare en_core_web_sm nlp.pipe, one process (median of {args.repeats} rounds)")
        line("bare parse", bare, "docs/s", 1.0, f"rounds {speeds.spread('bare')}")
        line("our parse alone (same model as load_nlp sets it up)", speeds.median("parse"), "docs/s",
             speeds.ratio("parse"), f"rounds {speeds.spread('parse')}")
    if 2 in only:
        print("(2) extraction library (newsclaims extract), each round timed next to bare parsing")
        line("1 worker (one process)", speeds.median("one"), "docs/s", speeds.ratio("one"),
             f"target >= {TARGETS['per_core']}x per core; {speeds.ratio('one', 'parse'):.2f}x of our "
             f"parse alone (what the stages cost); rounds {speeds.spread('one')}")
        if args.workers > 1:
            line(
                f"{args.workers} workers (all cores)",
                speeds.median("many"),
                "docs/s",
                speeds.ratio("many", "bare_pool"),
                f"target >= {TARGETS['two_workers']}x with two; "
                f"{speeds.ratio('many', 'one'):.2f}x one worker; rounds {speeds.spread('many')}",
            )
            line(f"  bare parse in {args.workers} processes at once (this machine's cores together)",
                 speeds.median("bare_many"), "docs/s", speeds.ratio("bare_many", "bare_pool"),
                 f"ours = {speeds.ratio('many', 'bare_many'):.2f}x of it; "
                 f"rounds {speeds.spread('bare_many')}")
    rss: list[tuple[str, float]] = []
    if 3 in only or 5 in only:
        print(
            f"(3) end to end through HTTP (uvicorn, {args.clients} clients sync, "
            f"batches of {args.batch} async)"
        )
        backends = [("sqlite", f"sqlite+aiosqlite:///{tmp / 'ingest.db'}")]
        created: list[str] = []
        if pg:
            name = f"newsclaims_bench_ingest_{uuid.uuid4().hex[:6]}"
            url, _ = _pg_db(args.pg, name, fresh=True)
            backends.append(("postgresql", url))
            created.append(name)
        try:
            for backend, url in backends:
                fig = http_ingest.run(
                    backend, url, texts, workers=args.workers, clients=args.clients, batch=args.batch, tmp=tmp
                )
                target = f"target >= {TARGETS['http_pg']}x" if backend == "postgresql" else ""
                line(
                    f"{backend}: synchronous POST /v1/articles",
                    fig.sync_docs_s,
                    "docs/s",
                    fig.sync_docs_s / bare,
                    target,
                )
                line(
                    f"{backend}: asynchronous batches, until all extracted",
                    fig.async_docs_s,
                    "docs/s",
                    fig.async_docs_s / bare,
                    target,
                )
                for note in fig.notes:
                    print(f"    {note}")
                rss += fig.worker_rss_mb
        finally:
            for name in created:
                _pg(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if 5 in only:
        print("(5) peak RSS per extraction worker process (VmHWM)")
        for label, mb in rss:
            line(label, mb, "MB", None, f"target <= {TARGETS['rss_mb']:.0f} MB")
        chars, claims, loaded, peak = memory.longest_article(texts)
        line(f"one article of {chars:,} chars (the API's longest; {claims} claims)", peak, "MB", None,
             f"target <= {TARGETS['rss_mb']:.0f} MB; {loaded:.0f} MB with the model loaded")
    if 4 in only:
        sc = seed.Scale.of(args.scale)
        print(
            f"(4) query latency, {' then '.join(map(str, args.api_processes))} uvicorn processes, "
            f"{args.query_clients} clients x "
            f"{args.query_seconds:.0f}s per query; scale "
            f"{args.scale}: {sc.articles * sc.claims_per_article:,} claims / {sc.articles:,} articles / "
            f"{sc.entities:,} entities / {sc.events:,} events; load from {queries.LOAD_GENERATOR}"
        )
        # (the seed's version in the name: a database seeded by an older generator is not reused)
        tag = f"{args.scale}_v{seed.VERSION}".replace(".", "_")
        dbs = [
            ("sqlite", f"sqlite+aiosqlite:///{Path(tempfile_dir()) / f'newsclaims-bench-s{tag}.db'}", None)
        ]
        if pg:
            dbs.append(("postgresql", *_pg_db(args.pg, f"newsclaims_bench_s{tag}", fresh=args.reseed)))
        # what this machine's HTTP stack alone allows at these clients: the same uvicorn serving
        # FastAPI with one route and nothing of ours (bench/floor_app.py)
        floor: dict[int, float] = {}
        for processes in args.api_processes:
            with server("sqlite+aiosqlite://", tmp / f"floor-{processes}.log", processes,
                        app="bench.floor_app:app") as (base, proc):
                lat, cpu_ms, pg_ms = _measure(base, proc, "livez", [], args.query_clients, args.query_seconds)
                floor[processes] = lat.rps
                report("floor", processes, "livez", args.query_clients, lat, cpu_ms, pg_ms,
                       note="FastAPI + uvicorn alone, one route, no database")
        for backend, url, created_now in dbs:
            path = make_url(url).database or ""
            fresh = created_now if backend == "postgresql" else (args.reseed or not Path(path).exists())
            if backend == "sqlite" and fresh and Path(path).exists():
                Path(path).unlink()
            migrate(url)  # a reused database is brought to the current schema (idempotent)
            if fresh:
                t = time.perf_counter()
                seed.seed(url, args.scale)
                print(f"  {backend}: seeded in {time.perf_counter() - t:.0f}s")
            if backend == "sqlite":  # as the service keeps it: merged when fragmented (app/core/fts.py)
                merged = queries.merge_search_indexes(url)
                if merged:
                    print(f"  sqlite: full-text indexes merged (segments before -> after): {merged}")
            hot = queries.hot_people(url)
            for run, processes in enumerate(args.api_processes):
                with server(
                    url,
                    tmp / f"{backend}-queries-{processes}.log",
                    processes,
                    NEWSCLAIMS_EXTRACTION_WORKERS="1",
                    NEWSCLAIMS_QUEUE_WORKER="off",
                    # (the connection pool at its default size, 10: with 16, up to 16 queries ran
                    # in PostgreSQL at once on the two cores and the 32-client p99 went up by half)
                ) as (base, proc):
                    # the service's own /livez first: its middleware and routing, no query
                    for kind in ("livez", "events", "claims_speaker", "claims_q"):
                        # 1 client (the service time alone) in the first run only
                        for clients in ((1,) if run == 0 and kind != "livez" else ()) + (args.query_clients,):
                            lat, cpu_ms, pg_ms = _measure(base, proc, kind, hot, clients, args.query_seconds)
                            of_floor = (f"{lat.rps / floor[processes]:.2f}x the floor's req/s"
                                        if clients == args.query_clients and processes in floor else "")
                            report(backend, processes, kind, clients, lat, cpu_ms, pg_ms,
                                   note=", ".join(filter(None, (
                                       "the service, no database" if kind == "livez" else "", of_floor))))
                        if args.query_rate and kind != "livez":
                            # the same clients below saturation: the latency at that load
                            lat, cpu_ms, pg_ms = _measure(base, proc, kind, hot, args.query_clients,
                                                          args.query_seconds, args.query_rate)
                            report(backend, processes, kind, args.query_clients, lat, cpu_ms, pg_ms,
                                   note=f"paced to ~{args.query_rate:.0f} req/s offered", paced=True)
            # one process as deployed by default: an API key checked on every request (one read
            # of the key, a keyed hash), Prometheus metrics, the JSON access log (the runs above
            # leave these to the gateway: NEWSCLAIMS_AUTH=none, no metrics, warnings only)
            key = api_key(url)
            with server(url, tmp / f"{backend}-queries-production.log", 1,
                        NEWSCLAIMS_EXTRACTION_WORKERS="1", NEWSCLAIMS_QUEUE_WORKER="off",
                        NEWSCLAIMS_AUTH="keys", NEWSCLAIMS_METRICS_ENABLED="true",
                        NEWSCLAIMS_LOG_LEVEL="INFO") as (base, proc):
                for kind in ("events", "claims_speaker", "claims_q"):
                    lat, cpu_ms, pg_ms = _measure(base, proc, kind, hot, args.query_clients,
                                                  args.query_seconds, key=key)
                    report(backend, 1, kind, args.query_clients, lat, cpu_ms, pg_ms,
                           note="default settings: API key, metrics, access log")
            # a rarely quoted person's surname: a word in a few hundred claims
            rare = next(n for i, t, n in seed.entity_rows(sc) if i >= sc.entities * 4 // 5 and t == "PERSON")
            for kind, plan in queries.explain(url, hot[0], rare.split()[-1]).items():
                print(f"  {backend} EXPLAIN {kind}: {'; '.join(queries.indexes_in(plan)) or plan[:3]}")
    return 0


def api_key(db_url: str) -> str:
    """A read key created in the bench database with the service's own command."""
    out = subprocess.run([sys.executable, "-m", "app.cli", "keys", "create", "--name", "bench"],
                         cwd=ROOT, env=env_for(db_url), check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


if __name__ == "__main__":
    raise SystemExit(main())
