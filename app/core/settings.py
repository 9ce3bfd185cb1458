"""One `Settings` object for the whole service, read from `NEWSCLAIMS_*` environment variables.

Everything an operator may tune lives here, so the README's configuration table and the code
cannot drift apart; tests build their own `Settings` instead of patching the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSCLAIMS_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Directory for the default SQLite database.")
    database_url: str | None = Field(
        default=None, repr=False,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/newsclaims.db. "
                    "PostgreSQL: postgresql+asyncpg://user@host/db (password: database_password_file).")
    database_password_file: Path | None = Field(
        default=None, description="File holding the database password (a container secret), put into "
                                  "database_url so the password is in neither the image nor the environment.")
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    database_pool_size: int = Field(default=10, ge=1,
                                    description="Connection pool size (PostgreSQL, or a SQLite file).")
    sqlite_inline_read_ms: float = Field(
        default=2.0, ge=0, description="SQLite: a read runs on the event loop's thread for up to this "
                                       "long, then moves to a connection thread; 0 = always a thread.")
    sqlite_fts_merge_interval_s: float = Field(
        default=300.0, ge=0, description="SQLite: how often the full-text indexes are checked and, when "
                                         "fragmented, merged in the background; 0 = never.")
    sqlite_fts_max_segments: int = Field(
        default=4, ge=1, description="SQLite: a full-text index with more segments than this is merged "
                                     "into one at the next check.")
    extraction_workers: int = Field(
        default=0, ge=0, description="Extraction worker processes (each loads the model); 0 = all cores.")
    extraction_model: str | None = Field(default=None, description="spaCy model package (default: bundled).")
    max_body_bytes: int = Field(default=2_000_000, ge=1, description="Largest accepted request body.")
    max_text_chars: int = Field(default=200_000, ge=1, description="Longest accepted article text.")
    default_page_size: int = Field(default=20, ge=1, description="Page size when `limit` is not given.")
    max_page_size: int = Field(default=100, ge=1, description="Cap on `limit` for every list endpoint.")
    docs_enabled: bool = Field(default=True, description="Serve /docs and /openapi.json.")
    # production behind a gateway (app/core/production.py; docs/operations.md)
    auth: Literal["auto", "keys", "none"] = Field(
        default="auto", description="API keys: auto = required once any key exists; keys = always; "
                                    "none = no checks (the gateway authenticates).")
    api_key_pepper: str = Field(default="", description="Server secret mixed into stored key hashes.",
                                repr=False)
    api_key_pepper_file: Path | None = Field(
        default=None, description="File holding the pepper (a container secret); wins over api_key_pepper.")
    root_path: str = Field(default="", description="Path prefix the gateway serves the API under.")
    trusted_proxies: str = Field(
        default="127.0.0.1", description="Comma-separated gateway addresses/networks whose "
                                         "X-Forwarded-For/-Proto are believed; * trusts all.")
    max_query_bytes: int = Field(default=4096, ge=1, description="Longest accepted query string (414).")
    max_json_depth: int = Field(default=32, ge=1, description="Deepest accepted JSON nesting (422).")
    max_token_chars: int = Field(
        default=2000, ge=1, description="Longest run of text without whitespace (422); long runs of "
                                        "punctuation make tokenisation quadratic.")
    extraction_timeout_s: float = Field(default=30.0, gt=0, description="Wall-time bound per article.")
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    log_level: str = Field(default="INFO", description="Log level of the JSON logs.")
    log_json: bool = Field(default=True, description="One JSON object per log line (false: plain text).")
    idempotency_ttl_s: int = Field(default=86_400, ge=60, description="How long Idempotency-Keys are kept.")

    @model_validator(mode="after")
    def _read_secret_files(self) -> Settings:
        """Secrets mounted as files (compose/Kubernetes secrets) instead of environment values,
        which leak into `docker inspect`, process listings and crash dumps."""
        if self.api_key_pepper_file is not None:
            self.api_key_pepper = _read_secret(self.api_key_pepper_file, "api_key_pepper_file")
        if self.database_password_file is not None:
            if not self.database_url:
                raise ValueError("database_password_file needs database_url (the URL without the password)")
            from sqlalchemy.engine import make_url

            password = _read_secret(self.database_password_file, "database_password_file")
            self.database_url = make_url(self.database_url).set(password=password).render_as_string(
                hide_password=False)
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'newsclaims.db').resolve()}"

    @property
    def effective_workers(self) -> int:
        return self.extraction_workers or os.cpu_count() or 1


def _read_secret(path: Path, name: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path} ({exc.strerror})") from exc
    if not value:
        raise ValueError(f"{name}: {path} is empty")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings from the environment (tests pass their own to `create_app`)."""
    return Settings()
