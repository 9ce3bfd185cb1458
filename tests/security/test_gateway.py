"""Behind a gateway: /metrics, request ids and JSON logs through the real app, the root_path
prefix, forwarded headers believed only from trusted proxies, and docs that can be switched off."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.logging import JsonFormatter
from app.main import create_app

from .conftest import make_settings


def _client(app: FastAPI, client_addr: tuple[str, int] = ("127.0.0.1", 5000)) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=client_addr)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_metrics_endpoint_through_the_app(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/articles", json={"text": "The governor said the dam held on Sunday.",
                                                      "source": "metrics-test"})
    assert created.status_code in (200, 201)
    await client.get(f"/v1/articles/{created.json()['id']}")
    await client.get("/v1/articles/987654321")
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'route="/v1/articles/{article_id}",status="200"' in text
    assert 'route="/v1/articles/{article_id}",status="404"' in text
    assert "/987654321" not in text  # raw paths never become labels
    assert "newsclaims_http_request_duration_seconds_bucket" in text
    assert 'newsclaims_articles_extracted_total{mode="pool"}' in text
    assert "newsclaims_extraction_seconds_count" in text
    assert "newsclaims_db_pool_checked_out" in text
    assert "/metrics" not in (await client.get("/openapi.json")).json()["paths"]


async def test_request_id_in_header_body_and_logs(client: httpx.AsyncClient,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        r = await client.get("/v1/articles/987654321", headers={"X-Request-ID": "gw-req-42"})
    assert r.status_code == 404
    assert r.headers["x-request-id"] == "gw-req-42" and r.json()["request_id"] == "gw-req-42"
    fmt = JsonFormatter()
    lines = [json.loads(fmt.format(rec)) for rec in caplog.records if rec.name.startswith("newsclaims")]
    access = [x for x in lines if x["logger"] == "newsclaims.access"]
    assert access and all(x["request_id"] == "gw-req-42" for x in access)
    assert access[-1]["route"] == "/v1/articles/{article_id}" and access[-1]["status"] == 404
    assert access[-1]["article_id"] == "987654321" and access[-1]["latency_ms"] >= 0


async def test_root_path_prefix_and_docs_switch(tmp_path: Path) -> None:
    s = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, root_path="/claims-api/")
    app = create_app(s)
    async with _client(app) as c:
        assert (await c.get("/claims-api/livez")).status_code == 200  # gateway forwards the prefix
        assert (await c.get("/livez")).status_code == 200  # gateway strips it
        spec = (await c.get("/claims-api/openapi.json")).json()
        assert spec["servers"][0]["url"] == "/claims-api"
    off = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'y.db'}", tmp_path, docs_enabled=False))
    async with _client(off) as c:
        assert (await c.get("/openapi.json")).status_code == 404
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/livez")).status_code == 200


@pytest.mark.parametrize(("trusted", "peer", "expected"), [
    ("127.0.0.1", "127.0.0.1", "203.0.113.9"),      # the gateway: believed
    ("10.0.0.0/8", "10.1.2.3", "203.0.113.9"),       # a trusted network
    ("10.0.0.0/8", "198.51.100.7", "198.51.100.7"),  # anyone else: the header is ignored
])
async def test_forwarded_headers_only_from_trusted_proxies(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                           trusted: str, peer: str, expected: str) -> None:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", tmp_path,
                                   trusted_proxies=trusted))
    with caplog.at_level(logging.INFO, logger="newsclaims.access"):
        async with _client(app, (peer, 4000)) as c:
            forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
            r = await c.get("/livez", headers=forwarded)
    assert r.status_code == 200
    access = [rec for rec in caplog.records if rec.name == "newsclaims.access"]
    assert access[-1].__dict__["client"] == expected
