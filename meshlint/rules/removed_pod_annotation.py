"""ML722: pod annotations that modern Istio no longer reads."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation, pointer
from ..workloads import WORKLOADS, pod_metadata, template_path

CODE = "ML722"
KINDS = WORKLOADS
READS = ()

REMOVED = {
    "policy.istio.io/check": "Mixer policy checks (Mixer was removed in 1.8)",
    "policy.istio.io/checkRetries": "Mixer policy check retries (Mixer was removed in 1.8)",
    "policy.istio.io/checkBaseRetryWaitTime": "Mixer policy check retries (Mixer was removed in 1.8)",
    "policy.istio.io/checkMaxRetryWaitTime": "Mixer policy check retries (Mixer was removed in 1.8)",
    "policy.istio.io/lang": "the Mixer expression language (Mixer was removed in 1.8)",
    "sidecar.istio.io/controlPlaneAuthPolicy": "per-pod control-plane mTLS (the control plane connection is always secured now)",
    "security.istio.io/autoMTLS": "per-pod auto mTLS (auto mTLS is a mesh-wide setting)",
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    raw = pod_metadata(res).get("annotations")
    annotations = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    base = (*template_path(res), "metadata", "annotations")
    for key in annotations:
        if key in REMOVED:
            yield Violation(pointer(*base, key), {"annotation": key, "what": REMOVED[key]})
