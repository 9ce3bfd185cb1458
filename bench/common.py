"""Shared bench helpers: the PolNeAR dev texts, a real uvicorn server, workers, memory, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def polnear_texts(shared: Path, split: str = "dev") -> list[str]:
    """The PolNeAR texts (same reader as bench/attribution_speed.py and the scorers)."""
    sys.path.insert(0, str(shared / "eval"))
    import gold  # type: ignore[import-not-found]

    return [a["text"] for a in gold.polnear(str(shared / "data" / "polnear" / split))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def percentile(values: Sequence[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSCLAIMS_DATABASE_URL": db_url,
        "NEWSCLAIMS_AUTH": "none",
        "NEWSCLAIMS_LOG_LEVEL": "WARNING",
        "NEWSCLAIMS_METRICS_ENABLED": "false",
        **extra,
    }


def migrate(db_url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        env=env_for(db_url),
        check=True,
        capture_output=True,
    )


@contextmanager
def server(
    db_url: str, log: Path, processes: int = 1, app: str = "app.main:app", **extra: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real uvicorn (`processes` worker processes) serving `app` on a free loopback port;
    yields (base URL, process) once /readyz is 200."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--http",
                "app.core.server:HttpProtocol",
                *(["--workers", str(processes)] if processes > 1 else []),
            ],
            cwd=ROOT,
            env=env_for(db_url, **extra),
            stdout=out,
            stderr=out,
            # a session of its own, as a service has under its supervisor: with the kernel's
            # autogroup scheduling a session's processes share one share of the CPU, and in the
            # bench's session the load generator's would come out of the server's (PostgreSQL
            # with two API processes: p99 60 ms-1.7 s, in a session of its own 16-30 ms)
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server not ready")
                time.sleep(0.2)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_workers(db_url: str, n: int, log_dir: Path, **extra: str) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        out = (log_dir / f"worker-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=ROOT,
                env=env_for(db_url, NEWSCLAIMS_JOB_POLL_S="0.1", **extra),
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        )
        out.close()
    deadline = time.monotonic() + 180
    for i, p in enumerate(procs):
        log = log_dir / f"worker-{i}.log"
        while b": ready" not in log.read_bytes():
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    return procs


def stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
