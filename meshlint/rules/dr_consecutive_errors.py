"""ML206: outlierDetection.consecutiveErrors → consecutiveGatewayErrors plus consecutive5xxErrors: 0."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, Operation, Remove, RenameKey, SetValue
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import DR, dr_traffic_policies

CODE = "ML206"
KINDS = (DR,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, tp in dr_traffic_policies(res):
        od = tp.get("outlierDetection")
        if not isinstance(od, dict) or "consecutiveErrors" not in od:
            continue
        at = f"{base}/outlierDetection"
        ops: list[Operation] = []
        if "consecutiveGatewayErrors" not in od:
            ops.append(RenameKey(f"{at}/consecutiveErrors", "consecutiveGatewayErrors"))
            if "consecutive5xxErrors" not in od:
                ops.append(SetValue(f"{at}/consecutive5xxErrors", 0))
        else:
            ops.append(Remove(f"{at}/consecutiveErrors"))
        yield Violation(f"{at}/consecutiveErrors", {"value": od["consecutiveErrors"]}, fix=Fix("consecutiveErrors → consecutiveGatewayErrors + consecutive5xxErrors: 0", tuple(ops)))
