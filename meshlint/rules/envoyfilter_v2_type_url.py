"""ML503: Envoy v2 API type URLs in EnvoyFilter payloads (rejected since Istio 1.19)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..envoyfilter import KIND, is_addon_default, walk_strings
from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML503"
KINDS = (KIND,)
READS = ()

_V2 = re.compile(r"^type\.googleapis\.com/envoy\.(config|api)\.[\w.]*\bv2(alpha\d*|beta\d*)?\.")


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if is_addon_default(res):
        return  # the add-on's own filters go away with the add-on
    for path, key, value in walk_strings(res.spec.get("configPatches"), "/spec/configPatches"):
        if key in ("@type", "type_url", "typeUrl") and _V2.match(value):
            yield Violation(path, {"type": value})
