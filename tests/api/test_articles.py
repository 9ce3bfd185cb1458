"""Articles over HTTP: ingestion (JSON and text/plain), duplicates, reads, lists, deletion."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from .docs import uniq


def article(**fields: Any) -> dict[str, Any]:
    word = uniq()
    body = {
        "text": f"Minister Anna {word} said on Monday that the bridge over the river would reopen in May. "
        f"The city council confirmed the plan.",
        "title": f"Bridge {word}",
        "source": f"src-{word}",
        "published_at": "2025-03-10",
    }
    body.update(fields)
    return body


async def test_post_article_stores_and_returns_the_extraction(client: httpx.AsyncClient) -> None:
    body = article(
        external_id="ext-1", metadata={"section": "city"}, language="en", url="https://x.example/1"
    )
    r = await client.post("/v1/articles", json=body)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert r.headers["location"] == f"/v1/articles/{doc['id']}"
    assert doc["text"] == body["text"] and doc["title"] == body["title"] and doc["source"] == body["source"]
    assert doc["external_id"] == "ext-1" and doc["metadata"] == {"section": "city"}
    assert doc["published_at"].startswith("2025-03-10")
    assert doc["extraction"]["state"] == "done" and doc["extraction"]["extractor_version"]
    for key in ("claims", "entities", "timexes", "events"):
        assert isinstance(doc[key], list)
    for ent in doc["entities"]:
        assert isinstance(ent["stored_id"], int)
        for m in ent["mentions"]:
            assert body["text"][m["start"] : m["end"]] == m["text"]
    for claim in doc["claims"]:
        assert isinstance(claim["stored_id"], int)
        c = claim["content"]
        assert body["text"][c["start"] : c["end"]] == c["text"]
    again = await client.get(doc["id"] and f"/v1/articles/{doc['id']}")
    assert again.status_code == 200 and again.json() == doc


async def test_text_plain_body_with_fields_as_query_parameters(client: httpx.AsyncClient) -> None:
    word = uniq()
    text = f"Mayor Lena {word} said the library will open next week."
    r = await client.post(
        "/v1/articles",
        content=text.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        params={
            "title": "Library",
            "source": f"plain-{word}",
            "published_at": "2025-04-01",
            "external_id": f"p-{word}",
            "language": "en",
        },
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["text"] == text and doc["title"] == "Library" and doc["external_id"] == f"p-{word}"
    assert doc["published_at"].startswith("2025-04-01") and doc["language"] == "en"


async def test_duplicates_return_200_with_the_existing_article(client: httpx.AsyncClient) -> None:
    body = article(external_id="dup-1")
    first = await client.post("/v1/articles", json=body)
    assert first.status_code == 201
    aid = first.json()["id"]
    # same external_id and source, different text
    same_id = await client.post("/v1/articles", json={**body, "text": body["text"] + " More."})
    assert same_id.status_code == 200 and same_id.json()["id"] == aid
    assert same_id.headers["location"] == f"/v1/articles/{aid}"
    # same text (whitespace aside) from the same source, no external id
    same_text = await client.post(
        "/v1/articles", json={"text": "  " + body["text"].replace(" ", "  ") + "\n", "source": body["source"]}
    )
    assert same_text.status_code == 200 and same_text.json()["id"] == aid
    # the same text from another source is another article
    other = await client.post("/v1/articles", json={**body, "source": body["source"] + "-b"})
    assert other.status_code == 201 and other.json()["id"] != aid
    listed = await client.get("/v1/articles", params={"source": body["source"]})
    assert [a["id"] for a in listed.json()["items"]] == [aid]


async def test_concurrent_duplicates_create_one_article(client: httpx.AsyncClient) -> None:
    body = article(external_id="race-1")
    responses = await asyncio.gather(*(client.post("/v1/articles", json=body) for _ in range(4)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_list_filters_order_and_pagination(client: httpx.AsyncClient) -> None:
    source = f"list-{uniq()}"
    marker = uniq().lower()
    ids = []
    for day in ("2025-01-05", "2025-01-01", "2025-01-03", "2025-01-04", "2025-01-02"):
        extra = f" The {marker} festival is planned." if day in ("2025-01-03", "2025-01-05") else ""
        r = await client.post(
            "/v1/articles",
            json=article(source=source, published_at=day, text=f"Story of {day} by {uniq()}.{extra}"),
        )
        assert r.status_code == 201
        ids.append((day, r.json()["id"]))
    newest_first = [i for _, i in sorted(ids, reverse=True)]

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"source": source, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/articles", params=params)).json()
        pages += 1
        assert page["limit"] == 2 and len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == newest_first and pages == 3

    r = await client.get(
        "/v1/articles",
        params={"source": source, "published_from": "2025-01-02", "published_to": "2025-01-04"},
    )
    assert sorted(a["published_at"][:10] for a in r.json()["items"]) == [
        "2025-01-02",
        "2025-01-03",
        "2025-01-04",
    ]
    r = await client.get("/v1/articles", params={"q": marker})
    assert sorted(a["published_at"][:10] for a in r.json()["items"]) == ["2025-01-03", "2025-01-05"]
    r = await client.get(
        "/v1/articles", params={"q": f"{marker} festival", "source": source, "published_to": "2025-01-04"}
    )
    assert [a["published_at"][:10] for a in r.json()["items"]] == ["2025-01-03"]
    r = await client.get("/v1/articles", params={"q": "!!!"})
    assert r.json()["items"] == []
    r = await client.get("/v1/articles", params={"source": source, "state": "done", "limit": 1000})
    assert r.json()["limit"] == 50 and len(r.json()["items"]) == 5


async def test_delete_removes_the_article_and_its_claims(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles", json=article())
    aid = r.json()["id"]
    assert (await client.delete(f"/v1/articles/{aid}")).status_code == 204
    gone = await client.get(f"/v1/articles/{aid}")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/claims", params={"article_id": aid})).json()["items"] == []
    assert (await client.get("/v1/events", params={"article_id": aid})).json()["items"] == []
    again = await client.delete(f"/v1/articles/{aid}")
    assert again.status_code == 404


async def test_extract_previews_without_storing(client: httpx.AsyncClient) -> None:
    word = uniq()
    text = f"Senator Paul {word} said the vote would take place on Friday."
    r = await client.post("/v1/extract", json={"text": text, "published_at": "2025-05-05", "id": "p1"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["id"] == "p1" and doc["published_at"] == "2025-05-05"
    assert set(doc) >= {"claims", "entities", "timexes", "events"}
    for ent in doc["entities"]:
        assert "stored_id" not in ent or ent["stored_id"] is None
    plain = await client.post("/v1/extract", content=text, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 200 and plain.json()["published_at"] is None
    assert (await client.get("/v1/articles", params={"q": word})).json()["items"] == []
