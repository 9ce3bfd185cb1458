"""The hostile-input tests get an app of their own (per backend), built from the service's fixtures
(tests/api/conftest.py) with production limits, so nothing they store mixes with other tests."""

from __future__ import annotations

import pytest
from api.conftest import app, client, db_url

from app.core.settings import Settings

__all__ = ["app", "client", "db_url", "settings"]


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data"), extraction_workers=1,
                    max_body_bytes=2_000_000, max_text_chars=60_000)
