"""Suite-wide helpers. Database and HTTP fixtures live in tests/api/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` (read-only inputs); tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared inputs not found at {SHARED}")
    return SHARED
