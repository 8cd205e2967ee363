"""ML401: a ServiceRoleBinding is folded into its role's AuthorizationPolicies, or why not."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, ReplaceResource
from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..rbac.convert import plan_role
from .rbac_role_conversion import config_refusal, effective_enforcement, notes_of

CODE = "ML401"
KINDS = ("rbac.istio.io/ServiceRoleBinding",)
READS = ("rbac.istio.io/ServiceRole", "rbac.istio.io/ServiceRoleBinding", "rbac.istio.io/ClusterRbacConfig", "rbac.istio.io/RbacConfig", "/Service")

# what the conversion plan noticed on a ServiceRoleBinding (rbac.convert.Note.kind) -> the message key and severity of its finding
NOTES = {
    "subject_matches_nobody": ("subject_matches_nobody", Severity.WARNING),
    "binding_dry_run": ("binding_dry_run", Severity.WARNING),
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    ref = res.spec.get("roleRef")
    name = ref.get("name") if isinstance(ref, dict) else None
    if not isinstance(name, str):
        yield Violation("/spec", {"name": res.name}, message="no_role_ref", severity=Severity.ERROR)
        return
    role = ctx.index.get("ServiceRole", ctx.index.ns(res), name, group="rbac.istio.io")
    if role is None:
        yield Violation("/spec/roleRef/name", {"name": res.name, "role": name, "namespace": ctx.index.ns(res)}, message="role_missing", severity=Severity.ERROR)
        return
    enf = effective_enforcement(ctx)
    if enf is None or enf.mode == "OFF" or config_refusal(res, ctx) is not None:
        return  # ML400 on the role says why nothing is converted
    plan = plan_role(role, ctx.index, enf)
    own = [r for r in plan.refusals if r.resource is res]
    for r in own:
        yield Violation(r.path, {"name": res.name, "reason": r.reason}, message="refused", severity=Severity.ERROR)
    if not plan.refusals:
        yield from notes_of(plan, res, NOTES)
        fix = Fix(f"remove ServiceRoleBinding {res.name}: its subjects are now sources of ServiceRole {name}'s AuthorizationPolicies", (ReplaceResource(()),))
        yield Violation("/kind", {"name": res.name, "role": name}, fix=fix)
