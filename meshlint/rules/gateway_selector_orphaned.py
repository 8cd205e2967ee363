"""ML711: a Gateway whose selector matches no gateway workload among the inputs."""
from __future__ import annotations

from collections.abc import Iterator

from ..gateways import is_gateway_deployment
from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML711"
KINDS = ("networking.istio.io/Gateway",)
READS = ("apps/Deployment",)


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    selector = res.spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return
    # once per run, not once per Gateway: an export holds thousands of Deployments
    gateways: set[int] = ctx.index.memo(
        "gateway deployments", lambda: {id(d) for d in ctx.index.of_kind("Deployment") if is_gateway_deployment(d)})
    if not gateways:
        return  # the inputs hold no gateway workloads at all (a config-only repository): nothing to compare with
    # without PILOT_SCOPE_GATEWAY_TO_NAMESPACE a Gateway selects gateway pods in every namespace
    if not any(id(d) in gateways for d in ctx.index.workloads_selected(None, selector, kinds=("Deployment",))):
        yield Violation("/spec/selector", {"selector": ", ".join(f"{k}={v}" for k, v in selector.items()), "name": res.name or "?"})
