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

# what the conversion plan noticed (authn.convert.Note.kind) -> the message key and severity of its finding
NOTES = {
    "plaintext": ("plaintext", Severity.WARNING),
    "use_peer": ("use_peer", Severity.WARNING),
    "extra_peers": ("extra_peers", Severity.WARNING),
    "status_change": ("status_change", Severity.INFO),
    "invalid_tokens": ("invalid_tokens", Severity.WARNING),
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    plan = plan_policy(res, ctx.index, ctx.root_namespace)
    for path, reason in plan.refusals:
        yield Violation(path, {"kind": res.kind, "name": res.name or "?", "reason": reason}, message="refused", severity=Severity.ERROR)
    if plan.refusals:
        return
    for note in plan.notes:
        key, severity = NOTES[note.kind]
        yield Violation(note.path, {"kind": res.kind, "name": res.name or "?", **note.params}, message=key, severity=severity)
    ns = ctx.index.ns(res)  # where objects written without a namespace, like their Policy, are applied
    kinds = ", ".join(f"{o['kind']} {o['metadata'].get('namespace', ns)}/{o['metadata']['name']}" for o in plan.objects)
    fix = Fix(f"replace {res.kind} {res.name} with {len(plan.objects)} beta security object(s)", (ReplaceResource(tuple(plan.objects)),))
    yield Violation("/kind", {"kind": res.kind, "name": res.name or "?", "count": len(plan.objects), "objects": kinds}, fix=fix)
