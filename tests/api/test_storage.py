"""Set-based storage of one document: resolution inside a document behaves as if its rows were
stored one at a time, and a concurrent transaction claiming the same new name wins cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from app.articles import repository as articles_repo
from app.articles.schemas import ArticleCreate
from app.articles.service import ArticleService, article_fields, clear_derived, store_result

from .docs import Doc, uniq

Store = Callable[..., Awaitable[int]]


async def stored(client: httpx.AsyncClient, article_id: int) -> dict[str, Any]:
    return (await client.get(f"/v1/articles/{article_id}")).json()  # type: ignore[no-any-return]


async def test_names_inside_one_document_resolve_as_if_stored_one_by_one(
    client: httpx.AsyncClient, store: Store
) -> None:
    # names are stored in (type, folded name) order: the surname before the full name, the
    # organisation before its abbreviation
    surname, org = uniq("A"), f"{uniq('A')} Institute"
    full = f"Rustam {surname}"
    d = Doc(f"{surname} spoke. {full} left. The {org} (TI) and TI agreed.")
    d.entity(surname)
    d.entity(full)  # a fuller compatible name of the same person: joins it and becomes its name
    d.entity(org, "ORG", aliases=("TI",), roles=("lab",))
    d.entity("TI", "ORG", roles=("lab", "funder"))  # names the same organisation by its alias
    ids = {e["name"]: e["stored_id"] for e in (await stored(client, await store(d.build())))["entities"]}
    assert ids[surname] == ids[full]
    assert ids[org] == ids["TI"]
    person = (await client.get(f"/v1/entities/{ids[surname]}")).json()
    assert person["name"] == full and person["aliases"] == [surname]
    assert person["mention_count"] == 2 and person["article_count"] == 1
    ent = (await client.get(f"/v1/entities/{ids[org]}")).json()
    assert ent["name"] == org and ent["aliases"] == ["TI"] and sorted(ent["roles"]) == ["funder", "lab"]

    # a later article: the stored names are found in one lookup, and nothing is duplicated
    d2 = Doc(f"{full} and the TI met again.")
    d2.entity(full)
    d2.entity("TI", "ORG")
    ids2 = {e["name"]: e["stored_id"] for e in (await stored(client, await store(d2.build())))["entities"]}
    assert ids2 == {full: ids[full], "TI": ids["TI"]}


async def test_reports_inside_one_document_join_the_events_earlier_reports_made(
    client: httpx.AsyncClient, store: Store
) -> None:
    a, b, c, city = f"Anna {uniq()}", f"Boris {uniq()}", f"Carl {uniq()}", f"{uniq()}grad"
    d = Doc(f"{a} met {b} in {city}. {b} met {c} there. {c} talked to {a}. {a} met {b} again.")
    ea, eb, ec, ecity = d.entity(a), d.entity(b), d.entity(c), d.entity(city, "GPE")
    d.event("met", "meeting", "2025-10-01", ecity, (ea, eb))
    d.event("talked", "meeting", "2025-10-01", ecity, (ec, eb))  # shares b with the first
    d.event("talked", "meeting", "2025-10-01", None, (ec, ea))  # no place: another event
    d.event("met", "meeting", "2025-10-02", ecity, (ea, eb))  # another day: another event
    doc = await stored(client, await store(d.build()))
    ev = [e["stored_id"] for e in doc["events"]]
    assert ev[0] == ev[1] and len({ev[0], ev[2], ev[3]}) == 3
    assert doc["events"][0]["participant_ids"] == [e["stored_id"] for e in doc["entities"][:2]]

    # another article's report with only c (a participant the second report added) joins it too
    d2 = Doc(f"{c} was at the meeting in {city}.")
    d2.event("meeting", "meeting", "2025-10-01", d2.entity(city, "GPE"), (d2.entity(c),))
    doc2 = await stored(client, await store(d2.build()))
    assert doc2["events"][0]["stored_id"] == ev[0]
    params = {"entity": c, "from": "2025-10-01", "to": "2025-10-01"}
    listed = (await client.get("/v1/events", params=params)).json()
    joined = next(e for e in listed["items"] if e["id"] == ev[0])
    assert {p["name"] for p in joined["participants"]} == {a, b, c}
    assert len(joined["sources"]) == 3


async def test_a_name_claimed_by_a_concurrent_transaction_joins_the_winner(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Two transactions store articles naming the same new person and organisation. On
    PostgreSQL the second has looked the names up (finding nothing) and inserted its own rows
    before the first commits: its alias insert waits, then finds the names taken, and must drop
    its rows for the winner's. On SQLite writers are serial and the second simply finds them."""
    db = app.state.db
    person, org = f"Olga {uniq()}", f"{uniq()} Bureau"

    def doc(i: int, *names: str) -> tuple[str, dict[str, Any]]:
        d = Doc(f"{' and '.join(names)} agreed in round {i} ({uniq()}).")
        for n in names:
            d.entity(n, "ORG" if n == org else "PERSON", roles=(f"role {i}",))
        built = d.build()
        return built.pop("_text"), built

    async def article(text_: str) -> int:
        async with db.session(write=True) as s:
            article_id = await articles_repo.insert_new(s, article_fields(ArticleCreate(text=text_)))
        assert article_id is not None
        return article_id

    (t1, d1), (t2, d2) = doc(1, person, org), doc(2, person, org)
    a1, a2 = await article(t1), await article(t2)
    first_in = asyncio.Event()

    async def first() -> None:
        async with db.session(write=True) as s:
            await store_result(s, a1, None, d1)
            first_in.set()
            if db.dialect == "postgresql":
                await _wait_until_blocked(db)
            else:
                await asyncio.sleep(0.2)

    async def second() -> None:
        await first_in.wait()
        async with db.session(write=True) as s:
            await store_result(s, a2, None, d2)

    await asyncio.wait_for(asyncio.gather(first(), second()), 60)
    s1, s2 = await stored(client, a1), await stored(client, a2)
    ids1 = [e["stored_id"] for e in s1["entities"]]
    assert sorted(ids1) == sorted(e["stored_id"] for e in s2["entities"])
    assert s2["extraction"]["state"] == "done"
    for e in s2["entities"]:
        ent = (await client.get(f"/v1/entities/{e['stored_id']}")).json()
        assert ent["article_count"] == 2 and sorted(ent["roles"]) == ["role 1", "role 2"]
    for name in (person, org):
        listed = (await client.get("/v1/entities", params={"q": name})).json()["items"]
        assert [e["name"] for e in listed] == [name]


async def _wait_until_blocked(db: Any) -> None:
    """Until another connection of this database waits for a lock (the second transaction's
    alias insert waiting for this one's uncommitted names)."""
    for _ in range(200):
        async with db.engine.connect() as conn:
            waiting = (await conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))).scalar_one()
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the second transaction never waited for the first one's names")


async def test_an_entity_pruned_while_another_article_is_stored_is_made_again(
    client: httpx.AsyncClient, app: FastAPI, store: Store
) -> None:
    """Article X is the only one naming a person; while X's rows are cleared (the person pruned as
    an orphan, not yet committed) another article naming the person is stored. On PostgreSQL
    that store has read the person and waits on its row; when the prune commits, its reference
    is dangling (a foreign-key violation). The write is run again, not lost: it then finds no
    such person and makes a new one. On SQLite writers are serial and the second waits its turn."""
    db = app.state.db
    svc = ArticleService(db, app.state.pool, app.state.settings)
    person = f"Petra {uniq()}"

    def doc() -> dict[str, Any]:
        d = Doc(f"{person} spoke ({uniq()}).")
        d.entity(person, roles=("mayor",))
        return d.build()

    x = await store(doc())
    d2 = doc()
    async with db.session(write=True) as s:
        y = await articles_repo.insert_new(s, article_fields(ArticleCreate(text=d2.pop("_text"))))
    assert y is not None
    pruned = asyncio.Event()

    async def prune() -> None:
        async with db.session(write=True) as s:
            await clear_derived(s, x)
            pruned.set()
            if db.dialect == "postgresql":
                await _wait_until_blocked(db)
            else:
                await asyncio.sleep(0.2)

    async def store_other() -> None:
        await pruned.wait()
        await svc.save_result(y, d2)

    await asyncio.wait_for(asyncio.gather(prune(), store_other()), 60)
    s2 = await stored(client, y)
    assert s2["extraction"]["state"] == "done"
    new = s2["entities"][0]["stored_id"]
    ent = (await client.get(f"/v1/entities/{new}")).json()
    assert ent["name"] == person and ent["article_count"] == 1 and ent["roles"] == ["mayor"]
    listed = (await client.get("/v1/entities", params={"q": person})).json()["items"]
    assert [e["id"] for e in listed] == [new]
