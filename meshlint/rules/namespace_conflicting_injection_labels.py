"""ML721: both istio-injection and istio.io/rev on one namespace: injection fails."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation, pointer

CODE = "ML721"
KINDS = ("/Namespace",)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    labels = res.labels
    if "istio-injection" in labels and "istio.io/rev" in labels:
        yield Violation(pointer("metadata", "labels", "istio.io/rev"), {"ns": res.name or "?", "injection": labels["istio-injection"], "rev": labels["istio.io/rev"]})
