"""ML701: workloads that mount the plugin CA Secret cacerts."""
from __future__ import annotations

from typing import Iterator

from ..model import Resource, Violation, pointer

CODE = "ML701"
KINDS = ("apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "/Pod")
READS = ()


def check(res: Resource, ctx) -> Iterator[Violation]:
    pod = res.spec if res.kind == "Pod" else ((res.spec.get("template") or {}).get("spec") if isinstance(res.spec.get("template"), dict) else None)
    base = ("spec",) if res.kind == "Pod" else ("spec", "template", "spec")
    if not isinstance(pod, dict):
        return
    for i, vol in enumerate(pod.get("volumes") or []):
        secret = vol.get("secret") if isinstance(vol, dict) else None
        if isinstance(secret, dict) and secret.get("secretName") == "cacerts":
            yield Violation(pointer(*base, "volumes", i, "secret", "secretName"), {"kind": res.kind, "name": res.name or "?", "volume": vol.get("name", "?")})
