"""Alpha RBAC (rbac.istio.io/v1alpha1) → AuthorizationPolicy (security.istio.io/v1).

Pure functions over resources and the resource index. What cannot be expressed exactly is a
refusal; what 1.4 itself ignored or could never match is converted as 1.4 decided it, with a
note saying so. Every conversion is then verified against 1.4's own semantics
(:mod:`meshlint.verify`) before anything is written.

Mapping (1.4's semantics, istio/istio release-1.4 ``pilot/pkg/security/authz/model``):

- ClusterRbacConfig/RbacConfig ``ON``: an allow-nothing policy in the root namespace;
  ``ON_WITH_INCLUSION``: allow-nothing per included namespace or service (hostname);
  ``ON_WITH_EXCLUSION``: root allow-nothing plus allow-all per excluded namespace or service;
  ``OFF``: nothing. ``enforcement_mode: PERMISSIVE``: the same policies, dry-run.
- ServiceRole rule × each Service its ``services`` match (hostnames, exact/``prefix*``/``*suffix``/
  ``*``): one ALLOW policy selecting that Service's pods, with one policy rule per binding subject,
  so that every field of a subject and of the role rule holds at once, as in 1.4.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..annotations import CONVERTED_FROM
from ..index import Index
from ..model import Resource, pointer
from ..plain import get_any, one_or_many, scalar_strings, spelling
from ..schema.findings import rejected_in_1_4

API_VERSION = "security.istio.io/v1"
DRY_RUN_ANNOTATION = "istio.io/dry-run"
ENFORCING_MODES = ("ON", "ON_WITH_INCLUSION", "ON_WITH_EXCLUSION")
CLUSTER_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class Refusal:
    """Something that cannot be converted exactly: where (resource + pointer) and why."""

    resource: Resource
    path: str
    reason: str


@dataclass(frozen=True)
class Note:
    """Something converted exactly that the user should know; the rule reporting on ``resource``
    (meshlint/rules/rbac_*_conversion.py) says its message and severity."""

    resource: Resource
    path: str
    kind: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass
class RolePlan:
    policies: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    bindings: list[Resource] = field(default_factory=list)
    not_enforced: list[str] = field(default_factory=list)  # targets 1.4 did not enforce: not converted


# --------------------------------------------------------------------------- helpers

def _origin(res: Resource, index: Index) -> str:
    ns = "" if res.kind in ("ClusterRbacConfig", "RbacConfig") else f"{index.ns(res)}/"
    return f"{res.file}#{res.kind} {ns}{res.name}"


def dns_name(name: str) -> str:
    n = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (n or "policy")[:253].rstrip("-")


def policy(name: str, namespace: str | None, spec: dict[str, Any], sources: Iterable[Resource], index: Index, dry_run: bool = False) -> dict[str, Any]:
    """An AuthorizationPolicy; ``namespace`` None: written without one, like its source."""
    annotations = {CONVERTED_FROM: "; ".join(_origin(s, index) for s in sources)}
    if dry_run:
        annotations[DRY_RUN_ANNOTATION] = "true"
    md: dict[str, Any] = {"name": dns_name(name)}
    if namespace is not None:
        md["namespace"] = namespace
    md["annotations"] = annotations
    return {"apiVersion": API_VERSION, "kind": "AuthorizationPolicy", "metadata": md, "spec": spec}


def _written_ns(res: Resource, index: Index) -> str | None:
    """The namespace to write on objects generated in a resource's own namespace: none when the
    resource had none (it is applied with ``kubectl -n`` or kustomize, and so are they)."""
    return res.namespace if res.namespace else None


def hostname(service: str, namespace: str) -> str:
    return f"{service}.{namespace}.svc.{CLUSTER_DOMAIN}"


def glob(pattern: str, value: str) -> bool:
    """1.4's stringMatch: exact, ``*``, ``prefix*``, ``*suffix``."""
    return value == pattern or pattern == "*" or (pattern.endswith("*") and value.startswith(pattern[:-1])) or (pattern.startswith("*") and value.endswith(pattern[1:]))


def _valid_ip(text: str) -> bool:
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
        else:
            ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _valid_port(text: str) -> bool:
    return text.isdigit() and int(text) <= 65535


# --------------------------------------------------------------------------- enforcement

@dataclass(frozen=True)
class Enforcement:
    """Where 1.4 enforced RBAC, as the ClusterRbacConfig (or RbacConfig) said."""

    mode: str | None  # None: no config among the inputs
    namespaces: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()  # hostnames as written, e.g. reviews.default.svc.cluster.local
    permissive: bool = False  # enforcement_mode PERMISSIVE: every policy only logged

    def enforced(self, namespace: str, service: str | None = None) -> bool:
        listed = namespace in self.namespaces or (service is not None and hostname(service, namespace) in self.services)
        if self.mode == "ON":
            return True
        if self.mode == "ON_WITH_INCLUSION":
            return listed
        if self.mode == "ON_WITH_EXCLUSION":
            return not listed
        return False

    def partial(self, namespace: str) -> bool:
        """Only some Services of the namespace are enforced (inclusion or exclusion by service)."""
        in_ns = any(s.split(".")[1:2] == [namespace] for s in self.services)
        return self.mode in ("ON_WITH_INCLUSION", "ON_WITH_EXCLUSION") and namespace not in self.namespaces and in_ns


def _configs(index: Index) -> list[Resource]:
    """The RBAC configs 1.4 read from: the ClusterRbacConfigs, else the RbacConfigs."""
    return index.of_kind("ClusterRbacConfig", group="rbac.istio.io") or index.of_kind("RbacConfig", group="rbac.istio.io")


def config_of(index: Index) -> Resource | None:
    configs = _configs(index)
    return configs[-1] if configs else None


def rival_configs(index: Index) -> list[Resource]:
    """The RBAC configs among the inputs (and ``--context``) when they say different things, one of
    each (else ``[]``). A cluster holds one ClusterRbacConfig ``default`` (1.4 read an RbacConfig
    only when there was none), so which one 1.4 enforced depends on what was applied last: nothing
    that depends on it is converted. Copies that are the same apart from server-set fields (an
    export beside its repository) are one config."""
    from ..duplicates import same_apart_from_server_fields

    def build() -> list[Resource]:
        distinct: list[Resource] = []
        for cfg in _configs(index):
            if not any(same_apart_from_server_fields(cfg, d) for d in distinct):
                distinct.append(cfg)
        return distinct if len(distinct) > 1 else []

    return index.memo("rbac:rival-configs", build)


def rejected_config(index: Index) -> tuple[Resource, str] | None:
    """The config 1.4 would read (``config_of``) and why 1.4 could not read it, if it could not. Then
    whether 1.4 enforced RBAC cannot be told (the cluster kept what it had before, or nothing)."""
    cfg = config_of(index)
    why = rejected_in_1_4(cfg, index) if cfg is not None else None
    return (cfg, why[1]) if cfg is not None and why is not None else None


def _permissive(spec: dict[str, Any]) -> bool:
    return str(get_any(spec, "enforcementMode", "enforcement_mode") or "ENFORCED") == "PERMISSIVE"


def enforcement(index: Index) -> Enforcement:
    cfg = config_of(index)
    if cfg is None:
        return Enforcement(None)
    spec = cfg.spec
    mode = str(spec.get("mode", "OFF"))
    key = "inclusion" if mode == "ON_WITH_INCLUSION" else "exclusion"
    target = spec[key] if isinstance(spec.get(key), dict) else {}
    return Enforcement(mode, frozenset(scalar_strings(target.get("namespaces"))), frozenset(scalar_strings(target.get("services"))), _permissive(spec))


def assumed_enforcement(index: Index) -> Enforcement:
    """``--assume-rbac-on`` with no config among the inputs: RBAC was enforced in every
    namespace that has a ServiceRole, and nowhere else."""
    roles = index.of_kind("ServiceRole", group="rbac.istio.io")
    return Enforcement("ON_WITH_INCLUSION", frozenset(index.ns(r) for r in roles))


def assumed_config(index: Index) -> dict[str, Any]:
    """The config ``--assume-rbac-on`` stands for, as 1.4 would have read it."""
    enf = assumed_enforcement(index)
    return {"mode": enf.mode, "inclusion": {"namespaces": sorted(enf.namespaces)}}


def assumed_deny_all(role: Resource, index: Index) -> list[dict[str, Any]]:
    """Under ``--assume-rbac-on``, the allow-nothing policy of the role's namespace, emitted
    once: with the first ServiceRole (by name) of that namespace."""
    ns = index.ns(role)
    first = min(index.of_kind("ServiceRole", namespace=ns, group="rbac.istio.io"), key=lambda r: r.name or "")
    return [policy(f"{ns}-deny-all", _written_ns(role, index), {}, [role], index)] if first is role else []


def convert_config(cfg: Resource, index: Index, root_ns: str) -> tuple[list[dict[str, Any]], list[Refusal], list[Note]]:
    """The allow-nothing / allow-all policies a ClusterRbacConfig stands for."""
    spec = cfg.spec
    mode = str(spec.get("mode", "OFF"))
    notes: list[Note] = []
    unread = rejected_in_1_4(cfg, index)
    if unread is not None:
        return [], [Refusal(cfg, *unread)], notes
    dry = _permissive(spec)
    if mode == "OFF":
        return [], [], notes
    if mode not in ENFORCING_MODES:
        return [], [Refusal(cfg, "/spec/mode", f"unknown RBAC mode {mode!r}")], notes
    if dry:
        notes.append(Note(cfg, pointer("spec", spelling(spec, "enforcementMode", "enforcement_mode")), "dry_run"))
    out: list[dict[str, Any]] = []
    key = "inclusion" if mode == "ON_WITH_INCLUSION" else "exclusion"
    target = spec[key] if isinstance(spec.get(key), dict) else {}
    if mode in ("ON", "ON_WITH_EXCLUSION"):
        out.append(policy("global-deny-all", root_ns, {}, [cfg], index, dry))
    if mode == "ON":
        return out, [], notes
    allow_all = mode == "ON_WITH_EXCLUSION"
    suffix = "allow-all" if allow_all else "deny-all"
    for ns in dict.fromkeys(scalar_strings(target.get("namespaces"))):
        out.append(policy(f"{ns}-{suffix}", ns, {"rules": [{}]} if allow_all else {}, [cfg], index, dry))
    refusals: list[Refusal] = []
    seen: set[str] = set()
    for i, ref in enumerate(scalar_strings(target.get("services"))):
        at = pointer("spec", key, "services", i)
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.split(".")
        if len(parts) < 3 or ".".join(parts[2:]) != f"svc.{CLUSTER_DOMAIN}":
            notes.append(Note(cfg, at, "not_hostname", (("value", ref),)))
            continue  # 1.4 compared this list with service hostnames exactly: it matched nothing
        svc = index.get("Service", parts[1], parts[0])
        sel = _selector(svc)
        if sel is None:
            refusals.append(Refusal(cfg, at, f"service {ref} is not among the inputs (or has no selector), so its workloads cannot be selected"))
            continue
        spec_out: dict[str, Any] = {"selector": {"matchLabels": sel}}
        if allow_all:
            spec_out["rules"] = [{}]
        out.append(policy(f"{parts[0]}-{suffix}", parts[1], spec_out, [cfg], index, dry))
    return out, refusals, notes


def _selector(svc: Resource | None) -> dict[str, str] | None:
    if svc is None:
        return None
    sel = svc.spec.get("selector")
    if not isinstance(sel, dict) or not sel:
        return None
    return {str(k): str(v) for k, v in sel.items()}


# --------------------------------------------------------------------------- roles

def _role_ref(binding: Resource) -> str | None:
    ref = get_any(binding.spec, "roleRef", "role_ref")
    name = ref.get("name") if isinstance(ref, dict) else None
    return str(name) if isinstance(name, (str, int)) and str(name) else None


def bindings_of(role: Resource, index: Index) -> list[Resource]:
    """The ServiceRoleBindings that refer to ``role`` (a table built once per run). Copies of one
    binding (same name and spec: an export beside the repository it came from) are one binding
    in the cluster: it is listed once, the copy in the role's own file when there is one (else
    every copy of a role would list every copy of its bindings: work and messages growing with
    the square of the copies)."""
    def table() -> dict[tuple[str, str | None], dict[tuple[str | None, str], dict[str, Resource]]]:
        out: dict[tuple[str, str | None], dict[tuple[str | None, str], dict[str, Resource]]] = {}
        for b in index.of_kind("ServiceRoleBinding", group="rbac.istio.io"):
            name = _role_ref(b)
            if name is not None:
                out.setdefault((index.ns(b), name), {}).setdefault((b.name, repr(b.spec)), {}).setdefault(b.file, b)
        return out

    copies = index.memo("rbac:bindings-by-role", table).get((index.ns(role), role.name), {})
    return [by_file.get(role.file) or next(iter(by_file.values())) for by_file in copies.values()]


def resolve_services(pattern: str, namespace: str, index: Index) -> list[Resource]:
    """The Services of ``namespace`` among the inputs whose hostname a ``services`` entry matches
    (a table built once per run for each pattern and namespace)."""
    found: list[Resource] = index.memo(f"rbac:services {namespace} {pattern}", lambda: sorted(
        (s for s in index.of_kind("Service", namespace=namespace, group="") if s.name and glob(pattern, hostname(s.name, namespace))),
        key=lambda s: s.name or ""))
    return found


def _service_runs(pattern: str, namespace: str, index: Index) -> list[tuple[Resource, dict[str, str] | None, int]]:
    """``resolve_services`` as runs of consecutive copies with one name and selector: (first copy,
    its selector, how many). Every copy of a role walks this list, so an export beside its
    repository (the same Service many times) costs one step per run, not one per copy."""
    def build() -> list[tuple[Resource, dict[str, str] | None, int]]:
        runs: list[tuple[Resource, dict[str, str] | None, int]] = []
        for svc in resolve_services(pattern, namespace, index):
            sel = _selector(svc)
            if runs and runs[-1][0].name == svc.name and runs[-1][1] == sel:
                runs[-1] = (runs[-1][0], sel, runs[-1][2] + 1)
            else:
                runs.append((svc, sel, 1))
        return runs
    found: list[tuple[Resource, dict[str, str] | None, int]] = index.memo(f"rbac:service-runs {namespace} {pattern}", build)
    return found


# --------------------------------------------------------------------------- subjects

_WHEN_KEY = {"principals": "source.principal", "namespaces": "source.namespace", "ipBlocks": "source.ip", "requestPrincipals": "request.auth.principal"}


class _Subject:
    """One binding subject as a source plus conditions, every field ANDed as in 1.4."""

    def __init__(self) -> None:
        self.source: dict[str, list[str]] = {}
        self.when: list[dict[str, Any]] = []
        self.nobody = False  # 1.4 matched nobody with this subject

    def require(self, fld: str, values: list[str]) -> str | None:
        """One more ANDed constraint on a source field: the field's first use goes in the source,
        later ones (which 1.4 ANDed) become ``when`` conditions. Returns why the subject can match
        nobody when two exact constraints name different values of a one-valued attribute."""
        if fld not in self.source:
            self.source[fld] = values
            return None
        earlier = self.source[fld]
        if fld != "ipBlocks" and not any("*" in v for v in earlier + values) and not set(earlier) & set(values):
            return f"it requires {_WHEN_KEY[fld]} to be {' or '.join(earlier)} and also {' or '.join(values)}; a request has one"
        self.when.append({"key": _WHEN_KEY[fld], "values": values})
        return None

    def exclude(self, fld: str, values: list[str]) -> None:
        key = "not" + fld[0].upper() + fld[1:]
        if key not in self.source:
            self.source[key] = values
        else:
            self.when.append({"key": _WHEN_KEY[fld], "notValues": values})


def _principals(values: list[str]) -> list[str] | None:
    """1.4 principal values → modern ones; None: any principal, plain text included."""
    if any(v in ("*", "allUsers") for v in values):
        return None
    return ["*" if v == "allAuthenticatedUsers" else v for v in values]


def convert_subject(subject: Any, binding: Resource, i: int) -> tuple[_Subject | None, list[Refusal], list[Note]]:
    """One binding subject → its source and conditions (None: it matched nobody in 1.4)."""
    at = pointer("spec", "subjects", i)
    if not isinstance(subject, dict):
        return None, [Refusal(binding, at, "a subject must be a mapping")], []
    reading = _SubjectReading(binding)
    fields = sum(reading.read_field(key, value, at + pointer(str(key))) for key, value in subject.items())
    if fields == 0 and not reading.refusals:
        reading.nobody(at, "a subject with no field matched nobody in 1.4")
    return (None if reading.out.nobody else reading.out), reading.refusals, reading.notes


@dataclass
class _SubjectReading:
    """One binding subject being read: what its source must be, and the refusals and notes so far."""

    binding: Resource
    out: _Subject = field(default_factory=_Subject)
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def nobody(self, path: str, why: str) -> None:
        self.out.nobody = True
        self.notes.append(Note(self.binding, path, "subject_matches_nobody", (("reason", why),)))

    def ips(self, values: list[str], path: str) -> list[str] | None:
        bad = [v for v in values if not _valid_ip(v)]
        if bad:
            self.refusals.append(Refusal(self.binding, path, f"{bad[0]!r} is not an IP address or CIDR range; 1.4 ignored such values"))
            return None
        return values

    def require(self, fld: str, values: list[str], path: str) -> None:
        why = self.out.require(fld, values)
        if why is not None:
            self.nobody(path, why)

    def read_field(self, key: Any, value: Any, path: str) -> int:
        """One field of the subject; how many fields it counts as (an empty user or group none, each property one)."""
        out = self.out
        if key == "user":
            if str(value) == "":
                return 0
            p = _principals([str(value)])
            if p is not None:
                self.require("principals", p, path)
        elif key == "names":
            p = _principals(scalar_strings(value))
            if p is not None and p:
                self.require("principals", p, path)
        elif key in ("not_names", "notNames"):
            vals = scalar_strings(value)
            if any(v == "allUsers" for v in vals):
                self.nobody(path, "allUsers among not_names excludes everybody")
            elif vals:
                out.exclude("principals", ["*" if v == "allAuthenticatedUsers" else v for v in vals])
        elif key == "group":
            if str(value) == "":
                return 0
            out.when.append({"key": "request.auth.claims[groups]", "values": [str(value)]})
        elif key in ("groups", "not_groups", "notGroups"):
            vals = scalar_strings(value)
            if vals:
                out.when.append({"key": "request.auth.claims[groups]", ("values" if key == "groups" else "notValues"): vals})
        elif key in ("namespaces", "not_namespaces", "notNamespaces"):
            vals = scalar_strings(value)
            if vals:
                self.require("namespaces", vals, path) if key == "namespaces" else out.exclude("namespaces", vals)
        elif key in ("ips", "not_ips", "notIps"):
            blocks = self.ips(scalar_strings(value), path)
            if blocks:
                self.require("ipBlocks", blocks, path) if key == "ips" else out.exclude("ipBlocks", blocks)
        elif key == "properties":
            if not isinstance(value, dict):
                self.refusals.append(Refusal(self.binding, path, "properties must be a mapping"))
                return 0
            for pkey, pval in value.items():
                self.read_property(str(pkey), str(pval), path + pointer(str(pkey)))
            return len(value)
        else:
            self.refusals.append(Refusal(self.binding, path, f"subject field {key} has no AuthorizationPolicy equivalent"))
            return 0
        return 1

    def read_property(self, pkey: str, pval: str, ppath: str) -> None:
        """One of the subject's ``properties``."""
        if pkey == "source.principal":
            p = _principals([pval])
            if p is not None:
                self.require("principals", p, ppath)
        elif pkey == "source.user":
            self.require("principals", [pval], ppath)
        elif pkey == "source.namespace":
            self.require("namespaces", [pval], ppath)
        elif pkey == "source.ip":
            blocks = self.ips([pval], ppath)
            if blocks:
                self.require("ipBlocks", blocks, ppath)
        elif pkey == "request.auth.principal":
            self.require("requestPrincipals", [pval], ppath)
        elif pkey in ("request.auth.audiences", "request.auth.presenter") or re.fullmatch(r"request\.(auth\.claims|headers)\[[^\]]+\]", pkey):
            self.out.when.append({"key": pkey, "values": [pval]})
        else:
            self.nobody(ppath, f"1.4 looked property {pkey} up in metadata that nothing sets")


# --------------------------------------------------------------------------- rules

_OP_FIELDS = (("methods", "methods"), ("not_methods", "notMethods"), ("notMethods", "notMethods"),
              ("paths", "paths"), ("not_paths", "notPaths"), ("notPaths", "notPaths"),
              ("hosts", "hosts"), ("not_hosts", "notHosts"), ("notHosts", "notHosts"),
              ("ports", "ports"), ("not_ports", "notPorts"), ("notPorts", "notPorts"))


@dataclass
class _Rule:
    operation: dict[str, list[str]] = field(default_factory=dict)
    when: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)  # destination.labels constraints
    static: dict[str, list[str]] = field(default_factory=dict)  # destination.name / namespace constraints


def convert_rule(rule: Any, role: Resource, i: int) -> tuple[_Rule, list[Refusal], list[Note]]:
    """A role's access rule → its operation, conditions and per-Service constraints."""
    at = pointer("spec", "rules", i)
    out = _Rule()
    refusals: list[Refusal] = []
    notes: list[Note] = []
    if not isinstance(rule, dict):
        return out, [Refusal(role, at, "a rule must be a mapping")], notes
    fields = dict(_OP_FIELDS)
    for key, value in rule.items():
        path = at + pointer(str(key))
        if key == "services":
            continue
        if key in fields:
            vals = scalar_strings(value)
            if key in ("ports", "not_ports", "notPorts") and any(not _valid_port(v) for v in vals):
                refusals.append(Refusal(role, path, "a port must be a number from 0 to 65535"))
            elif vals:
                out.operation.setdefault(fields[key], []).extend(vals)
        elif key == "constraints":
            seen: dict[str, int] = {}
            for j, c in enumerate(one_or_many(value)):
                ckey = str(c.get("key")) if isinstance(c, dict) and c.get("key") is not None else None
                if ckey is None or not scalar_strings(c.get("values")):
                    refusals.append(Refusal(role, f"{path}/{j}", "a constraint needs a key and values"))
                    continue
                if ckey in seen:
                    notes.append(Note(role, f"{path}/{seen[ckey]}", "duplicate_constraint", (("key", ckey),)))
                seen[ckey] = j
            for ckey, j in seen.items():
                _constraint(ckey, scalar_strings(one_or_many(value)[j].get("values")), f"{path}/{j}", role, out, refusals, notes)
        else:
            refusals.append(Refusal(role, path, f"rule field {key} has no AuthorizationPolicy equivalent"))
    return out, refusals, notes


def _constraint(key: str, vals: list[str], path: str, role: Resource, out: _Rule, refusals: list[Refusal], notes: list[Note]) -> None:
    m = re.fullmatch(r"destination\.labels\[([^\]]+)\]", key)
    if m:
        if any("*" in v for v in vals):
            refusals.append(Refusal(role, path, "a destination.labels constraint with a wildcard cannot be a workload selector"))
        else:
            out.labels[m.group(1)] = vals
    elif key in ("destination.name", "destination.namespace"):
        out.static[key] = vals
    elif key == "destination.port":
        if any(not _valid_port(v) for v in vals):
            refusals.append(Refusal(role, path, "a port must be a number from 0 to 65535"))
        else:
            out.when.append({"key": "destination.port", "values": vals})
    elif key == "destination.ip":
        if any(not _valid_ip(v) for v in vals):
            refusals.append(Refusal(role, path, "destination.ip values must be IP addresses or CIDR ranges"))
        else:
            out.when.append({"key": key, "values": vals})
    elif re.fullmatch(r"request\.headers\[[^\]]+\]", key) or key == "connection.sni" or re.fullmatch(r"experimental\.envoy\.filters\..+\[.+\]", key):
        out.when.append({"key": key, "values": vals})
    elif key == "destination.user":
        refusals.append(Refusal(role, path + "/key", "destination.user (the workloads' service account) cannot be selected by an AuthorizationPolicy"))
    else:
        notes.append(Note(role, path + "/key", "ignored_constraint", (("key", key),)))


def _targets(rule: Any, role: Resource, i: int, ns: str, index: Index, enf: Enforcement, plan: RolePlan) -> list[tuple[str, dict[str, str] | None]]:
    """(name, selector) of every Service one rule applies to; ``None`` selector: every workload."""
    patterns = scalar_strings(rule.get("services")) if isinstance(rule, dict) and "services" in rule else ["*"]
    if not patterns:
        patterns = ["*"]
    targets: dict[str, dict[str, str] | None] = {}
    for j, pattern in enumerate(patterns):
        ppath = pointer("spec", "rules", i, "services", j) if isinstance(rule, dict) and "services" in rule else pointer("spec", "rules", i)
        if _matches_every_service(pattern, ns) and not enf.partial(ns):
            if enf.enforced(ns):
                targets["all"] = None
            else:
                plan.not_enforced.append(f"every workload in {ns}")
            continue
        services = _service_runs(pattern, ns, index)
        if not services:
            if "." not in pattern and "*" not in pattern:
                plan.notes.append(Note(role, ppath, "not_hostname", (("value", pattern), ("hostname", hostname(pattern, ns)))))
            elif not (pattern.endswith("*") or pattern.startswith("*")):
                plan.refusals.append(Refusal(role, ppath, f"no Service matches {pattern!r} in namespace {ns} among the inputs; its selector is needed to target the workloads (add the Service's YAML to the inputs or --context)"))
            continue
        for svc, sel, copies in services:  # each copy as it was listed (messages keep their counts)
            if not enf.enforced(ns, svc.name):
                plan.not_enforced.extend([f"{svc.name}.{ns}"] * copies)
                continue
            if sel is None:
                plan.refusals.extend([Refusal(role, ppath, f"Service {svc.name} has no selector, so its workloads cannot be targeted")] * copies)
                continue
            targets[svc.name or "svc"] = dict(sel)  # the runs are shared by every role: a copy of their data
    return sorted(targets.items())


def _matches_every_service(pattern: str, ns: str) -> bool:
    """``*``, or a suffix every hostname of the namespace has (``*.ns.svc.cluster.local``)."""
    return pattern == "*" or (pattern.startswith("*") and f".{ns}.svc.{CLUSTER_DOMAIN}".endswith(pattern[1:]))


def _label_variants(selector: dict[str, str] | None, labels: dict[str, list[str]]) -> list[dict[str, str]]:
    """``destination.labels`` constraints merged into a selector: one selector per value combination;
    combinations the Service's own selector contradicts are dropped (they never match)."""
    variants = [dict(selector or {})]
    for key, values in labels.items():
        nxt = []
        for v in variants:
            for value in values:
                if key in v and v[key] != value:
                    continue
                nxt.append({**v, key: value})
        variants = nxt
    return variants


def _subjects(plan: RolePlan, index: Index) -> tuple[list[_Subject], list[_Subject]]:
    """(enforced, dry-run) subjects of every binding of the role."""
    enforced: list[_Subject] = []
    dry: list[_Subject] = []

    for b in plan.bindings:
        if b.spec.get("actions") is not None or b.spec.get("role") is not None:
            plan.refusals.append(Refusal(b, "/spec/actions" if "actions" in b.spec else "/spec/role", "inline actions and `role` are not converted; use roleRef to a ServiceRole"))
        permissive = str(b.spec.get("mode", "ENFORCED")) == "PERMISSIVE"
        if permissive:
            plan.notes.append(Note(b, "/spec/mode", "binding_dry_run"))
        for i, subject in enumerate(one_or_many(b.spec.get("subjects"))):
            converted, refusals, notes = convert_subject(subject, b, i)
            plan.refusals.extend(refusals)
            plan.notes.extend(notes)
            if converted is not None:
                (dry if permissive else enforced).append(converted)
    return enforced, dry


def _ap_rules(subjects: list[_Subject], rule: _Rule) -> list[dict[str, Any]]:
    """One policy rule per subject, each with the role rule's operation: every field of both holds at once."""
    out = []
    for s in subjects:
        r: dict[str, Any] = {}
        if s.source:
            r["from"] = [{"source": s.source}]
        if rule.operation:
            r["to"] = [{"operation": rule.operation}]
        if s.when or rule.when:
            r["when"] = s.when + rule.when
        out.append(r)
    return out


def plan_role(role: Resource, index: Index, enf: Enforcement) -> RolePlan:
    """Everything a ServiceRole and its bindings become, or why they cannot.

    Only targets where 1.4 enforced RBAC are converted: an ALLOW policy on a workload
    that was not enforced would newly deny everything else."""
    return index.memo(f"rbac:plan:{id(role)}:{hash(enf)}", lambda: _plan_role(role, index, enf))


def _plan_role(role: Resource, index: Index, enf: Enforcement) -> RolePlan:
    plan = RolePlan(bindings=bindings_of(role, index))
    ns = index.ns(role)
    if not plan.bindings:
        return plan  # a role nobody is bound to allows nothing: nothing to emit
    unread = [Refusal(res, *why) for res in (role, *plan.bindings) if (why := rejected_in_1_4(res, index)) is not None]
    if unread:  # converting what 1.4 could not read would allow what it never allowed
        plan.refusals.extend(unread)
        return plan
    enforced_subjects, dry_subjects = _subjects(plan, index)
    if enf.permissive:  # every binding only logged: one set of dry-run policies
        enforced_subjects, dry_subjects = enforced_subjects + dry_subjects, []
    written_ns = _written_ns(role, index)
    rules = one_or_many(role.spec.get("rules"))
    for i, rule in enumerate(rules):
        converted, refusals, notes = convert_rule(rule, role, i)
        plan.refusals.extend(refusals)
        plan.notes.extend(notes)
        if refusals:
            continue
        matched = False
        targets = _targets(rule, role, i, ns, index, enf, plan)
        if converted.static.get("destination.name") and any(sel is None for _, sel in targets):
            # destination.name is a Service's name: a rule for every workload applies per Service
            targets = _targets({"services": [f"*.{ns}.svc.{CLUSTER_DOMAIN}"]}, role, i, ns, index, enf, plan)
        for name, selector in targets:
            if not _static_ok(converted, name if selector is not None else None, ns):
                continue
            variants = _label_variants(selector, converted.labels)
            for k, sel in enumerate(variants):
                matched = True
                suffix = f"-{k}" if len(variants) > 1 else ""
                spec_base: dict[str, Any] = {"selector": {"matchLabels": sel}} if sel else {}
                for subjects, dry in ((enforced_subjects, enf.permissive), (dry_subjects, True)):
                    if not subjects:
                        continue
                    tag = "-dry-run" if dry and not enf.permissive else ""
                    plan.policies.append(policy(f"{role.name}-rule{i}-{name}{suffix}{tag}", written_ns, {**spec_base, "rules": _ap_rules(subjects, converted)}, [role, *plan.bindings], index, dry))
        if not matched and (converted.labels or converted.static) and not refusals:
            plan.notes.append(Note(role, pointer("spec", "rules", i), "impossible_rule", (("reason", "its services' selectors contradict its destination constraints"),)))
    return plan


def _static_ok(rule: _Rule, service: str | None, ns: str) -> bool:
    """destination.name / destination.namespace constraints, decided per Service as 1.4 did."""
    names = rule.static.get("destination.name")
    if names is not None and (service is None or not any(glob(v, service) for v in names)):
        return False
    namespaces = rule.static.get("destination.namespace")
    return namespaces is None or any(glob(v, ns) for v in namespaces)
