"""ML200: appendHeaders, appendRequestHeaders, appendResponseHeaders, removeRequestHeaders,
removeResponseHeaders → ``headers.request|response.add|remove``, merged into any existing ``headers``."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..fixes import Fix, MergeMapping, MoveKey, Operation, Remove
from ..index import RuleContext
from ..model import Resource, Violation
from ..traffic import VS, vs_header_scopes

CODE = "ML200"
KINDS = (VS,)
READS = ()

TARGET = {
    "appendHeaders": ("request", "add"),
    "appendRequestHeaders": ("request", "add"),
    "appendResponseHeaders": ("response", "add"),
    "removeRequestHeaders": ("request", "remove"),
    "removeResponseHeaders": ("response", "remove"),
}


def _headers_value(scope: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        side, op = TARGET[f]
        value = scope[f]
        slot = out.setdefault(side, {})
        if op == "add":
            slot.setdefault("add", {}).update({str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {})
        else:
            items = [str(x) for x in value] if isinstance(value, list) else []
            slot.setdefault("remove", [])
            slot["remove"] += [x for x in items if x not in slot["remove"]]
    return out


def _conflicts(scope: dict[str, Any], fields: list[str]) -> list[str]:
    """Headers that 1.4 appended twice with different values: one map entry cannot hold both."""
    seen: dict[tuple[str, str], str] = {}
    existing: dict[str, Any] = scope["headers"] if isinstance(scope.get("headers"), dict) else {}
    for side in ("request", "response"):
        add = (existing.get(side) or {}).get("add") if isinstance(existing.get(side), dict) else None
        for k, v in (add.items() if isinstance(add, dict) else []):
            seen[(side, str(k).lower())] = str(v)
    out = []
    for f in fields:
        side, op = TARGET[f]
        if op != "add" or not isinstance(scope[f], dict):
            continue
        for k, v in scope[f].items():
            key = (side, str(k).lower())
            if key in seen and seen[key] != str(v):
                out.append(str(k))
            seen.setdefault(key, str(v))
    return sorted(set(out))


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for base, scope in vs_header_scopes(res):
        fields = [f for f in TARGET if f in scope]
        if not fields:
            continue
        conflicts = _conflicts(scope, fields)
        if conflicts:
            for f in fields:
                side, op = TARGET[f]
                yield Violation(f"{base}/{f}", {"field": f, "target": f"headers.{side}.{op}", "headers": ", ".join(conflicts)}, message="conflict")
            continue
        value = _headers_value(scope, fields)
        ops: list[Operation]
        if "headers" in scope:
            ops = [MergeMapping(f"{base}/headers", value), *(Remove(f"{base}/{f}") for f in fields)]
        else:
            ops = [MoveKey(f"{base}/{fields[0]}", f"{base}/headers", value), *(Remove(f"{base}/{f}") for f in fields[1:])]
        fix = Fix(f"move {', '.join(fields)} into headers", tuple(ops))
        for i, f in enumerate(fields):
            side, op = TARGET[f]
            yield Violation(f"{base}/{f}", {"field": f, "target": f"headers.{side}.{op}"}, fix=fix if i == 0 else Fix(f"(moved with {fields[0]})", ()))
