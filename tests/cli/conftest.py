"""A live service: a real uvicorn subprocess on a free loopback port, on SQLite and PostgreSQL
(when NEWSCLAIMS_TEST_DATABASE_URL is set), with its queue worker on so 202s get processed."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.cli.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
PG_ENV = "NEWSCLAIMS_TEST_DATABASE_URL"


@dataclass(frozen=True)
class Live:
    url: str  # http://127.0.0.1:<port>
    db_url: str
    env: dict[str, str]


def _in_thread(fn: Any) -> None:
    err: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            err.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if err:
        raise err[0]


def _pg_admin(url: str, sql: str) -> None:
    u = make_url(url)

    async def go() -> None:
        conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                     password=u.password, database=u.database or "postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_thread(lambda: asyncio.run(go()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    cleanup = None
    if request.param == "sqlite":
        db_url = f"sqlite+aiosqlite:///{tmp / 'newsclaims.db'}"
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"PostgreSQL tests need {PG_ENV}")
        name = f"newsclaims_cli_{uuid.uuid4().hex[:12]}"
        _pg_admin(base, f'CREATE DATABASE "{name}"')
        db_url = make_url(base).set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            _pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    _in_thread(lambda: upgrade(db_url))
    port = free_port()
    env = {**os.environ, "NEWSCLAIMS_DATABASE_URL": db_url, "NEWSCLAIMS_EXTRACTION_WORKERS": "1",
           "NEWSCLAIMS_AUTH": "none", "NEWSCLAIMS_QUEUE_WORKER": "on", "NEWSCLAIMS_JOB_POLL_S": "0.2",
           "NEWSCLAIMS_LOG_LEVEL": "WARNING", "NEWSCLAIMS_DATA_DIR": str(tmp)}
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp / "server.log").read_text()
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield Live(base_url, db_url, env)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        if cleanup is not None:
            cleanup()
