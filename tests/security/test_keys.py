"""API keys end to end: the CLI creates/lists/revokes them, the app requires and scopes them."""

from __future__ import annotations

import asyncio
import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.cli import main as cli_main

from .conftest import make_settings


async def cli(url: str, *argv: str, pepper: str = "pepper-1") -> tuple[int, str, str]:
    """Run the command in a thread while this loop keeps serving: the app may be inside a write
    transaction (its embedded queue worker polls), and a blocked loop would never commit it, so
    the command would wait out SQLite's busy timeout ("database is locked")."""
    out, err = io.StringIO(), io.StringIO()
    env = {"NEWSCLAIMS_DATABASE_URL": url, "NEWSCLAIMS_API_KEY_PEPPER": pepper}
    with mock.patch.dict(os.environ, env), redirect_stdout(out), redirect_stderr(err):
        code = await asyncio.to_thread(cli_main, list(argv))
    return code, out.getvalue(), err.getvalue()


async def test_keys_lifecycle_cli_and_http(fresh_db_url: str, tmp_path: Path, running_app: Any) -> None:
    settings = make_settings(fresh_db_url, tmp_path, api_key_pepper="pepper-1")
    async with running_app(settings) as (_app, client):
        # a fresh install with no keys is open (auth=auto)
        assert (await client.get("/v1/articles")).status_code == 200

        code, out, err = await cli(fresh_db_url, "keys", "create", "--name", "reader", "--scope", "read",
                                   "--json")
        assert code == 0, err
        reader = json.loads(out)
        assert reader["key"].startswith("nc_") and reader["scopes"] == ["read"]
        code, writer_key, _ = await cli(fresh_db_url, "keys", "create", "--name", "ingest", "--scope",
                                        "write")
        writer_key = writer_key.strip()

        # only a keyed hash is stored
        engine = create_async_engine(fresh_db_url)
        try:
            async with engine.connect() as conn:
                stored = (await conn.execute(text("SELECT key_hash FROM api_keys"))).scalars().all()
        finally:
            await engine.dispose()
        assert len(stored) == 2 and reader["key"] not in stored and all(len(h) == 64 for h in stored)

        # now keys are required
        r = await client.get("/v1/articles")
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith('Bearer realm="newsclaims"')
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["request_id"] == r.headers["x-request-id"]
        assert (await client.get("/livez")).status_code == 200  # probes stay open
        assert (await client.get("/v1/articles", headers={"X-API-Key": reader["key"]})).status_code == 200
        auth = {"Authorization": f"Bearer {reader['key']}"}
        assert (await client.get("/v1/articles", headers=auth)).status_code == 200
        forbidden = await client.post("/v1/articles", json={"text": "The minister said no."}, headers=auth)
        assert forbidden.status_code == 403
        assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]
        wrong_secret = reader["key"][:-4] + "AAAA"
        bad = await client.get("/v1/articles", headers={"Authorization": f"Bearer {wrong_secret}"})
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
        # write includes read
        assert (await client.get("/v1/articles", headers={"X-API-Key": writer_key})).status_code == 200

        code, out, _ = await cli(fresh_db_url, "keys", "list", "--json")
        listed = [json.loads(line) for line in out.splitlines()]
        assert {k["name"] for k in listed} == {"reader", "ingest"}
        assert all("key" not in k and "key_hash" not in k for k in listed)
        # a key in use is marked used (written at most every few minutes, not per request)
        assert all(k["last_used_at"] is not None for k in listed)

        assert (await cli(fresh_db_url, "keys", "revoke", reader["id"]))[0] == 0
        assert (await cli(fresh_db_url, "keys", "revoke", reader["id"]))[0] == 1  # already revoked
        assert (await client.get("/v1/articles", headers=auth)).status_code == 401

        # the same key checked with another pepper does not match
    other = make_settings(fresh_db_url, tmp_path, api_key_pepper="another")
    async with running_app(other) as (_app, client):
        assert (await client.get("/v1/articles", headers={"X-API-Key": writer_key})).status_code == 401
        # revoking every key does not reopen the service
        for k in listed:
            await cli(fresh_db_url, "keys", "revoke", k["id"])
        assert (await client.get("/v1/articles")).status_code == 401


async def test_auth_none_trusts_the_gateway(fresh_db_url: str, tmp_path: Path, running_app: Any) -> None:
    assert (await cli(fresh_db_url, "keys", "create", "--name", "x"))[0] == 0
    async with running_app(make_settings(fresh_db_url, tmp_path, auth="none")) as (_app, client):
        assert (await client.get("/v1/articles")).status_code == 200


async def test_auth_keys_mode_closed_without_keys(fresh_db_url: str, tmp_path: Path,
                                                  running_app: Any) -> None:
    async with running_app(make_settings(fresh_db_url, tmp_path, auth="keys")) as (_app, client):
        assert (await client.get("/v1/claims")).status_code == 401


def test_cli_rejects_unknown_scope(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main(["keys", "create", "--name", "x", "--scope", "root"])
