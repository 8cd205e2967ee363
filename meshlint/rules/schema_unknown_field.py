"""ML800: a field the schema does not have (a typo, or a field removed since Istio 1.4/1.6) in an Istio object (see meshlint/schema/findings.py)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation
from ..schema.findings import SCHEMA_KINDS, violations

CODE = "ML800"
KINDS = SCHEMA_KINDS
READS = ()
DEFERS = True  # a field (or value) a deprecation rule reports is left to that rule


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    return violations(res, ctx, {"unknown": "default", "removed": "removed"})
