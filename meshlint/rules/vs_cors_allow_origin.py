"""ML204: corsPolicy.allowOrigin (silently ignored since 1.6) → allowOrigins [{exact: ...}]."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, MergeMapping, MoveKey, Operation, Remove
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import VS, vs_routes

CODE = "ML204"
KINDS = (VS,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, route in vs_routes(res, ("http",)):
        cors = route.get("corsPolicy")
        if not isinstance(cors, dict) or "allowOrigin" not in cors:
            continue
        raw = cors["allowOrigin"]
        origins = [{"exact": str(o)} for o in (raw if isinstance(raw, list) else [raw]) if o is not None]
        at = f"{base}/corsPolicy"
        ops: tuple[Operation, ...]
        if "allowOrigins" in cors:
            ops = (MergeMapping(at, {"allowOrigins": origins}), Remove(f"{at}/allowOrigin"))
        else:
            ops = (MoveKey(f"{at}/allowOrigin", f"{at}/allowOrigins", origins),)
        yield Violation(f"{at}/allowOrigin", {"origins": ", ".join(o["exact"] for o in origins)}, fix=Fix("allowOrigin → allowOrigins (exact matches)", ops))
