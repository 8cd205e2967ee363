"""Objects defined more than once among the inputs (same group, kind, namespace and name).

kubectl keeps the copy applied last, so the inputs' order decides which one counts. Two copies are
*the same apart from server-set fields* when they differ only in what the API server or a manager
adds: an export (``kubectl get -o yaml``) and the repository it came from. That is judged
three ways: equal without the server-set fields; one copy equal to the other's
``last-applied-configuration``; or one copy holding every field of the other plus only fields the
API server fills in (``dnsPolicy: ClusterFirst``, ``type: ClusterIP``, an assigned ``nodePort``...).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .annotations import GENERATED_FROM
from .model import Resource, pointer, split_pointer

CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService",
    "PodSecurityPolicy", "IngressClass", "RuntimeClass", "CSIDriver", "VolumeSnapshotClass", "ClusterIssuer",
    "MeshPolicy", "ClusterRbacConfig",
})
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# set by the API server, a controller or a manager, never by the author of the manifest
_SERVER_SET = (
    "/status", "/metadata/uid", "/metadata/resourceVersion", "/metadata/creationTimestamp", "/metadata/generation",
    "/metadata/managedFields", "/metadata/selfLink", pointer("metadata", "annotations", LAST_APPLIED),
    pointer("metadata", "annotations", "deployment.kubernetes.io/revision"), pointer("metadata", "labels", "addonmanager.kubernetes.io/mode"),
    pointer("metadata", "annotations", GENERATED_FROM), "/metadata/finalizers",
    "/spec/clusterIP", "/spec/clusterIPs", "/secrets",
    "/spec/finalizers", pointer("metadata", "labels", "kubernetes.io/metadata.name"),  # a Namespace's, set by the API server
)
_SERVER_TOKENS = {p: split_pointer(p) for p in _SERVER_SET}
# fields the API server fills in: a copy may have them where the other has none (with this
# value, or with any value for what the server assigns)
_ANY = object()
_DEFAULTS: dict[str, Any] = {
    "type": "ClusterIP", "sessionAffinity": "None", "protocol": "TCP", "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
    "schedulerName": "default-scheduler", "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
    "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10, "terminationGracePeriodSeconds": 30, "internalTrafficPolicy": "Cluster",
    "externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True, "enableServiceLinks": True, "priority": 0,
    "podManagementPolicy": "OrderedReady", "securityContext": {}, "resources": {}, "creationTimestamp": None,
    "nodePort": _ANY, "healthCheckNodePort": _ANY, "targetPort": _ANY, "strategy": _ANY, "imagePullPolicy": _ANY,
    "ipFamilies": _ANY, "ipFamilyPolicy": _ANY, "preemptionPolicy": _ANY, "updateStrategy": _ANY,
}


def identity(res: Resource, default_namespace: str = "default") -> tuple[str, str, str | None, str] | None:
    """(group, kind, namespace, name), in the namespace the object is applied in (a kustomization's,
    ``--namespace``'s: meshlint.namespaces); a cluster-scoped kind has no namespace."""
    if not res.kind or not res.name or res.kind == "List":
        return None
    ns = None if res.kind in CLUSTER_SCOPED else (res.applied_namespace or res.namespace or default_namespace)
    return (res.group, res.kind, ns, res.name)


def groups(resources: Iterable[Resource], default_namespace: str = "default") -> dict[int, list[Resource]]:
    """For every resource defined more than once: id(resource) -> its copies (itself included) that
    are applied along with it, in input order.
    A kustomize patch is no copy, nor are files only different overlays reach (meshlint.kustomize_layout)."""
    by_identity: dict[tuple[str, str, str | None, str], list[Resource]] = {}
    for res in resources:
        key = identity(res, default_namespace)
        if key is not None:
            by_identity.setdefault(key, []).append(res)
    several = [copies for copies in by_identity.values() if len(copies) > 1]
    if not several:
        return {}
    from .kustomize_layout import layout

    lay = layout(sorted({r.file for copies in several for r in copies}))
    out: dict[int, list[Resource]] = {}
    for copies in several:
        copies = [r for r in copies if not lay.is_patch(r.file)]
        reach = [lay.reach(r.file) for r in copies]
        if not any(reach):  # no overlays: every copy is applied with every other (one shared list)
            out.update({id(r): copies for r in copies} if len(copies) > 1 else {})
            continue
        for value in dict.fromkeys(reach):  # the copies applied along with these: all but those in another overlay
            mates = [o for o, rr in zip(copies, reach) if value is None or rr is None or value & rr]
            if len(mates) > 1:
                out.update({id(o): mates for o, rr in zip(copies, reach) if rr == value})
    return out


def kept(copies: list[Resource]) -> Resource:
    """The copy kubectl keeps: the one applied last."""
    return copies[-1]


def _without(body: Any, pointers: Iterable[str]) -> Any:
    out = json.loads(json.dumps(body, default=str))
    for ptr in pointers:
        tokens = _SERVER_TOKENS.get(ptr) or split_pointer(ptr)
        node = out
        for t in tokens[:-1]:
            node = node.get(t) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(tokens[-1], None)
            if not node and len(tokens) > 1:  # an emptied labels/annotations mapping says nothing
                parent = out
                for t in tokens[:-2]:
                    parent = parent.get(t) if isinstance(parent, dict) else None
                if isinstance(parent, dict) and parent.get(tokens[-2]) == {}:
                    parent.pop(tokens[-2])
    return out


def _covers(rich: Any, sparse: Any) -> bool:
    """``rich`` holds everything ``sparse`` says, plus only server defaults."""
    if isinstance(rich, dict) and isinstance(sparse, dict):
        for k, v in rich.items():
            if k in sparse:
                if not _covers(v, sparse[k]):
                    return False
            elif k not in _DEFAULTS or (_DEFAULTS[k] is not _ANY and _DEFAULTS[k] != v):
                return False
        return all(k in rich for k in sparse)
    if isinstance(rich, list) and isinstance(sparse, list):
        return len(rich) == len(sparse) and all(_covers(a, b) for a, b in zip(rich, sparse))
    return bool(rich == sparse)


def _metadata_covers(rich: dict[str, Any], sparse: dict[str, Any]) -> bool:
    rm, sm = rich.get("metadata") or {}, sparse.get("metadata") or {}
    if not isinstance(rm, dict) or not isinstance(sm, dict):
        return rm == sm
    extra = set(rm) - set(sm)
    return extra <= {"namespace"} and all(rm.get(k) == v for k, v in sm.items())


def without_server_fields(res: Resource) -> Any:
    """A copy of the object's data without the server-set fields (what copies are compared on)."""
    return _without(res.body, _SERVER_SET)


def same_apart_from_server_fields(a: Resource, b: Resource, b_without: Any = None) -> bool:
    """``b_without``: ``without_server_fields(b)`` when the caller already has it (every copy of an
    object is compared with the one kubectl keeps)."""
    if a.body == b.body:
        return True  # equal data is equal without the server-set fields too (no copies made)
    ca = without_server_fields(a)
    cb = without_server_fields(b) if b_without is None else b_without
    if ca == cb:
        return True
    for x, other in ((a, cb), (b, ca)):
        applied = x.annotations.get(LAST_APPLIED)
        if applied:
            try:
                if _without(json.loads(applied), _SERVER_SET) == other:
                    return True
            except ValueError:
                pass
    for rich, sparse in ((ca, cb), (cb, ca)):
        if _metadata_covers(rich, sparse) and _covers({k: v for k, v in rich.items() if k != "metadata"},
                                                      {k: v for k, v in sparse.items() if k != "metadata"}):
            return True
    return False


def location(res: Resource) -> str:
    """``file:line`` of a resource, for a message that names another copy (the one place a rule
    needs a line it does not report at)."""
    line, _ = res.locate("/metadata/name")
    return f"{res.file}:{line}"
