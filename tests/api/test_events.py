"""GET /v1/events: the timeline list, its filters, and events linked across articles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from .docs import Doc, every_item, uniq

Store = Callable[..., Awaitable[int]]


async def stored(client: httpx.AsyncClient, article_id: int) -> dict[str, Any]:
    doc = (await client.get(f"/v1/articles/{article_id}")).json()
    return {
        "entities": {e["name"]: e["stored_id"] for e in doc["entities"]},
        "events": [e["stored_id"] for e in doc["events"]],
    }


async def events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/v1/events", params={"limit": 50, **params})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.fixture
async def timeline(client: httpx.AsyncClient, store: Store) -> dict[str, Any]:
    """One envoy: a meeting on 12-20 in a city, a visit in 2025-12 (month), a cancelled summit
    on 12-22, and an undated call."""
    envoy, host, city, town = f"Kirill {uniq()}", f"Steve {uniq()}", f"{uniq()}ville", f"{uniq()}ton"
    d = Doc(
        f"{envoy} will meet {host} in {city}. {envoy} visits {town} this month. "
        f"The summit with {host} was cancelled. {envoy} called {host}.",
        "2025-12-19",
    )
    ee, eh, ec, et = d.entity(envoy), d.entity(host), d.entity(city, "GPE"), d.entity(town, "GPE")
    d.event("meet", "meeting", "2025-12-20", ec, (ee, eh), "scheduled")
    d.event("visits", "visit", "2025-12", et, (ee,), "planned")
    d.event("summit", "meeting", "2025-12-22", None, (eh,), "cancelled")
    d.event("called", "call", None, None, (ee, eh), "occurred")
    aid = await store(d.build(), published_at="2025-12-19")
    s = await stored(client, aid)
    return {"aid": aid, "envoy": envoy, "host": host, "city": city, "town": town, **s}


async def test_entity_and_date_filter_finds_the_meeting(
    client: httpx.AsyncClient, timeline: dict[str, Any]
) -> None:
    envoy_id = timeline["entities"][timeline["envoy"]]
    [ev] = await events(client, entity=envoy_id, **{"from": "2025-12-20", "to": "2025-12-20"})
    assert ev["type"] == "meeting" and ev["status"] == "scheduled"
    assert ev["date"] == {"value": "2025-12-20", "start": "2025-12-20", "end": "2025-12-20"}
    assert ev["place"]["name"] == timeline["city"]
    assert {p["name"] for p in ev["participants"]} == {timeline["envoy"], timeline["host"]}
    assert ev["sources"][0]["article_id"] == timeline["aid"] and ev["sources"][0]["trigger"]["text"] == "meet"


async def test_filters(client: httpx.AsyncClient, timeline: dict[str, Any]) -> None:
    envoy_id, host_id = timeline["entities"][timeline["envoy"]], timeline["entities"][timeline["host"]]
    by = {e["id"]: e for e in await events(client, article_id=timeline["aid"])}
    assert len(by) == 4

    def types(items: list[dict[str, Any]]) -> list[str]:
        return [e["type"] for e in items]

    # ordered by event date, undated last; the month-long visit starts on 12-01
    assert types(await events(client, entity=envoy_id)) == ["visit", "meeting", "call"]
    assert types(await events(client, entity=timeline["host"])) == ["meeting", "meeting", "call"]
    assert types(await events(client, place=timeline["town"])) == ["visit"]
    assert types(await events(client, place=timeline["entities"][timeline["city"]])) == ["meeting"]
    assert types(await events(client, entity=host_id, type="meeting", status="cancelled")) == ["meeting"]
    assert types(await events(client, entity=envoy_id, **{"from": "2025-12-01", "to": "2025-12-31"})) == [
        "visit",
        "meeting",
    ]
    # a month-level date is not inside a single day
    assert types(await events(client, entity=envoy_id, **{"from": "2025-12-05", "to": "2025-12-05"})) == []
    assert types(await events(client, entity=host_id, **{"from": "2025-12-21"})) == ["meeting"]
    assert await events(client, entity="No Such Person") == []


async def test_pagination_follows_the_timeline(client: httpx.AsyncClient, timeline: dict[str, Any]) -> None:
    items = await every_item(client, "/v1/events", article_id=timeline["aid"], limit=1)
    assert [e["date"]["value"] for e in items] == ["2025-12", "2025-12-20", "2025-12-22", None]


async def test_one_participants_timeline_pages_with_cursors(
    client: httpx.AsyncClient, timeline: dict[str, Any]
) -> None:
    """A participant's events are read from its timeline index: page by page, in date order,
    undated last, inside a date window too."""
    envoy_id = timeline["entities"][timeline["envoy"]]
    for window, expected in (({}, ["2025-12", "2025-12-20", None]),
                             ({"from": "2025-12-01", "to": "2025-12-31"}, ["2025-12", "2025-12-20"])):
        items = await every_item(client, "/v1/events", entity=envoy_id, limit=1, **window)
        assert [e["date"]["value"] for e in items] == expected


async def test_same_event_from_two_articles_is_one_event(client: httpx.AsyncClient, store: Store) -> None:
    a, b, c, city = f"Anna {uniq()}", f"Boris {uniq()}", f"Carl {uniq()}", f"{uniq()}grad"
    d1 = Doc(f"{a} and {b} will meet in {city} on Saturday.", "2025-11-10")
    e1 = (d1.entity(a), d1.entity(b), d1.entity(city, "GPE"))
    d1.event("meet", "meeting", "2025-11-15", e1[2], (e1[0], e1[1]), "scheduled")
    a1 = await store(d1.build(), published_at="2025-11-10")
    d2 = Doc(f"{b} and {c} talked in {city} on November 15.", "2025-11-16")
    e2 = (d2.entity(b), d2.entity(c), d2.entity(city, "GPE"))
    d2.event("talked", "meeting", "2025-11-15", e2[2], (e2[0], e2[1]), "occurred")
    d2.event("talked", "meeting", "2025-11-14", e2[2], (e2[0],), "occurred")  # another day: another event
    a2 = await store(d2.build(), published_at="2025-11-16")
    s1, s2 = await stored(client, a1), await stored(client, a2)
    assert s2["events"][0] == s1["events"][0] and s2["events"][1] != s1["events"][0]

    [ev] = await events(client, entity=b, **{"from": "2025-11-15", "to": "2025-11-15"})
    assert sorted(s["article_id"] for s in ev["sources"]) == sorted([a1, a2])
    assert {p["name"] for p in ev["participants"]} == {a, b, c}
    # deleting one report keeps the event with the other; its participants go with their article
    assert (await client.delete(f"/v1/articles/{a2}")).status_code == 204
    [ev] = await events(client, entity=b, **{"from": "2025-11-15", "to": "2025-11-15"})
    assert [s["article_id"] for s in ev["sources"]] == [a1]
    assert {p["name"] for p in ev["participants"]} == {a, b}
    assert (await client.delete(f"/v1/articles/{a1}")).status_code == 204
    assert await events(client, entity=b) == []
