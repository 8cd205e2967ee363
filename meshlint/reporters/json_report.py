"""The JSON output contract (docs/json-output.md, meshlint/schemas/output.schema.json)."""
from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..engine import Result
from ..model import Severity

CONTRACT_VERSION = "1.0"


def as_data(result: Result) -> dict[str, Any]:
    return {
        "version": CONTRACT_VERSION,
        "tool": {"name": "meshlint", "version": __version__},
        "findings": [f.as_dict() for f in result.findings],
        "summary": {
            "files": len(result.files),
            "resources": result.resources,
            "findings": len(result.findings),
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            "fixable": sum(1 for f in result.findings if f.fixable),
        },
    }


def render(result: Result, **_: Any) -> str:
    # compact: json's C encoder only runs without indentation (10x faster on large reports)
    return json.dumps(as_data(result), ensure_ascii=False, separators=(",", ":")) + "\n"
