"""Schemathesis against the app's own OpenAPI, over real HTTP to a live uvicorn on loopback:
every operation, a bounded number of generated cases, zero server errors, and every response
documented: its status code, its media type (problem documents are `application/problem+json`)
and its schema. Ends with SIGTERM: the server must drain and exit cleanly.
"""

from __future__ import annotations

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

pytest.importorskip("schemathesis")

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 12
# every answer documented: its status code, its media type and its schema
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

# The CLI, plus a serializer for the batch endpoint's NDJSON body (schemathesis has none built in).
RUNNER = """
import json, sys
import schemathesis
from schemathesis.cli import schemathesis as cli

@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return "\\n".join(json.dumps(v) for v in items).encode()

sys.exit(cli.main(sys.argv[1:], standalone_mode=False) or 0)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "NEWSCLAIMS_DATABASE_URL": db_url, "NEWSCLAIMS_EXTRACTION_WORKERS": "1",
           "NEWSCLAIMS_DATA_DIR": str(tmp_path), "NEWSCLAIMS_LOG_LEVEL": "INFO"}
    with log.open("wb") as out:
        cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.3)
        yield base, proc, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_schemathesis_all_operations(live_server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, proc, log = live_server
    cmd = [sys.executable, "-c", RUNNER, "run", f"{base}/openapi.json",
           "--checks", CHECKS,
           "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--seed", "20251219",
           "--phases", "examples,coverage,fuzzing", "--generation-database", "none", "--no-color",
           "--generation-allow-x00", "false", "--request-timeout", "60"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=400, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "0 generated" not in output and "Tested: 0" not in output

    # graceful shutdown: SIGTERM drains requests, the lifespan closes the pool and the database;
    # uvicorn then re-raises the signal, so the status is "terminated by SIGTERM", not a crash
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) in (0, -signal.SIGTERM)
    text = log.read_text()
    assert "shutting down" in text and "Application shutdown complete" in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
