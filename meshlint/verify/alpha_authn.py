"""Istio 1.4's alpha authentication decision (authentication.istio.io/v1alpha1), as a formula.

Written from istio/istio release-1.4 (``pilot/pkg/model/push_context.go``: which policy applies;
``pilot/pkg/security/authn/v1alpha1`` and the proxy's authn filter: what it checks), importing no
conversion code:

- For a request to a Service port, the policy is the one targeting that Service and port, else the
  one targeting the Service with no ports, else the namespace's Policy without targets, else the
  MeshPolicy ``default``; none: nothing is checked.
- ``peers``: an ``mtls`` method (mode STRICT unless PERMISSIVE) makes the workload accept mTLS only,
  PERMISSIVE both; a policy without an mtls peer leaves the listener plain text only.
- ``origins`` (unless ``originIsOptional``): a request whose path some origin's trigger rules select
  (all paths without trigger rules) needs a valid token from one of those origins' issuers; other
  paths are not checked at all, so a token there is not even read.

Request attributes: ``mtls``, ``token`` (issuer of a valid token, ``INVALID``, or None), ``path``,
``port`` (the workload port a Service port reaches).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..plain import get_any, list_of
from .logic import FALSE, TRUE, Formula, all_of, any_of, negate
from .values import equals_pred, string_pred


@dataclass
class AlphaAuthn:
    """Policies (namespace, name, spec) and the MeshPolicy spec, as 1.4 read them."""

    policies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    mesh: dict[str, Any] | None = None


@dataclass(frozen=True)
class ServicePort:
    number: int
    name: str | None
    target: str  # the workload port it reaches


def _selects(selector: Any, port: ServicePort) -> bool:
    if not isinstance(selector, dict):
        return False
    if "number" in selector:
        return selector.get("number") == port.number
    if "name" in selector:
        return selector.get("name") == port.name
    return False


def policy_for(world: AlphaAuthn, namespace: str, service: str, port: ServicePort | None) -> dict[str, Any] | None:
    """The policy 1.4 applied to one Service port (``port`` None: a port no target names)."""
    by_service: list[tuple[Any, dict[str, Any]]] = []
    by_namespace: list[tuple[Any, dict[str, Any]]] = []
    for ns, _, spec in world.policies:
        if ns != namespace:
            continue
        targets = list_of(spec.get("targets"))
        if not targets:
            by_namespace.append((None, spec))
        for t in targets:
            if isinstance(t, dict) and str(t.get("name", "")).split(".")[0] == service:
                ports = list_of(t.get("ports"))
                for p in ports or [None]:
                    by_service.append((p, spec))
    for candidates in (by_service, by_namespace):
        chosen = None
        for selector, spec in candidates:
            if selector is None and chosen is None:
                chosen = spec
            if selector is not None and port is not None and _selects(selector, port):
                chosen = spec
                break
        if chosen is not None:
            return chosen
    return world.mesh


def _peer(spec: dict[str, Any]) -> Formula:
    peers = list_of(spec.get("peers"))
    for p in peers:
        if isinstance(p, dict) and "mtls" in p:
            mtls = p.get("mtls")
            mode = (mtls or {}).get("mode", "STRICT") if isinstance(mtls, dict) or mtls is None else "STRICT"
            return TRUE if mode == "PERMISSIVE" else equals_pred("mtls", True)
    return equals_pred("mtls", False)  # no mTLS peer method: a plain-text listener


def _path_match(m: Any) -> Formula:
    if not isinstance(m, dict):
        return FALSE
    if "exact" in m:
        return string_pred("path", str(m["exact"]), star_needs_value=False) if "*" not in str(m["exact"]) else equals_pred("path", str(m["exact"]))
    if "prefix" in m:
        return string_pred("path", f"{m['prefix']}*", star_needs_value=False)
    if "suffix" in m:
        return string_pred("path", f"*{m['suffix']}", star_needs_value=False)
    return FALSE  # a regex: not evaluated here (the converter refuses it)


def _triggered(jwt: dict[str, Any]) -> Formula:
    rules = list_of(get_any(jwt, "triggerRules", "trigger_rules"))
    if not rules:
        return TRUE
    out = []
    for r in rules:
        if not isinstance(r, dict):
            continue
        inc = list_of(get_any(r, "includedPaths", "included_paths"))
        exc = list_of(get_any(r, "excludedPaths", "excluded_paths"))
        out.append(all_of([any_of(_path_match(m) for m in inc) if inc else TRUE, negate(any_of(_path_match(m) for m in exc))]))
    return any_of(out)


def _origins(spec: dict[str, Any]) -> Formula:
    jwts = [o["jwt"] for o in list_of(spec.get("origins")) if isinstance(o, dict) and isinstance(o.get("jwt"), dict)]
    if not jwts or get_any(spec, "originIsOptional", "origin_is_optional"):
        return TRUE
    # rejected when some origin is triggered and the token is valid for no triggered origin
    reject = any_of(all_of([_triggered(j), *[negate(any_of([all_of([_triggered(k), equals_pred("token", str(k.get("issuer", "")))]) for k in jwts]))]]) for j in jwts)
    return negate(reject)


def decide(spec: dict[str, Any] | None) -> Formula:
    if spec is None:
        return TRUE
    return all_of([_peer(spec), _origins(spec)])


def decision(world: AlphaAuthn, namespace: str, service: str | None, ports: list[ServicePort]) -> Formula:
    """Whether 1.4 let a request to the Service through authentication, by workload port."""
    if service is None:
        return decide(policy_for(world, namespace, "", None))
    branches = []
    listed = []
    for port in ports:
        listed.append(port.target)
        branches.append(all_of([equals_pred("port", port.target), decide(policy_for(world, namespace, service, port))]))
    branches.append(all_of([negate(any_of(equals_pred("port", t) for t in listed)), decide(policy_for(world, namespace, service, None))]))
    return any_of(branches)
