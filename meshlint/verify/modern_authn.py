"""Modern Istio's authentication decision: PeerAuthentication, RequestAuthentication and the
AuthorizationPolicies that act on their result, as a formula over ``mtls``, ``token``, ``path``
and ``port``.

- PeerAuthentication: the workload's own (selector) policy, else the namespace's, else the
  root namespace's; a port-level mode of the selector policy wins for its port; UNSET inherits;
  none: PERMISSIVE. STRICT accepts mTLS only, DISABLE plain text only.
- RequestAuthentication: every one that applies to the workload; a request carrying a token
  that none of their issuers validates is rejected, a request without a token passes. With no
  RequestAuthentication, tokens are not read (no request principal).
- AuthorizationPolicy (:mod:`.modern`): decided on the request principal the token gives.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..plain import dict_of
from .logic import TRUE, Formula, all_of, any_of, negate, restrict
from .modern import applies, authorization, protocol_split
from .values import INVALID_TOKEN, equals_pred


def _mode_of(spec: dict[str, Any], port: str | None) -> str | None:
    if port is not None:
        level = dict_of(dict_of(spec.get("portLevelMtls")).get(port))
        if level.get("mode") not in (None, "UNSET"):
            return str(level["mode"])
    mode = dict_of(spec.get("mtls")).get("mode")
    return str(mode) if mode not in (None, "UNSET") else None


def peer_mode(objects: Iterable[dict[str, Any]], namespace: str, labels: dict[str, str], root_ns: str, port: str | None) -> str:
    pas = [o for o in objects if o.get("kind") == "PeerAuthentication" and applies(o, namespace, labels, root_ns)]
    own = [o for o in pas if dict_of(o["metadata"]).get("namespace") == namespace]
    workload = [o for o in own if dict_of(dict_of(o.get("spec")).get("selector")).get("matchLabels")]
    ns_wide = [o for o in own if o not in workload]
    mesh = [o for o in pas if dict_of(o["metadata"]).get("namespace") == root_ns and not dict_of(dict_of(o.get("spec")).get("selector")).get("matchLabels")]
    for group in (workload, ns_wide, mesh):
        for o in group:
            mode = _mode_of(dict_of(o.get("spec")), port if group is workload else None)
            if mode is not None:
                return mode
    return "PERMISSIVE"


def _peer(mode: str) -> Formula:
    if mode == "STRICT":
        return equals_pred("mtls", True)
    if mode == "DISABLE":
        return equals_pred("mtls", False)
    return TRUE


def decision(objects: list[dict[str, Any]], namespace: str, labels: dict[str, str], root_ns: str, ports: list[str], issuers: list[str], memo: dict[Any, Any] | None = None) -> Formula:
    """``ports``: the workload ports that may differ (a port-level mode); ``issuers``: every issuer
    either side mentions (the token attribute's values)."""
    per_port = [all_of([equals_pred("port", p), _peer(peer_mode(objects, namespace, labels, root_ns, p))]) for p in ports]
    other = all_of([negate(any_of(equals_pred("port", p) for p in ports)), _peer(peer_mode(objects, namespace, labels, root_ns, None))])
    peer = any_of(per_port + [other])
    ras = [o for o in objects if o.get("kind") == "RequestAuthentication" and applies(o, namespace, labels, root_ns)]
    trusted = {str(dict_of(r).get("issuer")) for o in ras for r in (dict_of(o.get("spec")).get("jwtRules") or [])}
    aps = [o for o in objects if o.get("kind") == "AuthorizationPolicy" and applies(o, namespace, labels, root_ns)]
    authz = protocol_split(lambda tcp: authorization(aps, tcp, memo))
    by_token = []
    for token in [None, INVALID_TOKEN, *issuers]:
        if token is None or not ras:
            principal = None  # no token, or nobody reads it
            ok = TRUE
        elif token in trusted:
            principal = f"{token}/meshlint-subject"
            ok = TRUE
        else:
            principal, ok = None, None
        if ok is None:
            continue  # a token no RequestAuthentication trusts: 401
        by_token.append(all_of([equals_pred("token", token), restrict(authz, "rp", principal)]))
    return all_of([peer, any_of(by_token)])
