"""ML400: a ServiceRole (with its bindings) → AuthorizationPolicies, or why not."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..duplicates import location
from ..fixes import Fix, ReplaceResource
from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..rbac.convert import Enforcement, RolePlan, assumed_deny_all, assumed_enforcement, enforcement, plan_role, rejected_config, rival_configs

CODE = "ML400"
KINDS = ("rbac.istio.io/ServiceRole",)
READS = ("rbac.istio.io/ServiceRole", "rbac.istio.io/ServiceRoleBinding", "rbac.istio.io/ClusterRbacConfig", "rbac.istio.io/RbacConfig", "/Service")


def effective_enforcement(ctx: RuleContext) -> Enforcement | None:
    enf = enforcement(ctx.index)
    if enf.mode is None:
        return assumed_enforcement(ctx.index) if ctx.settings.assume_rbac_on else None
    return enf


def config_refusal(res: Resource, ctx: RuleContext) -> Violation | None:
    """ML400-ML402 refuse every RBAC conversion when the inputs hold RBAC configs that differ, or when
    1.4 could not read the config: which one the cluster held decides every conversion, and it
    cannot be told (``rival_configs``, ``rejected_config``)."""
    rivals = rival_configs(ctx.index)
    if rivals:
        configs = ", ".join(f"{c.kind} {c.name} at {location(c)}" for c in rivals)
        return Violation("/kind", {"kind": res.kind, "name": res.name or "?", "configs": configs}, message="rival_configs", severity=Severity.ERROR)
    unread = rejected_config(ctx.index)
    if unread is None or unread[0] is res:
        return None  # (ML402 refuses the config itself, at the value 1.4 could not read)
    cfg, why = unread
    reason = f"{cfg.kind} {cfg.name} at {location(cfg)} decides where RBAC was enforced, and {why}: whether 1.4 enforced this role cannot be told"
    return Violation("/kind", {"kind": res.kind, "name": res.name or "?", "reason": reason}, message="refused", severity=Severity.ERROR)


# what the conversion plan noticed on a ServiceRole (rbac.convert.Note.kind) -> the message key and severity of its finding
NOTES = {
    "duplicate_constraint": ("duplicate_constraint", Severity.WARNING),
    "ignored_constraint": ("ignored_constraint", Severity.WARNING),
    "not_hostname": ("not_hostname", Severity.WARNING),
    "impossible_rule": ("impossible_rule", Severity.WARNING),
}


def notes_of(plan: RolePlan, res: Resource, notes: dict[str, tuple[str, Severity]]) -> Iterator[Violation]:
    """The plan's notes about ``res``: what converts exactly but behaves as 1.4 did, not as written;
    ``notes`` (the reporting rule's) gives each its message key and severity."""
    for n in plan.notes:
        if n.resource is res:
            key, severity = notes[n.kind]
            yield Violation(n.path, {"kind": res.kind, "name": res.name or "?", **dict(n.params)}, message=key, severity=severity)


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    refusal = config_refusal(res, ctx)
    if refusal is not None:
        yield refusal
        return
    enf = effective_enforcement(ctx)
    if enf is None:
        yield Violation("/kind", {"name": res.name}, message="no_config", severity=Severity.WARNING)
        return
    if enf.mode == "OFF":
        yield Violation("/kind", {"name": res.name}, message="rbac_off", severity=Severity.INFO)
        return
    plan = plan_role(res, ctx.index, enf)
    own = [r for r in plan.refusals if r.resource is res]
    if own:
        for r in own:
            yield Violation(r.path, {"name": res.name, "reason": r.reason}, message="refused", severity=Severity.ERROR)
        return
    if plan.refusals:
        others = sorted({f"{r.resource.kind} {r.resource.name}" for r in plan.refusals})
        yield Violation("/metadata/name", {"name": res.name, "others": ", ".join(others)}, message="refused_binding", severity=Severity.ERROR)
        return
    yield from notes_of(plan, res, NOTES)
    skipped = f" Not converted because 1.4 did not enforce RBAC there: {', '.join(sorted(set(plan.not_enforced)))}." if plan.not_enforced else ""
    assumed = ""
    extra: list[dict[str, Any]] = []
    if enforcement(ctx.index).mode is None:
        extra = assumed_deny_all(res, ctx.index)
        assumed = " Converted as if RBAC was enforced in this namespace (--assume-rbac-on)" + (", with an allow-nothing policy for the namespace." if extra else ".")
    if not plan.bindings:
        fix = Fix(f"remove ServiceRole {res.name}: no binding uses it" + (" (the namespace's allow-nothing policy takes its place)" if extra else ""), (ReplaceResource(tuple(extra)),))
        yield Violation("/kind", {"name": res.name}, message="unbound", fix=fix)
        return
    objects = tuple(extra + plan.policies)
    n = len(objects)
    fix = Fix(f"replace ServiceRole {res.name} and its bindings with {n} AuthorizationPolicy object(s)", (ReplaceResource(objects),))
    yield Violation("/kind", {"name": res.name, "count": n, "bindings": ", ".join(b.name or "?" for b in plan.bindings), "skipped": skipped + assumed}, fix=fix)
