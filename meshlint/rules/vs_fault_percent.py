"""ML202: fault.abort.percent / fault.delay.percent (int) → percentage.value."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, MoveKey, Remove
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import VS, vs_routes

CODE = "ML202"
KINDS = (VS,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, route in vs_routes(res, ("http",)):
        fault = route.get("fault")
        if not isinstance(fault, dict):
            continue
        for kind in ("abort", "delay"):
            f = fault.get(kind)
            if not isinstance(f, dict) or "percent" not in f:
                continue
            at = f"{base}/fault/{kind}"
            if "percentage" in f:
                fix = Fix(f"remove fault.{kind}.percent (percentage already wins)", (Remove(f"{at}/percent"),))
                yield Violation(f"{at}/percent", {"kind": kind, "value": f["percent"]}, message="shadowed", fix=fix)
            else:
                fix = Fix(f"fault.{kind}.percent → percentage.value", (MoveKey(f"{at}/percent", f"{at}/percentage", {"value": f["percent"]}),))
                yield Violation(f"{at}/percent", {"kind": kind, "value": f["percent"]}, fix=fix)
