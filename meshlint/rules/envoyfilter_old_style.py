"""ML501: old-style EnvoyFilter fields (removed in 1.6) → configPatches, one finding per EnvoyFilter."""
from __future__ import annotations

from collections.abc import Iterator

from ..envoyfilter import KIND, OLD_FIELDS, convert_old_style, is_addon_default
from ..fixes import Fix, SetValue
from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML501"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    present = [f for f in OLD_FIELDS if f in res.spec]
    if not present or is_addon_default(res):
        return
    fields = ", ".join(present)
    conv = convert_old_style(res.spec)
    if conv.refusals:
        reasons = "; ".join(f"{reason} ({path})" for path, reason in conv.refusals)
        yield Violation(conv.refusals[0][0], {"fields": fields, "reasons": reasons}, message="not_convertible",
                        covers=tuple(f"/spec/{f}" for f in present))
        return
    typed = "".join(f" The config of {name} stays untyped `config` ({why}), which ML504 then reports." for name, why in conv.untyped)
    typed = typed or " Each filter's config becomes typed_config with its Envoy v3 type."
    typed += "".join(f" Note: {note}." for note in conv.notes)
    yield Violation(f"/spec/{present[0]}", {"fields": fields, "typed": typed}, covers=tuple(f"/spec/{f}" for f in present),
                    fix=Fix("old-style EnvoyFilter → configPatches", (SetValue("/spec", conv.spec),)))
