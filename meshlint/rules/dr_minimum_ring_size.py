"""ML208: consistentHash.minimumRingSize → consistentHash.ringHash.minimumRingSize."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, MoveKey, Operation, Remove, SetValue
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import DR, dr_traffic_policies

CODE = "ML208"
KINDS = (DR,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, tp in dr_traffic_policies(res):
        lb = tp.get("loadBalancer")
        ch = lb.get("consistentHash") if isinstance(lb, dict) else None
        if not isinstance(ch, dict) or "minimumRingSize" not in ch:
            continue
        at = f"{base}/loadBalancer/consistentHash"
        ring = ch.get("ringHash")
        ops: tuple[Operation, ...]
        if isinstance(ring, dict) and "minimumRingSize" in ring:
            ops = (Remove(f"{at}/minimumRingSize"),)
        elif "maglev" in ch:
            yield Violation(f"{at}/minimumRingSize", {"value": ch["minimumRingSize"]}, message="maglev")
            continue
        elif isinstance(ring, dict):
            ops = (Remove(f"{at}/minimumRingSize"), SetValue(f"{at}/ringHash/minimumRingSize", ch["minimumRingSize"]))
        else:
            ops = (MoveKey(f"{at}/minimumRingSize", f"{at}/ringHash", {"minimumRingSize": ch["minimumRingSize"]}),)
        yield Violation(f"{at}/minimumRingSize", {"value": ch["minimumRingSize"]}, fix=Fix("minimumRingSize → ringHash.minimumRingSize", ops))
