"""Mixer listchecker drafts against Mixer's own decision (Istio 1.4, policy checks enabled).

Written from the Mixer documentation and adapter code of release-1.4, importing no conversion code:
a ``rule`` in the config default namespace (the root namespace) applies to every destination,
elsewhere to destinations in its own namespace; its ``match`` is ``true``/empty or a test of one
destination label; a ``listchecker`` handler (or the old ``listchecker`` kind) with
``entryType: IP_ADDRESSES`` checks the ``listentry`` instance's value (here ``source.ip``) against
its ``overrides``: a whitelist denies an address not listed, a blacklist one listed. The draft is
a DENY AuthorizationPolicy; the two are compared on every destination class, as for RBAC.
"""
from __future__ import annotations

import re

from ..index import ResourceIndex
from ..model import Resource
from . import Difference, Outcome, Proposal, placed, policy, settle
from .destinations import consistency, destinations, service_namespaces
from .logic import FALSE, TRUE, Formula, all_of, any_of, differences, evaluate, negate, seeds
from .modern import applies, authorization, protocol_split
from .values import cidr_pred, domains

CODES = ("ML600",)
_LABEL = re.compile(r'^\s*destination\.labels\["([^"]+)"\]\s*==\s*"([^"]*)"\s*$')


def _ref(name: str, ns: str, index: ResourceIndex, kinds: tuple[str, ...]) -> Resource | None:
    """Mixer's reference forms: ``name``, ``name.namespace`` and the legacy ``name.kind[.namespace]``."""
    parts = name.split(".")
    if len(parts) >= 2 and parts[1] in kinds:
        wanted = [(parts[1], parts[2] if len(parts) > 2 else ns)]
    else:
        wanted = [(kind, parts[1] if len(parts) > 1 else ns) for kind in kinds]
    for kind, namespace in wanted:
        found = index.get(kind, namespace, parts[0], group="config.istio.io")
        if found is not None:
            return found
    return None


# the listentry value: the source address, optionally with a default for when it is absent (an
# Envoy sidecar always reports the peer address, so the default never applies)
_SOURCE_IP = re.compile(r'^\s*source\.ip\s*(\|\s*ip\(\s*"[^"]*"\s*\)\s*)?$')


def mixer_decision(rule: Resource, index: ResourceIndex, root_ns: str, namespace: str, labels: dict[str, str]) -> Formula | None:
    """Whether Mixer let a request through this rule; None when it is not a listchecker rule on source.ip."""
    ns = index.ns(rule)
    if ns != root_ns and ns != namespace:
        return TRUE
    match = str(rule.spec.get("match") or "").strip()
    if match not in ("", "true"):
        m = _LABEL.match(match)
        if m is None:
            return None
        if labels.get(m.group(1)) != m.group(2):
            return TRUE
    actions = rule.spec.get("actions")
    if not isinstance(actions, list) or len(actions) != 1 or not isinstance(actions[0], dict):
        return None
    handler = _ref(str(actions[0].get("handler", "")), ns, index, ("handler", "listchecker"))
    instances = actions[0]["instances"] if isinstance(actions[0].get("instances"), list) else []
    instance = _ref(str(instances[0]), ns, index, ("instance", "listentry")) if len(instances) == 1 else None
    if handler is None or instance is None:
        return None
    params = handler.spec.get("params") if handler.kind == "handler" else handler.spec
    value = (instance.spec.get("params") if instance.kind == "instance" else instance.spec) or {}
    if not isinstance(params, dict) or params.get("entryType") != "IP_ADDRESSES" or not _SOURCE_IP.match(str(value.get("value", ""))):
        return None
    listed = any_of(p for p in (cidr_pred("ip", str(e)) for e in params.get("overrides") or []) if p is not None)
    return negate(listed) if params.get("blacklist") else listed


def verify(proposals: list[Proposal], resources: list[Resource], index: ResourceIndex, root_ns: str, outcome: Outcome) -> None:
    mine = [p for p in proposals if p.code in CODES and p.objects]
    if not mine:
        return
    planned = {id(p): [placed(o, p.namespace) for o in p.objects] for p in mine}
    namespaces = {p.namespace for p in mine}
    if root_ns in namespaces:
        namespaces |= service_namespaces(index)
    namespaces -= {root_ns}
    mentioned: dict[str, set[str]] = {}
    for p in mine:
        m = _LABEL.match(str(p.resource.spec.get("match") or ""))
        if m:
            mentioned.setdefault(m.group(1), set()).add(m.group(2))
    dests = destinations(namespaces, index, mentioned)

    def run(kept: list[Proposal]) -> list[Difference]:
        found = []
        for p in kept:
            for dest in dests:
                f_old = mixer_decision(p.resource, index, root_ns, dest.namespace, dest.label_map)
                if f_old is None:
                    f_old = FALSE  # not a pattern the draft can stand for: any draft differs
                drafts = [o for o in planned[id(p)] if applies(o, dest.namespace, dest.label_map, root_ns)]
                f_new = protocol_split(lambda tcp: authorization(drafts, tcp))  # noqa: B023  (called at once)
                f_old, f_new = all_of([consistency(dest), f_old]), all_of([consistency(dest), f_new])
                for a in differences(f_old, f_new, domains(seeds(f_new, seeds(f_old))), limit=1):
                    found.append(Difference("Mixer", p.namespace, dest.describe(), tuple(sorted(a.items())), evaluate(f_old, a), evaluate(f_new, a),
                                            policies=(policy(p),)))
        outcome.checked += len(dests) * len(kept)
        return found

    # each draft stands alone (drafts are reviewed and applied one by one): refuse the ones that differ
    for p in mine:
        settle([p], run, outcome, root_ns, lambda d: False)
