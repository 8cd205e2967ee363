"""Verify an authentication conversion: decide each request class under the 1.4 alpha
policies and under the converted PeerAuthentication / RequestAuthentication /
AuthorizationPolicy objects, and list every class where the decisions differ, with why.

Request classes combine the destination (each targeted Service, and a workload no policy
targets), mTLS or plain text, no token / a valid token / a token from another issuer, the
paths the trigger rules mention plus one they do not, and the target ports plus one more.
AuthorizationPolicy decisions reuse the RBAC verifier's evaluator.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterator

from ..model import Resource
from ..rbac.evaluate import Request as AuthzRequest, new_allows
from .convert import _get, _list, _service_port, Plan

WRONG_ISSUER = "meshlint-wrong-issuer"


@dataclass(frozen=True)
class Req:
    namespace: str
    service: str | None
    labels: tuple[tuple[str, str], ...]
    port: str
    mtls: bool
    token: str | None  # issuer of a valid-looking token, WRONG_ISSUER, or None
    path: str

    def describe(self) -> str:
        tok = "no token" if self.token is None else ("a token from another issuer" if self.token == WRONG_ISSUER else f"a token from {self.token}")
        return f"{'mTLS' if self.mtls else 'plain text'} request with {tok} to {self.service or 'another workload'}.{self.namespace}:{self.port}{self.path}"


@dataclass(frozen=True)
class Difference:
    request: Req
    old: bool
    new: bool
    reason: str

    def describe(self) -> str:
        word = lambda ok: "allowed" if ok else "rejected"  # noqa: E731
        return f"{self.request.describe()}: 1.4 {word(self.old)}, converted {word(self.new)} ({self.reason})"


# --------------------------------------------------------------------------- 1.4

def _targets_port(policy: Resource, req: Req, index) -> bool | None:
    """None: the policy does not apply; True/False: it applies (to this port)."""
    targets = _list(policy.spec.get("targets"))
    if not targets:
        return True
    for t in targets:
        if not isinstance(t, dict) or t.get("name") != req.service:
            continue
        if not t.get("ports"):
            return True
        svc = index.get("Service", req.namespace, req.service, group="")
        ports = [_service_port(svc, p, index, "", Plan()) for p in _list(t.get("ports"))] if svc else []
        return req.port in ports
    return None


def applicable_alpha(policies: list[Resource], req: Req, index, root_ns: str) -> Resource | None:
    """Service-specific policy, else the namespace's, else the MeshPolicy (1.4's precedence)."""
    ns_level, mesh = None, None
    for p in policies:
        if p.kind == "MeshPolicy":
            mesh = p
        elif index.ns(p) == req.namespace:
            hit = _targets_port(p, req, index)
            if hit and p.spec.get("targets"):
                return p
            if not p.spec.get("targets"):
                ns_level = p
    return ns_level or mesh


def _triggered(jwt: dict, path: str) -> bool:
    rules = _get(jwt, "triggerRules", "trigger_rules")
    if not rules:
        return True

    def hit(m: Any) -> bool:
        if not isinstance(m, dict):
            return False
        if "exact" in m:
            return path == m["exact"]
        if "prefix" in m:
            return path.startswith(str(m["prefix"]))
        if "suffix" in m:
            return path.endswith(str(m["suffix"]))
        return False

    for r in _list(rules):
        inc = _list(_get(r, "includedPaths", "included_paths"))
        exc = _list(_get(r, "excludedPaths", "excluded_paths"))
        if (not inc or any(hit(m) for m in inc)) and not any(hit(m) for m in exc):
            return True
    return False


def old_decision(req: Req, policies: list[Resource], index, root_ns: str) -> tuple[bool, str]:
    p = applicable_alpha(policies, req, index, root_ns)
    if p is None:
        return True, "no policy"
    peers = _list(p.spec.get("peers"))
    if peers:
        mtls = peers[0].get("mtls") if isinstance(peers[0], dict) else None
        mode = (mtls or {}).get("mode", "STRICT") if isinstance(mtls, dict) or mtls is None else "STRICT"
        if mode == "STRICT" and not req.mtls:
            return False, "peer authentication (STRICT)"
    elif req.mtls:
        return False, "peer authentication (no peers: plain text only)"
    origins = [o.get("jwt") for o in _list(p.spec.get("origins")) if isinstance(o, dict) and isinstance(o.get("jwt"), dict)]
    if origins and not _get(p.spec, "originIsOptional", "origin_is_optional"):
        triggered = [j for j in origins if _triggered(j, req.path)]
        if triggered and not any(str(j.get("issuer")) == req.token for j in triggered):
            return False, "origin authentication (JWT required)"
    return True, "authenticated"


# --------------------------------------------------------------------------- converted

def _selects(obj: dict, req: Req) -> bool:
    sel = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels")
    labels = dict(req.labels)
    return not sel or all(labels.get(k) == v for k, v in sel.items())


def _scope(objs: list[dict], kind: str, req: Req, root_ns: str) -> list[dict]:
    return [o for o in objs if o.get("kind") == kind and o["metadata"].get("namespace") in (req.namespace, root_ns) and _selects(o, req)
            and (o["metadata"]["namespace"] == req.namespace or not (o.get("spec") or {}).get("selector"))]


def _peer_mode(objs: list[dict], req: Req, root_ns: str) -> str:
    pas = _scope(objs, "PeerAuthentication", req, root_ns)
    ranked = sorted(pas, key=lambda o: (o["metadata"]["namespace"] == req.namespace, bool((o["spec"] or {}).get("selector"))), reverse=True)
    for o in ranked:
        spec = o.get("spec") or {}
        port_level = (spec.get("portLevelMtls") or {}).get(req.port)
        if port_level:
            return port_level.get("mode", "PERMISSIVE")
        if spec.get("mtls", {}).get("mode") not in (None, "UNSET"):
            return spec["mtls"]["mode"]
    return "PERMISSIVE"


def new_decision(req: Req, objs: list[dict], root_ns: str) -> tuple[bool, str]:
    mode = _peer_mode(objs, req, root_ns)
    if mode == "STRICT" and not req.mtls:
        return False, "PeerAuthentication (STRICT)"
    if mode == "DISABLE" and req.mtls:
        return False, "PeerAuthentication (DISABLE)"
    ras = _scope(objs, "RequestAuthentication", req, root_ns)
    issuers = {str(r.get("issuer")) for o in ras for r in (o.get("spec") or {}).get("jwtRules", [])}
    principal = None
    if req.token is not None and ras:  # with no RequestAuthentication in scope a token is not even read
        if req.token not in issuers:
            return False, "RequestAuthentication (token from an unknown issuer)"
        principal = f"{req.token}/subject"
    areq = AuthzRequest(req.namespace, req.service, req.labels, "cluster.local/ns/client/sa/client" if req.mtls else None, "10.0.0.1",
                        principal, (), "GET", req.path, req.port, ())
    aps = [o for o in objs if o.get("kind") == "AuthorizationPolicy"]
    if not new_allows(areq, aps, root_ns):
        return False, "AuthorizationPolicy"
    return True, "authenticated"


# --------------------------------------------------------------------------- classes

def _examples(patterns: set[str]) -> list[str]:
    out = {"/meshlint-other"}
    for p in patterns:
        out.add(p.rstrip("*") + "x" if p.endswith("*") else ("/x" + p.lstrip("*") if p.startswith("*") else p))
    return sorted(out)


def request_classes(policies: list[Resource], objs: list[dict], index) -> Iterator[Req]:
    paths: set[str] = set()
    issuers: set[str] = set()
    ports: set[str] = {"65000"}
    dests: set[tuple[str, str | None, tuple]] = set()
    for o in objs:
        spec = o.get("spec") or {}
        ports.update((spec.get("portLevelMtls") or {}).keys())
        for r in spec.get("jwtRules", []):
            issuers.add(str(r.get("issuer")))
        for rule in spec.get("rules", []):
            for t in rule.get("to", []):
                op = t.get("operation", {})
                paths.update(op.get("paths", []) + op.get("notPaths", []))
                ports.update(op.get("ports", []))
    for p in policies:  # the old policies' own paths too, so a conversion that lost them is still exercised
        for o in _list(p.spec.get("origins")):
            jwt = o.get("jwt") if isinstance(o, dict) else None
            for r in _list(_get(jwt, "triggerRules", "trigger_rules")):
                for m in _list(_get(r, "includedPaths", "included_paths")) + _list(_get(r, "excludedPaths", "excluded_paths")):
                    if isinstance(m, dict):
                        paths.update([str(m["exact"])] if "exact" in m else [f"{m['prefix']}*"] if "prefix" in m else [f"*{m['suffix']}"] if "suffix" in m else [])
    namespaces = {index.ns(p) for p in policies if p.kind != "MeshPolicy"} | {"meshlint-other-ns"}
    for p in policies:
        for t in _list(p.spec.get("targets")):
            svc = index.get("Service", index.ns(p), t.get("name"), group="") if isinstance(t, dict) else None
            if svc is not None and isinstance(svc.spec.get("selector"), dict):
                dests.add((index.ns(p), svc.name, tuple(sorted((str(k), str(v)) for k, v in svc.spec["selector"].items()))))
                for sp in _list(svc.spec.get("ports")):
                    if isinstance(sp, dict):
                        tp = sp.get("targetPort", sp.get("port"))
                        if isinstance(tp, int):
                            ports.add(str(tp))
    for ns in namespaces:
        dests.add((ns, None, (("app", "meshlint-untargeted"),)))
    tokens: list[str | None] = [None, WRONG_ISSUER, *sorted(issuers)]
    for (ns, svc, labels), port, mtls, token, path in itertools.product(sorted(dests, key=str), sorted(ports), (True, False), tokens, _examples(paths)):
        yield Req(ns, svc, labels, port, mtls, token, path)


def verify(policies: list[Resource], objs: list[dict], index, root_ns: str) -> list[Difference]:
    diffs = []
    for req in request_classes(policies, objs, index):
        old, why_old = old_decision(req, policies, index, root_ns)
        new, why_new = new_decision(req, objs, root_ns)
        if old != new:
            diffs.append(Difference(req, old, new, f"1.4: {why_old}; converted: {why_new}"))
    return diffs
