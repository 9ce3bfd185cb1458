"""GET /v1/claims filters, on hand-made extraction documents stored through the service layer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from .docs import Doc, every_item, uniq

Store = Callable[..., Awaitable[int]]


async def entity_id(client: httpx.AsyncClient, article_id: int, name: str) -> int:
    doc = (await client.get(f"/v1/articles/{article_id}")).json()
    return next(e["stored_id"] for e in doc["entities"] if e["name"] == name)


async def ids(client: httpx.AsyncClient, **params: Any) -> list[int]:
    r = await client.get("/v1/claims", params={"limit": 50, **params})
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


@pytest.fixture
async def world(client: httpx.AsyncClient, store: Store) -> dict[str, Any]:
    """Two articles: Vera X speaks about Omar Y and a port; Omar Y speaks about Vera X."""
    vera, omar, port = f"Vera {uniq()}", f"Omar {uniq()}", f"Port {uniq()}"
    w1 = uniq().lower()
    d1 = Doc(
        f"{vera} said that {omar} will visit {port} soon. {vera} also said the {w1} tariffs are unfair.",
        "2025-06-10",
    )
    ev, eo, ep = d1.entity(vera), d1.entity(omar), d1.entity(port, "GPE")
    c1 = d1.claim(f"{omar} will visit {port} soon", speaker=ev, said_on="2025-06-09")
    c2 = d1.claim(f"the {w1} tariffs are unfair", speaker=ev, kind="direct")
    a1 = await store(d1.build(), published_at="2025-06-10", source="claims-test")
    d2 = Doc(f"{omar} told reporters that {vera} was wrong about the {w1} tariffs.", "2025-06-20")
    eo2, ev2 = d2.entity(omar), d2.entity(vera)
    c3 = d2.claim(f"{vera} was wrong about the {w1} tariffs", speaker=eo2, cue="told")
    a2 = await store(d2.build(), published_at="2025-06-20", source="claims-test")
    del ep, eo, ev2, c1, c2, c3
    return {
        "vera": vera,
        "omar": omar,
        "port": port,
        "word": w1,
        "a1": a1,
        "a2": a2,
        "vera_id": await entity_id(client, a1, vera),
        "omar_id": await entity_id(client, a1, omar),
        "port_id": await entity_id(client, a1, port),
        "claims1": [c["stored_id"] for c in (await client.get(f"/v1/articles/{a1}")).json()["claims"]],
        "claims2": [c["stored_id"] for c in (await client.get(f"/v1/articles/{a2}")).json()["claims"]],
    }


async def test_entities_are_shared_across_articles(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    assert await entity_id(client, world["a2"], world["vera"]) == world["vera_id"]
    assert await entity_id(client, world["a2"], world["omar"]) == world["omar_id"]


async def test_claim_shape(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    r = await client.get("/v1/claims", params={"article_id": world["a1"]})
    items = r.json()["items"]
    first = next(c for c in items if c["id"] == world["claims1"][0])
    assert first["source"]["entity"] == {"id": world["vera_id"], "name": world["vera"], "type": "PERSON"}
    assert first["said_on"] == {"value": "2025-06-09", "date": "2025-06-09"}
    assert first["claim_date"] == "2025-06-09" and first["kind"] == "indirect"
    assert {e["id"] for e in first["about"]} == {world["omar_id"], world["port_id"]}
    assert first["cue"]["text"] == "said" and first["article_id"] == world["a1"]


async def test_speaker_filter_by_id_and_by_name(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    assert sorted(await ids(client, speaker=world["vera_id"])) == sorted(world["claims1"])
    assert sorted(await ids(client, speaker=world["vera"])) == sorted(world["claims1"])
    assert sorted(await ids(client, speaker=world["vera"].upper())) == sorted(world["claims1"])
    assert await ids(client, speaker=world["omar"]) == world["claims2"]
    assert await ids(client, speaker="Nobody Nowhere") == []
    assert await ids(client, speaker="999999") == []


async def test_about_and_entity_filters(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    assert await ids(client, about=world["omar_id"]) == [world["claims1"][0]]
    assert await ids(client, about=world["vera_id"]) == world["claims2"]
    assert await ids(client, about=world["port"]) == [world["claims1"][0]]
    either = await ids(client, entity=world["omar_id"])
    assert sorted(either) == sorted([world["claims1"][0], *world["claims2"]])


async def test_kind_date_text_and_article_filters(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    assert await ids(client, speaker=world["vera_id"], kind="direct") == [world["claims1"][1]]
    # the claim's own date (said_on) or else the publication date
    assert await ids(client, speaker=world["vera_id"], **{"from": "2025-06-09", "to": "2025-06-09"}) == [
        world["claims1"][0]
    ]
    assert await ids(client, speaker=world["vera_id"], **{"from": "2025-06-10", "to": "2025-06-10"}) == [
        world["claims1"][1]
    ]
    assert await ids(client, entity=world["vera_id"], **{"from": "2025-06-15"}) == world["claims2"]
    assert await ids(client, entity=world["vera_id"], to="2025-06-08") == []
    assert sorted(await ids(client, q=f"{world['word']} tariffs")) == sorted(
        [world["claims1"][1], *world["claims2"]]
    )
    assert await ids(client, q=f"{world['word']} wrong") == world["claims2"]
    assert await ids(client, q="%") == []
    assert sorted(await ids(client, article_id=world["a1"])) == sorted(world["claims1"])


async def test_claims_newest_first_across_pages(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    expected = [*world["claims2"], world["claims1"][1], world["claims1"][0]]  # 06-20, 06-10, 06-09
    got = [c["id"] for c in await every_item(client, "/v1/claims", entity=world["vera_id"], limit=1)]
    assert got == expected


async def test_undated_claims_page_after_dated_ones(client: httpx.AsyncClient, store: Store) -> None:
    name = f"Ida {uniq()}"
    doc = Doc(f"{name} said one thing. {name} said another thing. {name} said a third thing.")
    e = doc.entity(name, mentions=(name,))
    for what in ("one thing", "another thing", "a third thing"):
        doc.claim(what, speaker=e)
    await store(doc.build())
    dated = Doc(f"{name} said a dated thing.", "2025-01-01")
    e2 = dated.entity(name)
    dated.claim("a dated thing", speaker=e2)
    await store(dated.build(), published_at="2025-01-01")
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"speaker": name, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/claims", params=params)).json()
        pages.append([c["claim_date"] for c in page["items"]])
        cursor = page["next"]
        if not cursor:
            break
    assert pages == [["2025-01-01", None], [None, None]]


async def test_text_search_pages_newest_first_and_forgets_deleted_claims(
    client: httpx.AsyncClient, world: dict[str, Any], store: Store
) -> None:
    """Full text pages in the list order (claim date, then id) with cursors, undated claims
    last; a deleted article's claims are no longer found (SQLite keys its FTS table by that
    order, PostgreSQL filters the rows)."""
    word = world["word"]
    una = f"Una {uniq()}"
    undated = Doc(f"{una} said the {word} tariffs stay.")
    undated.claim(f"the {word} tariffs stay", speaker=undated.entity(una))
    a3 = await store(undated.build())
    [c4] = [c["stored_id"] for c in (await client.get(f"/v1/articles/{a3}")).json()["claims"]]
    got = [c["id"] for c in await every_item(client, "/v1/claims", q=f"{word} tariffs", limit=1)]
    assert got == [*world["claims2"], world["claims1"][1], c4]  # 06-20, 06-10, undated
    assert (await client.delete(f"/v1/articles/{world['a2']}")).status_code == 204
    assert await ids(client, q=f"{word} tariffs") == [world["claims1"][1], c4]
    assert await ids(client, q=word, speaker=world["vera_id"]) == [world["claims1"][1]]
