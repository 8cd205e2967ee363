"""ML205: destination.port.name (removed in 1.4; no automatic fix)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import VS, vs_destinations, vs_routes

CODE = "ML205"
KINDS = (VS,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, dest in vs_destinations(res):
        d = dest.get("destination")
        port = d.get("port") if isinstance(d, dict) else None
        if isinstance(port, dict) and "name" in port:
            yield Violation(f"{base}/destination/port/name", {"name": port["name"]})
    for base, route in vs_routes(res, ("http",)):
        m = route.get("mirror")
        port = m.get("port") if isinstance(m, dict) else None
        if isinstance(port, dict) and "name" in port:
            yield Violation(f"{base}/mirror/port/name", {"name": port["name"]})
