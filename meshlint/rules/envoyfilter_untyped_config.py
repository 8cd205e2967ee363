"""ML504: untyped ``config`` in an EnvoyFilter patch (Envoy needs ``typed_config``)."""
from __future__ import annotations

from typing import Iterator

from ..envoyfilter import KIND, is_addon_default
from ..model import Resource, Violation, pointer

CODE = "ML504"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx) -> Iterator[Violation]:
    if is_addon_default(res):
        return  # the add-on's own filters go away with the add-on
    for i, patch in enumerate(res.spec.get("configPatches") or []):
        value = patch.get("patch", {}).get("value") if isinstance(patch, dict) and isinstance(patch.get("patch"), dict) else None
        if isinstance(value, dict) and "config" in value:
            yield Violation(pointer("spec", "configPatches", i, "patch", "value", "config"), {"name": value.get("name", "?")})
