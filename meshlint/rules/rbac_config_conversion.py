"""ML402: ClusterRbacConfig / RbacConfig → allow-nothing and allow-all AuthorizationPolicies."""
from __future__ import annotations

from collections.abc import Iterator

from ..duplicates import location
from ..fixes import Fix, ReplaceResource
from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..rbac.convert import convert_config
from .rbac_role_conversion import config_refusal

CODE = "ML402"
KINDS = ("rbac.istio.io/ClusterRbacConfig", "rbac.istio.io/RbacConfig")
READS = ("/Service", "rbac.istio.io/ClusterRbacConfig", "rbac.istio.io/RbacConfig")

# what the conversion noticed (rbac.convert.Note.kind) -> the message key and severity of its finding
NOTES = {
    "dry_run": ("dry_run", Severity.WARNING),
    "not_hostname": ("not_hostname", Severity.WARNING),
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    refusal = config_refusal(res, ctx)
    if refusal is not None:
        yield refusal
        return
    cluster = ctx.index.of_kind("ClusterRbacConfig", group="rbac.istio.io") if res.kind == "RbacConfig" else []
    if cluster:  # 1.4 read an RbacConfig only when there was no ClusterRbacConfig
        fix = Fix(f"remove RbacConfig {res.name}: Istio 1.4 read ClusterRbacConfig {cluster[-1].name} instead", (ReplaceResource(()),))
        yield Violation("/kind", {"name": res.name or "?", "config": f"{cluster[-1].name} at {location(cluster[-1])}"}, message="shadowed", severity=Severity.WARNING, fix=fix)
        return
    policies, refusals, notes = convert_config(res, ctx.index, ctx.root_namespace)
    who = {"name": res.name or "?", "kind": res.kind}
    for r in refusals:
        yield Violation(r.path, {**who, "reason": r.reason}, message="refused", severity=Severity.ERROR)
    if refusals:
        return
    for n in notes:
        key, severity = NOTES[n.kind]
        yield Violation(n.path, {**who, **dict(n.params)}, message=key, severity=severity)
    mode = str(res.spec.get("mode", "OFF"))
    if mode == "OFF":
        fix = Fix(f"remove {res.kind} {res.name}: RBAC was OFF", (ReplaceResource(()),))
        yield Violation("/spec/mode" if "mode" in res.spec else "/kind", who, message="mode_off", severity=Severity.WARNING, fix=fix)
        return
    fix = Fix(f"replace {res.kind} {res.name} ({mode}) with {len(policies)} AuthorizationPolicy object(s)", (ReplaceResource(tuple(policies)),))
    names = ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in policies)
    yield Violation("/spec/mode", {**who, "mode": mode, "count": len(policies), "policies": names, "root": ctx.root_namespace}, fix=fix)
