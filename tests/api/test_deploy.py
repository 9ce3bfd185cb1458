"""Deployment pieces outside a container: migrations both ways, and the entrypoint script."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from backends import database, run_in_thread
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app.cli.migrate import upgrade
from app.core.database import make_engine

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
    with database(request.param, tmp_path, "newsclaims_fresh", migrate=False) as url:
        yield url


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
        assert "server" not in listed.headers  # --no-server-header
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


def test_entrypoint_serves_behind_a_gateway_and_drains_within_the_grace_period() -> None:
    script = (REPO / "docker" / "entrypoint.sh").read_text()
    server = script[script.index("exec uvicorn"):]
    assert '--forwarded-allow-ips "${NEWSCLAIMS_TRUSTED_PROXIES:-127.0.0.1}"' in server
    assert "--timeout-graceful-shutdown 50" in server and "--no-server-header" in server
    assert "--proxy-headers" in server
    assert "--http app.core.server:HttpProtocol" in server  # one send() per response


def test_compose_production_settings_secrets_and_read_only_root() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    api, postgres = compose["services"]["api"], compose["services"]["postgres"]
    env = api["environment"]
    assert env["NEWSCLAIMS_AUTH"] == "keys"
    assert api["stop_grace_period"] == "60s"
    # the drain (uvicorn) fits inside the grace period (compose) before SIGKILL
    assert 50 < int(api["stop_grace_period"].rstrip("s"))
    # read-only root; the data directory is a volume, /tmp a tmpfs
    assert api["read_only"] is True and "/tmp" in api["tmpfs"]
    assert any(v.split(":")[1] == "/data" for v in api["volumes"])
    assert "/data" in (REPO / "Dockerfile").read_text()
    # secrets come from files, never from literals in compose or the image
    assert make_url(env["NEWSCLAIMS_DATABASE_URL"]).password is None
    assert env["NEWSCLAIMS_DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert env["NEWSCLAIMS_API_KEY_PEPPER_FILE"] == "/run/secrets/api_key_pepper"
    assert "NEWSCLAIMS_API_KEY_PEPPER" not in env and "POSTGRES_PASSWORD" not in postgres["environment"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert set(api["secrets"]) == {"db_password", "api_key_pepper"}
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "PEPPER" not in dockerfile.replace("NEWSCLAIMS_API_KEY_PEPPER_FILE", "")
    assert "PASSWORD" not in dockerfile.replace("NEWSCLAIMS_DATABASE_PASSWORD_FILE", "")
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "secrets" in ignored and ".env" in ignored


def test_secrets_are_read_from_files(tmp_path: Path) -> None:
    from app.core.settings import Settings

    (tmp_path / "pw").write_text("p@ss:w/rd\n")
    (tmp_path / "pepper").write_text("spice\n")
    settings = Settings(database_url="postgresql+asyncpg://nc@db:5432/nc",
                        database_password_file=tmp_path / "pw", api_key_pepper_file=tmp_path / "pepper")
    assert make_url(settings.effective_database_url).password == "p@ss:w/rd"
    assert settings.api_key_pepper == "spice"
    assert "p@ss" not in repr(settings) and "spice" not in repr(settings)
    with pytest.raises(ValueError, match="cannot read"):
        Settings(api_key_pepper_file=tmp_path / "missing")
    with pytest.raises(ValueError, match="needs database_url"):
        Settings(database_password_file=tmp_path / "pw")
