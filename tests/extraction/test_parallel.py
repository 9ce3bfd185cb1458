"""Extraction worker processes do not outlive the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from procs import alive

ROOT = Path(__file__).resolve().parents[2]

# A parent that starts a pool the way the service and `newsclaims worker` do (app/articles/pool.py),
# reports its worker's pid and thread count, and is then killed with SIGKILL (no shutdown, no
# atexit). WATCHER: the worker uses the watcher thread, as where the kernel cannot be asked.
PARENT = """
import multiprocessing as mp, os, signal
from concurrent.futures import ProcessPoolExecutor
from app.extraction import parallel
WATCHER = {watcher}
def init():
    if WATCHER:
        parallel._die_with_parent = lambda: False
    parallel.init_worker()
if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init)
    print(pool.submit(os.getpid).result(), len(pool.submit(os.listdir, "/proc/self/task").result()),
          flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("watcher", [False, True], ids=["kernel", "watcher-thread"])
def test_a_worker_exits_when_its_parent_is_killed(tmp_path: Path, watcher: bool) -> None:
    """On Linux the kernel ends the worker (PR_SET_PDEATHSIG) and the worker keeps a single
    thread: a second one, even idle, costs spaCy ~10% (app/extraction/parallel.py). Elsewhere a
    watcher thread does it."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT.format(watcher=watcher))
    log = tmp_path / "parent.log"
    with log.open("w") as fh:  # a file, not a pipe: an orphaned worker would hold a pipe open
        code = subprocess.run([sys.executable, str(script)], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                              timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}).returncode
    assert code == -signal.SIGKILL, log.read_text()
    worker, threads = map(int, log.read_text().split()[:2])
    assert threads == (2 if watcher else 1), log.read_text()
    try:
        deadline = time.monotonic() + 20
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(worker), "the pool worker outlived its killed parent"
    finally:
        if alive(worker):
            os.kill(worker, signal.SIGKILL)
