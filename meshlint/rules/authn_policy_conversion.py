"""ML300: alpha Policy / MeshPolicy → PeerAuthentication, RequestAuthentication, AuthorizationPolicy."""
from __future__ import annotations

from collections.abc import Iterator

from ..authn.convert import plan_policy
from ..fixes import Fix, ReplaceResource
from ..index import RuleContext
from ..model import Resource, Severity, Violation

CODE = "ML300"
KINDS = ("authentication.istio.io/Policy", "authentication.istio.io/MeshPolicy")
READS = ("/Service", "apps/Deployment")

NOTE_SEVERITY = {"plaintext": Severity.WARNING, "use_peer": Severity.WARNING, "extra_peers": Severity.WARNING, "status_change": Severity.INFO, "invalid_tokens": Severity.WARNING}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    plan = plan_policy(res, ctx.index, ctx.root_namespace)
    for path, reason in plan.refusals:
        yield Violation(path, {"kind": res.kind, "name": res.name or "?", "reason": reason}, message="refused", severity=Severity.ERROR)
    if plan.refusals:
        return
    for note in plan.notes:
        yield Violation(note.path, {"kind": res.kind, "name": res.name or "?", **note.params}, message=note.message, severity=NOTE_SEVERITY[note.message])
    kinds = ", ".join(f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}" for o in plan.objects)
    fix = Fix(f"replace {res.kind} {res.name} with {len(plan.objects)} beta security object(s)", (ReplaceResource(tuple(plan.objects)),))
    yield Violation("/kind", {"kind": res.kind, "name": res.name or "?", "count": len(plan.objects), "objects": kinds}, fix=fix)
