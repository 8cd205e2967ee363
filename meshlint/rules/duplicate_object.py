"""ML014: one object (group, kind, namespace, name) defined more than once among the inputs."""
from __future__ import annotations

from collections.abc import Iterator

from ..annotations import GENERATED_FROM
from ..duplicates import identity, kept, location, same_apart_from_server_fields, without_server_fields
from ..index import RuleContext
from ..model import Resource, Severity, Violation

CODE = "ML014"
KINDS = ("*",)
READS = ()


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    copies = ctx.index.copies(res)
    if not copies or copies[-1] is res:
        return  # one finding per pair, on the copy kubectl does not keep, naming the one it keeps
    last = kept(copies)
    ident = identity(res, ctx.index.default_namespace)
    assert ident is not None  # an object with copies has an identity
    _, kind, ns, name = ident
    # once per kept copy, not once per copy compared with it (an export beside its repository, many times)
    where, last_without = ctx.index.memo(f"ML014 kept {id(last)}", lambda: (location(last), without_server_fields(last)))
    params = {"object": f"{kind} {ns + '/' if ns else ''}{name}", "other": where}
    if same_apart_from_server_fields(res, last, last_without):
        if GENERATED_FROM in res.annotations or GENERATED_FROM in last.annotations:
            return  # a replacement gateway's copy of its Service or ServiceAccount, meant to be applied in its place
        yield Violation("/metadata/name", params, message="same", severity=Severity.INFO)
    else:
        yield Violation("/metadata/name", params)
