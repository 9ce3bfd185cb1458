"""`newsclaims migrate`: apply the Alembic migrations (`upgrade head`) to the configured database.

Creates the data directory first so the default SQLite file can be made on a fresh machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> object:
    from alembic.config import Config

    ini = ROOT / "alembic.ini"
    if not ini.is_file():  # installed elsewhere: look beside the working directory
        ini = Path.cwd() / "alembic.ini"
    cfg = Config(str(ini))
    cfg.set_main_option("script_location", str(ini.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Run the migrations synchronously (they drive their own event loop: call from a thread
    when one is already running)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)  # type: ignore[arg-type]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url, args.revision)
    return 0
