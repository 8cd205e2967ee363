"""ML101: Deployments, DaemonSets, StatefulSets and ReplicaSets in extensions/v1beta1,
apps/v1beta1 or apps/v1beta2, which Kubernetes 1.16 stopped serving.

Converted to apps/v1 where that is mechanical: ``spec.selector`` (required in apps/v1, defaulted
from the template's labels before) is written from the template's labels, and a DaemonSet or
StatefulSet whose old version defaulted to ``OnDelete`` updates keeps them explicitly.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..fixes import Fix, SetValue
from ..index import RuleContext
from ..model import Resource, Violation
from ..workloads import MOVED_KINDS, REMOVED_VERSIONS, pod_labels, pod_metadata

CODE = "ML101"
KINDS = ("extensions/Deployment", "extensions/DaemonSet", "extensions/ReplicaSet",
         "apps/Deployment", "apps/DaemonSet", "apps/StatefulSet", "apps/ReplicaSet")
READS = ()

# kind and old apiVersion whose default update strategy was OnDelete (apps/v1: RollingUpdate)
_ON_DELETE = {("DaemonSet", "extensions/v1beta1"), ("StatefulSet", "apps/v1beta1")}
# fields that apps/v1 no longer has: a conversion would drop what they say
_GONE = {"Deployment": ("rollbackTo",), "DaemonSet": ("templateGeneration",)}


def _not_mechanical(res: Resource, labels: dict[str, str]) -> str | None:
    spec = res.spec
    for key in _GONE.get(res.kind or "", ()):
        if key in spec:
            return f"spec.{key} has no apps/v1 equivalent"
    selector = spec.get("selector")
    if selector is None:
        return None if labels else "the pod template has no labels to select on"
    if not isinstance(selector, dict):
        return "spec.selector is not a mapping"
    match = selector.get("matchLabels") or {}
    if not isinstance(match, dict) or any(labels.get(str(k)) != str(v) for k, v in match.items()):
        return "spec.selector does not match the pod template's labels (apps/v1 requires it)"
    return None


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if res.api_version not in REMOVED_VERSIONS or res.kind not in MOVED_KINDS:
        return
    params = {"kind": res.kind, "name": res.name or "?", "apiVersion": res.api_version}
    labels = pod_labels(res)
    why = _not_mechanical(res, labels)
    if why is not None:
        yield Violation("/apiVersion", {**params, "reason": why}, message="manual")
        return
    ops = [SetValue("/apiVersion", "apps/v1")]
    if res.spec.get("selector") is None:
        ops.append(SetValue("/spec/selector", {"matchLabels": dict(pod_metadata(res)["labels"])}))  # the values as written
    if (res.kind, res.api_version) in _ON_DELETE and "updateStrategy" not in res.spec:
        ops.append(SetValue("/spec/updateStrategy", {"type": "OnDelete"}))
    yield Violation("/apiVersion", params, fix=Fix(f"move {res.kind} {res.name or '?'} from {res.api_version} to apps/v1", tuple(ops)))
