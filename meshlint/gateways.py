"""Gateway workloads: recognising them and generating their injection-based replacements.

A replacement runs next to the old gateway (a canary, as Istio's gateway upgrade does): a new
Deployment ``<name>-<revision>`` with the old gateway's pod labels (so Gateway selectors and the
Service select it too), replicas or its HorizontalPodAutoscaler, resources, affinity, tolerations,
node selector, priority class, spread constraints and service account; its Services copied as they
are (type, every port with its name, number, targetPort and nodePort, annotations such as an
internal load balancer's, loadBalancerIP, loadBalancerSourceRanges, externalTrafficPolicy, labels);
its ServiceAccount; a Role and RoleBinding to read the gateway's TLS secrets. Once the new pods
serve, the old Deployment is deleted. Copies drop what the API server assigns (clusterIP) and the
GKE add-on manager's label (which would make the manager delete or revert them).
"""
from __future__ import annotations

import copy
from typing import Any

from .annotations import GENERATED_FROM
from .index import Index
from .model import Resource
from .workloads import pod_labels

REVISION = "asm-managed"
MANAGER_LABELS = ("addonmanager.kubernetes.io/mode",)
SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")
# pod labels of one pod, one rollout or one control plane, not of the gateway
_POD_ONLY = ("pod-template-hash", "controller-revision-hash", "service.istio.io/canonical-name", "service.istio.io/canonical-revision",
             "security.istio.io/tlsMode", "istio.io/rev", "sidecar.istio.io/inject")
_POD_SPEC_KEPT = ("affinity", "tolerations", "nodeSelector", "priorityClassName", "topologySpreadConstraints", "imagePullSecrets")
_SERVICE_ASSIGNED = ("clusterIP", "clusterIPs")  # the API server picks them: a copy must not claim them


def _containers(res: Resource) -> list[dict[str, Any]]:
    tmpl = res.spec.get("template")
    spec = tmpl.get("spec") if isinstance(tmpl, dict) else None
    cs = spec.get("containers") if isinstance(spec, dict) else None
    return [c for c in cs if isinstance(c, dict)] if isinstance(cs, list) else []


def _pod_spec(res: Resource) -> dict[str, Any]:
    tmpl = res.spec.get("template")
    spec = tmpl.get("spec") if isinstance(tmpl, dict) else None
    return spec if isinstance(spec, dict) else {}


def _is_proxy(c: dict[str, Any]) -> bool:
    args = [str(a) for a in c.get("args") or []] if isinstance(c.get("args"), list) else []
    return ("router" in args and "proxy" in args) or "proxyv2" in str(c.get("image", ""))


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


def services_of(res: Resource, index: Index) -> list[Resource]:
    """The Services among the inputs that select the gateway's pods (a list built once per namespace
    and pod labels: every copy of the gateway asks the same; callers do not change it)."""
    labels = pod_labels(res)
    ns = index.ns(res)

    def build() -> list[Resource]:
        out: list[Resource] = []
        for svc in index.of_kind("Service", ns):
            sel = svc.spec.get("selector")
            if isinstance(sel, dict) and sel and all(labels.get(str(k)) == str(v) for k, v in sel.items()):
                out.append(svc)
        return out
    found: list[Resource] = index.memo(f"gateway services {ns} {sorted(labels.items())!r}", build)
    return found


def autoscaler_of(res: Resource, index: Index) -> Resource | None:
    for hpa in index.of_kind("HorizontalPodAutoscaler", index.ns(res)):
        ref = hpa.spec.get("scaleTargetRef")
        if isinstance(ref, dict) and ref.get("kind") == "Deployment" and ref.get("name") == res.name:
            return hpa
    return None


def _metadata(source: dict[str, Any], name: str, ns: str | None, provenance: str) -> dict[str, Any]:
    """``ns`` None: the object names no namespace, as its original (applied with -n or a kustomization)."""
    md: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {})}
    labels = source.get("labels")
    if isinstance(labels, dict):
        kept = {k: copy.deepcopy(v) for k, v in labels.items() if k not in MANAGER_LABELS}
        if kept:
            md["labels"] = kept
    annotations = source.get("annotations")
    kept = {k: copy.deepcopy(v) for k, v in annotations.items() if k not in SERVER_ANNOTATIONS} if isinstance(annotations, dict) else {}
    md["annotations"] = {**kept, GENERATED_FROM: provenance}
    return md


def _service_copy(svc: Resource, ns: str | None, provenance: str) -> dict[str, Any]:
    spec = {k: copy.deepcopy(v) for k, v in svc.spec.items() if k not in _SERVICE_ASSIGNED}
    return {"apiVersion": svc.api_version or "v1", "kind": "Service", "metadata": _metadata(svc.metadata, svc.name or "gateway", ns, provenance), "spec": spec}


def _target(value: Any, average: bool) -> dict[str, Any]:
    return {"type": "AverageValue", "averageValue": value} if average else {"type": "Value", "value": value}


def _metric_v2(m: Any) -> Any:
    """An autoscaling/v2beta1 metric in the autoscaling/v2 form (v2beta2 metrics already are)."""
    if not isinstance(m, dict):
        return m
    kind = m.get("type")
    body = m.get(str(kind)[:1].lower() + str(kind)[1:]) if isinstance(kind, str) else None
    if not isinstance(body, dict) or "target" in body and kind != "Object" or "metric" in body:
        return copy.deepcopy(m)  # already v2 (or not a metric meshlint knows): kept as it is
    if kind == "Resource":
        if "targetAverageUtilization" in body:
            target = {"type": "Utilization", "averageUtilization": body["targetAverageUtilization"]}
        else:
            target = _target(body.get("targetAverageValue"), True)
        return {"type": "Resource", "resource": {"name": body.get("name"), "target": target}}
    metric = {"name": body.get("metricName")}
    selector = body.get("selector") if kind != "External" else body.get("metricSelector")
    if selector is not None:
        metric["selector"] = copy.deepcopy(selector)
    if kind == "Pods":
        return {"type": "Pods", "pods": {"metric": metric, "target": _target(body.get("targetAverageValue"), True)}}
    if kind == "Object":
        average = "averageValue" in body
        return {"type": "Object", "object": {"describedObject": copy.deepcopy(body.get("target")), "metric": metric,
                                             "target": _target(body["averageValue"] if average else body.get("targetValue"), average)}}
    if kind == "External":
        average = "targetAverageValue" in body
        return {"type": "External", "external": {"metric": metric, "target": _target(body["targetAverageValue"] if average else body.get("targetValue"), average)}}
    return copy.deepcopy(m)


def _autoscaler(hpa: Resource, target: str, ns: str | None, provenance: str) -> dict[str, Any]:
    """The gateway's HorizontalPodAutoscaler, for the new Deployment, as autoscaling/v2 (v2beta1 and
    v2beta2 are gone from current Kubernetes)."""
    spec: dict[str, Any] = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}}
    for key in ("minReplicas", "maxReplicas"):
        if key in hpa.spec:
            spec[key] = copy.deepcopy(hpa.spec[key])
    if "targetCPUUtilizationPercentage" in hpa.spec:  # autoscaling/v1
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": hpa.spec["targetCPUUtilizationPercentage"]}}}]
    elif isinstance(hpa.spec.get("metrics"), list):
        spec["metrics"] = [_metric_v2(m) for m in hpa.spec["metrics"]]
    if "behavior" in hpa.spec:
        spec["behavior"] = copy.deepcopy(hpa.spec["behavior"])
    md = _metadata(hpa.metadata, target, ns, provenance)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": md, "spec": spec}


def _ports(svc: dict[str, Any]) -> str:
    ports = svc["spec"].get("ports") if isinstance(svc["spec"].get("ports"), list) else []
    shown = []
    for p in ports:
        if isinstance(p, dict):
            target = f"->{p['targetPort']}" if "targetPort" in p and p["targetPort"] != p.get("port") else ""
            shown.append(f"{p.get('name', '?')} {p.get('port', '?')}{target}")
    return ", ".join(shown) or "no ports"


def _namespace_note(res: Resource, index: Index | None, ns: str) -> str:

    origin = index.ns_origin(res) if index is not None else None
    how = ("no namespace is given for it, so default is assumed" if origin in (None, "assumed")
           else f"it is applied in {ns} by {origin}")
    return (f"Deployment {res.name} names no namespace ({how}): neither do these objects, so apply them the same way "
            f"(kubectl apply -n {ns} -f <this file>, or list the file in that kustomization).\n")


def _copies(services: list[Resource], ns: str, provenance: str) -> tuple[list[dict[str, Any]], str]:
    """The replacement's copies of the gateway's Services, and the note's lines about them."""
    copies = [_service_copy(s, ns if s.namespace else None, provenance) for s in services]
    if copies:
        serving = "".join(f"\nService {ns}/{s['metadata']['name']} is copied as it is (type {s['spec'].get('type', 'ClusterIP')}; {_ports(s)}): "
                          "its selector picks the old and the new pods alike, so traffic moves as the new pods become ready." for s in copies)
    else:
        serving = ("\nNo Service selecting these pods is among the inputs: the one in the cluster keeps selecting the new pods "
                   "(they carry the same labels), so none is generated.")
    return copies, serving


def _new_selector(res: Resource, labels: dict[str, str], revision: str) -> dict[str, Any]:
    """The replacement Deployment's selector: the old one's labels that its pods carry (else all
    their labels), with the revision; its matchExpressions as they were."""
    sel = res.spec["selector"] if isinstance(res.spec.get("selector"), dict) else {}
    match = sel["matchLabels"] if isinstance(sel.get("matchLabels"), dict) else {}
    match = {str(k): str(v) for k, v in match.items() if labels.get(str(k)) == str(v)} or labels
    selector: dict[str, Any] = {"matchLabels": {**match, "istio.io/rev": revision}}
    if isinstance(sel.get("matchExpressions"), list):
        selector["matchExpressions"] = copy.deepcopy(sel["matchExpressions"])
    return selector


def _new_pod(res: Resource, old_pod: dict[str, Any], sa: str) -> dict[str, Any]:
    """The replacement's pod spec: the service account, what the old pod kept of its placement and
    pull secrets, and one proxy container (image auto) with the old proxy's resources."""
    pod: dict[str, Any] = {"serviceAccountName": sa}
    pod.update({k: copy.deepcopy(old_pod[k]) for k in _POD_SPEC_KEPT if k in old_pod})
    container: dict[str, Any] = {"name": "istio-proxy", "image": "auto"}
    proxy = next((c for c in _containers(res) if _is_proxy(c)), None)
    if proxy is not None and isinstance(proxy.get("resources"), dict):
        container["resources"] = copy.deepcopy(proxy["resources"])
    pod["containers"] = [container]
    return pod


def _service_account(sa: str, index: Index | None, ns: str, written: str | None, provenance: str) -> dict[str, Any]:
    """The replacement's ServiceAccount: the old one's (its token mount and pull secrets) where the
    inputs have it, written where it was."""
    old_sa = index.get("ServiceAccount", ns, sa) if index is not None else None
    account: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": _metadata(old_sa.metadata if old_sa is not None else {}, sa,
                                                     written if old_sa is None else (ns if old_sa.namespace else None), provenance)}
    for key in ("automountServiceAccountToken", "imagePullSecrets"):
        if old_sa is not None and key in old_sa.body:
            account[key] = copy.deepcopy(old_sa.body[key])
    return account


def replacement(res: Resource, index: Index | None, revision: str = REVISION, *, namespace: str | None = None,
                services: list[Resource] | None = None, origin: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """The replacement's objects (ServiceAccount, Deployment, HorizontalPodAutoscaler, Services, Role,
    RoleBinding) and the note that heads its file. Without an index (a gateway an IstioOperator
    renders), ``namespace`` and ``services`` say what the index would; ``origin`` names the original.
    Copies of one gateway Deployment (an export beside its repository, many times) share one
    replacement, built once per run (it is read, never changed): each copy copied every copy of the
    gateway's Services, work and memory growing with the square of the copies."""
    if index is not None and namespace is None and services is None and origin is None:
        key = f"gateway replacement {revision} {index.ns(res)} {index.ns_origin(res)} {res.body!r}"
        made: tuple[list[dict[str, Any]], str] = index.memo(key, lambda: _replacement(res, index, revision))
        return made
    return _replacement(res, index, revision, namespace=namespace, services=services, origin=origin)


def _replacement(res: Resource, index: Index | None, revision: str, *, namespace: str | None = None,
                 services: list[Resource] | None = None, origin: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """:func:`replacement`, built (``replacement`` shares one per run among copies of a gateway)."""
    name = res.name or "gateway"
    if namespace:
        ns = namespace
    else:
        assert index is not None, "without an index, the caller names the namespace"
        ns = index.ns(res)
    # what the objects write: no namespace where the original names none (it is applied with -n or a
    # kustomization, and so is its replacement), else the namespace the original is applied in
    written = namespace or (ns if res.namespace else None)
    new_name = f"{name}-{revision}"
    provenance = origin or f"Deployment {ns}/{name}"
    labels = {k: v for k, v in pod_labels(res).items() if k not in _POD_ONLY}
    selector = _new_selector(res, labels, revision)
    old_pod = _pod_spec(res)
    sa = old_pod.get("serviceAccountName") or old_pod.get("serviceAccount")
    sa = sa if isinstance(sa, str) and sa else new_name
    pod = _new_pod(res, old_pod, sa)
    hpa = autoscaler_of(res, index) if index is not None else None
    spec: dict[str, Any] = {}
    if hpa is None and isinstance(res.spec.get("replicas"), int):
        spec["replicas"] = res.spec["replicas"]
    spec["selector"] = selector
    spec["template"] = {"metadata": {"annotations": {"inject.istio.io/templates": "gateway"},
                                     "labels": {**labels, "istio.io/rev": revision, "sidecar.istio.io/inject": "true"}},
                        "spec": pod}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(res.metadata, new_name, written, provenance), "spec": spec}
    account = _service_account(sa, index, ns, written, provenance)
    if services is None:
        assert index is not None, "without an index, the caller names the services"
        services = services_of(res, index)
    services_out, serving = _copies(services, ns, provenance)
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _metadata({}, new_name, written, provenance),
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": _metadata({}, new_name, written, provenance),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": new_name},
               "subjects": [{"kind": "ServiceAccount", "name": sa}]}
    objects = [account, deployment] + ([_autoscaler(hpa, new_name, ns if hpa.namespace else None, provenance)] if hpa is not None else []) + services_out + [role, binding]
    scale = f"HorizontalPodAutoscaler {ns}/{hpa.name} (copied as {ns}/{new_name})" if hpa is not None else f"{spec.get('replicas', 1)} replica(s)"
    kept = [label for key, label in (("affinity", "affinity"), ("tolerations", "tolerations"), ("nodeSelector", "node selector"),
                                     ("priorityClassName", "priority class"), ("topologySpreadConstraints", "spread constraints"),
                                     ("imagePullSecrets", "image pull secrets")) if key in old_pod]
    items = ["the old gateway's pod labels", scale] + (["the proxy's resources"] if "resources" in pod["containers"][0] else []) + kept
    copied = ", ".join(items) + f" and service account {sa}"
    note = (f"Replacement for {origin or f'gateway Deployment {ns}/{name}'}, generated by meshlint: review it before applying.\n"
            f"Deployment {ns}/{new_name} is an injection-based gateway (image: auto, gateway injection template) for "
            f"control plane revision {revision} (change istio.io/rev if yours differs), with {copied}."
            f"{serving}\n"
            f"{_namespace_note(res, index, ns) if written is None else ''}"
            f"Apply it once the new control plane runs; when the new pods are ready, delete Deployment {ns}/{name}. "
            "If the old gateway came with the Istio on GKE add-on, apply this file again after disabling the add-on, "
            "which deletes the add-on's Services and ServiceAccounts.")
    return objects, note
