"""ML804: a value outside a schema constraint (range, one-of, pattern) in an Istio object (see meshlint/schema/findings.py)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation
from ..schema.findings import SCHEMA_KINDS, violations

CODE = "ML804"
KINDS = SCHEMA_KINDS
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    return violations(res, ctx, {"constraint": "default"})
