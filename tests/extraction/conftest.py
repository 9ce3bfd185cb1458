"""Shared fixtures for the extraction library tests: the real spaCy model, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from app.extraction import Extractor, load_nlp

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The pipeline exactly as the service loads it (with every trained component)."""
    return load_nlp()


@pytest.fixture(scope="session")
def extractor(nlp: Language) -> Extractor:
    """One `Extractor` for the whole session; `extractor.extract(text, published_at)` -> dict."""
    return Extractor(nlp)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """`../shared/samples`; tests that need it skip when it is absent."""
    if not SAMPLES.is_dir():
        pytest.skip(f"sample articles not found at {SAMPLES}")
    return SAMPLES
