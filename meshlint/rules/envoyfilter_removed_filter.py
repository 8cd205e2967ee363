"""ML505: an EnvoyFilter that matches or names a filter that no longer exists."""
from __future__ import annotations

from collections.abc import Iterator

from ..envoyfilter import KIND, REMOVED_FILTERS, is_addon_default, name_fields
from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML505"
KINDS = (KIND,)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if is_addon_default(res):
        return  # the add-on's own filters go away with the add-on
    for path, name in name_fields(res):
        if name in REMOVED_FILTERS:
            yield Violation(path, {"name": name, "what": REMOVED_FILTERS[name]})
