"""ML502: deprecated Envoy filter names (no longer matched since Istio 1.19)."""
from __future__ import annotations

from collections.abc import Iterator

from ..envoyfilter import KIND, RENAMED, is_addon_default, name_fields
from ..fixes import Fix, SetValue
from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML502"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if is_addon_default(res):
        return  # the add-on's own filters go away with the add-on
    for path, name in name_fields(res):
        if path.startswith("/spec/filters/"):
            continue  # old-style filters: ML501 converts them, names included
        if name in RENAMED:
            new = RENAMED[name]
            yield Violation(path, {"name": name, "new": new}, fix=Fix(f"{name} → {new}", (SetValue(path, new),)))
