"""GitLab Code Quality report (a JSON array of issues)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from ..engine import Result
from ..model import Finding, Severity
from .common import ITEMS, encode_with_items, fingerprint, relative_uri

SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(result: Result, **_: Any) -> str:
    return encode_with_items(ITEMS, _issues(result.findings), separator=",\n")


def _issues(findings: Iterable[Finding]) -> Iterator[dict[str, Any]]:
    seen: Counter[str] = Counter()
    for f in findings:
        base = fingerprint(f)
        seen[base] += 1
        fp = base if seen[base] == 1 else f"{base}-{seen[base]}"  # unique even for repeated identities
        yield {
            "description": f"{f.code} {f.message}",
            "check_name": f"{f.code} {f.name}",
            "fingerprint": fp,
            "severity": SEVERITY[f.severity],
            "location": {"path": relative_uri(f.file), "lines": {"begin": f.line}},
        }
