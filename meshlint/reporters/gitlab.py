"""GitLab Code Quality report (a JSON array of issues)."""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ..engine import Result
from ..model import Severity
from .common import fingerprint, relative_uri

SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(result: Result, **_: Any) -> str:
    seen: Counter[str] = Counter()
    issues = []
    for f in result.findings:
        base = fingerprint(f)
        seen[base] += 1
        fp = base if seen[base] == 1 else f"{base}-{seen[base]}"  # unique even for repeated identities
        issues.append({
            "description": f"{f.code} {f.message}",
            "check_name": f"{f.code} {f.name}",
            "fingerprint": fp,
            "severity": SEVERITY[f.severity],
            "location": {"path": relative_uri(f.file), "lines": {"begin": f.line}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
