"""ML011: a kind that does not exist in an Istio API group (usually a typo)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation
from ..spellings import did_you_mean

CODE = "ML011"
KINDS = ("networking.istio.io/*", "security.istio.io/*", "telemetry.istio.io/*", "extensions.istio.io/*", "authentication.istio.io/*", "rbac.istio.io/*", "install.istio.io/*")
READS = ()

KNOWN = {
    "networking.istio.io": ("VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar", "EnvoyFilter", "WorkloadEntry", "WorkloadGroup", "ProxyConfig"),
    "security.istio.io": ("AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"),
    "telemetry.istio.io": ("Telemetry",),
    "extensions.istio.io": ("WasmPlugin", "TrafficExtension"),
    "authentication.istio.io": ("Policy", "MeshPolicy"),
    "rbac.istio.io": ("ServiceRole", "ServiceRoleBinding", "ClusterRbacConfig", "RbacConfig", "AuthorizationPolicy"),
    "install.istio.io": ("IstioOperator",),
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    known = KNOWN.get(res.group, ())
    if res.kind in known:
        return
    assert res.kind is not None  # KINDS matched it
    hint = did_you_mean(res.kind, known, ignore_case=True) or f" Known kinds: {', '.join(known)}."
    yield Violation("/kind", {"kind": res.kind, "group": res.group, "hint": hint})
