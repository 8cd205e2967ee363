"""Baselines: adopt the gate on a brownfield repo and fail only on new findings.

Entries are keyed by rule, resource identity and field path (file and message for
file-level findings), never by line numbers, so unrelated edits do not disturb them.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from .model import Finding
from .reporters.common import identity_key

VERSION = 1


def key(f: Finding) -> str:
    return identity_key(f)


def dump(findings: list[Finding]) -> str:
    counts = Counter(key(f) for f in findings)
    entries = [{"key": k, "count": n} for k, n in sorted(counts.items())]
    return json.dumps({"version": VERSION, "tool": "meshlint", "entries": entries}, indent=2) + "\n"


class BaselineError(Exception):
    pass


def load(text: str) -> Counter[str]:
    try:
        data = json.loads(text)
        if data.get("version") != VERSION or not isinstance(data.get("entries"), list):
            raise ValueError("not a meshlint baseline (version 1)")
        return Counter({str(e["key"]): int(e["count"]) for e in data["entries"]})
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BaselineError(str(e)) from None


@dataclass
class Applied:
    findings: list[Finding]  # what is left to report
    matched: int
    stale: list[tuple[str, int]]  # baseline entries (key, missing count) that no longer occur


def apply(findings: list[Finding], baseline: Counter[str]) -> Applied:
    left = Counter(baseline)
    kept: list[Finding] = []
    matched = 0
    for f in findings:
        k = key(f)
        if left[k] > 0:
            left[k] -= 1
            matched += 1
        else:
            kept.append(f)
    stale = sorted((k, n) for k, n in left.items() if n > 0)
    return Applied(kept, matched, stale)
