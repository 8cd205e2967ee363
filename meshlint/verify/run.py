"""The engine's verification step: the security conversions the rules propose are checked against
1.4 before any finding is built, and a refused conversion becomes an error finding (no fix) under
the rule that proposed it, naming one request it would decide differently."""
from __future__ import annotations

from typing import Mapping

from ..fixes import ExtraFile, ReplaceResource
from ..model import Resource, Rule, Severity, Violation

SECURITY_CODES = ("ML300", "ML400", "ML401", "ML402")
CLUSTER_SCOPED = ("ClusterRbacConfig", "RbacConfig", "MeshPolicy")


def _proposals(found: Mapping[int, list], resources: list[Resource], index, root_ns: str):
    from . import Proposal

    out = []
    for res in resources:
        for rule, v in found.get(id(res), ()):
            if rule.code not in SECURITY_CODES or v.fix is None:
                continue
            objects = tuple(o for op in v.fix.ops if isinstance(op, (ReplaceResource, ExtraFile)) for o in op.objects)
            ns = root_ns if res.kind in CLUSTER_SCOPED else index.ns(res)
            out.append(Proposal(res, rule.code, objects, ns))
    return out


def verify_conversions(found: dict[int, list[tuple[Rule, Violation]]], shadow: Mapping[int, list[tuple[Rule, Violation]]],
                       resources: list[Resource], index, root_ns: str, rules: Mapping[str, Rule], assume_rbac_on: bool = False):
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

    outcome = verify(proposals, resources, index, root_ns, notes, assume_rbac_on)
    mine = {(id(p.resource), p.code) for p in reported}
    for proposal, why in outcome.refused.values():
        res = proposal.resource
        if (id(res), proposal.code) not in mine:
            continue  # not reported by this run (its own run, or its own --select, reports it)
        kept = [(r, v) for r, v in found.get(id(res), ()) if not (r.code in SECURITY_CODES and v.fix is not None)]
        params = {"kind": res.kind or "?", "name": res.name or "?", "request": why.describe()}
        kept.append((rules[proposal.code], Violation("/kind", params, message="unverified", severity=Severity.ERROR)))
        found[id(res)] = kept
    return outcome
