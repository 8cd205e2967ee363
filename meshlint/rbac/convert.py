"""Alpha RBAC (rbac.istio.io/v1alpha1) → AuthorizationPolicy (security.istio.io/v1).

Pure functions over resources and the resource index. Nothing here is ever widened
silently: whatever cannot be expressed exactly is returned as a refusal, and the
caller reports it instead of converting.

Mapping (the facts istioctl 1.4/1.5 `x authz convert` used, extended to every field):

- ClusterRbacConfig/RbacConfig ``ON``: an allow-nothing policy in the root namespace;
  ``ON_WITH_INCLUSION``: allow-nothing per included namespace or service;
  ``ON_WITH_EXCLUSION``: root allow-nothing plus allow-all per excluded namespace or service;
  ``OFF``: nothing.
- ServiceRole rule × each Service its ``services`` patterns resolve to: one ALLOW policy
  selecting that Service's pods, with the bindings' subjects as sources.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..model import Resource, pointer

API_VERSION = "security.istio.io/v1"
SOURCE_ANNOTATION = "meshlint.io/converted-from"
ENFORCING_MODES = ("ON", "ON_WITH_INCLUSION", "ON_WITH_EXCLUSION")


@dataclass(frozen=True)
class Refusal:
    """Something that cannot be converted exactly: where (resource + pointer) and why."""

    resource: Resource
    path: str
    reason: str


@dataclass
class RolePlan:
    policies: list[dict] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    bindings: list[Resource] = field(default_factory=list)
    not_enforced: list[str] = field(default_factory=list)  # targets 1.4 did not enforce: not converted


# --------------------------------------------------------------------------- helpers

def _ns(res: Resource, index) -> str:
    return index.ns(res)


def _list(v: Any) -> list:
    return v if isinstance(v, list) else ([] if v is None else [v])


def _strs(v: Any) -> list[str]:
    return [str(x) for x in _list(v) if isinstance(x, (str, int, float)) and not isinstance(x, bool)]


def _get(d: Any, *names: str) -> Any:
    """A field by any of its spellings (1.4 accepted snake_case and camelCase)."""
    if not isinstance(d, dict):
        return None
    for n in names:
        if n in d:
            return d[n]
    return None


def _origin(res: Resource) -> str:
    ns = f"{res.namespace}/" if res.namespace else ""
    return f"{res.file}#{res.kind} {ns}{res.name}"


def policy(name: str, namespace: str, spec: dict, sources: Iterable[Resource]) -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": "AuthorizationPolicy",
        "metadata": {
            "name": _dns_name(name),
            "namespace": namespace,
            "annotations": {SOURCE_ANNOTATION: "; ".join(_origin(s) for s in sources)},
        },
        "spec": spec,
    }


def _dns_name(name: str) -> str:
    n = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (n or "policy")[:253].rstrip("-")


# --------------------------------------------------------------------------- enforcement

@dataclass(frozen=True)
class Enforcement:
    """Where 1.4 enforced RBAC, as the ClusterRbacConfig (or RbacConfig) said."""

    mode: str | None  # None: no config among the inputs
    namespaces: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()  # FQDNs as written, e.g. reviews.default.svc.cluster.local

    def enforced(self, namespace: str, service: str | None = None) -> bool:
        if self.mode == "ON":
            return True
        if self.mode == "ON_WITH_INCLUSION":
            return namespace in self.namespaces or (service is not None and _service_in(service, namespace, self.services))
        if self.mode == "ON_WITH_EXCLUSION":
            return namespace not in self.namespaces and not (service is not None and _service_in(service, namespace, self.services))
        return False


def _service_in(name: str, namespace: str, fqdns: frozenset[str]) -> bool:
    return any(_short_service(f, namespace) == name for f in fqdns)


def _short_service(ref: str, namespace: str) -> str | None:
    """``reviews``, ``reviews.default``, ``reviews.default.svc.cluster.local`` → ``reviews`` when in ``namespace``."""
    parts = ref.split(".")
    if len(parts) == 1:
        return ref
    if parts[1] != namespace:
        return None
    return parts[0]


def config_of(index) -> Resource | None:
    configs = index.of_kind("ClusterRbacConfig", group="rbac.istio.io") or index.of_kind("RbacConfig", group="rbac.istio.io")
    return configs[-1] if configs else None


def enforcement(index) -> Enforcement:
    cfg = config_of(index)
    if cfg is None:
        return Enforcement(None)
    spec = cfg.spec
    mode = str(spec.get("mode", "OFF"))
    key = "inclusion" if mode == "ON_WITH_INCLUSION" else "exclusion"
    target = spec.get(key) if isinstance(spec.get(key), dict) else {}
    return Enforcement(mode, frozenset(_strs(target.get("namespaces"))), frozenset(_strs(target.get("services"))))


def assumed_enforcement(index) -> Enforcement:
    """``--assume-rbac-on`` with no config among the inputs: RBAC was enforced in every
    namespace that has a ServiceRole, and nowhere else."""
    roles = index.of_kind("ServiceRole", group="rbac.istio.io")
    return Enforcement("ON_WITH_INCLUSION", frozenset(index.ns(r) for r in roles))


def assumed_deny_all(role: Resource, index) -> list[dict]:
    """Under ``--assume-rbac-on``, the allow-nothing policy of the role's namespace, emitted
    once: with the first ServiceRole (by name) of that namespace."""
    ns = index.ns(role)
    first = min(index.of_kind("ServiceRole", namespace=ns, group="rbac.istio.io"), key=lambda r: r.name or "")
    return [policy(f"{ns}-deny-all", ns, {}, [role])] if first is role else []


def convert_config(cfg: Resource, index, root_ns: str) -> tuple[list[dict], list[Refusal]]:
    """The allow-nothing / allow-all policies a ClusterRbacConfig stands for."""
    spec = cfg.spec
    mode = str(spec.get("mode", "OFF"))
    refusals: list[Refusal] = []
    mode_key = "enforcementMode" if "enforcementMode" in spec else "enforcement_mode"
    if str(spec.get(mode_key, "ENFORCED")) == "PERMISSIVE":
        refusals.append(Refusal(cfg, pointer("spec", mode_key), "PERMISSIVE enforcement only logged denials in 1.4; AuthorizationPolicy has no equivalent dry-run for a whole mesh (use the `istio.io/dry-run` annotation per policy)"))
    if mode == "OFF":
        return [], refusals
    if mode not in ENFORCING_MODES:
        return [], refusals + [Refusal(cfg, "/spec/mode", f"unknown RBAC mode {mode!r}")]
    out: list[dict] = []
    key = "inclusion" if mode == "ON_WITH_INCLUSION" else "exclusion"
    target = spec.get(key) if isinstance(spec.get(key), dict) else {}
    if mode in ("ON", "ON_WITH_EXCLUSION"):
        out.append(policy("global-deny-all", root_ns, {}, [cfg]))
    if mode == "ON":
        return out, refusals
    allow_all = [{}] if mode == "ON_WITH_EXCLUSION" else None
    suffix = "allow-all" if allow_all else "deny-all"
    for ns in _strs(target.get("namespaces")):
        out.append(policy(f"{ns}-{suffix}", ns, {"rules": [{}]} if allow_all else {}, [cfg]))
    for i, ref in enumerate(_strs(target.get("services"))):
        parts = ref.split(".")
        ns = parts[1] if len(parts) > 1 else index.default_namespace
        svc = index.get("Service", ns, parts[0])
        sel = _selector(svc)
        if sel is None:
            refusals.append(Refusal(cfg, pointer("spec", key, "services", i), f"service {ref} is not among the inputs (or has no selector), so its workloads cannot be selected"))
            continue
        spec_out: dict = {"selector": {"matchLabels": sel}}
        if allow_all:
            spec_out["rules"] = [{}]
        out.append(policy(f"{parts[0]}-{suffix}", ns, spec_out, [cfg]))
    return out, refusals


def _selector(svc: Resource | None) -> dict[str, str] | None:
    if svc is None:
        return None
    sel = svc.spec.get("selector")
    if not isinstance(sel, dict) or not sel:
        return None
    return {str(k): str(v) for k, v in sel.items()}


# --------------------------------------------------------------------------- roles

def bindings_of(role: Resource, index) -> list[Resource]:
    """The ServiceRoleBindings that refer to ``role`` (a table built once per run)."""
    def table() -> dict[tuple[str, str], list[Resource]]:
        out: dict[tuple[str, str], list[Resource]] = {}
        for b in index.of_kind("ServiceRoleBinding", group="rbac.istio.io"):
            ref = b.spec.get("roleRef")
            name = ref.get("name") if isinstance(ref, dict) else None
            if name is None and isinstance(b.spec.get("role"), str):
                name = b.spec["role"].lstrip("/")
            if isinstance(name, str):
                out.setdefault((index.ns(b), name), []).append(b)
        return out

    return index.memo("rbac:bindings-by-role", table).get((_ns(role, index), role.name), [])


def resolve_services(pattern: str, namespace: str, index) -> list[Resource] | None:
    """Services a ServiceRole ``services`` entry names; ``None`` for ``*`` (every workload)."""
    if pattern == "*":
        return None
    services = index.of_kind("Service", namespace=namespace, group="")
    candidates = []
    for svc in services:
        names = {svc.name or "", f"{svc.name}.{namespace}", f"{svc.name}.{namespace}.svc", f"{svc.name}.{namespace}.svc.cluster.local"}
        if pattern.endswith("*"):
            ok = any(n.startswith(pattern[:-1]) for n in names)
        elif pattern.startswith("*"):
            ok = any(n.endswith(pattern[1:]) for n in names)
        else:
            ok = pattern in names
        if ok:
            candidates.append(svc)
    return sorted(candidates, key=lambda s: s.name or "")


_SOURCE_PROPS = {
    "source.ip": "ipBlocks",
    "source.namespace": "namespaces",
    "source.principal": "principals",
    "source.user": "principals",
    "request.auth.principal": "requestPrincipals",
}
_WHEN_PROPS = ("request.auth.audiences", "request.auth.presenter")
_SUBJECT_LISTS = {
    "names": "principals", "not_names": "notPrincipals", "notNames": "notPrincipals",
    "namespaces": "namespaces", "not_namespaces": "notNamespaces", "notNamespaces": "notNamespaces",
    "ips": "ipBlocks", "not_ips": "notIpBlocks", "notIps": "notIpBlocks",
}


def convert_subject(subject: Any, binding: Resource, i: int) -> tuple[dict | None, list[dict], list[Refusal]]:
    """One binding subject → (source, when conditions, refusals)."""
    at = pointer("spec", "subjects", i)
    if not isinstance(subject, dict):
        return None, [], [Refusal(binding, at, "a subject must be a mapping")]
    source: dict[str, list[str]] = {}
    when: list[dict] = []
    refusals: list[Refusal] = []

    def add(field_: str, value: str) -> None:
        if value != "*":  # "*" matched any value in 1.4: no constraint at all
            source.setdefault(field_, []).append(value)

    for key, value in subject.items():
        if key == "user":
            add("principals", str(value))
        elif key == "group":
            if str(value) != "*":
                when.append({"key": "request.auth.claims[groups]", "values": [str(value)]})
        elif key in ("groups", "not_groups", "notGroups"):
            vals = _strs(value)
            if vals:
                when.append({"key": "request.auth.claims[groups]", ("values" if key == "groups" else "notValues"): vals})
        elif key in _SUBJECT_LISTS:
            for v in _strs(value):
                add(_SUBJECT_LISTS[key], v)
        elif key == "properties":
            if not isinstance(value, dict):
                refusals.append(Refusal(binding, at + "/properties", "properties must be a mapping"))
                continue
            for pkey, pval in value.items():
                pval = str(pval)
                ppath = at + "/properties/" + str(pkey).replace("~", "~0").replace("/", "~1")
                if pkey in _SOURCE_PROPS:
                    add(_SOURCE_PROPS[pkey], pval)
                elif pkey in _WHEN_PROPS or re.fullmatch(r"request\.auth\.claims\[[^\]]+\]", str(pkey)):
                    if pval != "*":
                        when.append({"key": pkey, "values": [pval]})
                elif str(pkey).startswith("destination."):
                    refusals.append(Refusal(binding, ppath, f"subject property {pkey} describes the destination; AuthorizationPolicy sources cannot express it"))
                else:
                    refusals.append(Refusal(binding, ppath, f"subject property {pkey} has no AuthorizationPolicy equivalent"))
        else:
            refusals.append(Refusal(binding, f"{at}/{key}", f"subject field {key} has no AuthorizationPolicy equivalent"))
    return source, when, refusals


_OP_FIELDS = {
    "methods": "methods", "not_methods": "notMethods", "notMethods": "notMethods",
    "paths": "paths", "not_paths": "notPaths", "notPaths": "notPaths",
    "hosts": "hosts", "not_hosts": "notHosts", "notHosts": "notHosts",
    "ports": "ports", "not_ports": "notPorts", "notPorts": "notPorts",
}


def convert_rule(rule: Any, role: Resource, i: int) -> tuple[dict, list[dict], dict[str, list[str]], list[Refusal]]:
    """A role's access rule → (operation, when conditions, label constraints, refusals)."""
    at = pointer("spec", "rules", i)
    op: dict[str, list[str]] = {}
    when: list[dict] = []
    labels: dict[str, list[str]] = {}
    refusals: list[Refusal] = []
    if not isinstance(rule, dict):
        return op, when, labels, [Refusal(role, at, "a rule must be a mapping")]
    for key, value in rule.items():
        if key == "services":
            continue
        if key in _OP_FIELDS:
            vals = _strs(value)
            if key in ("methods", "paths", "hosts") and "*" in vals:
                continue  # any
            if vals:
                op.setdefault(_OP_FIELDS[key], []).extend(vals)
        elif key == "constraints":
            for j, c in enumerate(_list(value)):
                cpath = f"{at}/constraints/{j}"
                ckey = c.get("key") if isinstance(c, dict) else None
                vals = _strs(c.get("values")) if isinstance(c, dict) else []
                if not isinstance(ckey, str) or not vals:
                    refusals.append(Refusal(role, cpath, "a constraint needs a key and values"))
                    continue
                m = re.fullmatch(r"destination\.labels\[([^\]]+)\]", ckey)
                if m:
                    labels.setdefault(m.group(1), []).extend(vals)
                elif ckey == "destination.port":
                    op.setdefault("ports", []).extend(vals)
                elif re.fullmatch(r"request\.headers\[[^\]]+\]", ckey) or ckey in ("destination.ip", "connection.sni") or ckey.startswith("experimental.envoy.filters."):
                    if "*" not in vals:
                        when.append({"key": ckey, "values": vals})
                else:
                    refusals.append(Refusal(role, cpath + "/key", f"constraint {ckey} has no AuthorizationPolicy equivalent"))
        else:
            refusals.append(Refusal(role, f"{at}/{key}", f"rule field {key} has no AuthorizationPolicy equivalent"))
    return op, when, labels, refusals


def plan_role(role: Resource, index, enf: Enforcement) -> RolePlan:
    """Everything a ServiceRole and its bindings become, or why they cannot.

    Only targets where 1.4 enforced RBAC are converted: an ALLOW policy on a workload
    that was not enforced would newly deny everything else."""
    plan = RolePlan(bindings=bindings_of(role, index))
    ns = _ns(role, index)
    # sources from every binding's subjects: plain sources share one rule, subjects with
    # conditions get a rule of their own (conditions apply to a whole rule)
    plain_sources: list[dict] = []
    conditional: list[tuple[dict, list[dict]]] = []
    for b in plan.bindings:
        if str(_get(b.spec, "mode") or "ENFORCED") == "PERMISSIVE":
            plan.refusals.append(Refusal(b, "/spec/mode", "a PERMISSIVE binding only logged in 1.4; converting it would enforce it"))
        if b.spec.get("actions") is not None:
            plan.refusals.append(Refusal(b, "/spec/actions", "inline actions are not converted; move them into a ServiceRole"))
        for i, subject in enumerate(_list(b.spec.get("subjects"))):
            source, when, refusals = convert_subject(subject, b, i)
            plan.refusals.extend(refusals)
            if source is None:
                continue
            if when:
                conditional.append((source, when))
            else:
                plain_sources.append(source)
    rules = _list(role.spec.get("rules"))
    if not plan.bindings:
        return plan  # a role nobody is bound to allows nothing: nothing to emit
    for i, rule in enumerate(rules):
        op, when, labels, refusals = convert_rule(rule, role, i)
        plan.refusals.extend(refusals)
        patterns = _strs(rule.get("services")) if isinstance(rule, dict) else []
        if not patterns:
            plan.refusals.append(Refusal(role, pointer("spec", "rules", i), "a rule without services applied to nothing in 1.4"))
            continue
        ap_rules = []
        to = [{"operation": op}] if op else []
        if plain_sources:
            r: dict = {"from": [{"source": s} if s else {"source": {}} for s in plain_sources]}
            if any(not s for s in plain_sources):
                r.pop("from")  # one subject matches everybody: no `from` at all
            if to:
                r["to"] = to
            if when:
                r["when"] = when
            ap_rules.append(r)
        for source, cwhen in conditional:
            r = {"from": [{"source": source}]} if source else {}
            if to:
                r["to"] = to
            r["when"] = when + cwhen
            ap_rules.append(r)
        for j, pattern in enumerate(patterns):
            targets = resolve_services(pattern, ns, index)
            ppath = pointer("spec", "rules", i, "services", j)
            if targets is None:
                if not enf.enforced(ns):
                    if enf.mode == "ON_WITH_INCLUSION" and any(_short_service(f, ns) for f in enf.services):
                        plan.refusals.append(Refusal(role, ppath, f"'*' covers every workload in {ns}, but 1.4 enforced RBAC only for some of its services; list the services instead"))
                    else:
                        plan.not_enforced.append(f"every workload in {ns}")
                    continue
                selectors = [None]
                names = ["all"]
            elif not targets:
                plan.refusals.append(Refusal(role, ppath, f"no Service matches {pattern!r} in namespace {ns} among the inputs; its selector is needed to target the workloads"))
                continue
            else:
                selectors, names = [], []
                for svc in targets:
                    if not enf.enforced(ns, svc.name):
                        plan.not_enforced.append(f"{svc.name}.{ns}")
                        continue
                    sel = _selector(svc)
                    if sel is None:
                        plan.refusals.append(Refusal(role, ppath, f"Service {svc.name} has no selector, so its workloads cannot be targeted"))
                        continue
                    selectors.append(sel)
                    names.append(svc.name or "svc")
            for sel, name in zip(selectors, names):
                for k, label_sel in enumerate(_label_variants(sel, labels)):
                    spec: dict = {}
                    if label_sel:
                        spec["selector"] = {"matchLabels": label_sel}
                    spec["rules"] = ap_rules
                    variant = f"-{k}" if len(_label_variants(sel, labels)) > 1 else ""
                    plan.policies.append(policy(f"{role.name}-rule{i}-{name}{variant}", ns, spec, [role, *plan.bindings]))
    return plan


def _label_variants(selector: dict[str, str] | None, labels: dict[str, list[str]]) -> list[dict[str, str]]:
    """``destination.labels`` constraints merged into a selector: one selector per value combination."""
    variants = [dict(selector or {})]
    for key, values in labels.items():
        nxt = []
        for v in variants:
            for value in values:
                if key in v and v[key] != value:
                    continue  # the Service never selects these pods
                nxt.append({**v, key: value})
        variants = nxt
    return variants
