"""ML504: untyped ``config`` in an EnvoyFilter patch (Envoy needs ``typed_config``); converted
to typed_config where the filter's v3 type is known."""
from __future__ import annotations

from collections.abc import Iterator

from ..envoy_types import typed_config
from ..envoyfilter import KIND, is_addon_default
from ..fixes import Fix, MoveKey
from ..index import RuleContext
from ..model import Resource, Violation, pointer

CODE = "ML504"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if is_addon_default(res):
        return  # the add-on's own filters go away with the add-on
    for i, patch in enumerate(res.spec.get("configPatches") or []):
        value = patch.get("patch", {}).get("value") if isinstance(patch, dict) and isinstance(patch.get("patch"), dict) else None
        if not isinstance(value, dict) or "config" not in value:
            continue
        path = pointer("spec", "configPatches", i, "patch", "value", "config")
        name = value.get("name", "?")
        typed = typed_config(value.get("name"), value["config"])
        if typed.value is None:
            yield Violation(path, {"name": name, "reason": typed.reason}, message="refused" if typed.known else "unknown")
        elif "typed_config" in value:
            yield Violation(path, {"name": name, "reason": "the value also has typed_config"}, message="refused")
        else:
            note = f" Note: {typed.note}." if typed.note else ""
            fix = Fix(f"{name}: config → typed_config ({typed.value['@type']})",
                      (MoveKey(path, pointer("spec", "configPatches", i, "patch", "value", "typed_config"), typed.value),))
            yield Violation(path, {"name": name, "type": typed.value["@type"], "note": note}, fix=fix)
