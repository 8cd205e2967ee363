"""ML720: namespaces injected with the 1.4 label istio-injection=enabled (relabel to istio.io/rev)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML720"
KINDS = ("/Namespace",)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    labels = res.labels
    if labels.get("istio-injection") == "enabled" and "istio.io/rev" not in labels:
        yield Violation("/metadata/labels/istio-injection", {"ns": res.name or "?"})
