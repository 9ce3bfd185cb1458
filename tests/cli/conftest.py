"""A live service: a real uvicorn subprocess on a free loopback port, on SQLite and PostgreSQL
(when NEWSCLAIMS_TEST_DATABASE_URL is set), with its queue worker on so 202s get processed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from backends import database

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Live:
    url: str  # http://127.0.0.1:<port>
    db_url: str
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    with database(request.param, tmp, "newsclaims_cli") as db_url:
        yield from _serve(tmp, db_url)


def _serve(tmp: Path, db_url: str) -> Iterator[Live]:
    """A real uvicorn on a free loopback port, stopped when the caller is done."""
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
