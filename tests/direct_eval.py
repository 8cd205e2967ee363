"""A second, deliberately plain reading of both rule sets, for the differential tests.

meshlint verifies conversions by compiling each side to formulas and comparing them symbolically
(meshlint/verify). This module decides one concrete request at a time, straight from the rules as
istio/istio release-1.4 (alpha RBAC) and current Istio (AuthorizationPolicy) implement them, with
no formulas, no shared helpers and no code from meshlint: if the compiler, its simplifier or its
choice of representative values were wrong, the two would disagree on some request.

A request is a dict: namespace, service (short name), labels, port, proto ("http"/"tcp"),
principal (or None), ip, rp (request principal or None), claims (dict name -> list), headers
(lower-case name -> value), method, path, host.
"""
from __future__ import annotations

import ipaddress
import re


def _glob(p: str, v: str) -> bool:
    if p == "*":
        return True
    if p.startswith("*"):
        return v.endswith(p[1:])
    if p.endswith("*"):
        return v.startswith(p[:-1])
    return v == p


def _in(ip: str, block: str) -> bool | None:
    try:
        net = ipaddress.ip_network(block, strict=False) if "/" in block else ipaddress.ip_network(ipaddress.ip_address(block))
    except ValueError:
        return None
    return ipaddress.ip_address(ip) in net


def _ns(principal):
    m = re.match(r"^[^/]*/ns/([^/]+)/", principal or "")
    return m.group(1) if m else None


def _lst(v):
    return [str(x) for x in v] if isinstance(v, list) else ([] if v is None else [str(v)])


# --------------------------------------------------------------------------- Istio 1.4 alpha RBAC

def _hostname(req):
    return f"{req['service']}.{req['namespace']}.svc.cluster.local"


def old_enabled(cfg, req) -> bool:
    if not cfg:
        return False
    mode = cfg.get("mode", "OFF")
    key = {"ON_WITH_INCLUSION": "inclusion", "ON_WITH_EXCLUSION": "exclusion"}.get(mode)
    target = (cfg.get(key) or {}) if key else {}
    listed = req["namespace"] in _lst(target.get("namespaces")) or _hostname(req) in _lst(target.get("services"))
    return {"ON": True, "ON_WITH_INCLUSION": listed, "ON_WITH_EXCLUSION": not listed}.get(mode, False)


def _old_value_ok(key, value, req) -> bool:
    """One subject property value (1.4 forKeyValue)."""
    http = req["proto"] == "http"
    if key == "source.ip":
        hit = _in(req["ip"], value)
        return True if hit is None else hit  # an invalid value was dropped: no constraint
    if key == "source.namespace":
        return req["principal"] is not None and re.fullmatch(f".*/ns/{value.replace('*', '.*')}/.*", req["principal"]) is not None
    if key == "source.principal":
        if value in ("*", "allUsers"):
            return True
        value = "*" if value == "allAuthenticatedUsers" else value
        return req["principal"] is not None and _glob(value, req["principal"])
    if key in ("source.user",):
        return req["principal"] is not None and _glob(value, req["principal"])
    if key == "request.auth.principal":
        return http and req["rp"] is not None and _glob(value, req["rp"])
    m = re.fullmatch(r"request\.headers\[(.+)\]", key)
    if m:
        v = req["headers"].get(m.group(1).lower())
        return http and v is not None and _glob(value, v)
    m = re.fullmatch(r"request\.auth\.claims\[(.+)\]", key)
    if m:
        vals = req["claims"].get(m.group(1))
        return http and vals is not None and any(_glob(value, x) for x in vals)
    return False  # metadata nobody sets


def old_subject(s, req) -> bool:
    if not isinstance(s, dict):
        return False
    tcp = req["proto"] == "tcp"
    props = s.get("properties") or {}
    if tcp and (s.get("group") or s.get("groups") or s.get("not_groups") or any(k.startswith("request.") or k == "source.user" for k in props)):
        return False  # dropped from the TCP filter
    checks = []
    if s.get("user"):
        checks.append(_old_value_ok("source.principal", str(s["user"]), req))
    if s.get("names"):
        checks.append(any(_old_value_ok("source.principal", v, req) for v in _lst(s["names"])))
    if s.get("not_names"):
        checks.append(not any(_old_value_ok("source.principal", v, req) for v in _lst(s["not_names"])))
    if s.get("group"):
        checks.append(_old_value_ok("request.auth.claims[groups]", str(s["group"]), req))
    if s.get("groups"):
        checks.append(any(_old_value_ok("request.auth.claims[groups]", v, req) for v in _lst(s["groups"])))
    if s.get("not_groups"):
        checks.append(not any(_old_value_ok("request.auth.claims[groups]", v, req) for v in _lst(s["not_groups"])))
    if s.get("namespaces"):
        checks.append(any(_old_value_ok("source.namespace", v, req) for v in _lst(s["namespaces"])))
    if s.get("not_namespaces"):
        checks.append(not any(_old_value_ok("source.namespace", v, req) for v in _lst(s["not_namespaces"])))
    for key in ("ips", "not_ips"):
        vals = [v for v in _lst(s.get(key)) if _in("0.0.0.0", v) is not None]
        if vals:
            hit = any(_in(req["ip"], v) for v in vals)
            checks.append(hit if key == "ips" else not hit)
    for k, v in props.items():
        checks.append(_old_value_ok(str(k), str(v), req))
    return bool(checks) and all(checks)


def old_rule(rule, req) -> bool:
    if not isinstance(rule, dict):
        return False
    services = _lst(rule.get("services"))
    if services and not any(_glob(p, _hostname(req)) for p in services):
        return False
    constraints = {}
    for c in rule.get("constraints") or []:
        constraints[str(c.get("key"))] = _lst(c.get("values"))
    tcp = req["proto"] == "tcp"
    for key, vals in constraints.items():
        m = re.fullmatch(r"destination\.labels\[(.+)\]", key)
        if m:
            v = req["labels"].get(m.group(1))
            if v is None or not any(_glob(p, v) for p in vals):
                return False
        elif key == "destination.name" and not any(_glob(p, req["service"]) for p in vals) or key == "destination.namespace" and not any(_glob(p, req["namespace"]) for p in vals):
            return False
    if tcp and (rule.get("methods") or rule.get("paths") or rule.get("hosts") or rule.get("not_methods") or rule.get("not_paths")
                or any(k.startswith("request.headers") for k in constraints)):
        return False
    for key, attr in (("methods", "method"), ("paths", "path"), ("hosts", "host")):
        if rule.get(key) and not any(_glob(p, req[attr]) for p in _lst(rule[key])):
            return False
        if rule.get("not_" + key) and any(_glob(p, req[attr]) for p in _lst(rule["not_" + key])):
            return False
    if rule.get("ports") and req["port"] not in _lst(rule["ports"]):
        return False
    for key, vals in constraints.items():
        if key == "destination.port":
            good = [v for v in vals if v.isdigit()]
            if good and req["port"] not in good:
                return False
        m = re.fullmatch(r"request\.headers\[(.+)\]", key)
        if m:
            v = req["headers"].get(m.group(1).lower())
            if v is None or not any(_glob(p, v) for p in vals):
                return False
    return True


def old_allows(cfg, roles, bindings, req) -> bool:
    """roles/bindings: lists of (namespace, name, spec)."""
    if not old_enabled(cfg, req) or (cfg or {}).get("enforcement_mode") == "PERMISSIVE":
        return True
    for ns, name, spec in roles:
        if ns != req["namespace"]:
            continue
        subjects = [s for bns, _, b in bindings if bns == ns and (b.get("roleRef") or {}).get("name") == name and b.get("mode") != "PERMISSIVE"
                    for s in b.get("subjects") or []]
        if any(old_subject(s, req) for s in subjects) and any(old_rule(r, req) for r in spec.get("rules") or []):
            return True
    return False


# --------------------------------------------------------------------------- modern AuthorizationPolicy

def _new_ns_ok(p, principal):
    return principal is not None and re.fullmatch(".*/ns/" + ".*".join(re.escape(x) for x in p.split("*")) + "/.*", principal) is not None


def _new_principal_ok(p, principal):
    return principal is not None and (bool(principal) if p == "*" else _glob(p, principal))


def _new_rp_ok(p, rp):
    if rp is None:
        return False
    i = rp.rfind("/")
    iss, sub = rp[:i], rp[i + 1:]
    j = p.rfind("/")
    if p == "*":
        return bool(iss and sub)
    if j < 0:
        return _glob(p, rp) and bool(sub)
    piss, psub = p[:j], p[j + 1:]
    return (bool(iss) if piss == "*" else _glob(piss, iss)) and (bool(sub) if psub == "*" else _glob(psub, sub))


def _cond_ok(key, value, req):
    if key == "source.principal":
        return _new_principal_ok(value, req["principal"])
    if key == "source.namespace":
        return _new_ns_ok(value, req["principal"])
    if key == "source.ip":
        return bool(_in(req["ip"], value))
    if key == "request.auth.principal":
        return _new_rp_ok(value, req["rp"])
    if key == "destination.port":
        return req["port"] == value
    m = re.fullmatch(r"request\.headers\[(.+)\]", key)
    if m:
        v = req["headers"].get(m.group(1).lower())
        return v is not None and _glob(value, v)
    m = re.fullmatch(r"request\.auth\.claims\[(.+)\]", key)
    if m:
        vals = req["claims"].get(m.group(1))
        return vals is not None and any((bool(x) if value == "*" else _glob(value, x)) for x in vals)
    raise AssertionError(f"the direct evaluator does not know condition {key}")


_HTTP_WHEN = ("request.",)


def new_rule_matches(rule, req, deny: bool) -> bool:
    tcp = req["proto"] == "tcp"

    def field(values, not_values, ok, http_only):
        if not values and not not_values:
            return True
        if tcp and http_only:
            if deny:
                return True
            raise _Skip
        if values and not any(ok(v) for v in values):
            return False
        return not (not_values and any(ok(v) for v in not_values))

    try:
        for c in rule.get("when") or []:
            k = c["key"]
            if not field(c.get("values"), c.get("notValues"), lambda v, k=k: _cond_ok(k, v, req), k.startswith(_HTTP_WHEN)):
                return False
        froms = rule.get("from") or []
        if froms:
            ok_any = False
            for f in froms:
                s = f.get("source") or {}
                if (field(s.get("principals"), s.get("notPrincipals"), lambda v: _new_principal_ok(v, req["principal"]), False)
                        and field(s.get("namespaces"), s.get("notNamespaces"), lambda v: _new_ns_ok(v, req["principal"]), False)
                        and field(s.get("ipBlocks"), s.get("notIpBlocks"), lambda v: bool(_in(req["ip"], v)), False)
                        and field(s.get("requestPrincipals"), s.get("notRequestPrincipals"), lambda v: _new_rp_ok(v, req["rp"]), True)):
                    ok_any = True
            if not ok_any:
                return False
        tos = rule.get("to") or []
        if tos:
            ok_any = False
            for t in tos:
                o = t.get("operation") or {}
                if (field(o.get("methods"), o.get("notMethods"), lambda v: _glob(v, req["method"]), True)
                        and field(o.get("paths"), o.get("notPaths"), lambda v: _glob(v, req["path"]), True)
                        and field(o.get("hosts"), o.get("notHosts"), lambda v: _glob(v.lower(), req["host"].lower()), True)
                        and field(o.get("ports"), o.get("notPorts"), lambda v: req["port"] == v, False)):
                    ok_any = True
            if not ok_any:
                return False
    except _Skip:
        return False
    return True


class _Skip(Exception):
    pass


def new_allows(policies, req, root_ns="istio-system") -> bool:
    applicable = []
    for p in policies:
        md = p.get("metadata") or {}
        if str((md.get("annotations") or {}).get("istio.io/dry-run", "")).lower() == "true":
            continue
        if md.get("namespace") not in (req["namespace"], root_ns):
            continue
        sel = ((p.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if all(req["labels"].get(k) == v for k, v in sel.items()):
            applicable.append(p)
    spec = lambda p: p.get("spec") or {}
    for p in applicable:
        if spec(p).get("action") == "DENY" and any(new_rule_matches(r, req, True) for r in spec(p).get("rules") or []):
            return False
    allow = [p for p in applicable if spec(p).get("action", "ALLOW") == "ALLOW"]
    return not allow or any(new_rule_matches(r, req, False) for p in allow for r in spec(p).get("rules") or [])


# --------------------------------------------------------------------------- authentication
# A request here also has: mtls (bool), token (issuer of a valid token, "INVALID", or None), and
# svc_port (the Service port number it was sent to; port is the workload port it reaches).

def _policy_for(policies, mesh, req):
    """1.4: the Service-and-port policy, else the Service's, else the namespace's, else the mesh's."""
    by_service, by_namespace = [], []
    for ns, spec in policies:
        if ns != req["namespace"]:
            continue
        targets = spec.get("targets") or []
        if not targets:
            by_namespace.append((None, spec))
        for t in targets:
            if t.get("name") == req["service"]:
                for p in t.get("ports") or [None]:
                    by_service.append((p, spec))
    for candidates in (by_service, by_namespace):
        chosen = None
        for sel, spec in candidates:
            if sel is None and chosen is None:
                chosen = spec
            if sel is not None and (sel.get("number") == req["svc_port"] or ("name" in sel and sel.get("name") == req["port_name"])):
                chosen = spec
                break
        if chosen is not None:
            return chosen
    return mesh


def _triggered(jwt, path):
    rules = jwt.get("triggerRules") or jwt.get("trigger_rules")
    if not rules:
        return True

    def hit(m):
        if "exact" in m:
            return path == m["exact"]
        if "prefix" in m:
            return path.startswith(m["prefix"])
        if "suffix" in m:
            return path.endswith(m["suffix"])
        return False

    return any((not r.get("includedPaths") or any(hit(m) for m in r["includedPaths"])) and not any(hit(m) for m in r.get("excludedPaths") or []) for r in rules)


def old_authn_allows(policies, mesh, req) -> bool:
    spec = _policy_for(policies, mesh, req)
    if spec is None:
        return True
    peers = [p for p in spec.get("peers") or [] if "mtls" in p]
    if not peers:
        if req["mtls"]:
            return False
    elif ((peers[0].get("mtls") or {}).get("mode", "STRICT")) == "STRICT" and not req["mtls"]:
        return False
    if req["proto"] != "http" or spec.get("originIsOptional"):
        return True
    jwts = [o["jwt"] for o in spec.get("origins") or []]
    triggered = [j for j in jwts if _triggered(j, req["path"])]
    return not triggered or any(j.get("issuer") == req["token"] for j in triggered)


def new_authn_allows(objects, req, root_ns="istio-system") -> bool:
    def applies(o):
        ns = o["metadata"].get("namespace")
        sel = ((o.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return ns in (req["namespace"], root_ns) and all(req["labels"].get(k) == v for k, v in sel.items())

    pas = [o for o in objects if o["kind"] == "PeerAuthentication" and applies(o)]
    mode = "PERMISSIVE"
    for group in ([o for o in pas if o["metadata"]["namespace"] == req["namespace"] and (o["spec"].get("selector") or {})],
                  [o for o in pas if o["metadata"]["namespace"] == req["namespace"] and not o["spec"].get("selector")],
                  [o for o in pas if o["metadata"]["namespace"] == root_ns and not o["spec"].get("selector")]):
        found = None
        for o in group:
            level = (o["spec"].get("portLevelMtls") or {}).get(req["port"]) if o["spec"].get("selector") else None
            m = (level or {}).get("mode") or (o["spec"].get("mtls") or {}).get("mode")
            if m and m != "UNSET":
                found = m
                break
        if found:
            mode = found
            break
    if (mode == "STRICT" and not req["mtls"]) or (mode == "DISABLE" and req["mtls"]):
        return False
    ras = [o for o in objects if o["kind"] == "RequestAuthentication" and applies(o)]
    rp = None
    if req["token"] is not None and ras:
        if req["token"] not in {r["issuer"] for o in ras for r in o["spec"].get("jwtRules") or []}:
            return False
        rp = f"{req['token']}/subject"
    aps = [o for o in objects if o["kind"] == "AuthorizationPolicy"]
    return new_allows(aps, {**req, "rp": rp, "principal": "cluster.local/ns/client/sa/client" if req["mtls"] else None}, root_ns)
