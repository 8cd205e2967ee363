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
        "summary": _summary(result),
    }


def render(result: Result, **_: Any) -> str:
    """The same document as ``as_data``, encoded one finding at a time so that a large report
    never holds every finding as a dict at once (compact: json's C encoder runs only without indentation)."""
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head = {"version": CONTRACT_VERSION, "tool": {"name": "meshlint", "version": __version__}, "summary": _summary(result)}
    parts = [enc(head)[:-1], ',"findings":[']
    parts.append(",".join(enc(f.as_dict()) for f in result.findings))
    parts.append("]}\n")
    return "".join(parts)


def _summary(result: Result) -> dict[str, int]:
    return {
        "files": len(result.files),
        "resources": result.resources,
        "findings": len(result.findings),
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO),
        "fixable": sum(1 for f in result.findings if f.fixable),
    }
