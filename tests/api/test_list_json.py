"""The claim and event lists write their JSON from plain dicts (app/core/pagination.page_json)
instead of validating `Page[...]` models: the bytes must be the ones the models give, for every
shape of item (no source, an anonymous source, a source via an outlet, no date, no place,
non-ASCII text), on both backends."""

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
    d = Doc(
        f"{who} said «the talks on the grain corridor are over». An official said the port is shut. "
        f"According to {outlet}, {who} told reporters that the ferry to {city} runs again. "
        f"The mayor said prices rose. {who} met officials in {city}. Officials talked.",
        "2025-03-04",
    )
    ew, eo, ec = d.entity(who), d.entity(outlet, "ORG"), d.entity(city, "GPE")
    c1 = d.claim("«the talks on the grain corridor are over»", speaker=ew, kind="direct",
                 said_on="2025-03-03")
    d.claim("the port is shut", source_text="An official")
    c3 = d.claim(f"the ferry to {city} runs again", speaker=ew, cue="told", via=eo, said_on="2025-W10")
    d.claim("prices rose")
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
    kinds = {(c["source"] is None, (c["source"] or {}).get("entity") is None, c["via"] is None,
              c["said_on"] is None) for c in r.json()["items"] + rest.json()["items"]}
    assert len(kinds) == 4  # every branch of the shape was written
    assert rest.content == TypeAdapter(Page[ClaimOut]).dump_json(
        await ClaimService(app.state.db).list(ClaimFilters(article_id=varied), DateRange(None, None),
                                              PageParams(3, page.next)))


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
