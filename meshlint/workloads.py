"""Workloads of every API group of the Istio 1.4/1.6 era: Deployments, DaemonSets, StatefulSets
and ReplicaSets in apps/v1, apps/v1beta1, apps/v1beta2 and extensions/v1beta1, Pods, and the pod
templates of Jobs and CronJobs. Every workload rule reads pods through here, so a 1.4-era
``extensions/v1beta1`` Deployment is seen like an ``apps/v1`` one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Resource
from .plain import dict_of

if TYPE_CHECKING:
    from .index import Index

# ``group/Kind`` patterns, as rules declare KINDS
DEPLOYMENTS = ("apps/Deployment", "extensions/Deployment")
WORKLOADS = DEPLOYMENTS + ("apps/StatefulSet", "apps/DaemonSet", "extensions/DaemonSet", "apps/ReplicaSet",
                           "extensions/ReplicaSet", "/Pod", "batch/Job", "batch/CronJob")
# apiVersions that Kubernetes 1.16 stopped serving for these kinds (and with them, the GKE versions
# that run managed Anthos Service Mesh)
REMOVED_VERSIONS = frozenset({"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"})
MOVED_KINDS = frozenset({"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"})


def template_path(res: Resource) -> tuple[str, ...]:
    """JSON Pointer tokens of the pod template (``()`` for a Pod, whose own metadata and spec it is)."""
    if res.kind == "Pod":
        return ()
    if res.kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template")
    return ("spec", "template")


def pod_template(res: Resource) -> dict[str, Any]:
    """The pod template (metadata and spec) of a workload; a Pod itself; ``{}`` when malformed."""
    node: Any = res.body
    for token in template_path(res):
        node = dict_of(node).get(token)
    return dict_of(node)


def pod_spec(res: Resource) -> dict[str, Any]:
    return dict_of(pod_template(res).get("spec"))


def pod_metadata(res: Resource) -> dict[str, Any]:
    return dict_of(pod_template(res).get("metadata"))


def pod_labels(res: Resource) -> dict[str, str]:
    """Labels of the pods a workload runs (its template's labels; a Pod's own labels)."""
    labels = pod_metadata(res).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def named_container_ports(index: Index, namespace: str, selector: dict[str, Any], name: str, kinds: tuple[str, ...]) -> set[int]:
    """The container port numbers named ``name`` in the pod templates of the ``kinds`` workloads of
    ``namespace`` that ``selector`` selects (what a Service's named targetPort reaches). Built once per
    run for each question: every copy of a Service or policy asks it again."""
    def build() -> set[int]:
        numbers: set[int] = set()
        for w in index.workloads_selected(namespace, selector, kinds=kinds):
            containers = dict_of(dict_of(w.spec.get("template")).get("spec")).get("containers")
            for c in containers if isinstance(containers, list) else []:
                ports = c.get("ports") if isinstance(c, dict) else None
                for cp in ports if isinstance(ports, list) else []:
                    if isinstance(cp, dict) and cp.get("name") == name and isinstance(cp.get("containerPort"), int):
                        numbers.add(cp["containerPort"])
        return numbers
    key = f"named container ports {namespace} {kinds!r} {sorted((str(k), str(v)) for k, v in selector.items())!r} {name}"
    found: set[int] = index.memo(key, build)
    return set(found)
