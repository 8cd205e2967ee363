"""ML710: gateway Deployments other than the default ingress gateway, with replacement manifests
(except Knative's cluster-local-gateway: Knative's own instructions move it)."""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import ExtraFile, Fix
from ..gateways import gateway_kind, is_gateway_deployment, replacement
from ..generated import ROOT
from ..index import RuleContext
from ..model import Resource, Violation
from ..workloads import DEPLOYMENTS

CODE = "ML710"
KINDS = DEPLOYMENTS
READS = ("/Service", "/ServiceAccount", "autoscaling/HorizontalPodAutoscaler")


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if not is_gateway_deployment(res):
        return
    kind = gateway_kind(res)
    if kind == "default":
        return
    ns = ctx.index.ns(res)
    params = {"name": res.name, "namespace": ns}
    if kind == "knative":
        yield Violation("/metadata/name", params, message=kind)  # the same advice in check and convert: no replacement
        return
    name = f"gateways/{ns}-{res.name or 'gateway'}.yaml"
    objects, note = replacement(res, ctx.index)
    fix = Fix(f"generate an injection-based replacement for gateway {ns}/{res.name}", (ExtraFile(name, tuple(objects), note=note),))
    yield Violation("/metadata/name", {**params, "file": f"{ROOT}/{name}"}, message=kind, fix=fix)
