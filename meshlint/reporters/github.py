"""GitHub Actions workflow commands: annotations on the pull request diff."""
from __future__ import annotations

from typing import Any

from ..engine import Result
from ..escape import printable
from ..model import Severity
from .common import relative_uri

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(result: Result, **_: Any) -> str:
    lines = []
    for f in result.findings:
        props = f"file={escape_property(printable(relative_uri(f.file)))},line={f.line},col={f.column},title={escape_property(printable(f'{f.code} {f.name}'))}"
        lines.append(f"::{_LEVEL[f.severity]} {props}::{escape_data(printable(f.message))}")
    return "\n".join(lines) + ("\n" if lines else "")
