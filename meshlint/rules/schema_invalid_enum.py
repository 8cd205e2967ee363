"""ML802: a value outside the allowed set in an Istio object (see meshlint/schema/findings.py)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation
from ..schema.findings import SCHEMA_KINDS, violations

CODE = "ML802"
KINDS = SCHEMA_KINDS
READS = ()
DEFERS = True  # a field (or value) a deprecation rule reports is left to that rule


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    return violations(res, ctx, {"enum": "default", "unserved": "unserved"})
