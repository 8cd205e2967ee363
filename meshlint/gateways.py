"""Gateway workloads: recognising them and generating their injection-based replacements."""
from __future__ import annotations

from typing import Any

from .index import pod_labels
from .model import Resource


def _containers(res: Resource) -> list[dict]:
    tmpl = res.spec.get("template")
    spec = tmpl.get("spec") if isinstance(tmpl, dict) else None
    cs = spec.get("containers") if isinstance(spec, dict) else None
    return [c for c in cs if isinstance(c, dict)] if isinstance(cs, list) else []


def is_gateway_deployment(res: Resource) -> bool:
    """A Deployment running an Istio gateway proxy: ``router`` in the proxy args, or a
    proxyv2 image with the ``istio`` gateway label."""
    for c in _containers(res):
        args = [str(a) for a in c.get("args") or []] if isinstance(c.get("args"), list) else []
        if "router" in args and any(a == "proxy" for a in args):
            return True
        if "proxyv2" in str(c.get("image", "")) and "istio" in pod_labels(res) and "gateway" in pod_labels(res).get("istio", ""):
            return True
    return False


def gateway_kind(res: Resource) -> str:
    if res.name == "istio-ingressgateway" and (res.namespace in (None, "istio-system")):
        return "default"
    if res.name == "istio-egressgateway":
        return "egress"
    if res.name == "cluster-local-gateway":
        return "knative"
    return "custom"


def replacement_manifests(res: Resource, revision: str = "asm-managed") -> list[dict[str, Any]]:
    """An injection-based gateway (image ``auto``, gateway injection template) with its Service,
    ServiceAccount, Role and RoleBinding, keeping the labels Gateway selectors rely on."""
    name = res.name or "gateway"
    ns = res.namespace or "default"
    labels = {k: v for k, v in pod_labels(res).items() if not k.startswith(("pod-template-hash", "service.istio.io", "security.istio.io"))}
    labels.setdefault("istio", name.removeprefix("istio-"))
    template_labels = {**labels, "istio.io/rev": revision, "sidecar.istio.io/inject": "true"}
    ports = []
    for c in _containers(res):
        for p in c.get("ports") or []:
            if isinstance(p, dict) and isinstance(p.get("containerPort"), int) and p["containerPort"] not in (15090, 15020, 15021):
                ports.append(p["containerPort"])
    service_ports = [{"name": f"port-{p}", "port": p, "targetPort": p} for p in sorted(set(ports))] or [{"name": "http2", "port": 80, "targetPort": 8080}]
    replicas = res.spec.get("replicas", 1) if isinstance(res.spec.get("replicas"), int) else 1
    sa = f"{name}-service-account"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns, "labels": labels},
         "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"annotations": {"inject.istio.io/templates": "gateway"}, "labels": template_labels},
                               "spec": {"serviceAccountName": sa, "containers": [{"name": "istio-proxy", "image": "auto"}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": labels},
         "spec": {"type": "LoadBalancer", "selector": labels, "ports": service_ports}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": f"{name}-sds", "namespace": ns},
         "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": f"{name}-sds", "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{name}-sds"},
         "subjects": [{"kind": "ServiceAccount", "name": sa}]},
    ]
