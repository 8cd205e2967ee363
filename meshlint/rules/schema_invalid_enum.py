"""ML802: one kind of schema problem in a modern-API Istio object (see meshlint/schema/findings.py)."""
from __future__ import annotations

from typing import Iterator

from ..model import Resource, Violation
from ..schema.findings import problems

CODE = "ML802"
KINDS = ("networking.istio.io/*", "security.istio.io/*")
READS = ()


def check(res: Resource, ctx) -> Iterator[Violation]:
    for kind, path, params in problems(res):
        if kind == "enum":
            yield Violation(path, dict(params))
