"""ML207: loadBalancer.simple LEAST_CONN → LEAST_REQUEST."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, SetValue
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import DR, dr_traffic_policies

CODE = "ML207"
KINDS = (DR,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, tp in dr_traffic_policies(res):
        lb = tp.get("loadBalancer")
        if isinstance(lb, dict) and lb.get("simple") == "LEAST_CONN":
            at = f"{base}/loadBalancer/simple"
            yield Violation(at, {}, fix=Fix("LEAST_CONN → LEAST_REQUEST", (SetValue(at, "LEAST_REQUEST"),)))
