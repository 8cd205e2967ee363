"""Istio 1.4's alpha RBAC decision (rbac.istio.io/v1alpha1), as a formula per destination.

Written from istio/istio release-1.4 (``pilot/pkg/security/authz/model``, ``.../policy/v1alpha1``,
``pilot/pkg/model/authorization.go``, ``.../builder``) and nothing else: this module imports no
conversion code, so a mistake in the converter cannot hide in a shared assumption.

- RBAC is on for a Service when the ClusterRbacConfig (else the RbacConfig) mode is ``ON``, or
  ``ON_WITH_INCLUSION`` and its namespace or hostname (exact FQDN) is included, or
  ``ON_WITH_EXCLUSION`` and neither is excluded. Off, or no config: everything is allowed.
- If any v1beta1 AuthorizationPolicy applies to the workload, 1.4 used those and ignored RBAC.
- ``enforcement_mode: PERMISSIVE`` makes every policy a shadow policy (nothing enforced); a
  binding with ``mode: PERMISSIVE`` only feeds shadow rules.
- A request is allowed when some role of the Service's namespace, bound by an enforced binding,
  has a rule (permission) that matches and a subject (principal) that matches.
- A rule's ``services`` are matched against the Service hostname (``name.ns.svc.cluster.local``)
  exactly, by ``prefix*``, ``*suffix`` or ``*``; its ``destination.labels/name/namespace/user``
  constraints are decided per Service instance; the other fields are request conditions, all ANDed,
  the values of one field ORed, ``not_*`` negated. An unknown constraint key, or a value that does
  not parse (a bad port or IP), is ignored. Constraints and properties are maps: the last
  duplicate key wins.
- A subject's fields are all ANDed; a subject with none matches nobody. ``user: "*"`` (and
  ``source.principal: "*"``) match anybody, even plain text; other principal, request-principal,
  audience and presenter values are metadata string matches (absent never matches; ``*`` means
  present). ``source.namespace`` is a regex over the peer principal. Unknown property keys match
  nobody.
- On a TCP port, rules with HTTP-only fields and subjects with HTTP-only properties are dropped.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..plain import get_any, scalar_strings
from .destinations import Destination
from .logic import FALSE, TRUE, Formula, Pred, all_of, any_of, negate
from .modern import applies as modern_applies
from .modern import authorization as modern_authorization
from .modern import protocol_split
from .values import cidr_pred, header_pred, list_pred, port_pred, regex_pred, string_pred

ENFORCING = ("ON", "ON_WITH_INCLUSION", "ON_WITH_EXCLUSION")


@dataclass
class AlphaRbac:
    """What 1.4 read: the RBAC config in effect, roles and bindings (namespace, name, spec), and
    the v1beta1 AuthorizationPolicies that existed beside them."""

    config: dict[str, Any] | None
    roles: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    bindings: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    v1beta1: list[dict[str, Any]] = field(default_factory=list)
    root_namespace: str = "istio-system"


def _stringmatch(value: str | None, patterns: list[str]) -> bool:
    if value is None:
        return False
    for p in patterns:
        if value == p or p == "*" or (p.endswith("*") and value.startswith(p[:-1])) or (p.startswith("*") and value.endswith(p[1:])):
            return True
    return False


# --------------------------------------------------------------------------- enforcement

def enforced(cfg: dict[str, Any] | None, dest: Destination) -> bool:
    if not isinstance(cfg, dict):
        return False
    mode = str(cfg.get("mode", "OFF"))
    if mode == "ON":
        return True
    key = {"ON_WITH_INCLUSION": "inclusion", "ON_WITH_EXCLUSION": "exclusion"}.get(mode)
    if key is None:
        return False
    target = cfg[key] if isinstance(cfg.get(key), dict) else {}
    listed = dest.namespace in scalar_strings(target.get("namespaces")) or (dest.hostname is not None and dest.hostname in scalar_strings(target.get("services")))
    return listed if mode == "ON_WITH_INCLUSION" else not listed


def globally_permissive(cfg: dict[str, Any] | None) -> bool:
    return isinstance(cfg, dict) and str(get_any(cfg, "enforcementMode", "enforcement_mode")) == "PERMISSIVE"


# --------------------------------------------------------------------------- permissions (roles)

_STATIC = ("destination.name", "destination.namespace", "destination.user")


def _constraints(rule: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    items = rule.get("constraints")
    for c in items if isinstance(items, list) else []:
        if isinstance(c, dict):
            out[str(c.get("key", ""))] = scalar_strings(c.get("values"))
    return out


def _bracket(key: str, prefix: str) -> str | None:
    rest = key[len(prefix):]
    if rest.startswith("[") and rest.endswith("]"):
        return rest[1:-1]
    return None


def matches_service(rule: dict[str, Any], dest: Destination) -> bool:
    """The parts of a rule decided per Service instance: services and destination constraints."""
    services = scalar_strings(rule.get("services"))
    if services and not _stringmatch(dest.hostname, services):
        return False
    labels = dest.label_map
    attributes = {"destination.name": dest.service, "destination.namespace": dest.namespace, "destination.user": dest.account}
    for key, values in _constraints(rule).items():
        if key.startswith("destination.labels"):
            name = _bracket(key, "destination.labels")
            if name is None:
                continue
            actual = labels.get(name)
        elif key in _STATIC:
            actual = attributes[key]
        else:
            continue
        if actual is None or not _stringmatch(actual, values):
            return False
    return True


def _values(values: list[str], make: Callable[[str], Formula | None]) -> Formula | None:
    """A field's values ORed; None when no value is usable (1.4 then ignored the field)."""
    preds = [p for p in (make(v) for v in values) if p is not None]
    return any_of(preds) if preds else None


def permission(rule: dict[str, Any], tcp: bool) -> Formula | None:
    """The request conditions of a rule; None when the rule is dropped on this protocol."""
    http_fields = [("hosts", "notHosts", "not_hosts", "host"), ("methods", "notMethods", "not_methods", "method"), ("paths", "notPaths", "not_paths", "path")]
    constraints = _constraints(rule)
    if tcp and (any(scalar_strings(rule.get(a)) or scalar_strings(get_any(rule, b, c)) for a, b, c, _ in http_fields)
                or any(k.startswith("request.headers") for k in constraints)):
        return None
    parts: list[Formula] = []

    def add(values: list[str], make: Callable[[str], Formula | None], negated: bool) -> None:
        f = _values(values, make) if values else None
        if f is not None:
            parts.append(negate(f) if negated else f)

    for pos, neg, neg2, attr in http_fields:
        add(scalar_strings(rule.get(pos)), functools.partial(header_pred, attr), False)
        add(scalar_strings(get_any(rule, neg, neg2)), functools.partial(header_pred, attr), True)
    add(scalar_strings(rule.get("ports")), port_pred, False)
    add(scalar_strings(get_any(rule, "notPorts", "not_ports")), port_pred, True)
    for key in sorted(constraints):
        values = constraints[key]
        if key == "destination.ip":
            add(values, lambda v: cidr_pred("dip", v), False)
        elif key == "destination.port":
            add(values, port_pred, False)
        elif key.startswith("request.headers"):
            name = _bracket(key, "request.headers")
            if name is not None:
                add(values, functools.partial(header_pred, "header:" + name.lower()), False)
        elif key == "connection.sni":
            add(values, lambda v: string_pred("sni", v, star_needs_value=False), False)
        elif key.startswith("experimental.envoy.filters.") and re.fullmatch(r".+\[.+\]", key):
            add(values, functools.partial(string_pred, "meta:" + key, star_needs_value=False), False)

        # destination.labels/name/namespace/user were decided per Service; anything else was ignored
    return all_of(parts)


# --------------------------------------------------------------------------- principals (subjects)

def _principal_value(value: str) -> Formula:
    if value in ("*", "allUsers"):
        return TRUE
    if value == "allAuthenticatedUsers":
        value = "*"
    return string_pred("principal", value, star_needs_value=False)


def _namespace_value(value: str) -> Pred:
    rx = value.replace("*", ".*")
    return regex_pred("principal", f".*/ns/{rx}/.*", (("ns", value),), f"ns={value}")


def _property(key: str, value: str) -> Formula | None:
    if key == "source.ip":
        return cidr_pred("ip", value)
    if key == "source.namespace":
        return _namespace_value(value)
    if key == "source.principal":
        return _principal_value(value)
    if key in ("request.auth.principal", "source.user", "request.auth.audiences", "request.auth.presenter"):
        attr = {"request.auth.principal": "rp", "source.user": "principal", "request.auth.audiences": "aud", "request.auth.presenter": "azp"}[key]
        return string_pred(attr, value, star_needs_value=False)
    if key.startswith("request.headers"):
        name = _bracket(key, "request.headers")
        return header_pred("header:" + name.lower(), value) if name is not None else None
    if key.startswith("request.auth.claims"):
        name = _bracket(key, "request.auth.claims")
        return list_pred("claim:" + name, value, star_needs_value=False) if name is not None else None
    return FALSE  # a custom property: metadata nobody sets, so it never matches


_HTTP_ONLY_SUBJECT = ("group", "groups", "notGroups", "not_groups")


def principal(subject: Any, tcp: bool) -> Formula | None:
    """What a subject requires of the request; None when it is dropped on this protocol."""
    if not isinstance(subject, dict):
        return None
    props = subject["properties"] if isinstance(subject.get("properties"), dict) else {}
    if tcp and (any(str(subject.get(k) or "") for k in ("group",)) or scalar_strings(subject.get("groups")) or scalar_strings(get_any(subject, "notGroups", "not_groups"))
                or any(str(k).startswith("request.") or k == "source.user" for k in props)):
        return None
    parts: list[Formula] = []

    def add(values: list[str], make: Callable[[str], Formula | None], negated: bool = False) -> None:

        f = _values(values, make) if values else None
        if f is not None:
            parts.append(negate(f) if negated else f)

    user = subject.get("user")
    if isinstance(user, (str, int)) and str(user) != "":
        add([str(user)], _principal_value)
    add(scalar_strings(subject.get("names")), _principal_value)
    add(scalar_strings(get_any(subject, "notNames", "not_names")), _principal_value, True)
    group = subject.get("group")
    if isinstance(group, (str, int)) and str(group) != "":
        add([str(group)], lambda v: list_pred("claim:groups", v, star_needs_value=False))
    add(scalar_strings(subject.get("groups")), lambda v: list_pred("claim:groups", v, star_needs_value=False))
    add(scalar_strings(get_any(subject, "notGroups", "not_groups")), lambda v: list_pred("claim:groups", v, star_needs_value=False), True)
    add(scalar_strings(subject.get("namespaces")), _namespace_value)
    add(scalar_strings(get_any(subject, "notNamespaces", "not_namespaces")), _namespace_value, True)
    add(scalar_strings(subject.get("ips")), lambda v: cidr_pred("ip", v))
    add(scalar_strings(get_any(subject, "notIps", "not_ips")), lambda v: cidr_pred("ip", v), True)
    for key in sorted(str(k) for k in props):
        value = props.get(key)
        if value is None:
            continue
        f = _property(key, str(value))
        if f is not None:
            parts.append(f)
    return all_of(parts) if parts else FALSE  # an empty principal matches nobody


# --------------------------------------------------------------------------- the decision

def _role_ref(binding: dict[str, Any]) -> str | None:
    ref = get_any(binding, "roleRef", "role_ref")
    name = ref.get("name") if isinstance(ref, dict) else None
    return str(name) if isinstance(name, (str, int)) and str(name) else None


def _rbac(world: AlphaRbac, dest: Destination, tcp: bool) -> Formula:
    clauses = []
    for ns, name, spec in world.roles:
        if ns != dest.namespace:
            continue
        subjects = [s for bns, _, b in world.bindings if bns == ns and _role_ref(b) == name
                    and str(b.get("mode", "ENFORCED")) != "PERMISSIVE" for s in (b["subjects"] if isinstance(b.get("subjects"), list) else [])]
        rules = spec["rules"] if isinstance(spec.get("rules"), list) else []
        perms = [p for r in rules if isinstance(r, dict) and matches_service(r, dest) for p in [permission(r, tcp)] if p is not None]
        principals = [p for s in subjects for p in [principal(s, tcp)] if p is not None]
        if perms and principals:
            clauses.append(all_of([any_of(perms), any_of(principals)]))
    return any_of(clauses)


def decision(world: AlphaRbac, dest: Destination) -> Formula:
    """Whether 1.4 allowed a request to ``dest``, as a formula over the request's attributes."""
    labels = dest.label_map
    v1beta1 = [p for p in world.v1beta1 if modern_applies(p, dest.namespace, labels, world.root_namespace)]
    if v1beta1:
        return protocol_split(lambda tcp: modern_authorization(v1beta1, tcp))
    if dest.service is None or not enforced(world.config, dest) or globally_permissive(world.config):
        return TRUE
    return protocol_split(lambda tcp: _rbac(world, dest, tcp))
