"""ML201: websocketUpgrade (removed; WebSocket upgrades are always allowed since 1.0)."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, Remove
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import VS, vs_routes

CODE = "ML201"
KINDS = (VS,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, route in vs_routes(res, ("http",)):
        if "websocketUpgrade" in route:
            yield Violation(f"{base}/websocketUpgrade", {}, fix=Fix("remove websocketUpgrade", (Remove(f"{base}/websocketUpgrade"),)))
