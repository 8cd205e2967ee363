"""ML501: old-style EnvoyFilter fields (removed in 1.6) → configPatches."""
from __future__ import annotations

from typing import Iterator

from ..envoyfilter import KIND, OLD_FIELDS, convert_old_style, is_addon_default
from ..fixes import Fix, SetValue
from ..model import Resource, Severity, Violation

CODE = "ML501"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx) -> Iterator[Violation]:
    present = [f for f in OLD_FIELDS if f in res.spec]
    if not present or is_addon_default(res):
        return
    new_spec, refusals = convert_old_style(res.spec)
    fix = Fix("old-style EnvoyFilter → configPatches", (SetValue("/spec", new_spec),)) if not refusals else None
    for field in present:
        yield Violation(f"/spec/{field}", {"fields": ", ".join(present)}, message="default" if fix else "not_convertible", fix=fix if field == present[0] else None)
    for path, reason in refusals:
        yield Violation(path, {"reason": reason}, message="refused", severity=Severity.ERROR)
