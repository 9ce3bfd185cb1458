"""The `newsclaims` command line: one program, a sub-command per task.

Each sub-command lives in its own module exposing `register(subparsers)`; adding one is a line in
`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# module names under app.cli, each with register(subparsers) setting `func` on its parser
COMMANDS: tuple[str, ...] = ("extract", "migrate", "keys", "worker", "ingest", "export", "reprocess")


def build_parser() -> argparse.ArgumentParser:
    summary = __doc__.split("\n")[0] if __doc__ else None
    parser = argparse.ArgumentParser(prog="newsclaims", description=summary)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"app.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
