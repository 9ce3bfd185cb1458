"""The README's configuration table names every setting, with its default, so they cannot drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from app.core.settings import Settings
from app.jobs.settings import JobSettings

README = Path(__file__).resolve().parents[2] / "README.md"


def table() -> dict[str, str]:
    """Variable -> default cell of the `## Configuration` table."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration"):]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`NEWSCLAIMS_"):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def rendered(value: Any) -> str | None:
    """How a default is written in the table (None: described in words)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int | Path) or (isinstance(value, str) and value):
        return str(value)
    return None


def test_configuration_table_lists_every_setting_with_its_default() -> None:
    rows = table()
    models: tuple[type[BaseSettings], ...] = (Settings, JobSettings)
    expected = {f"NEWSCLAIMS_{name.upper()}": field for m in models for name, field in m.model_fields.items()}
    assert set(rows) == set(expected), (
        f"missing: {sorted(set(expected) - set(rows))}; unknown: {sorted(set(rows) - set(expected))}")
    for var, field in expected.items():
        want = rendered(field.default)
        if want is not None:
            assert f"`{want}`" in rows[var], f"{var}: README default {rows[var]!r}, code {want!r}"


def test_readme_links_the_operating_documents() -> None:
    text = README.read_text(encoding="utf-8")
    for doc in ("docs/operations.md", "SECURITY.md", "docs/events.md", "docs/scaling.md"):
        assert f"]({doc})" in text and (README.parent / doc).is_file(), doc
    assert "## Evaluation" in text
