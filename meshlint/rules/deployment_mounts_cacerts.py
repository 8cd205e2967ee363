"""ML701: workloads that mount the plugin CA Secret cacerts."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation, pointer
from ..workloads import WORKLOADS, pod_spec, template_path

CODE = "ML701"
KINDS = WORKLOADS
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    volumes = pod_spec(res).get("volumes")
    for i, vol in enumerate(volumes if isinstance(volumes, list) else []):
        secret = vol.get("secret") if isinstance(vol, dict) else None
        if isinstance(secret, dict) and secret.get("secretName") == "cacerts":
            yield Violation(pointer(*template_path(res), "spec", "volumes", i, "secret", "secretName"), {"kind": res.kind, "name": res.name or "?", "volume": vol.get("name", "?")})
