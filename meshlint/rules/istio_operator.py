"""ML730: an IstioOperator resource (managed Anthos Service Mesh does not read the IstioOperator API)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..operator import is_addon

CODE = "ML730"
KINDS = ("install.istio.io/IstioOperator",)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    rev = res.spec.get("revision")
    params = {"name": res.name or "?", "revision": f" (revision {rev})" if isinstance(rev, str) and rev else ""}
    if is_addon(res):
        yield Violation("/kind", params, message="addon", severity=Severity.INFO)
    else:
        yield Violation("/kind", params)
