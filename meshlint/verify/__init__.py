"""Verification of security conversions: 1.4's decisions against the converted objects' decisions.

Every conversion of an alpha authentication policy, an RBAC role, binding or config, and every
Mixer listchecker draft is checked before anything is written (``meshlint.engine`` runs this after
the rules). The 1.4 side (:mod:`.alpha_rbac`, :mod:`.alpha_authn`, :mod:`.mixer`) is written from
Istio 1.4's own code and imports nothing from the converters; the modern side (:mod:`.modern`,
:mod:`.modern_authn`) from current Istio. :mod:`.logic` compares the two decisions on every request
class (see docs/convert.md, "What verification guarantees").

A conversion under which some request is decided differently is refused (its resources stay as
they are, with an error naming one such request), unless the difference is a documented note of
that rule (``notes`` in its catalogue entry): a narrowing meant by the conversion.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..index import ResourceIndex
from ..model import Resource
from .values import describe

_T = TypeVar("_T")


@dataclass(frozen=True)
class Proposal:
    """A conversion a rule proposes: ``resource`` is replaced by ``objects`` (possibly none)."""

    resource: Resource
    code: str
    objects: tuple[dict[str, Any], ...]
    namespace: str  # where the resource applies (its namespace, or the one it is applied to)
    extra: bool = False  # the objects are an additional file (a draft), not a replacement


@dataclass(frozen=True)
class Difference:
    area: str  # "RBAC", "authentication", "Mixer"
    namespace: str
    destination: str
    request: tuple[tuple[str, Any], ...]
    old: bool
    new: bool
    note: str | None = None  # the documented note that accounts for it, if any
    policies: tuple[str, ...] = ()  # the 1.4 objects whose conversion decides this destination ("Kind ns/name")

    @property
    def widening(self) -> bool:
        return self.new and not self.old

    def describe(self) -> str:
        def verdict(ok: bool) -> str:
            return "allowed" if ok else "denied"

        return f"{describe(dict(self.request))} to {self.destination}: 1.4 {verdict(self.old)}, converted {verdict(self.new)}"


@dataclass
class Outcome:
    refused: dict[int, tuple[Proposal, Difference]] = field(default_factory=dict)  # id(resource) → why
    differences: list[Difference] = field(default_factory=list)  # every difference of the full conversion
    checked: int = 0  # destinations compared
    held: int = 0  # conversions refused otherwise: a name another object has, a binding whose role stays

    def refuse(self, proposal: Proposal, why: Difference) -> None:
        self.refused.setdefault(id(proposal.resource), (proposal, why))


def policy(p: Proposal) -> str:
    """The 1.4 object a proposal converts, as the verification names it: ``Kind namespace/name``."""
    return f"{p.resource.kind} {p.namespace}/{p.resource.name}"


class Attribution:
    """Which 1.4 objects decide a destination after conversion: those whose converted objects apply
    there, else (a conversion that only deletes, or differences left by what was removed) the
    converted objects of the destination's namespace, then of the root namespace."""

    def __init__(self, proposals: list[Proposal], planned: dict[int, list[dict[str, Any]]], root_ns: str):
        self._owner: dict[int, set[str]] = {}
        self._by_ns: dict[str, set[str]] = {}
        for p in proposals:
            for o in planned.get(id(p), []):
                self._owner.setdefault(id(o), set()).add(policy(p))
            self._by_ns.setdefault(p.namespace, set()).add(policy(p))
        self._root = root_ns

    def __call__(self, namespace: str, applicable: list[dict[str, Any]]) -> tuple[str, ...]:
        found = {name for o in applicable for name in self._owner.get(id(o), ())}
        return tuple(sorted(found or self._by_ns.get(namespace) or self._by_ns.get(self._root) or ()))


_SECURITY_GROUPS = frozenset({"rbac.istio.io", "authentication.istio.io", "security.istio.io"})


def verify(proposals: list[Proposal], resources: list[Resource], index: ResourceIndex, root_namespace: str,
           accepted_notes: Callable[[str], set[str]] = lambda code: set(), assume_rbac_on: bool = False) -> Outcome:
    """Check every proposed security conversion; see the module docstring. ``accepted_notes(code)``:
    the differences a rule's catalogue entry documents as intended (``verification_notes``)."""
    from ..schema.findings import rejected_in_1_4
    from . import authn, mixer, rbac

    outcome = Outcome()
    # what 1.4 could not read took no effect in 1.4: it is not part of 1.4's decisions
    resources = [r for r in resources if r.group not in _SECURITY_GROUPS or rejected_in_1_4(r, index) is None]
    rbac.verify(proposals, resources, index, root_namespace, outcome, assume_rbac_on)
    authn.verify(proposals, resources, index, root_namespace, outcome, accepted_notes)
    mixer.verify(proposals, resources, index, root_namespace, outcome)
    return outcome


def settle(proposals: list[Proposal], compare: Callable[[list[Proposal]], list[Difference]], outcome: Outcome, root_namespace: str,
           accepted_note: Callable[[Difference], bool]) -> None:
    """Refuse, namespace by namespace, every conversion acting where the decisions differ, until
    the kept conversions show no difference that is not a documented note.

    ``compare(kept)`` returns the differences with those proposals converted (a fresh list each
    time); ``accepted_note(difference)`` says whether a documented note accounts for one."""
    kept = list(proposals)
    first = True
    while True:
        diffs = compare(kept)
        if first:
            outcome.differences.extend(diffs)
            first = False
        bad: dict[str, Difference] = {}
        for d in diffs:
            if not accepted_note(d):
                bad.setdefault(d.namespace, d)
        if not bad:
            return
        refused = [p for p in kept if _acts_on(p, set(bad), root_namespace)]
        for p in refused:
            outcome.refuse(p, bad.get(p.namespace) or next(iter(bad.values())))
        if not refused:
            # differences that no kept conversion acts on: the objects deciding them stay, with the reason
            for p in proposals:
                if p.namespace in bad:
                    outcome.refuse(p, bad[p.namespace])
            return
        kept = [p for p in kept if p not in refused]


def _acts_on(p: Proposal, namespaces: set[str], root_namespace: str) -> bool:
    if p.namespace in namespaces:
        return True
    for o in p.objects:
        md = o["metadata"] if isinstance(o.get("metadata"), dict) else {}
        ns = md.get("namespace") or p.namespace
        if ns in namespaces or ns == root_namespace:
            return True
    return False


def distinct(items: list[_T]) -> list[_T]:
    """Each object once, in first-seen order. Copies of one object (an export beside the
    repository it came from) are one object in the cluster: they decide nothing twice, and
    every copy would multiply the size of the formulas compared. Objects are compared by kind,
    namespace, name and spec (annotations, such as where a conversion came from, decide nothing);
    (namespace, name, spec) tuples as they are."""
    seen: set[str] = set()
    out: list[_T] = []
    for item in items:
        obj: Any = item
        md = obj.get("metadata") if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict) else None
        key = repr(obj) if md is None else repr((obj.get("apiVersion"), obj.get("kind"), md.get("namespace"), md.get("name"), obj.get("spec")))

        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def placed(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """An object as the cluster holds it: with the namespace it is applied to."""
    md = dict(obj.get("metadata") or {})
    md.setdefault("namespace", namespace)
    return {**obj, "metadata": md}
