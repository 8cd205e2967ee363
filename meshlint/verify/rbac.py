"""RBAC verification: every ServiceRole, binding and RBAC config conversion against 1.4.

The 1.4 world is every rbac.istio.io object among the inputs (and ``--context``) plus the
AuthorizationPolicies that already exist; the converted world is those AuthorizationPolicies plus
the objects of the conversions that are kept (modern Istio ignores the alpha objects left behind).
Both are compared on every destination class of every namespace concerned. A namespace with a
difference refuses every conversion that acts on it; that can uncover differences elsewhere (a
refused mesh-wide deny-all), so this repeats until nothing more is refused.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..index import ResourceIndex
from ..model import Resource
from . import Attribution, Difference, Outcome, Proposal, distinct, placed, settle
from .alpha_rbac import AlphaRbac
from .alpha_rbac import decision as old_decision
from .destinations import Destination, consistency, destinations, service_namespaces
from .logic import all_of, differences, evaluate, seeds
from .modern import applies, authorization, protocol_split
from .values import domains

CODES = ("ML400", "ML401", "ML402")


def _ns_of(obj: dict[str, Any], default: str) -> str:
    md = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    ns = md.get("namespace")
    return ns if isinstance(ns, str) and ns else default


def world(resources: Iterable[Resource], index: ResourceIndex, root_ns: str) -> AlphaRbac:
    """What the cluster held: one object per kind, namespace and name (kubectl keeps the last copy
    of an object given twice, as an export and the repository it came from do)."""
    configs = [r for r in resources if r.group == "rbac.istio.io" and r.kind == "ClusterRbacConfig"]
    configs = configs or [r for r in resources if r.group == "rbac.istio.io" and r.kind == "RbacConfig"]
    roles: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    bindings: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    v1beta1: dict[tuple[str, str], dict[str, Any]] = {}
    for r in resources:
        key = (index.ns(r), r.name or "")
        if r.group == "rbac.istio.io" and r.kind == "ServiceRole":
            roles[key] = (*key, r.spec)
        elif r.group == "rbac.istio.io" and r.kind == "ServiceRoleBinding":
            bindings[key] = (*key, r.spec)
        elif r.group == "security.istio.io" and r.kind == "AuthorizationPolicy":
            v1beta1[key] = placed(r.body, index.ns(r))
    return AlphaRbac(configs[-1].spec if configs else None, list(roles.values()), list(bindings.values()), list(v1beta1.values()), root_ns)


def _mentioned_labels(old: AlphaRbac, objects: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for _, _, spec in old.roles:
        for rule in spec.get("rules") or [] if isinstance(spec.get("rules"), list) else []:
            for c in (rule["constraints"] if isinstance(rule, dict) and isinstance(rule.get("constraints"), list) else []):
                key = str(c.get("key", "")) if isinstance(c, dict) else ""
                if key.startswith("destination.labels[") and key.endswith("]"):
                    vals = c["values"] if isinstance(c.get("values"), list) else []
                    out.setdefault(key[len("destination.labels["):-1], set()).update(str(v) for v in vals)
    for o in objects:
        sel = ((o.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        for k, v in sel.items():
            out.setdefault(str(k), set()).add(str(v))
    return out


def compare(old: AlphaRbac, objects: list[dict[str, Any]], dests: list[Destination], root_ns: str, memo: dict[Any, Any], limit: int = 1,
            attribute: Attribution | None = None) -> list[Difference]:
    """The differences on every destination. ``memo`` lives as long as the run: 1.4's formula per
    destination, and the result per (destination, applicable objects), so a repeat after refusals
    only redoes the destinations whose objects changed. ``attribute`` names the 1.4 objects deciding
    each destination."""
    by_ns: dict[str, list[dict[str, Any]]] = {}
    for o in objects:
        by_ns.setdefault(_ns_of(o, root_ns), []).append(o)
    found: list[Difference] = []
    for dest in dests:
        labels = dest.label_map
        candidates = by_ns.get(dest.namespace, []) + (by_ns.get(root_ns, []) if dest.namespace != root_ns else [])
        applicable = [o for o in candidates if applies(o, dest.namespace, labels, root_ns)]
        key = (dest, tuple(id(o) for o in applicable))
        hit = memo.get(key)
        if hit is None:
            f_old = memo.get(dest)
            if f_old is None:
                f_old = memo[dest] = all_of([consistency(dest), old_decision(old, dest)])
            f_new = all_of([consistency(dest), protocol_split(lambda tcp: authorization(applicable, tcp, memo))])  # noqa: B023  (called at once)
            doms = domains(seeds(f_new, seeds(f_old)))
            owners = attribute(dest.namespace, applicable) if attribute is not None else ()
            hit = memo[key] = [Difference("RBAC", dest.namespace, dest.describe(), tuple(sorted(a.items(), key=lambda kv: kv[0])),
                                          evaluate(f_old, a), evaluate(f_new, a), policies=owners)
                               for a in differences(f_old, f_new, doms, limit=limit)]
        found.extend(hit)
    return found


def verify(proposals: list[Proposal], resources: list[Resource], index: ResourceIndex, root_ns: str, outcome: Outcome, assume_rbac_on: bool = False) -> None:
    mine = [p for p in proposals if p.code in CODES]
    if not mine:
        return
    old = world(resources, index, root_ns)
    if old.config is None and assume_rbac_on:
        # the user says RBAC was on: in the namespaces that have roles (as --assume-rbac-on converts)
        old.config = {"mode": "ON_WITH_INCLUSION", "inclusion": {"namespaces": sorted({ns for ns, _, _ in old.roles})}}
    existing = list(old.v1beta1)
    planned = {id(p): [placed(o, p.namespace) for o in p.objects] for p in mine}
    # as the cluster would hold them: an object written twice (by copies of one input) once
    seen: dict[str, dict[str, Any]] = {}
    for objs in planned.values():
        for i, o in enumerate(objs):
            md = o["metadata"]
            objs[i] = seen.setdefault(f"{o.get('kind')}/{md.get('namespace')}/{md.get('name')}", o)
    everything = [o for objs in planned.values() for o in objs]
    namespaces = {ns for ns, _, _ in old.roles} | {ns for ns, _, _ in old.bindings} | {_ns_of(o, root_ns) for o in existing + everything}
    cfg = old.config or {}
    for key in ("inclusion", "exclusion"):
        target = cfg[key] if isinstance(cfg.get(key), dict) else {}
        namespaces.update(str(n) for n in target.get("namespaces") or [] if isinstance(n, (str, int)))
        for svc in target.get("services") or []:
            parts = str(svc).split(".")
            if len(parts) > 1:
                namespaces.add(parts[1])
    if cfg.get("mode") in ("ON", "ON_WITH_EXCLUSION") or any(_ns_of(o, root_ns) == root_ns for o in existing + everything):
        namespaces |= service_namespaces(index)  # mesh-wide: every namespace the inputs show
    namespaces.discard(root_ns)
    dests = destinations(namespaces, index, _mentioned_labels(old, existing + everything))
    memo: dict[Any, Any] = {}
    attribute = Attribution(mine, planned, root_ns)

    def run(kept: list[Proposal]) -> list[Difference]:
        outcome.checked += len(dests)
        objects = list({id(o): o for p in kept for o in planned[id(p)]}.values())
        return compare(old, distinct(existing + objects), dests, root_ns, memo, attribute=attribute)

    settle(mine, run, outcome, root_ns, lambda d: False)
