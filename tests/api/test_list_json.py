"""The claim and event lists write their JSON from plain dicts (app/core/pagination.page_json)
instead of validating `Page[...]` models: the bytes must be the ones the models give, for every
shape of item (no source, an anonymous source, a source via an outlet, no cue, no date, no
place, several entities in the content, non-ASCII text, quotes, backslashes and control
characters, whole and fractional confidences), on both backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter

from app.claims.schemas import ClaimOut
from app.claims.service import ClaimFilters, ClaimService
from app.core.pagination import DateRange, Page, PageParams
from app.events.schemas import EventOut
from app.events.service import EventFilters, EventService

from .docs import Doc, uniq

Store = Callable[..., Awaitable[int]]


@pytest.fixture
async def varied(store: Store) -> int:
    """One article whose claims and events take every optional branch of the item shapes."""
    who, outlet, city = f"Olena {uniq()}", f"Radio {uniq()}", f"{uniq()}ville"
    firm, minister = f"{uniq()} Ltd", f"Petro {uniq()}"
    odd = f'"quoted", a back\\slash,\ta tab and\na new line for {firm} and {minister}'
    d = Doc(
        f"{who} said «the talks on the grain corridor are over». An official said the port is shut. "
        f"According to {outlet}, {who} told reporters that the ferry to {city} runs again. "
        f"The mayor said prices rose. {who} met officials in {city}. Officials talked. "
        f"A spokesman: {odd}.",
        "2025-03-04",
    )
    ew, eo, ec = d.entity(who), d.entity(outlet, "ORG"), d.entity(city, "GPE")
    d.entity(firm, "ORG")
    d.entity(minister)
    c1 = d.claim("«the talks on the grain corridor are over»", speaker=ew, kind="direct",
                 said_on="2025-03-03", confidence=1.0)
    d.claim("the port is shut", source_text="An official", confidence=0.123)
    c3 = d.claim(f"the ferry to {city} runs again", speaker=ew, cue="told", via=eo, said_on="2025-W10")
    d.claim("prices rose", confidence=0.0)
    d.claim(odd, source_text="A spokesman", cue=None, confidence=0.45)
    d.event("met", "meeting", "2025-03-04", ec, (ew,), "occurred", claims=(c1, c3))
    d.event("talked", "talks", None, None, (), "uncertain")
    return await store(d.build(), published_at="2025-03-04", source="list-json-test")


async def test_claim_list_bytes_are_the_models(app: FastAPI, client: httpx.AsyncClient, varied: int) -> None:
    r = await client.get("/v1/claims", params={"article_id": varied, "limit": 3})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    page = await ClaimService(app.state.db).list(ClaimFilters(article_id=varied), DateRange(None, None),
                                                 PageParams(3, None))
    assert len(page.items) == 3 and page.next is not None
    assert r.content == TypeAdapter(Page[ClaimOut]).dump_json(page)
    rest = await client.get("/v1/claims", params={"article_id": varied, "limit": 3, "cursor": page.next})
    items = r.json()["items"] + rest.json()["items"]
    kinds = {(c["source"] is None, (c["source"] or {}).get("entity") is None, c["via"] is None,
              c["said_on"] is None, c["cue"] is None) for c in items}
    assert len(kinds) == 5  # every branch of the shape was written
    assert sorted(len(c["about"]) for c in items) == [0, 0, 0, 1, 2]
    assert all([e["id"] for e in c["about"]] == sorted(e["id"] for e in c["about"]) for c in items)
    odd = '"quoted", a back\\slash,\ta tab and\na new line'
    assert any(c["content"]["text"].startswith(odd) for c in items)
    assert {c["confidence"] for c in items} == {1.0, 0.123, 0.9, 0.0, 0.45}
    assert all(type(c["confidence"]) is float for c in items)
    assert rest.content == TypeAdapter(Page[ClaimOut]).dump_json(
        await ClaimService(app.state.db).list(ClaimFilters(article_id=varied), DateRange(None, None),
                                              PageParams(3, page.next)))


async def test_one_speaker_page(app: FastAPI, client: httpx.AsyncClient, varied: int) -> None:
    """By one speaker id the page reads the speaker's entity once (repository._list_columns):
    every item still carries it, and the bytes are still the models'."""
    article = (await client.get(f"/v1/articles/{varied}")).json()
    who = next(e for e in article["entities"] if e["type"] == "PERSON" and e["name"].startswith("Olena"))
    r = await client.get("/v1/claims", params={"speaker": who["stored_id"]})
    items = r.json()["items"]
    assert len(items) == 2 and {c["source"]["entity"]["id"] for c in items} == {who["stored_id"]}
    assert all(c["source"]["entity"] == {"id": who["stored_id"], "name": who["name"], "type": "PERSON"}
               for c in items)
    page = await ClaimService(app.state.db).list(ClaimFilters(speaker=str(who["stored_id"])),
                                                 DateRange(None, None), PageParams(20, None))
    assert r.content == TypeAdapter(Page[ClaimOut]).dump_json(page)


async def test_event_list_bytes_are_the_models(app: FastAPI, client: httpx.AsyncClient, varied: int) -> None:
    r = await client.get("/v1/events", params={"article_id": varied})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    page = await EventService(app.state.db).list(EventFilters(article_id=varied), DateRange(None, None),
                                                 PageParams(20, None))
    assert len(page.items) == 2 and {e.place is None for e in page.items} == {True, False}
    assert r.content == TypeAdapter(Page[EventOut]).dump_json(page)


async def test_one_participants_timeline_bytes(app: FastAPI, client: httpx.AsyncClient, varied: int) -> None:
    article = (await client.get(f"/v1/articles/{varied}")).json()
    who = next(e["stored_id"] for e in article["entities"] if e["type"] == "PERSON")
    r = await client.get("/v1/events", params={"entity": who, "from": "2025-03-01", "to": "2025-03-31"})
    page = await EventService(app.state.db).list(EventFilters(entity=str(who)), DateRange(*_march()),
                                                 PageParams(20, None))
    assert [e.id for e in page.items] == [e["id"] for e in r.json()["items"]] != []
    assert r.content == TypeAdapter(Page[EventOut]).dump_json(page)


def _march() -> tuple[Any, Any]:
    from datetime import date

    return date(2025, 3, 1), date(2025, 3, 31)
