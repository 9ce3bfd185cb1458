"""Deployment pieces outside a container: migrations both ways, and the entrypoint script."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app.cli.migrate import upgrade
from app.core.database import make_engine

from .conftest import PG_ENV, _pg_admin, run_in_thread

REPO = Path(__file__).resolve().parents[2]
TABLES = {
    "articles",
    "entities",
    "entity_aliases",
    "entity_roles",
    "mentions",
    "claims",
    "claim_entities",
    "events",
    "event_sources",
    "event_participants",
    "event_claims",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migrations applied) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    name = f"newsclaims_fresh_{uuid.uuid4().hex[:12]}"
    _pg_admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tables(url: str) -> set[str]:
    async def go() -> set[str]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return run_in_thread(lambda: asyncio.run(go()))


def test_migrations_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    from alembic import command

    from app.cli.migrate import alembic_config

    run_in_thread(lambda: upgrade(fresh_url))
    assert TABLES <= tables(fresh_url)
    run_in_thread(lambda: command.downgrade(alembic_config(fresh_url), "base"))  # type: ignore[arg-type]
    assert not TABLES & tables(fresh_url)
    run_in_thread(lambda: upgrade(fresh_url))
    assert TABLES <= tables(fresh_url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_entrypoint_migrates_then_serves(fresh_url: str, tmp_path: Path) -> None:
    port = free_port()
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NEWSCLAIMS_DATABASE_URL": fresh_url,
        "NEWSCLAIMS_EXTRACTION_WORKERS": "1",
        "NEWSCLAIMS_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        ["sh", str(REPO / "docker" / "entrypoint.sh")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1).status_code
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200, (
            proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else status
        )
        listed = httpx.get(f"http://127.0.0.1:{port}/v1/articles", timeout=5)
        assert listed.status_code == 200 and listed.json()["items"] == []  # the schema exists
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def test_dockerfile_is_multi_stage_non_root_with_healthcheck_and_migrating_entrypoint() -> None:
    """No Docker engine here: check the properties the image promises, statically."""
    lines = [ln.strip() for ln in (REPO / "Dockerfile").read_text().splitlines() if ln.strip()]
    stages = [ln for ln in lines if ln.startswith("FROM ")]
    assert len(stages) >= 2 and any("--from=build" in ln for ln in lines if ln.startswith("COPY"))
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(ln.startswith("HEALTHCHECK") for ln in lines) and "/livez" in (REPO / "Dockerfile").read_text()
    assert any(ln.startswith("ENTRYPOINT") and "entrypoint" in ln for ln in lines)
    script = (REPO / "docker" / "entrypoint.sh").read_text()
    assert script.index("newsclaims migrate") < script.index("exec uvicorn")


def test_compose_runs_the_api_against_postgresql() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert services["api"]["environment"]["NEWSCLAIMS_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "postgres" in services["api"]["depends_on"] and services["postgres"]["image"].startswith(
        "postgres"
    )
