"""One `Settings` object for the whole service, read from `NEWSCLAIMS_*` environment variables.

Everything an operator may tune lives here, so the README's configuration table and the code
cannot drift apart; tests build their own `Settings` instead of patching the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSCLAIMS_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Directory for the default SQLite database.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/newsclaims.db. "
                    "PostgreSQL: postgresql+asyncpg://user:pass@host/db.")
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    database_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size.")
    extraction_workers: int = Field(
        default=0, ge=0, description="Extraction worker processes (each loads the model); 0 = all cores.")
    extraction_model: str | None = Field(default=None, description="spaCy model package (default: bundled).")
    max_body_bytes: int = Field(default=2_000_000, ge=1, description="Largest accepted request body.")
    max_text_chars: int = Field(default=200_000, ge=1, description="Longest accepted article text.")
    default_page_size: int = Field(default=20, ge=1, description="Page size when `limit` is not given.")
    max_page_size: int = Field(default=100, ge=1, description="Cap on `limit` for every list endpoint.")
    docs_enabled: bool = Field(default=True, description="Serve /docs and /openapi.json.")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'newsclaims.db').resolve()}"

    @property
    def effective_workers(self) -> int:
        return self.extraction_workers or os.cpu_count() or 1


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings from the environment (tests pass their own to `create_app`)."""
    return Settings()
