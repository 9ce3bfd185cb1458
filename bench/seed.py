"""Generate a synthetic database for the query benchmark: at `--scale 1` 200,000 articles, 1,000,000
claims and 50,000 entities (plus mentions, claim subjects, 100,000 events with participants, sources
and the claims that report them), written with COPY on PostgreSQL and executemany on SQLite into a
migrated, empty database. Deterministic for a given scale and seed. The schema's triggers fill what
the application never writes itself (migration 0005: each participant row's event date, SQLite's
`claims_search`), so a seeded database has the shape an ingested one has.

    python -m bench.seed --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench --scale 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url

from app.entities.repository import entity_key
from app.extraction.names import fold

FIRST = (
    "Anna Maria Olga Ivan Pavel Rustem Kirill Steve Jared Marco Lena Sofia Omar Amina Chen Wei Yuki Hana "
    "Diego Lucia Peter Sarah David Laura Ahmed Fatima Jonas Emma Lars Ingrid"
).split()
SYLL = "ka ro mi ne to sa lu vi de an or el is um ba ti go re na so ul ya fe po".split()
ORG_WORDS = "Ministry Council Agency Bank Party Union Institute Commission Group Office Bureau Front".split()
VERBS = "said told added warned claimed stressed noted argued insisted announced".split()
WORDS = (
    "talks peace deal ceasefire sanctions election budget energy gas oil troops border summit minister "
    "president government parliament vote reform inflation economy market trade tariff security "
    "negotiations agreement proposal delegation meeting crisis refugees aid humanitarian court ruling "
    "investigation report strike protest police army drone missile grain port harbour bridge railway "
    "airport hospital school vaccine climate emissions coal nuclear reactor pipeline loan debt bonds "
    "currency growth jobs wages pensions taxes corruption scandal resignation coalition opposition"
).split()
EVENT_TYPES = ("meeting", "visit", "talks", "attack", "election", "announcement", "protest", "agreement")
VERSION = 2  # bumped when the generated data changes (2: events carry the claims reporting them)
START = date(2020, 1, 1)
DAYS = 6 * 365


@dataclass(frozen=True)
class Scale:
    articles: int
    claims_per_article: int
    entities: int
    events: int

    @classmethod
    def of(cls, s: float) -> Scale:
        return cls(
            articles=max(100, int(200_000 * s)),
            claims_per_article=5,
            entities=max(50, int(50_000 * s)),
            events=max(50, int(100_000 * s)),
        )


def _surname(i: int) -> str:
    parts, n = [], i
    for _ in range(3):
        parts.append(SYLL[n % len(SYLL)])
        n //= len(SYLL)
    return ("".join(parts) + SYLL[(i * 7) % len(SYLL)]).capitalize()


def entity_rows(sc: Scale) -> Iterator[tuple[int, str, str]]:
    """(id, type, name): 60% people, 20% organisations, 20% places; names unique per type."""
    for i in range(1, sc.entities + 1):
        kind = ("PERSON", "PERSON", "PERSON", "ORG", "GPE")[i % 5]
        if kind == "PERSON":
            name = f"{FIRST[i % len(FIRST)]} {_surname(i)}"
        elif kind == "ORG":
            name = f"{_surname(i)} {ORG_WORDS[i % len(ORG_WORDS)]}"
        else:
            name = f"{_surname(i)}sk"
        yield i, kind, name


def popular(n: int, rng: random.Random) -> int:
    """A skewed pick in 1..n: a few entities appear very often, most rarely (as in news)."""
    return 1 + int(n * rng.random() ** 3)


def generate(sc: Scale, seed: int = 7) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ents = list(entity_rows(sc))
    people = [e for e in ents if e[1] == "PERSON"]
    places = [e for e in ents if e[1] == "GPE"]
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {
        "entities": (
            ["id", "type", "name", "norm", "key", "created_at"],
            [(i, t, n, fold(n), entity_key(n, t), now) for i, t, n in ents],
        ),
        "entity_aliases": (
            ["id", "entity_id", "type", "name", "norm"],
            [(i, i, t, n, fold(n)) for i, t, n in ents],
        ),
    }
    articles, claims, about, mentions = [], [], [], []
    claim_id = mention_id = 0
    for a in range(1, sc.articles + 1):
        day = START + timedelta(days=rng.randrange(DAYS))
        published = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        sentences = []
        for _ in range(sc.claims_per_article):
            claim_id += 1
            speaker = people[popular(len(people), rng) - 1]
            subject = ents[popular(len(ents), rng) - 1]
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(10, 20)))
            content = f"the {words} would matter for {subject[2]}"
            verb = rng.choice(VERBS)
            sentence = f"{speaker[2]} {verb} {content}."
            off = sum(len(s) + 1 for s in sentences)
            start = off + len(speaker[2]) + len(verb) + 2
            sentences.append(sentence)
            claims.append(
                (
                    claim_id,
                    a,
                    f"c{len(sentences)}",
                    "indirect",
                    start,
                    start + len(content),
                    content,
                    off + len(speaker[2]) + 1,
                    off + len(speaker[2]) + 1 + len(verb),
                    verb,
                    verb,
                    speaker[0],
                    off,
                    off + len(speaker[2]),
                    speaker[2],
                    speaker[2],
                    "person",
                    day,
                    0.9,
                )
            )
            about.append((claim_id, subject[0]))
            mention_id += 1
            mentions.append((mention_id, a, speaker[0], off, off + len(speaker[2]), speaker[2]))
        text = " ".join(sentences)
        articles.append(
            (
                a,
                "bench",
                f"bench-{a}",
                hashlib.sha256(text.encode()).hexdigest(),
                f"Article {a}",
                text,
                published,
                day,
                published,
                now,
                "done",
                "bench",
            )
        )
    tables["articles"] = (
        [
            "id",
            "source",
            "external_id",
            "content_hash",
            "title",
            "text",
            "published_at",
            "published_on",
            "sort_at",
            "created_at",
            "extraction_state",
            "extractor_version",
        ],
        articles,
    )
    tables["claims"] = (
        [
            "id",
            "article_id",
            "local_id",
            "kind",
            "content_start",
            "content_end",
            "content_text",
            "cue_start",
            "cue_end",
            "cue_text",
            "cue_lemma",
            "speaker_id",
            "source_start",
            "source_end",
            "source_text",
            "source_name",
            "source_kind",
            "claim_date",
            "confidence",
        ],
        claims,
    )
    tables["claim_entities"] = (["claim_id", "entity_id"], sorted(set(about)))
    tables["mentions"] = (["id", "article_id", "entity_id", "start", "end", "text"], mentions)
    events, parts, sources, reports = [], set(), [], set()
    linker = random.Random(seed + 1)  # (its own sequence: the rest of the data stays as it was)
    for e in range(1, sc.events + 1):
        a = rng.randrange(1, sc.articles + 1)
        day = START + timedelta(days=rng.randrange(DAYS))
        kind = rng.choice(EVENT_TYPES)
        place = places[rng.randrange(len(places))][0]
        events.append((e, kind, f"{kind} {e}", "occurred", day.isoformat(), day, day, place, now))
        for _ in range(2):
            parts.add((e, people[popular(len(people), rng) - 1][0], a))
        sources.append((e, e, a, f"e{e}", 0, len(kind), kind, "occurred", f"{kind} {e}"))
        # the claims that report it: one or two of its article's (as the pipeline links them)
        for _ in range(linker.randint(1, 2)):
            reports.add((e, (a - 1) * sc.claims_per_article + linker.randrange(sc.claims_per_article) + 1))
    tables["events"] = (
        ["id", "type", "summary", "status", "date_value", "date_start", "date_end", "place_id", "created_at"],
        events,
    )
    tables["event_participants"] = (["event_id", "entity_id", "article_id"], sorted(parts))
    tables["event_sources"] = (
        [
            "id",
            "event_id",
            "article_id",
            "local_id",
            "trigger_start",
            "trigger_end",
            "trigger_text",
            "status",
            "summary",
        ],
        sources,
    )
    tables["event_claims"] = (["event_id", "claim_id"], sorted(reports))
    return tables


ORDER = (
    "entities",
    "entity_aliases",
    "articles",
    "claims",
    "claim_entities",
    "mentions",
    "events",
    "event_participants",
    "event_sources",
    "event_claims",
)
SERIAL = ("entities", "entity_aliases", "articles", "claims", "mentions", "events", "event_sources")


async def _copy_pg(url: str, tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
    )
    try:
        for name in ORDER:
            cols, rows = tables[name]
            await conn.copy_records_to_table(name, records=rows, columns=cols)
        for name in SERIAL:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"  # noqa: S608
            )
        # VACUUM too: freshly copied rows have no visibility map (index-only scans visit the
        # heap), and autovacuum would otherwise catch up on 1M-row tables during the measurements
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _insert_sqlite(path: str, tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        for name in ORDER:
            cols, rows = tables[name]
            sql = (
                f"INSERT INTO {name} ({', '.join(chr(34) + c + chr(34) for c in cols)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(cols))})"
            )
            conn.executemany(sql, ([_sqlite_value(v) for v in r] for r in rows))
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()


def seed(url: str, scale: float) -> dict[str, int]:
    """Fill a migrated, empty database; returns the row counts."""
    tables = generate(Scale.of(scale))
    if url.startswith("postgresql"):
        asyncio.run(_copy_pg(url, tables))
    else:
        _insert_sqlite(make_url(url).database or "", tables)
    return {k: len(v[1]) for k, v in tables.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--scale", type=float, default=1.0, help="1 = 1M claims / 200k articles / 50k entities")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    counts = seed(args.database_url, args.scale)
    print(f"seeded in {time.perf_counter() - t:.1f}s: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
