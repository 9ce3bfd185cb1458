"""`python -m app.openapi` prints the app's OpenAPI document (committed as openapi/openapi.json).

The output is deterministic (sorted keys, fixed indentation), so the committed file can be
compared with the live document in a test.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from app.core.settings import Settings


def spec() -> dict[str, Any]:
    from app.main import create_app

    return create_app(Settings(docs_enabled=True)).openapi()


def render() -> str:
    return json.dumps(spec(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
