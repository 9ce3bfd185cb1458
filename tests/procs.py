"""Processes seen through /proc (Linux): what tests of process lifetimes look at."""

from __future__ import annotations

import os
from pathlib import Path


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first, then the parent)."""
    return Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (a dead child its parent has not reaped)."""
    try:
        return _stat(pid)[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            state, ppid = _stat(entry)[:2]
        except OSError:
            continue
        if int(ppid) == pid and state != "Z":
            out.append(int(entry))
    return out
