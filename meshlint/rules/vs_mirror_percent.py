"""ML203: mirrorPercent / mirror_percent → mirrorPercentage.value."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, MoveKey, Remove
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import VS, vs_routes

CODE = "ML203"
KINDS = (VS,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, route in vs_routes(res, ("http",)):
        for field in ("mirrorPercent", "mirror_percent"):
            if field not in route:
                continue
            value = route[field]
            if "mirrorPercentage" in route:
                fix = Fix(f"remove {field} (mirrorPercentage is set)", (Remove(f"{base}/{field}"),))
                yield Violation(f"{base}/{field}", {"field": field, "value": value}, message="shadowed", fix=fix)
            else:
                fix = Fix(f"{field} → mirrorPercentage.value", (MoveKey(f"{base}/{field}", f"{base}/mirrorPercentage", {"value": value}),))
                yield Violation(f"{base}/{field}", {"field": field, "value": value}, fix=fix)
