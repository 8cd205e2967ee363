"""Istio's own installation among the inputs: the control plane, its Mixer defaults, its
gateways and CRDs, as the Istio-on-GKE add-on, Helm or istioctl installed them. A managed
control plane replaces all of it, so the report shows it as one item instead of a finding for
every object in it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..model import Resource
from ..operator import is_addon, is_operator

_CONTROL_PLANE = {"istiod", "istio-pilot", "istio-policy", "istio-telemetry", "istio-citadel", "istio-galley",
                  "istio-sidecar-injector", "istio-nodeagent", "istio-tracing", "prometheus", "grafana", "kiali", "istiocoredns"}


def flavour(res: Resource) -> str | None:
    """How ``res`` came to be part of Istio's installation, or None if it is not."""
    labels = res.labels
    if is_operator(res):
        return "Istio-on-GKE add-on" if is_addon(res) else "IstioOperator"
    if "operator.istio.io/component" in labels or "install.operator.istio.io/owning-resource" in labels:
        return "istioctl / operator"
    if labels.get("addonmanager.kubernetes.io/mode") and (res.namespace in (None, "istio-system") or res.kind == "Namespace" and res.name == "istio-system"):
        return "Istio-on-GKE add-on"
    if labels.get("release") == "istio" and (labels.get("heritage") in ("Tiller", "Helm") or "chart" in labels):
        return "Helm chart"
    if res.kind == "CustomResourceDefinition" and str(res.spec.get("group") or "").endswith("istio.io"):
        return "Helm chart"
    return None


def category(res: Resource) -> str:
    if res.group == "config.istio.io":
        return "Mixer configuration"
    if res.kind == "CustomResourceDefinition":
        return "CRDs"
    if res.kind == "IstioOperator":
        return "IstioOperator resources"
    name = res.name or ""
    if "gateway" in name:
        return "gateways"
    if res.kind in ("Deployment", "DaemonSet", "StatefulSet", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget") and (
            name in _CONTROL_PLANE or name.startswith("istiod-")):
        return "control plane"
    return "other objects"


def detect(resources: Iterable[Resource]) -> tuple[list[Resource], dict[str, Any] | None]:
    """The installation's objects, and its summary (None when the inputs hold no installation)."""
    members = [r for r in resources if flavour(r) is not None]
    if not members:
        return [], None
    flavours = Counter(flavour(r) for r in members)
    cats = Counter(category(r) for r in members)
    files = sorted({r.file for r in members})
    return members, {
        "flavours": dict(sorted(flavours.items())),
        "objects": len(members),
        "by_category": dict(sorted(cats.items())),
        "files": files,
    }
