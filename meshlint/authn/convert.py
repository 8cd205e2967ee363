"""Alpha authentication policies → beta security objects, resolved offline.

Facts carried over from the upstream converter (Istio's alpha-policy migration tool):
one set of objects per target Service, named ``<policy>-<service>``, selecting the
Service's pods; mTLS from ``peers[0]`` only; JWT origins become RequestAuthentication
``jwtRules`` plus, unless the origin is optional, a DENY AuthorizationPolicy that rejects
requests without a request principal on the trigger rules' paths and the target ports.
Nothing is widened or dropped silently: what cannot be expressed is a refusal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..annotations import CONVERTED_FROM
from ..index import Index
from ..model import Resource, pointer
from ..plain import get_any, list_of, spelling
from ..schema.findings import rejected_in_1_4
from ..workloads import named_container_ports

API = "security.istio.io/v1"


@dataclass(frozen=True)
class Note:
    path: str
    kind: str  # what was noticed; the rule (meshlint/rules/authn_policy_conversion.py) says its message and severity
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    objects: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (pointer, reason)
    notes: list[Note] = field(default_factory=list)


def _meta(name: str, ns: str | None, origin: str) -> dict[str, Any]:
    """``ns`` None: written without a namespace, like the Policy it replaces (applied with
    ``kubectl -n`` or kustomize, and so are they)."""
    return {"name": name, **({"namespace": ns} if ns is not None else {}), "annotations": {CONVERTED_FROM: origin}}


def _mtls(spec: dict[str, Any], plan: Plan) -> str | None:
    peers = list_of(spec.get("peers"))
    if not peers:
        plan.notes.append(Note("/spec", "plaintext"))
        return "PERMISSIVE"
    first = peers[0]
    if not isinstance(first, dict):
        plan.refusals.append(("/spec/peers/0", "a peer method must be a mapping"))
        return None
    if "jwt" in first:
        plan.refusals.append(("/spec/peers/0/jwt", "JWT as a peer authentication method has no PeerAuthentication equivalent"))
        return None
    if "mtls" not in first:
        plan.refusals.append(("/spec/peers/0", f"unknown peer method {', '.join(map(str, first)) or '(empty)'}"))
        return None
    mtls = first.get("mtls")
    mode = (mtls or {}).get("mode", "STRICT") if isinstance(mtls, dict) or mtls is None else None
    if mode not in ("STRICT", "PERMISSIVE"):
        plan.refusals.append(("/spec/peers/0/mtls/mode" if isinstance(mtls, dict) else "/spec/peers/0/mtls", f"unknown mTLS mode {mode!r}"))
        return None
    if len(peers) > 1:
        plan.notes.append(Note("/spec/peers/1", "extra_peers"))
    return str(mode)


def _match(m: Any, at: str, plan: Plan) -> str | None:
    if not isinstance(m, dict):
        plan.refusals.append((at, "a path match must be a mapping"))
        return None
    if "exact" in m:
        return str(m["exact"])
    if "prefix" in m:
        return f"{m['prefix']}*"
    if "suffix" in m:
        return f"*{m['suffix']}"
    if "regex" in m:
        plan.refusals.append((at + "/regex", f"regex path {m['regex']!r} cannot be expressed by AuthorizationPolicy paths (exact, prefix* or *suffix only)"))
        return None
    plan.refusals.append((at, "a path match needs exact, prefix, suffix or regex"))
    return None


def _jwt_shape(jwt: dict[str, Any], at: str) -> tuple[str, str] | None:
    """(path, reason) when a JWT origin has no issuer (1.4 rejected such a Policy; a value of the
    wrong type is refused before, by ``schema.findings.rejected_in_1_4``)."""
    issuer = jwt.get("issuer")
    if isinstance(issuer, str) and issuer:
        return None
    return (at + pointer("issuer") if "issuer" in jwt else at), "a JWT origin needs its issuer, and 1.4 rejected a Policy without one"


def _jwt(origins: list[Any], plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(jwtRules, trigger-rule operations or None for "every path")."""
    rules: list[dict[str, Any]] = []
    triggers: list[dict[str, Any]] | None = None
    for i, origin in enumerate(origins):
        jwt = origin.get("jwt") if isinstance(origin, dict) else None
        at = pointer("spec", "origins", i, "jwt")
        if not isinstance(jwt, dict):
            plan.refusals.append((pointer("spec", "origins", i), "an origin must have a jwt"))
            continue
        problem = _jwt_shape(jwt, at)
        if problem is not None:
            plan.refusals.append(problem)
            continue
        rule: dict[str, Any] = {"issuer": jwt["issuer"]}
        for src, dst in (("audiences", "audiences"), ("jwksUri", "jwksUri"), ("jwks_uri", "jwksUri"), ("jwks", "jwks")):
            if src in jwt:
                rule[dst] = jwt[src]
        headers = get_any(jwt, "jwtHeaders", "jwt_headers")
        if headers:
            rule["fromHeaders"] = [{"name": str(h)} for h in list_of(headers)]
        params = get_any(jwt, "jwtParams", "jwt_params")
        if params:
            rule["fromParams"] = [str(p) for p in list_of(params)]
        rule["forwardOriginalToken"] = True
        rules.append(rule)
        trig = get_any(jwt, "triggerRules", "trigger_rules")
        if trig:
            key = spelling(jwt, "triggerRules", "trigger_rules")
            if len(origins) > 1:
                plan.refusals.append((at + pointer(key), "trigger rules with more than one issuer cannot be expressed: a request needs a token from the issuer whose rule matches, which AuthorizationPolicy cannot tie to paths"))
                continue
            triggers = []
            for j, tr in enumerate(list_of(trig)):
                tat = f"{at}/{key}/{j}"
                op: dict[str, Any] = {}
                for src, dst in (("includedPaths", "paths"), ("included_paths", "paths"), ("excludedPaths", "notPaths"), ("excluded_paths", "notPaths")):
                    for k, m in enumerate(list_of(get_any(tr, src))):
                        p = _match(m, f"{tat}/{src}/{k}", plan)
                        if p is not None:
                            op.setdefault(dst, []).append(p)
                triggers.append(op)
    return rules, triggers


def _service_port(svc: Resource, port: Any, index: Index, at: str, plan: Plan) -> str | None:
    """A target's Service port (number or name) → the workload port it reaches."""
    want_num = port.get("number") if isinstance(port, dict) else None
    want_name = port.get("name") if isinstance(port, dict) else None
    for p in list_of(svc.spec.get("ports")):
        if not isinstance(p, dict):
            continue
        if (want_num is not None and p.get("port") == want_num) or (want_name is not None and p.get("name") == want_name):
            target = p.get("targetPort", p.get("port"))
            if isinstance(target, int):
                return str(target)
            resolved = _named_target_port(svc, str(target), index)
            if resolved is None:
                plan.refusals.append((at, f"Service {svc.name} port {want_num or want_name} targets the named port {target!r}, and no Deployment among the inputs that the Service selects declares it"))
            return resolved
    plan.refusals.append((at, f"Service {svc.name} has no port {want_num if want_num is not None else want_name!r}"))
    return None


def _named_target_port(svc: Resource, name: str, index: Index) -> str | None:
    sel = svc.spec.get("selector")
    if not isinstance(sel, dict):
        return None
    numbers = named_container_ports(index, index.ns(svc), sel, name, ("Deployment",))
    return str(numbers.pop()) if len(numbers) == 1 else None


def plan_policy(res: Resource, index: Index, root_ns: str) -> Plan:
    """A Policy or MeshPolicy → its PeerAuthentication, RequestAuthentication and (for required
    tokens) AuthorizationPolicy, one set per targeted Service or one for the whole namespace; or
    the refusals that stop it. Notes say what changes at runtime."""
    plan = Plan()
    unread = rejected_in_1_4(res, index)
    if unread is not None:  # converting what 1.4 could not read would make it take effect now
        plan.refusals.append(unread)
        return plan
    spec = res.spec
    mesh = res.kind == "MeshPolicy"
    ns = root_ns if mesh else index.ns(res)
    who = f"{res.file}#{res.kind} {'' if mesh else ns + '/'}{res.name}"
    mode = _mtls(spec, plan)
    origins = list_of(spec.get("origins"))
    jwt_rules, triggers = _jwt(origins, plan) if origins else ([], None)
    optional = bool(get_any(spec, "originIsOptional", "origin_is_optional"))
    binding = get_any(spec, "principalBinding", "principal_binding")
    if binding == "USE_PEER":
        plan.notes.append(Note(pointer("spec", spelling(spec, "principalBinding", "principal_binding")), "use_peer"))
    targets = list_of(spec.get("targets"))
    if mesh and targets:
        plan.refusals.append(("/spec/targets", "a MeshPolicy cannot have targets"))
    groups = _target_groups(targets, ns, index, plan)
    if plan.refusals:
        return plan
    if not targets:
        groups.append(("", None, None))
    required = None if optional else (triggers if triggers is not None else [{}])
    for svc_name, selector, ports in groups:
        name = "default" if mesh else (f"{res.name}-{svc_name}" if svc_name else res.name or "default")
        plan.objects.extend(_objects((name, ns if mesh or res.namespace else None, who), selector, ports, mode, jwt_rules, required))
    if jwt_rules and not optional:
        plan.notes.append(Note("/spec/origins", "status_change"))
    where = [w for w, on in (("on the paths its trigger rules selected", triggers is not None), ("on its targeted ports", any(p for _, _, p in groups)),
                             ("when a token was required (originIsOptional was set)", optional)) if on]
    if jwt_rules and where:
        plan.notes.append(Note("/spec/origins", "invalid_tokens", {"where": "; ".join(where)}))
    return plan


def _target_groups(targets: list[Any], ns: str, index: Index, plan: Plan) -> list[tuple[str, dict[str, Any] | None, list[str] | None]]:
    """The policy's targets as (Service name, its selector, the workload ports targeted or None);
    a target that cannot be followed is a refusal."""
    seen: set[str] = set()
    groups: list[tuple[str, dict[str, Any] | None, list[str] | None]] = []
    for i, t in enumerate(targets):
        at = pointer("spec", "targets", i)
        name = t.get("name") if isinstance(t, dict) else None
        if not isinstance(name, str):
            plan.refusals.append((at, "a target needs a Service name"))
            continue
        if name in seen:
            plan.refusals.append((f"{at}/name", f"Service {name} is targeted twice; 1.4 rejected such policies"))
            continue
        seen.add(name)
        svc = index.get("Service", ns, name, group="")
        if svc is None:
            plan.refusals.append((f"{at}/name", f"Service {ns}/{name} is not among the inputs; its selector is needed to target the workloads (add the Service's YAML to the inputs or --context)"))
            continue
        sel = svc.spec.get("selector")
        if not isinstance(sel, dict) or not sel:
            plan.refusals.append((f"{at}/name", f"Service {ns}/{name} has no selector, so its workloads cannot be selected"))
            continue
        ports: list[str] | None = None
        if t.get("ports"):
            found = [_service_port(svc, p, index, f"{at}/ports/{j}", plan) for j, p in enumerate(list_of(t.get("ports")))]
            ports = [p for p in found if p is not None]
        groups.append((name, {str(k): str(v) for k, v in sel.items()}, ports))
    return groups


def _objects(named: tuple[str, str | None, str], selector: dict[str, Any] | None, ports: list[str] | None, mode: str | None,
             jwt_rules: list[dict[str, Any]], required: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The modern objects for one group of workloads: PeerAuthentication; with JWT rules a
    RequestAuthentication, and when a token is ``required`` (on those operations: trigger rules,
    or ``[{}]`` for every request) an AuthorizationPolicy denying requests without one. ``named``:
    (name, namespace, origin) of their metadata."""
    sel = {"selector": {"matchLabels": selector}} if selector else {}
    pa: dict[str, Any] = dict(sel)
    if ports:
        pa["portLevelMtls"] = {p: {"mode": mode} for p in ports}
    else:
        pa["mtls"] = {"mode": mode}
    out: list[dict[str, Any]] = [{"apiVersion": API, "kind": "PeerAuthentication", "metadata": _meta(*named), "spec": pa}]
    if not jwt_rules:
        return out
    out.append({"apiVersion": API, "kind": "RequestAuthentication", "metadata": _meta(*named), "spec": {**sel, "jwtRules": jwt_rules}})
    if required is not None:
        rules = []
        for op in required:
            op = dict(op)
            if ports:
                op["ports"] = list(ports)
            rule: dict[str, Any] = {"from": [{"source": {"notRequestPrincipals": ["*"]}}]}
            if op:
                rule["to"] = [{"operation": op}]
            rules.append(rule)
        out.append({"apiVersion": API, "kind": "AuthorizationPolicy", "metadata": _meta(*named), "spec": {**sel, "action": "DENY", "rules": rules}})
    return out
