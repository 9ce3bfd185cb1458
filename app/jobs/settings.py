"""Queue settings (`NEWSCLAIMS_*`, like the service's own `Settings`), kept beside the queue."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSCLAIMS_", env_file=None, extra="ignore")

    queue_worker: Literal["auto", "on", "off"] = Field(
        default="auto", description="Run a queue worker inside the API process: auto = on SQLite only "
                                    "(on PostgreSQL run `newsclaims worker` processes).")
    job_batch_size: int = Field(default=16, ge=1, le=1000,
                                description="Articles a worker claims and extracts at once.")
    job_lease_s: float = Field(default=60.0, gt=0,
                               description="Lease on claimed articles; renewed while working.")
    job_poll_s: float = Field(default=1.0, gt=0, description="Idle worker's polling interval.")
    job_max_attempts: int = Field(default=3, ge=1,
                                  description="Claims of one article before it is marked failed.")
    job_retention_days: float = Field(default=30.0, ge=0,
                                      description="Finished jobs older than this are deleted by the "
                                                  "queue workers (0: kept forever).")
    max_batch_articles: int = Field(default=1000, ge=1, description="Articles per POST /v1/articles/batch.")
    max_batch_bytes: int = Field(default=50_000_000, ge=1, description="Largest batch request body.")
