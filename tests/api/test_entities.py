"""Entities across articles: resolution, aliases and roles, search, details, sub-lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from app.articles.service import ArticleService

from .docs import Doc, every_item, uniq

Store = Callable[..., Awaitable[int]]


async def stored_ids(client: httpx.AsyncClient, article_id: int) -> dict[str, int]:
    doc = (await client.get(f"/v1/articles/{article_id}")).json()
    return {e["name"]: e["stored_id"] for e in doc["entities"]}


async def test_surname_then_full_name_is_one_entity_and_upgrades_its_name(
    client: httpx.AsyncClient, store: Store
) -> None:
    surname = uniq()
    d1 = Doc(f"{surname} said the talks went well.", "2025-02-01")
    d1.claim("the talks went well", speaker=d1.entity(surname, roles=("negotiator",)))
    a1 = await store(d1.build(), published_at="2025-02-01")
    first = (await stored_ids(client, a1))[surname]

    full = f"Rustam {surname}"
    d2 = Doc(f"Minister {full} arrived. {surname} said nothing.", "2025-02-03")
    d2.entity(full, mentions=(full, surname), aliases=(surname,), roles=("minister",))
    a2 = await store(d2.build(), published_at="2025-02-03")
    assert (await stored_ids(client, a2))[full] == first

    other = f"Ivan {surname}"
    d3 = Doc(f"{other} disagreed.", "2025-02-04")
    d3.entity(other)
    a3 = await store(d3.build(), published_at="2025-02-04")
    assert (await stored_ids(client, a3))[other] != first

    ent = (await client.get(f"/v1/entities/{first}")).json()
    assert ent["name"] == full and ent["type"] == "PERSON"
    assert surname in ent["aliases"] and full not in ent["aliases"]
    assert ent["roles"] == ["negotiator", "minister"]
    assert ent["mention_count"] == 3 and ent["article_count"] == 2 and ent["claim_count"] == 1
    assert ent["first_seen"].startswith("2025-02-01") and ent["last_seen"].startswith("2025-02-03")


async def test_cross_article_entities_through_the_real_extractor(client: httpx.AsyncClient) -> None:
    """Depends on spaCy NER finding two plain person names."""
    src = f"ner-{uniq()}"
    r1 = await client.post(
        "/v1/articles",
        json={
            "text": "Defence minister Rustem Umerov said on Tuesday that the talks in Geneva were useful.",
            "source": src,
            "published_at": "2025-02-10",
        },
    )
    r2 = await client.post(
        "/v1/articles",
        json={
            "text": "Later, Umerov said the delegation would return to Kyiv on Friday.",
            "source": src,
            "published_at": "2025-02-12",
        },
    )
    assert r1.status_code == r2.status_code == 201
    full = next(e for e in r1.json()["entities"] if e["name"] == "Rustem Umerov")
    short = next(e for e in r2.json()["entities"] if e["name"] == "Umerov")
    assert full["stored_id"] == short["stored_id"]


async def test_search_by_prefix_alias_and_type(client: httpx.AsyncClient, store: Store) -> None:
    word = uniq()
    org = f"{word} Petroleum Company"
    d = Doc(f"The {org} ({word.upper()}P) and {word} City officials met.")
    d.entity(org, "ORG", mentions=(org,), aliases=(f"{word.upper()}P",))
    d.entity(f"{word} City", "GPE")
    await store(d.build())

    async def names(**params: Any) -> list[str]:
        r = await client.get("/v1/entities", params=params)
        assert r.status_code == 200
        return [e["name"] for e in r.json()["items"]]

    assert sorted(await names(q=word)) == sorted([org, f"{word} City"])
    assert await names(q=word.lower(), type="org") == [org]
    assert await names(q=f"{word.upper()}P") == [org]  # alias
    assert await names(q="petroleum " + word[:3]) == []  # prefix of words in order, not a bag of words
    assert await names(q="petroleum comp", type="GPE") == []
    assert await names(q="%%") == []


async def test_entity_list_paginates(client: httpx.AsyncClient, store: Store) -> None:
    word = uniq()
    d = Doc(" ".join(f"{word} Group{i} met." for i in range(5)))
    for i in range(5):
        d.entity(f"{word} Group{i}", "ORG")
    await store(d.build())
    got = [e["name"] for e in await every_item(client, "/v1/entities", q=word, limit=2)]
    assert got == [f"{word} Group{i}" for i in range(5)]


async def test_entity_claims_and_events(client: httpx.AsyncClient, store: Store) -> None:
    a, b, city = f"Nora {uniq()}", f"Tomas {uniq()}", f"{uniq()}burg"
    d = Doc(f"{a} said {b} would meet her in {city}. {b} said the meeting in {city} is on.", "2025-07-01")
    ea, eb, ec = d.entity(a), d.entity(b), d.entity(city, "GPE")
    c1 = d.claim(f"{b} would meet her in {city}", speaker=ea)
    d.claim(f"the meeting in {city} is on", speaker=eb)
    d.event("meet", date="2025-07-04", place=ec, participants=(ea, eb), status="scheduled", claims=(c1,))
    aid = await store(d.build(), published_at="2025-07-01")
    ids = await stored_ids(client, aid)

    async def claim_texts(entity: int, **params: Any) -> list[str]:
        r = await client.get(f"/v1/entities/{entity}/claims", params=params)
        assert r.status_code == 200, r.text
        return [c["content"]["text"] for c in r.json()["items"]]

    assert await claim_texts(ids[a], role="speaker") == [f"{b} would meet her in {city}"]
    assert await claim_texts(ids[b], role="about") == [f"{b} would meet her in {city}"]
    assert sorted(await claim_texts(ids[b])) == sorted(
        [f"{b} would meet her in {city}", f"the meeting in {city} is on"]
    )
    r = await client.get(f"/v1/entities/{ids[a]}/events")
    [event] = r.json()["items"]
    assert event["place"]["id"] == ids[city] and event["date"]["value"] == "2025-07-04"
    assert r.json()["items"][0]["claim_ids"]
    assert (await client.get(f"/v1/entities/{ids[a]}/events", params={"from": "2025-07-05"})).json()[
        "items"
    ] == []
    ent = (await client.get(f"/v1/entities/{ids[b]}")).json()
    assert ent["event_count"] == 1 and ent["claim_count"] == 1


async def test_deleting_an_article_removes_orphan_entities_only(
    client: httpx.AsyncClient, store: Store
) -> None:
    shared, lonely = f"Lea {uniq()}", f"Max {uniq()}"
    d1 = Doc(f"{shared} met {lonely}.")
    d1.entity(shared)
    d1.entity(lonely)
    a1 = await store(d1.build())
    ids = await stored_ids(client, a1)
    d2 = Doc(f"{shared} spoke later.")
    d2.entity(shared)
    await store(d2.build())
    assert (await client.delete(f"/v1/articles/{a1}")).status_code == 204
    assert (await client.get(f"/v1/entities/{ids[lonely]}")).status_code == 404
    kept = (await client.get(f"/v1/entities/{ids[shared]}")).json()
    assert kept["mention_count"] == 1 and kept["article_count"] == 1


async def test_re_extracting_an_article_replaces_its_rows_and_keeps_entity_ids(
    client: httpx.AsyncClient, store: Store, app: FastAPI
) -> None:
    person, other = f"Ruth {uniq()}", f"Saul {uniq()}"

    def doc(with_other: bool) -> dict[str, Any]:
        d = Doc(f"{person} said the plan works. {other} agreed.", "2025-03-03")
        e = d.entity(person)
        if with_other:
            d.entity(other)
        d.claim("the plan works", speaker=e)
        return d.build()

    aid = await store(doc(with_other=True), published_at="2025-03-03")
    before = await stored_ids(client, aid)
    svc = ArticleService(app.state.db, app.state.pool, app.state.settings)
    again = doc(with_other=False)
    again.pop("_text")
    await svc.save_result(aid, again)  # what a reprocess does
    after = await stored_ids(client, aid)
    assert after == {person: before[person]}
    assert (await client.get(f"/v1/entities/{before[other]}")).status_code == 404
    claims = (await client.get("/v1/claims", params={"article_id": aid})).json()["items"]
    assert len(claims) == 1 and claims[0]["source"]["entity"]["id"] == before[person]
    ent = (await client.get(f"/v1/entities/{before[person]}")).json()
    assert ent["mention_count"] == 1 and ent["claim_count"] == 1
