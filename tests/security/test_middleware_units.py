"""The production middleware on a bare Starlette app: no database, no model, real HTTP via ASGI."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.core.limits import Limits, RequestLimitsMiddleware, inspect_json
from app.core.logging import JsonFormatter, RequestContextMiddleware, accept_request_id, bind
from app.core.metrics import MetricsMiddleware, metrics_endpoint, observe_extraction, set_queue_depth
from app.core.security import ANONYMOUS, AuthMiddleware, Principal


async def echo(request: Request) -> Response:
    body = await request.body()
    bind(article_id="a-1")
    logging.getLogger("newsclaims.test").info("handled")
    return JSONResponse({"size": len(body)})


async def item(request: Request) -> Response:
    return PlainTextResponse(request.path_params["article_id"], headers={"location": "/v1/articles/42"})


async def boom(request: Request) -> Response:
    raise RuntimeError("secret internals")


def make_app(limits: Limits | None = None) -> Starlette:
    app = Starlette(routes=[
        Route("/echo", echo, methods=["GET", "POST"]),
        Route("/v1/articles/{article_id}", item),
        Route("/boom", boom),
        Route("/metrics", metrics_endpoint),
    ])
    app.add_middleware(RequestLimitsMiddleware, limits=limits or Limits(max_body_bytes=1000,
                                                                        max_query_bytes=50, max_json_depth=4))
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def test_request_id_is_kept_only_when_plain() -> None:
    assert accept_request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    for bad in ("", "a b", "x" * 129, "é", "a\r\nSet-Cookie: x", None):
        rid = accept_request_id(bad)
        assert rid != bad and len(rid) == 32


async def test_request_id_echoed_and_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/echo", headers={"X-Request-ID": "req-77"})
    assert r.headers["x-request-id"] == "req-77" and r.headers["x-content-type-options"] == "nosniff"
    r2 = await client.get("/echo", headers={"X-Request-ID": "bad id\twith tab"})
    assert len(r2.headers["x-request-id"]) == 32


async def test_unhandled_error_is_a_bare_500_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom", headers={"X-Request-ID": "req-boom"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["request_id"] == "req-boom" and "secret" not in r.text and "Traceback" not in r.text


async def test_access_log_is_json_with_route_status_latency(client: httpx.AsyncClient,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    fmt = JsonFormatter()
    with caplog.at_level(logging.INFO):
        await client.post("/echo", content=b"{}", headers={"X-Request-ID": "req-log",
                                                            "content-type": "application/json"})
        await client.get("/v1/articles/42")
    lines = [json.loads(fmt.format(rec)) for rec in caplog.records]
    handled = next(x for x in lines if x["msg"] == "handled")
    assert handled["request_id"] == "req-log" and handled["article_id"] == "a-1"
    access = [x for x in lines if x["logger"] == "newsclaims.access"]
    assert access[0]["route"] == "/echo" and access[0]["status"] == 200
    assert access[0]["request_id"] == "req-log" and access[0]["latency_ms"] >= 0
    assert access[1]["route"] == "/v1/articles/{article_id}" and access[1]["article_id"] == "42"


async def test_metrics_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/v1/articles/1")
    await client.get("/v1/articles/2")
    await client.get("/nowhere/at/all")
    observe_extraction(0.5, 2, mode="sync")
    set_queue_depth(7)
    text = (await client.get("/metrics")).text
    series = 'newsclaims_http_requests_total{method="GET",route="/v1/articles/{article_id}",status="200"}'
    assert series in text
    assert 'route="<unmatched>"' in text and "/nowhere" not in text
    assert "newsclaims_http_request_duration_seconds_bucket" in text
    assert 'newsclaims_queue_depth{queue="extraction"} 7.0' in text
    assert "newsclaims_articles_extracted_total" in text and "newsclaims_extraction_seconds_bucket" in text


async def test_body_limit_by_declared_length(client: httpx.AsyncClient) -> None:
    r = await client.post("/echo", content=b"x" * 1001, headers={"content-type": "text/plain"})
    assert r.status_code == 413 and r.json()["limit"] == 1000
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_bulk_paths_have_their_own_body_limit() -> None:
    """A batch of many articles may exceed the per-request limit, on its own path only."""
    app = make_app(Limits(max_body_bytes=1000, bulk_body_bytes=(("/echo", 5000),)))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        ok = await c.post("/echo", content=b"x " * 2000, headers={"content-type": "text/plain"})
        assert ok.status_code == 200
        big = await c.post("/echo", content=b"x" * 5001, headers={"content-type": "text/plain"})
        assert big.status_code == 413 and big.json()["limit"] == 5000
        other = await c.post("/v1/articles/1", content=b"x" * 4000, headers={"content-type": "text/plain"})
        assert other.status_code == 413 and other.json()["limit"] == 1000


async def test_body_limit_counts_streamed_bytes_when_length_lies() -> None:
    """A chunked upload (no Content-Length) and one whose Content-Length understates the body."""
    app = make_app()
    for declared in (None, b"10"):
        sent: list[dict[str, object]] = []
        chunks = [b"y" * 400] * 4
        headers = [(b"content-type", b"text/plain")]
        if declared:
            headers.append((b"content-length", declared))

        async def receive(chunks: list[bytes] = chunks) -> dict[str, object]:
            body = chunks.pop(0) if chunks else b""
            return {"type": "http.request", "body": body, "more_body": bool(chunks)}

        async def send(message: dict[str, object], sent: list[dict[str, object]] = sent) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/echo", "raw_path": b"/echo", "root_path": "",
                 "query_string": b"", "headers": headers, "client": ("1.2.3.4", 1), "server": ("t", 80),
                 "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"}}
        await app(scope, receive, send)  # type: ignore[arg-type]
        assert sent[0]["status"] == 413
        assert chunks, "reading stopped at the limit instead of draining the whole upload"


async def test_query_string_limit(client: httpx.AsyncClient) -> None:
    r = await client.get("/echo", params={"q": "z" * 100})
    assert r.status_code == 414


JSON = {"content-type": "application/json"}


async def test_json_depth_nul_and_surrogates(client: httpx.AsyncClient) -> None:
    ok = await client.post("/echo", content=b'{"a": {"b": [1]}}', headers=JSON)
    assert ok.status_code == 200
    deep = await client.post("/echo", content=b"[" * 50 + b"]" * 50, headers=JSON)
    assert deep.status_code == 422 and "nested" in deep.json()["detail"]
    very_deep = await client.post("/echo", content=b"[" * 400 + b"]" * 400,
                                  headers=JSON)
    assert very_deep.status_code in (413, 422)
    nul = await client.post("/echo", content=b'{"text": "a\\u0000b"}', headers=JSON)
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    sur = await client.post("/echo", content=b'{"text": "a\\ud800b"}', headers=JSON)
    assert sur.status_code == 422 and "surrogate" in sur.json()["detail"]
    pair = await client.post("/echo", content=b'{"text": "\\ud83d\\ude00"}',
                             headers=JSON)
    assert pair.status_code == 200  # a proper surrogate pair is an emoji, not an error


async def test_encoding_and_media_type(client: httpx.AsyncClient) -> None:
    bad = await client.post("/echo", content=b"caf\xe9", headers={"content-type": "text/plain"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body"]
    xml = await client.post("/echo", content=b"<a/>", headers={"content-type": "application/xml"})
    assert xml.status_code == 415
    nul = await client.post("/echo", content=b"a\x00b", headers={"content-type": "text/plain; charset=utf-8"})
    assert nul.status_code == 422


def test_inspect_json_iterative() -> None:
    doc: object = "leaf"
    for _ in range(5000):
        doc = [doc]
    found = inspect_json(doc, 32)
    assert found is not None and "nested" in found[1]
    assert inspect_json({"a": ["x", {"b": "y"}]}, 32) is None


def _auth_app(mode: str, keys: dict[str, Principal]) -> Starlette:
    async def authenticate(scope: object, key: str) -> Principal | None:
        return keys.get(key)

    async def any_keys(scope: object) -> bool:
        return bool(keys)

    async def who(request: Request) -> Response:
        p = request.scope["state"]["principal"]
        return JSONResponse({"key_id": p.key_id})

    app = Starlette(routes=[Route("/v1/x", who, methods=["GET", "POST"]), Route("/livez", who)])
    app.add_middleware(AuthMiddleware, mode=mode, authenticate=authenticate, any_keys=any_keys)
    app.add_middleware(RequestContextMiddleware)
    return app


async def _call(app: Starlette, method: str, path: str,
                headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.request(method, path, headers=headers)


async def test_auth_modes_and_scopes() -> None:
    reader = Principal("aaaaaaaaaaaa", "reader", frozenset({"read"}))
    admin = Principal("bbbbbbbbbbbb", "admin", frozenset({"admin"}))
    keys = {"k-read": reader, "k-admin": admin}
    # auto with no keys: open
    assert (await _call(_auth_app("auto", {}), "POST", "/v1/x")).status_code == 200
    # keys mode with no keys: closed
    assert (await _call(_auth_app("keys", {}), "GET", "/v1/x")).status_code == 401
    app = _auth_app("auto", keys)
    missing = await _call(app, "GET", "/v1/x")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="newsclaims"'
    assert missing.json()["request_id"] == missing.headers["x-request-id"]
    wrong = await _call(app, "GET", "/v1/x", {"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert (await _call(app, "GET", "/v1/x", {"X-API-Key": "k-read"})).json() == {"key_id": "aaaaaaaaaaaa"}
    forbidden = await _call(app, "POST", "/v1/x", {"Authorization": "Bearer k-read"})
    assert forbidden.status_code == 403 and forbidden.json()["required_scope"] == "write"
    assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]
    assert (await _call(app, "POST", "/v1/x", {"Authorization": "bearer k-admin"})).status_code == 200
    assert (await _call(app, "GET", "/livez")).status_code != 401
    none = _auth_app("none", keys)
    assert (await _call(none, "POST", "/v1/x")).json() == {"key_id": ANONYMOUS.key_id}


async def test_ndjson_bodies_are_accepted_and_checked(client: httpx.AsyncClient) -> None:
    nd = {"content-type": "application/x-ndjson"}
    ok = await client.post("/echo", content=b'{"text": "a"}\n{"text": "b"}\n', headers=nd)
    assert ok.status_code == 200
    bad = await client.post("/echo", content=b'{"text": "a"}\n{"text": "b\\u0000"}\n', headers=nd)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", 1, "text"]
