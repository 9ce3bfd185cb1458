"""Every error is an RFC 9457 problem document with a request id; validation errors name fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["instance"] == r.request.url.path
    return body


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/articles/999999",
        "/v1/entities/999999",
        "/v1/entities/999999/claims",
        "/v1/entities/999999/events",
    ],
)
async def test_unknown_ids_are_404(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 404)


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    r = await client.put("/v1/articles", json={})
    assert_problem(r, 405)
    assert "POST" in r.headers["allow"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": "   \n "}, "text"),
        ({"text": "ok text", "published_at": "2025-13-45"}, "published_at"),
        ({"text": "ok text", "unknown": 1}, "unknown"),
        ({"text": 42}, "text"),
        ({"text": "ok text", "title": "x" * 1001}, "title"),
    ],
)
async def test_invalid_json_fields_are_422_with_field_errors(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(await client.post("/v1/articles", json=body), 422)
    assert field in fields(problem)
    assert all(e["loc"][0] == "body" and e["message"] for e in problem["errors"])


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles", content=b'{"text": ', headers={"Content-Type": "application/json"})
    assert_problem(r, 422)


async def test_text_plain_errors_point_at_query_fields(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/articles",
        content=b"Some text.",
        headers={"Content-Type": "text/plain"},
        params={"published_at": "yesterday"},
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["loc"] == ["query", "published_at"]
    r = await client.post("/v1/articles", content=b"\xff\xfe bad", headers={"Content-Type": "text/plain"})
    assert_problem(r, 422)


async def test_unsupported_media_type_is_415(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles", content=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert_problem(r, 415)


async def test_too_large_body_is_413_and_too_long_text_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles", json={"text": "a " * 600_000})
    assert_problem(r, 413)
    r = await client.post("/v1/articles", json={"text": "word " * 12_000})
    assert "text" in fields(assert_problem(r, 422))


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/claims", {"limit": 0}, "limit"),
        ("/v1/claims", {"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ("/v1/claims", {"kind": "rumour"}, "kind"),
        ("/v1/events", {"from": "not-a-date"}, "from"),
        ("/v1/articles", {"published_from": "2025-02-01", "published_to": "2025-01-01"}, "published_to"),
        ("/v1/articles", {"state": "weird"}, "state"),
        ("/v1/entities/abc", {}, "entity_id"),
    ],
)
async def test_invalid_query_parameters_are_422(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], field: str
) -> None:
    assert field in fields(assert_problem(await client.get(path, params=params), 422))


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/claims", "/v1/entities", "/v1/events"])
async def test_invalid_cursor_is_400(client: httpx.AsyncClient, path: str) -> None:
    for cursor in ("not-a-cursor", "W10", "WyJ4Il0"):
        problem = assert_problem(await client.get(path, params={"cursor": cursor}), 400)
        assert fields(problem) == {"cursor"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/articles/99999999999", "article_id"),
        ("/v1/articles/0", "article_id"),
        ("/v1/entities/99999999999", "entity_id"),
        ("/v1/entities/99999999999/claims", "entity_id"),
        ("/v1/claims?article_id=99999999999", "article_id"),
        ("/v1/events?article_id=-1", "article_id"),
    ],
)
async def test_ids_outside_the_id_range_are_422_not_server_errors(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    assert field in fields(assert_problem(await client.get(path), 422))


async def test_huge_numbers_in_filters_and_cursors_never_reach_the_database(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/v1/claims", params={"speaker": "99999999999999999999"})
    assert r.status_code == 200 and r.json()["items"] == []
    cursor = "WzEwMDAwMDAwMDAwMDAwXQ"  # [10000000000000]
    assert_problem(await client.get("/v1/entities", params={"cursor": cursor}), 400)
