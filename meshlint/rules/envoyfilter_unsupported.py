"""ML500: user EnvoyFilters, which a managed control plane does not support."""
from __future__ import annotations

from collections.abc import Iterator

from ..envoyfilter import KIND, is_addon_default
from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML500"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if not is_addon_default(res):
        yield Violation("/kind", {"name": res.name or "?"})
