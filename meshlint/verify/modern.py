"""Modern Istio's authorization decision (security.istio.io AuthorizationPolicy), as a formula.

Written from istio/istio's current authorization model (``pilot/pkg/security/authz``): CUSTOM,
then DENY, then ALLOW; a workload with no ALLOW policy allows what no DENY policy denies; a
policy with no rules matches nothing; ``istio.io/dry-run: "true"`` policies are logged, never
enforced; policies in the root namespace apply to every namespace. On a TCP port a rule that uses
HTTP-only fields is skipped by an ALLOW policy and loses those fields in a DENY policy.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..plain import dict_of, list_strings
from .logic import FALSE, TRUE, Formula, Pred, all_of, any_of, negate
from .values import cidr_pred, equals_pred, header_pred, list_pred, port_pred, regex_pred, string_pred

DRY_RUN = "istio.io/dry-run"


def applies(policy: dict[str, Any], namespace: str, labels: dict[str, str], root_ns: str) -> bool:
    md = dict_of(policy.get("metadata"))
    ns = md.get("namespace")
    spec = dict_of(policy.get("spec"))
    if spec.get("targetRef") or spec.get("targetRefs"):
        return False  # gateways and waypoints, not sidecars
    if ns != namespace and ns != root_ns:
        return False
    sel = dict_of(dict_of(spec.get("selector")).get("matchLabels"))
    return all(labels.get(str(k)) == str(v) for k, v in sel.items())


def dry_run(policy: dict[str, Any]) -> bool:
    value = dict_of(dict_of(policy.get("metadata")).get("annotations")).get(DRY_RUN)
    return str(value).strip().lower() in ("true", "1", "t")


# --------------------------------------------------------------------------- matchers

def request_principal_match(pattern: str, value: Any) -> bool:
    """Modern request principal matching: issuer and subject matched separately, split at the last ``/``."""
    if not isinstance(value, str):
        return False
    vi = value.rfind("/")
    viss, vsub = (value[:vi], value[vi + 1:]) if vi >= 0 else (value, "")
    i = pattern.rfind("/")
    found = i >= 0
    iss, sub = (pattern[:i], pattern[i + 1:]) if found else (pattern, "")
    if pattern == "*":
        return bool(viss) and bool(vsub)
    if pattern.startswith("*"):
        if found:
            return (bool(viss) if iss == "*" else viss.endswith(iss[1:])) and vsub == sub
        return bool(viss) and vsub.endswith(pattern[1:])
    if pattern.endswith("*"):
        if found:
            return viss == iss and (bool(vsub) if sub == "*" else vsub.startswith(sub[:-1]))
        return viss.startswith(pattern[:-1]) and bool(vsub)
    return viss == iss and vsub == sub


def _rp(pattern: str) -> Pred:
    def test(v: Any, p: str = pattern) -> bool:
        return request_principal_match(p, v)

    return Pred("rp", test, (("glob", pattern),), pattern)


def _namespace(pattern: str) -> Pred:
    rx = ".*".join(re.escape(part) for part in pattern.split("*"))
    return regex_pred("principal", f".*/ns/{rx}/.*", (("ns", pattern),), f"ns={pattern}")


def _principal(pattern: str) -> Pred:
    return string_pred("principal", pattern, star_needs_value=True)


def _host(pattern: str) -> Pred:
    low = pattern.lower()

    def test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        s = v.lower()
        if low == "*":
            return True
        if low.startswith("*"):
            return s.endswith(low[1:])
        if low.endswith("*"):
            return s.startswith(low[:-1])
        return s == low

    return Pred("host", test, (("glob", pattern),), pattern)


def _claim_key(key: str) -> str | None:
    m = re.fullmatch(r"request\.auth\.claims\[([^\]]+)\]", key)
    return m.group(1) if m else None


_HTTP_ONLY_WHEN = ("request.headers[", "request.auth.")


def _condition(key: str, value: str) -> Pred | None:
    """One ``when`` value (a predicate), or None when the value is invalid for the key."""
    if key in ("source.ip", "remote.ip"):
        return cidr_pred("ip", value)
    if key == "destination.ip":
        return cidr_pred("dip", value)
    if key == "destination.port":
        return port_pred(value)
    if key == "source.namespace":
        return _namespace(value)
    if key == "source.principal":
        return _principal(value)
    if key == "request.auth.principal":
        return _rp(value)
    if key == "request.auth.audiences":
        return string_pred("aud", value, star_needs_value=True)
    if key == "request.auth.presenter":
        return string_pred("azp", value, star_needs_value=True)
    if key == "connection.sni":
        return string_pred("sni", value, star_needs_value=True)
    m = re.fullmatch(r"request\.headers\[([^\]]+)\]", key)
    if m:
        return header_pred("header:" + m.group(1).lower(), value)
    claim = _claim_key(key)
    if claim is not None:
        return list_pred("claim:" + claim, value, star_needs_value=True)
    if key.startswith("experimental.envoy.filters."):
        return string_pred("meta:" + key, value, star_needs_value=True)
    return None


# --------------------------------------------------------------------------- rules

class _Skip(Exception):
    """A rule an ALLOW policy ignores on this protocol (HTTP-only fields on TCP)."""


def _constraint(parts: list[Formula], values: list[str], not_values: list[str], make: Callable[[str], Formula | None],
                http_only: bool, tcp: bool, deny: bool) -> None:
    if not values and not not_values:
        return
    if http_only and tcp:
        if deny:
            return  # a DENY policy drops what TCP cannot see: it denies more
        raise _Skip()
    if values:
        parts.append(any_of(p for p in (make(v) for v in values) if p is not None))
    if not_values:
        parts.append(negate(any_of(p for p in (make(v) for v in not_values) if p is not None)))


def rule_formula(rule: Any, tcp: bool, deny: bool) -> Formula:
    if not isinstance(rule, dict):
        return FALSE
    try:
        when_parts: list[Formula] = []
        for cond in rule.get("when") or []:
            if not isinstance(cond, dict):
                continue
            key = str(cond.get("key", ""))
            http_only = key.startswith(_HTTP_ONLY_WHEN)
            _constraint(when_parts, list_strings(cond.get("values")), list_strings(cond.get("notValues")), functools.partial(_condition, key), http_only, tcp, deny)
        froms = []
        for f in rule.get("from") or []:
            src = dict_of(dict_of(f).get("source"))
            parts: list[Formula] = []
            _constraint(parts, list_strings(src.get("principals")), list_strings(src.get("notPrincipals")), _principal, False, tcp, deny)
            _constraint(parts, list_strings(src.get("requestPrincipals")), list_strings(src.get("notRequestPrincipals")), _rp, True, tcp, deny)
            _constraint(parts, list_strings(src.get("namespaces")), list_strings(src.get("notNamespaces")), _namespace, False, tcp, deny)
            _constraint(parts, list_strings(src.get("ipBlocks")), list_strings(src.get("notIpBlocks")), lambda v: cidr_pred("ip", v), False, tcp, deny)
            _constraint(parts, list_strings(src.get("remoteIpBlocks")), list_strings(src.get("notRemoteIpBlocks")), lambda v: cidr_pred("ip", v), False, tcp, deny)
            froms.append(all_of(parts))
        tos = []
        for t in rule.get("to") or []:
            op = dict_of(dict_of(t).get("operation"))
            parts = []
            _constraint(parts, list_strings(op.get("hosts")), list_strings(op.get("notHosts")), _host, True, tcp, deny)
            _constraint(parts, list_strings(op.get("ports")), list_strings(op.get("notPorts")), port_pred, False, tcp, deny)
            _constraint(parts, list_strings(op.get("methods")), list_strings(op.get("notMethods")), lambda v: header_pred("method", v), True, tcp, deny)
            _constraint(parts, list_strings(op.get("paths")), list_strings(op.get("notPaths")), lambda v: string_pred("path", v, star_needs_value=True), True, tcp, deny)
            tos.append(all_of(parts))
    except _Skip:
        return FALSE
    return all_of([any_of(froms) if rule.get("from") else TRUE, any_of(tos) if rule.get("to") else TRUE, *when_parts])


def policy_formula(policy: dict[str, Any], tcp: bool) -> Formula:
    spec = dict_of(policy.get("spec"))
    deny = spec.get("action") == "DENY"
    return any_of(rule_formula(r, tcp, deny) for r in (spec.get("rules") or []))


def authorization(policies: Iterable[dict[str, Any]], tcp: bool, memo: dict[Any, Any] | None = None) -> Formula:
    """The decision of the policies that apply to one workload (the caller selects them).
    ``memo``: compiled policies by identity, for a caller that asks about the same objects often."""
    def compiled(p: dict[str, Any]) -> Formula:
        if memo is None:
            return policy_formula(p, tcp)
        hit = memo.get((id(p), tcp))
        if hit is None:
            hit = memo[(id(p), tcp)] = (policy_formula(p, tcp), p)  # the object is kept alive with its id
        return hit[0]

    allow, deny, custom = [], [], []
    for p in policies:
        if dry_run(p):
            continue
        action = dict_of(p.get("spec")).get("action", "ALLOW")
        if action == "ALLOW":
            allow.append(compiled(p))
        elif action == "DENY":
            deny.append(compiled(p))
        elif action == "CUSTOM":
            provider = str(dict_of(dict_of(p.get("spec")).get("provider")).get("name", "?"))
            custom.append(negate(all_of([compiled(p), negate(equals_pred("ext:" + provider, "allow"))])))
    parts = custom + [negate(any_of(deny))]
    if allow:
        parts.append(any_of(allow))
    return all_of(parts)


def protocol_split(build: Callable[[bool], Formula]) -> Formula:
    """One formula for both ways a port can be served: ``proto`` decides which applies."""
    http, tcp = build(False), build(True)
    if http is tcp:
        return http
    return any_of([all_of([equals_pred("proto", "http"), http]), all_of([equals_pred("proto", "tcp"), tcp])])
