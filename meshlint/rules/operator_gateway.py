"""ML734: gateways declared in an IstioOperator, with injection-based replacements."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..fixes import ExtraFile, Fix
from ..gateways import replacement
from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..operator import Gateway, gateways, workload

CODE = "ML734"
KINDS = ("install.istio.io/IstioOperator",)
READS = ()


def _ports(g: Gateway) -> str:
    ports = [p for p in g.service.get("ports") or [] if isinstance(p, dict)]
    return ", ".join(f"{p.get('name', '?')} {p.get('port', '?')}" for p in ports) or "the operator's defaults"


def replacements(g: Gateway, res: Resource) -> tuple[list[dict[str, Any]], str]:
    """Injection-based replacements for the gateway the operator rendered, made as a gateway
    Deployment's are (meshlint.gateways), with the Service as the IstioOperator declared it
    (type, ports, annotations)."""
    deployment, service = workload(g)
    where = lambda ptr: (1, 1)  # rendered objects have no place in a file
    dep = Resource(deployment, res.file, res.doc_index, res.item_index, where)
    svc = Resource(service, res.file, res.doc_index, res.item_index, where)
    return replacement(dep, None, namespace=g.namespace, services=[svc],
                       origin=f"gateway {g.namespace}/{g.name} declared in IstioOperator {res.namespace or 'istio-system'}/{res.name}")


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for g in gateways(res):
        params = {"operator": res.name or "?", "direction": g.direction, "name": g.name, "namespace": g.namespace,
                  "internal": " (an internal load balancer)" if g.internal else "",
                  "labels": ", ".join(f"{k}={v}" for k, v in g.labels.items()), "type": g.service.get("type") or ("LoadBalancer" if g.direction == "ingress" else "ClusterIP"),
                  "ports": _ports(g), "annotations": "; service annotations " + ", ".join(f"{k}: {v}" for k, v in g.annotations.items()) if g.annotations else ""}
        if g.default:
            yield Violation(g.path, params, message="default_ingress", severity=Severity.INFO)
            continue
        objects, note = replacements(g, res)
        fix = Fix(f"generate injection-based replacement manifests for gateway {g.namespace}/{g.name}",
                  (ExtraFile(f"gateways/{g.namespace}-{g.name}.yaml", tuple(objects), note=note),))
        yield Violation(g.path, params, fix=fix)
