"""The engine's verification step: the security conversions the rules propose are checked against
1.4 before any finding is built, and a refused conversion becomes an error finding (no fix) under
the rule that proposed it, naming one request it would decide differently."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..annotations import CONVERTED_FROM
from ..fixes import ExtraFile, ReplaceResource
from ..model import Resource, Rule, Severity, Violation
from ..refusals import SECURITY_CODES

if TYPE_CHECKING:
    from ..index import ResourceIndex
    from . import Outcome, Proposal

Held = tuple["Proposal", str, dict[str, str]]  # a refused proposal, its message key and the message's parameters

CLUSTER_SCOPED = ("ClusterRbacConfig", "RbacConfig", "MeshPolicy")


def _proposals(found: Mapping[int, list[tuple[Rule, Violation]]], resources: list[Resource], index: ResourceIndex, root_ns: str) -> list[Proposal]:
    from . import Proposal

    out: list[Proposal] = []
    for res in resources:
        for rule, v in found.get(id(res), ()):
            if rule.code not in SECURITY_CODES or v.fix is None:
                continue
            objects = tuple(o for op in v.fix.ops if isinstance(op, (ReplaceResource, ExtraFile)) for o in op.objects)
            ns = root_ns if res.kind in CLUSTER_SCOPED else index.ns(res)
            out.append(Proposal(res, rule.code, objects, ns))
    return out


def _identity(obj: dict[str, Any], namespace: str) -> str:
    md = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    return f"{obj.get('kind')} {md.get('namespace') or namespace}/{md.get('name')}"


def _role_of(binding: Resource) -> str | None:
    ref = binding.spec.get("roleRef")
    return ref.get("name") if isinstance(ref, dict) and isinstance(ref.get("name"), str) else None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two written objects are the same object (only the file they were converted from differs)."""
    def plain(o: dict[str, Any]) -> dict[str, Any]:
        md = dict(o.get("metadata") or {})
        notes = {k: v for k, v in (md.get("annotations") or {}).items() if k != CONVERTED_FROM}
        md["annotations"] = notes
        return {**o, "metadata": md}

    return plain(a) == plain(b)


def name_collisions(proposals: list[Proposal], resources: list[Resource], index: ResourceIndex) -> dict[int, tuple[Proposal, str, str]]:
    """Proposals that would write an object whose kind, namespace and name another object of the
    run already has (kubectl keeps only one): id(resource) → (proposal, the object, who else).
    The same object converted from two copies of one input object (an export beside the repo it
    came from) is one object, not a collision: the duplicate itself is reported as such."""
    replaced = {id(p.resource) for p in proposals}
    owner: dict[str, tuple[str, dict[str, Any] | None]] = {}
    for r in resources:
        if id(r) not in replaced and r.kind and r.name:
            owner.setdefault(f"{r.kind} {index.ns(r)}/{r.name}", (f"{r.file} (among the inputs)", None))
    taken: dict[int, tuple[Proposal, str, str]] = {}
    for p in proposals:
        mine: dict[str, dict[str, Any]] = {}
        for o in p.objects:
            key = _identity(o, p.namespace)
            other = owner.get(key)
            if key in mine or (other is not None and (other[1] is None or not _same(other[1], o))):
                taken[id(p.resource)] = (p, key, other[0] if other else f"another object of {p.resource.kind} {p.resource.name}'s own conversion")
                break
            mine[key] = o
        else:
            for key, o in mine.items():
                owner.setdefault(key, (f"{p.resource.kind} {p.resource.name} ({p.resource.file})", o))
    return taken


def _placeholder(p: Proposal) -> str | None:
    """A placeholder the conversion would move to a field the pipeline no longer fills in."""
    from ..placeholders import has_placeholder, is_placeholder

    if not (has_placeholder(p.resource.spec) or has_placeholder(list(p.objects))):
        return None
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif is_placeholder(v) and not found:
            found.append(v)

    walk(p.resource.spec)
    walk(list(p.objects))
    return found[0] if found else "a placeholder"


def held_back(proposals: list[Proposal], resources: list[Resource], index: ResourceIndex) -> dict[int, Held]:
    """Conversions refused before verification: id(resource) → (proposal, message key, params)."""
    held: dict[int, Held] = {}
    for p in proposals:
        value = _placeholder(p)
        if value is not None:
            held[id(p.resource)] = (p, "placeholder", {"value": value})
    for p, key, other in name_collisions([p for p in proposals if id(p.resource) not in held], resources, index).values():
        held[id(p.resource)] = (p, "name_taken", {"object": key, "other": other})
    return held


def verify_conversions(found: dict[int, list[tuple[Rule, Violation]]], shadow: Mapping[int, list[tuple[Rule, Violation]]],
                       resources: list[Resource], index: ResourceIndex, root_ns: str, rules: Mapping[str, Rule],
                       assume_rbac_on: bool = False) -> Outcome | None:

    """Verify, and replace the violations of refused conversions in ``found`` (in place).

    ``found``: what the run reports; ``shadow``: conversions that belong to the converted world
    but are not reported here (--context resources, rules --select left out)."""
    reported = _proposals(found, resources, index, root_ns)
    if not reported:
        return None
    proposals = reported + _proposals(shadow, resources, index, root_ns)
    from . import verify

    def notes(code: str) -> set[str]:
        rule = rules.get(code)
        return set((rule.doc.get("verification_notes") or {}) if rule is not None else ())

    held = held_back(proposals, resources, index)
    outcome = verify([p for p in proposals if id(p.resource) not in held], resources, index, root_ns, notes, assume_rbac_on)
    for p, why in outcome.refused.values():
        held.setdefault(id(p.resource), (p, "unverified", {"request": why.describe()}))
    # a binding goes with its role: when the role stays, so do its bindings
    kept_roles = {(index.ns(p.resource), p.resource.name) for p in proposals if p.code == "ML400" and id(p.resource) not in held}
    for p in proposals:
        if p.code == "ML401" and id(p.resource) not in held and (index.ns(p.resource), _role_of(p.resource)) not in kept_roles:
            held[id(p.resource)] = (p, "role_refused", {"role": _role_of(p.resource) or "?"})
    mine = {(id(p.resource), p.code) for p in reported}
    for p, message, params in held.values():
        res = p.resource
        if (id(res), p.code) not in mine:
            continue  # not reported by this run (its own run, or its own --select, reports it)
        if message != "unverified":
            outcome.held += 1
        kept = [(r, v) for r, v in found.get(id(res), ()) if not (r.code in SECURITY_CODES and v.fix is not None)]
        path = "/spec/roleRef/name" if message == "role_refused" else "/kind"
        kept.append((rules[p.code], Violation(path, {"kind": res.kind or "?", "name": res.name or "?", **params}, message=message, severity=Severity.ERROR)))
        found[id(res)] = kept
    return outcome
