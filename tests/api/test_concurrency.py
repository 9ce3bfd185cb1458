"""Concurrent writers: shared new entities resolve to one row, and no write is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from .docs import Doc, uniq

Store = Callable[..., Awaitable[int]]


async def test_concurrent_articles_naming_the_same_new_entities(
    client: httpx.AsyncClient, store: Store
) -> None:
    names = [f"Olga {uniq()}", f"Piotr {uniq()}", f"{uniq()} Institute"]

    def doc(order: list[str], i: int) -> dict[str, object]:
        d = Doc(" and ".join(order) + f" met in round {i}.")
        for n in order:
            d.entity(n, "ORG" if n.endswith("Institute") else "PERSON")
        return d.build()

    orders = [names, names[::-1], [names[1], names[2], names[0]], [names[2], names[0], names[1]]] * 2
    article_ids = await asyncio.gather(*(store(doc(o, i)) for i, o in enumerate(orders)))
    per_name: dict[str, set[int]] = {n: set() for n in names}
    for aid in article_ids:
        for e in (await client.get(f"/v1/articles/{aid}")).json()["entities"]:
            per_name[e["name"]].add(e["stored_id"])
    assert all(len(ids) == 1 for ids in per_name.values()), per_name
    for n in names:
        listed = (await client.get("/v1/entities", params={"q": n})).json()["items"]
        assert [e["name"] for e in listed] == [n]
        assert listed[0]["article_count"] == len(orders)


async def test_concurrent_posts_are_all_stored_and_extracted(client: httpx.AsyncClient) -> None:
    src = f"conc-{uniq()}"
    texts = [
        f"Governor Helen {uniq()} said the new hospital in Lviv would open in March. Item {i}."
        for i in range(6)
    ]
    responses = await asyncio.gather(
        *(client.post("/v1/articles", json={"text": t, "source": src}) for t in texts)
    )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert all(r.json()["extraction"]["state"] == "done" for r in responses)
    lviv = {e["stored_id"] for r in responses for e in r.json()["entities"] if e["name"] == "Lviv"}
    assert len(lviv) <= 1
    listed = await client.get("/v1/articles", params={"source": src})
    assert len(listed.json()["items"]) == 6
