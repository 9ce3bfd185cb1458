"""An extraction worker killed mid-article (OOM killer, crash): the article is kept with a failed
state and a reason, the pool replaces its workers, and the next article is extracted."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from .conftest import make_settings

LONG = "The minister said on Monday that the talks in Geneva would resume next week. " * 250


async def test_worker_killed_mid_article(fresh_db_url: str, tmp_path: Path, running_app: Any) -> None:
    async with running_app(make_settings(fresh_db_url, tmp_path), wait_ready=True) as (app, client):
        pool = app.state.pool
        original = pool.extract

        async def extract_and_kill(items: list[Any]) -> list[dict[str, Any]]:
            task = asyncio.ensure_future(original(items))
            await asyncio.sleep(0.05)
            for pid in list(getattr(pool._executor, "_processes", {}) or {}):
                os.kill(pid, signal.SIGKILL)
            result: list[dict[str, Any]] = await task
            return result

        pool.extract = extract_and_kill
        try:
            r = await client.post("/v1/articles", json={"text": LONG, "source": "kill-test"})
        finally:
            pool.extract = original
        assert r.status_code in (201, 503), r.text
        if r.status_code == 201:
            assert r.json()["extraction"]["state"] == "failed" and r.json()["extraction"]["error"]
            assert r.json()["claims"] == []
        else:
            assert r.headers["content-type"] == "application/problem+json"

        for _ in range(300):  # the pool warms new workers (model load)
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        nxt = await client.post("/v1/articles", json={"text": "The mayor said the bridge would reopen.",
                                                      "source": "kill-test"})
        assert nxt.status_code == 201 and nxt.json()["extraction"]["state"] == "done", nxt.text
        listed = (await client.get("/v1/articles", params={"source": "kill-test"})).json()["items"]
        assert len(listed) == 2
