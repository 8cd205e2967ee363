"""Authentication verification: every Policy / MeshPolicy conversion against 1.4.

The 1.4 world is the alpha policies among the inputs; the converted world is the
PeerAuthentication, RequestAuthentication and AuthorizationPolicy objects that already exist plus
those of the kept conversions. Differences that a documented note of ML300 accounts for (see
``verification_notes`` in its catalogue entry) are reported, not refused.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..index import ResourceIndex
from ..model import Resource
from . import Attribution, Difference, Outcome, Proposal, distinct, placed, settle
from .alpha_authn import AlphaAuthn, ServicePort, policy_for
from .alpha_authn import decision as old_decision
from .destinations import Destination, consistency, destinations, service_namespaces, service_ports
from .logic import all_of, differences, evaluate, seeds
from .modern import applies
from .modern_authn import decision as new_decision
from .values import INVALID_TOKEN, domains

CODES = ("ML300",)
KINDS = ("PeerAuthentication", "RequestAuthentication", "AuthorizationPolicy")


def world(resources: list[Resource], index: ResourceIndex) -> tuple[AlphaAuthn, list[dict[str, Any]]]:
    """One object per kind, namespace and name, as the cluster held them (the last copy wins)."""
    old = AlphaAuthn()
    policies: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    existing: dict[tuple[str | None, str, str], dict[str, Any]] = {}
    for r in resources:
        key = (index.ns(r), r.name or "")
        if r.group == "authentication.istio.io" and r.kind == "Policy":
            policies[key] = (*key, r.spec)
        elif r.group == "authentication.istio.io" and r.kind == "MeshPolicy" and r.name == "default":
            old.mesh = r.spec
        elif r.group == "security.istio.io" and r.kind in KINDS:
            existing[(r.kind, *key)] = placed(r.body, index.ns(r))
    old.policies = list(policies.values())
    return old, list(existing.values())


def classify(old: AlphaAuthn, dest: Destination, sports: dict[str, ServicePort], d: dict[str, Any]) -> str | None:
    """The documented note that accounts for a difference, if any."""
    if d.get("mtls") is True and d["old"] is False and d["new"] is True:
        port = sports.get(d["port"]) if d.get("port") is not None else None
        spec = policy_for(old, dest.namespace, dest.service or "", port)
        peers = (spec or {})["peers"] if isinstance((spec or {}).get("peers"), list) else []

        if spec is not None and not any(isinstance(p, dict) and "mtls" in p for p in peers):
            return "plaintext"  # no peers: 1.4 served plain text only, the conversion is PERMISSIVE
    if d.get("token") == INVALID_TOKEN and d["old"] is True and d["new"] is False:
        return "invalid_tokens"  # RequestAuthentication rejects a bad token wherever it applies
    return None


def _planned(proposals: list[Proposal]) -> dict[int, list[dict[str, Any]]]:
    """Each proposal's objects (by ``id`` of the proposal), placed in their namespaces; an object
    written twice (by copies of one input) is one object."""
    planned = {id(p): [placed(o, p.namespace) for o in p.objects] for p in proposals}
    seen: dict[str, dict[str, Any]] = {}
    for objs in planned.values():
        for i, o in enumerate(objs):
            objs[i] = seen.setdefault(f"{o.get('kind')}/{o['metadata'].get('namespace')}/{o['metadata'].get('name')}", o)
    return planned


def _service_ports(dest: Destination, index: ResourceIndex) -> dict[str, ServicePort]:
    """The ports of the destination's Service, by target port."""
    svc = index.get("Service", dest.namespace, dest.service, group="") if dest.service else None
    return {t: ServicePort(n, name, t) for n, name, t, _ in (service_ports(svc, index) if svc else [])}


def verify(proposals: list[Proposal], resources: list[Resource], index: ResourceIndex, root_ns: str, outcome: Outcome,

           accepted_notes: Callable[[str], set[str]]) -> None:
    mine = [p for p in proposals if p.code in CODES]
    if not mine:
        return
    old, existing = world(resources, index)
    planned = _planned(mine)
    namespaces = {ns for ns, _, _ in old.policies} | {str(o["metadata"]["namespace"]) for objs in planned.values() for o in objs}
    if old.mesh is not None or any(str(o["metadata"].get("namespace")) == root_ns for objs in planned.values() for o in objs):
        namespaces |= service_namespaces(index)  # mesh-wide: every namespace the inputs show
    namespaces.discard(root_ns)
    dests = destinations(namespaces, index, {})
    ports_of = {dest: _service_ports(dest, index) for dest in dests}
    issuers = sorted({str(o.get("jwt", {}).get("issuer")) for _, _, spec in old.policies + [("", "", old.mesh or {})]
                      for o in (spec.get("origins") or []) if isinstance(o, dict) and isinstance(o.get("jwt"), dict)})
    memo: dict[Any, Any] = {}
    accepted = accepted_notes("ML300")
    attribute = Attribution(mine, planned, root_ns)

    def run(kept: list[Proposal]) -> list[Difference]:
        objects = distinct(existing + list({id(o): o for p in kept for o in planned[id(p)]}.values()))
        by_ns: dict[str, list[dict[str, Any]]] = {}
        for o in objects:
            by_ns.setdefault(str(o["metadata"].get("namespace")), []).append(o)
        found = []
        for dest in dests:
            labels = dest.label_map
            candidates = by_ns.get(dest.namespace, []) + (by_ns.get(root_ns, []) if dest.namespace != root_ns else [])
            applicable = [o for o in candidates if applies(o, dest.namespace, labels, root_ns)]
            key = (dest, tuple(id(o) for o in applicable))
            if key in memo:
                found.extend(memo[key])
                continue
            sports = ports_of[dest]
            f_old = memo.get(dest)
            if f_old is None:
                f_old = memo[dest] = all_of([consistency(dest), old_decision(old, dest.namespace, dest.service, list(sports.values()))])
            ports = sorted(set(sports) | {str(k) for o in applicable for k in ((o.get("spec") or {}).get("portLevelMtls") or {})})
            f_new = all_of([consistency(dest), new_decision(applicable, dest.namespace, labels, root_ns, ports, issuers, memo)])
            doms = domains(seeds(f_new, seeds(f_old)))
            start = len(found)
            noted = 0
            owners = attribute(dest.namespace, applicable)
            for a in differences(f_old, f_new, doms, limit=2000):
                was, now = evaluate(f_old, a), evaluate(f_new, a)
                note = classify(old, dest, sports, {**a, "old": was, "new": now})
                if note is not None and note in accepted:
                    noted += 1
                    if noted > 5:
                        continue  # enough examples of a documented note; look on for others
                found.append(Difference("authentication", dest.namespace, dest.describe(), tuple(sorted(a.items())), was, now, note, owners))
                if note is None or note not in accepted:
                    break
            memo[key] = found[start:]
        outcome.checked += len(dests)
        return found

    settle(mine, run, outcome, root_ns, lambda d: d.note is not None and d.note in accepted)
