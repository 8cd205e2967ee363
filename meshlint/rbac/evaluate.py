"""Verify an RBAC conversion: decide every request class under the 1.4 alpha RBAC
semantics and under the converted AuthorizationPolicies, and list the differences.

Request classes are built from the values the policies mention (plus one value that
none of them mention, and "absent"), so every branch of every rule is exercised.
The source namespace is derived from the peer principal, as both 1.4 and modern
Istio do (``cluster.local/ns/<ns>/sa/<sa>``).
"""
from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..model import Resource
from .convert import Enforcement, _get, _list, _strs, bindings_of

OTHER = "meshlint-unmentioned"


@dataclass(frozen=True)
class Request:
    namespace: str  # the destination workload's namespace
    service: str | None  # the Service the request was sent to
    labels: tuple[tuple[str, str], ...]  # the destination pods' labels
    principal: str | None  # peer identity (None: plain text)
    source_ip: str
    request_principal: str | None
    claims: tuple[tuple[str, str], ...]
    method: str
    path: str
    port: str
    headers: tuple[tuple[str, str], ...]

    @property
    def source_namespace(self) -> str | None:
        m = re.match(r"^[^/]+/ns/([^/]+)/", self.principal or "")
        return m.group(1) if m else None

    def describe(self) -> str:
        who = self.principal or "plain text"
        jwt = f", JWT {self.request_principal}" if self.request_principal else ""
        extra = "".join(f", {k}={v}" for k, v in self.claims + self.headers)
        return f"{self.method} {self.path} port {self.port} to {self.service or dict(self.labels)} in {self.namespace} from {who} ({self.source_ip}){jwt}{extra}"


@dataclass(frozen=True)
class Difference:
    request: Request
    old: bool
    new: bool

    def describe(self) -> str:
        verdict = lambda ok: "allowed" if ok else "denied"  # noqa: E731
        return f"{self.request.describe()}: 1.4 {verdict(self.old)}, converted {verdict(self.new)}"


# --------------------------------------------------------------------------- matching

def match_string(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    if pattern == "*":
        return value != ""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _any(patterns: Iterable[str], value: str | None) -> bool:
    return any(match_string(p, value) for p in patterns)


def _ip_in(block: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(block, strict=False)
    except ValueError:
        return block == ip


def _service_matches(pattern: str, req: Request) -> bool:
    if req.service is None:
        return pattern == "*"
    ns = req.namespace
    names = [req.service, f"{req.service}.{ns}", f"{req.service}.{ns}.svc", f"{req.service}.{ns}.svc.cluster.local"]
    return any(match_string(pattern, n) for n in names)


def _attribute(req: Request, key: str) -> str | None:
    m = re.fullmatch(r"(request\.headers|request\.auth\.claims|destination\.labels)\[([^\]]+)\]", key)
    if m:
        src = {"request.headers": req.headers, "request.auth.claims": req.claims, "destination.labels": req.labels}[m.group(1)]
        return dict(src).get(m.group(2))
    return {
        "source.ip": req.source_ip,
        "source.namespace": req.source_namespace,
        "source.principal": req.principal,
        "source.user": req.principal,
        "request.auth.principal": req.request_principal,
        "destination.port": req.port,
    }.get(key)


# --------------------------------------------------------------------------- 1.4 semantics

def old_allows(req: Request, roles: list[Resource], index, enf: Enforcement) -> bool:
    if not enf.enforced(req.namespace, req.service):
        return True
    for role in roles:
        if index.ns(role) != req.namespace:
            continue
        subjects = [s for b in bindings_of(role, index) for s in _list(b.spec.get("subjects"))]
        if not any(_old_subject(s, req) for s in subjects):
            continue
        if any(_old_rule(r, req) for r in _list(role.spec.get("rules"))):
            return True
    return False


def _old_subject(subject: Any, req: Request) -> bool:
    if not isinstance(subject, dict):
        return False
    for key, value in subject.items():
        if key == "user" and not (value == "*" or match_string(str(value), req.principal)):
            return False
        if key == "group" and not (value == "*" or dict(req.claims).get("groups") == str(value)):
            return False
        lists = {"names": req.principal, "namespaces": req.source_namespace, "groups": dict(req.claims).get("groups")}
        negated = {"not_names": req.principal, "notNames": req.principal, "not_namespaces": req.source_namespace,
                   "notNamespaces": req.source_namespace, "not_groups": dict(req.claims).get("groups"), "notGroups": dict(req.claims).get("groups")}
        if key in lists and _strs(value) and not _any(_strs(value), lists[key]):
            return False
        if key in negated and _any(_strs(value), negated[key]):
            return False
        if key == "ips" and _strs(value) and not any(_ip_in(b, req.source_ip) for b in _strs(value)):
            return False
        if key in ("not_ips", "notIps") and any(_ip_in(b, req.source_ip) for b in _strs(value)):
            return False
        if key == "properties" and isinstance(value, dict):
            for pkey, pval in value.items():
                pval = str(pval)
                actual = _attribute(req, str(pkey))
                if pkey == "source.ip":
                    if not _ip_in(pval, req.source_ip):
                        return False
                elif not (pval == "*" or match_string(pval, actual)):
                    return False
    return True


def _old_rule(rule: Any, req: Request) -> bool:
    if not isinstance(rule, dict):
        return False
    if not any(_service_matches(p, req) for p in _strs(rule.get("services"))):
        return False
    checks = (("methods", req.method), ("paths", req.path), ("ports", req.port))
    for key, actual in checks:
        vals = _strs(_get(rule, key))
        if vals and not _any(vals, actual):
            return False
    for key, actual in (("not_methods", req.method), ("not_paths", req.path), ("not_ports", req.port)):
        vals = _strs(_get(rule, key, key.replace("_m", "M").replace("_p", "P")))
        if vals and _any(vals, actual):
            return False
    for c in _list(rule.get("constraints")):
        if not isinstance(c, dict):
            return False
        if not _any(_strs(c.get("values")), _attribute(req, str(c.get("key")))):
            return False
    return True


# --------------------------------------------------------------------------- modern semantics

def new_allows(req: Request, policies: list[dict], root_ns: str) -> bool:
    applicable = [p for p in policies if _applies(p, req, root_ns)]
    spec = lambda p: p.get("spec") or {}  # noqa: E731
    if any(_new_rules_match(spec(p), req) for p in applicable if spec(p).get("action") == "DENY"):
        return False
    allow = [p for p in applicable if spec(p).get("action", "ALLOW") == "ALLOW"]
    if not allow:
        return True
    return any(_new_rules_match(spec(p), req) for p in allow)


def _applies(p: dict, req: Request, root_ns: str) -> bool:
    ns = (p.get("metadata") or {}).get("namespace")
    if ns != root_ns and ns != req.namespace:
        return False
    sel = ((p.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    labels = dict(req.labels)
    return all(labels.get(k) == v for k, v in sel.items())


def _new_rules_match(spec: dict, req: Request) -> bool:
    return any(_new_rule(r, req) for r in spec.get("rules") or [])


def _new_rule(rule: dict, req: Request) -> bool:
    froms = rule.get("from")
    if froms and not any(_new_source(f.get("source") or {}, req) for f in froms):
        return False
    tos = rule.get("to")
    if tos and not any(_new_operation(t.get("operation") or {}, req) for t in tos):
        return False
    for cond in rule.get("when") or []:
        actual = _attribute(req, cond.get("key", ""))
        if cond.get("values") and not _any(cond["values"], actual):
            return False
        if cond.get("notValues") and _any(cond["notValues"], actual):
            return False
    return True


def _new_source(src: dict, req: Request) -> bool:
    pairs = (("principals", req.principal), ("namespaces", req.source_namespace), ("requestPrincipals", req.request_principal))
    for key, actual in pairs:
        if src.get(key) and not _any(src[key], actual):
            return False
        if src.get("not" + key[0].upper() + key[1:]) and _any(src["not" + key[0].upper() + key[1:]], actual):
            return False
    if src.get("ipBlocks") and not any(_ip_in(b, req.source_ip) for b in src["ipBlocks"]):
        return False
    if src.get("notIpBlocks") and any(_ip_in(b, req.source_ip) for b in src["notIpBlocks"]):
        return False
    return True


def _new_operation(op: dict, req: Request) -> bool:
    for key, actual in (("methods", req.method), ("paths", req.path), ("ports", req.port)):
        if op.get(key) and not _any(op[key], actual):
            return False
        neg = "not" + key[0].upper() + key[1:]
        if op.get(neg) and _any(op[neg], actual):
            return False
    return True


# --------------------------------------------------------------------------- request classes

def _examples(patterns: Iterable[str], fallback: str) -> list[str]:
    out = {fallback}
    for p in patterns:
        if p == "*":
            continue
        out.add(p[:-1] + "x" if p.endswith("*") else ("x" + p[1:] if p.startswith("*") else p))
    return sorted(out)


def request_classes(roles: list[Resource], index, policies: list[dict]) -> Iterator[Request]:
    texts: dict[str, set[str]] = {k: set() for k in ("principal", "ns", "ip", "rp", "groups", "method", "path", "port")}
    headers: dict[str, set[str]] = {}
    label_values: dict[str, set[str]] = {}
    namespaces: set[str] = set()

    def walk(obj: Any, key: str = "") -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, str(k))
            if "key" in obj and ("values" in obj or "notValues" in obj):
                vals = _strs(obj.get("values")) + _strs(obj.get("notValues"))
                k = str(obj["key"])
                m = re.fullmatch(r"(request\.headers|destination\.labels)\[([^\]]+)\]", k)
                if m:
                    (headers if m.group(1) == "request.headers" else label_values).setdefault(m.group(2), set()).update(vals)
                elif k == "request.auth.claims[groups]":
                    texts["groups"].update(vals)
                elif k == "destination.port":
                    texts["port"].update(vals)
        elif isinstance(obj, list):
            for v in obj:
                walk(v, key)
        elif isinstance(obj, (str, int)):
            v = str(obj)
            bucket = {"user": "principal", "principals": "principal", "notPrincipals": "principal", "names": "principal",
                      "source.principal": "principal", "source.user": "principal",
                      "namespaces": "ns", "notNamespaces": "ns", "source.namespace": "ns",
                      "ipBlocks": "ip", "notIpBlocks": "ip", "source.ip": "ip", "ips": "ip",
                      "requestPrincipals": "rp", "request.auth.principal": "rp", "group": "groups",
                      "methods": "method", "notMethods": "method", "paths": "path", "notPaths": "path",
                      "ports": "port", "notPorts": "port"}.get(key)
            if bucket:
                texts[bucket].add(v)

    for r in roles:
        walk(r.spec)
        namespaces.add(index.ns(r))
        for b in bindings_of(r, index):
            walk(b.spec)
    walk([p.get("spec") for p in policies])
    namespaces.update(str((p.get("metadata") or {}).get("namespace")) for p in policies)
    namespaces.add("meshlint-other-ns")  # a namespace no policy mentions: tests mesh-wide behaviour
    principals = set(_examples(texts["principal"], "cluster.local/ns/other/sa/other"))
    principals.update(f"cluster.local/ns/{ns}/sa/default" for ns in texts["ns"] if ns != "*")
    principal_opts: list[str | None] = sorted(principals) + [None]
    ips = sorted({str(next(ipaddress.ip_network(b, strict=False).hosts(), ipaddress.ip_network(b, strict=False).network_address)) if "/" in b else b for b in texts["ip"] if _valid_net(b)} | {"203.0.113.7"})
    rps: list[str | None] = _examples(texts["rp"], "issuer/other") + [None]
    groups: list[str | None] = sorted(texts["groups"] - {"*"}) + [None]
    header_opts = [[(h, v) for v in _examples(vals, OTHER)] + [None] for h, vals in sorted(headers.items())]
    destinations = []
    for ns in sorted(namespaces):
        for svc in index.of_kind("Service", namespace=ns, group=""):
            sel = svc.spec.get("selector") if isinstance(svc.spec.get("selector"), dict) else {}
            base = {str(k): str(v) for k, v in sel.items()}
            variants = [base] + [{**base, k: v} for k, vals in label_values.items() for v in vals if k not in base]
            destinations.extend((ns, svc.name, tuple(sorted(v.items()))) for v in variants)
        destinations.append((ns, None, (("app", OTHER),)))
    for dest, principal, ip, rp, grp, method, path, port, *hdrs in itertools.product(
        destinations, principal_opts, ips, rps, groups,
        _examples(texts["method"], "PATCH"), _examples(texts["path"], "/other"), _examples(texts["port"], "65000"), *header_opts,
    ):
        ns, svc, labels = dest
        claims = (("groups", grp),) if grp else ()
        yield Request(ns, svc, labels, principal, ip, rp, claims, method, path, port, tuple(h for h in hdrs if h))


def _valid_net(b: str) -> bool:
    try:
        ipaddress.ip_network(b, strict=False)
        return True
    except ValueError:
        return False


def verify(roles: list[Resource], index, enf: Enforcement, policies: list[dict], root_ns: str, limit: int = 200_000) -> list[Difference]:
    """Every request class on which 1.4 and the converted policies decide differently."""
    diffs = []
    for n, req in enumerate(request_classes(roles, index, policies)):
        if n >= limit:
            break
        old = old_allows(req, roles, index, enf)
        new = new_allows(req, policies, root_ns)
        if old != new:
            diffs.append(Difference(req, old, new))
    return diffs
