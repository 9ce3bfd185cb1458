"""Extraction worker processes do not outlive the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from procs import alive

ROOT = Path(__file__).resolve().parents[2]

# A parent that starts a pool the way the service and `newsclaims worker` do (app/articles/pool.py),
# reports its worker's pid, and is then killed with SIGKILL (no shutdown, no atexit).
PARENT = """
import multiprocessing as mp, os, signal
from concurrent.futures import ProcessPoolExecutor
from app.extraction.parallel import init_worker
if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker)
    print(pool.submit(os.getpid).result(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    log = tmp_path / "parent.log"
    with log.open("w") as fh:  # a file, not a pipe: an orphaned worker would hold a pipe open
        code = subprocess.run([sys.executable, str(script)], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                              timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}).returncode
    assert code == -signal.SIGKILL, log.read_text()
    worker = int(log.read_text().split()[0])
    try:
        deadline = time.monotonic() + 20
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(worker), "the pool worker outlived its killed parent"
    finally:
        if alive(worker):
            os.kill(worker, signal.SIGKILL)
