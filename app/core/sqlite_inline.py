"""SQLite reads on the event loop's own thread, under a time budget.

aiosqlite runs each statement on a connection's thread. For a short indexed read that is the
costliest part: sqlite3 lets go of the GIL around every step (once per row), so each row of a
page is a contended hand-off between that thread and the busy event loop, and the statement
itself is a queue hand-off there and a loop wake-up back. Measured on a 1M-claim database under
32 clients: ~0.8-1.1 ms of CPU per list request, two thirds of it in the kernel (futex), for a
query that sqlite3 runs in 0.1-0.2 ms on its own.

So `Database.read` first runs each statement here, synchronously, on a connection of its own
that only ever reads (`query_only`). A progress handler stops the statement once it has run
longer than the budget (checked every `CHECK_EVERY` virtual-machine steps, ~50 µs), and the
connection never waits for a lock (busy timeout 0): a statement stopped either way returns None
and runs again on the connection's thread, as every read did before. So a slow query costs the
loop at most the budget, never its whole duration.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import Counter

from .metrics import REGISTRY

# virtual-machine steps between two looks at the clock: ~50 µs of a typical list query
CHECK_EVERY = 1000
# The file is read through a memory map (SQLite clamps this to its build's maximum, 2 GiB by
# default): a page outside the connection's own cache is then the OS page cache's, with no
# `pread` and no copy. Without it the same lists took 33-78% more CPU per request (a page miss
# every few rows at random speakers); the mapped pages are shared by the service's processes.
MMAP_BYTES = 1 << 31

SQLITE_READS = Counter(
    "newsclaims_sqlite_reads",
    "SQLite read statements, by where they ran: inline (on the event loop, within the budget) or "
    "moved (stopped at the budget or by a lock, then run on a connection thread).",
    ("where",), registry=REGISTRY,
)
_INLINE, _MOVED = SQLITE_READS.labels("inline"), SQLITE_READS.labels("moved")


class InlineReader:
    """One read-only sqlite3 connection used from the event loop's thread (opened on first use).

    `connect` opens it with the service's own sqlite3 arguments; this sets the busy timeout to
    0 and the connection to autocommit, so each statement reads its own snapshot and no read
    transaction outlives it."""

    def __init__(self, connect: Callable[..., sqlite3.Connection], budget_s: float) -> None:
        self._connect = connect
        self.budget_s = budget_s
        self._conn: sqlite3.Connection | None = None
        self._deadline = 0.0

    def _open(self) -> sqlite3.Connection:
        conn = self._connect(timeout=0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA query_only=ON")
            conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            clock = time.perf_counter
            conn.set_progress_handler(lambda: clock() > self._deadline, CHECK_EVERY)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def run(self, sql: str, args: Sequence[Any]) -> list[Any] | None:
        """The statement's rows, or None when it ran past the budget or met a lock (the caller
        then runs it on a connection thread). Other errors are raised."""
        conn = self._conn or self._open()
        self._deadline = time.perf_counter() + self.budget_s
        try:
            rows = conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            # "interrupted" (the progress handler), "database is locked" / "busy" (timeout 0)
            if exc.sqlite_errorcode & 0xFF not in _MOVE_ON:  # (the primary code of an extended one)
                raise
            _MOVED.inc()
            return None
        _INLINE.inc()
        return rows

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


_MOVE_ON = frozenset({sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
