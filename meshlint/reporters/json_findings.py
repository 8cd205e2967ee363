"""The JSON output contract (docs/json-output.md, meshlint/schemas/output.schema.json)."""
from __future__ import annotations

from typing import Any

from .. import __version__
from ..engine import Result
from ..model import Severity
from .common import ITEMS, encode_with_items

CONTRACT_VERSION = "1.0"


def as_data(result: Result) -> dict[str, Any]:
    return {
        "version": CONTRACT_VERSION,
        "tool": {"name": "meshlint", "version": __version__},
        "findings": [f.as_dict() for f in result.findings],
        "summary": _summary(result),
    }


def render(result: Result, **_: Any) -> str:
    """The same document as ``as_data``, encoded one finding at a time."""
    head = {"version": CONTRACT_VERSION, "tool": {"name": "meshlint", "version": __version__}, "summary": _summary(result), "findings": ITEMS}
    return encode_with_items(head, (f.as_dict() for f in result.findings))


def _summary(result: Result) -> dict[str, int]:
    return {
        "files": len(result.files),
        "resources": result.resources,
        "findings": len(result.findings),
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO),
        "fixable": sum(1 for f in result.findings if f.fixable),
        "notObjects": len(result.not_objects),
    }
