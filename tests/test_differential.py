"""Differential property test of the RBAC conversion against Istio 1.4.

hypothesis generates random alpha RBAC configurations (subjects mixing user, group(s), names,
namespaces, ips and properties, headers included; roles with several rules, prefix/suffix/wildcard
and short service names, label/port/header/unknown constraints; several bindings; inclusion,
exclusion, ON/OFF; PERMISSIVE at both levels), runs meshlint on them as a user would, and checks:

- every conversion is refused with an error finding, or what is written decides every request of a
  broad concrete sample exactly as 1.4 did, according to a second, independent reading of both rule
  sets (tests/direct_eval.py), and according to meshlint's own complete comparison;
- the run never crashes, and every refusal names a request.

The example count is printed at the end of the run (conftest's terminal summary).
"""
from __future__ import annotations

import itertools
import os
import random

import direct_eval as direct
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshlint.convert import replacement_objects
from meshlint.engine import Settings, lint

EXAMPLES = int(os.environ.get("MESHLINT_DIFFERENTIAL_EXAMPLES", "2000"))
STATS = {"examples": 0, "converted": 0, "refused": 0, "requests": 0}

NS = "shop"
SERVICES = {"api-v1": {"app": "api", "version": "v1"}, "api-v2": {"app": "api", "version": "v2"}, "web": {"app": "web"}, "db": {"app": "db"}}
PORTS = {"api-v1": ("http", 8080), "api-v2": ("http", 8080), "web": ("http-web", 80), "db": ("tcp-db", 5432)}
SVC_PATTERNS = ["*", "api-v1.shop.svc.cluster.local", "web.shop.svc.cluster.local", "db.shop.svc.cluster.local", "api-*", "*-v2.shop.svc.cluster.local",
                "web", "*.shop.svc.cluster.local", "nothere.shop.svc.cluster.local"]
PRINCIPALS = ["cluster.local/ns/shop/sa/admin", "cluster.local/ns/front/sa/web", "cluster.local/ns/front/*", "*", "allUsers", "allAuthenticatedUsers", "*/sa/admin"]
NAMESPACES = ["shop", "front", "fr*", "*", "*op"]
IPS = ["10.0.0.0/8", "10.1.2.3", "192.168.0.0/16"]
GROUPS = ["admins", "dev*", "*"]
HEADERS = ["alice", "bob*", "*"]
METHODS = ["GET", "POST", "*", "PO*"]
PATHS = ["/a", "/a/*", "*/b", "*"]


def _subject():
    fields = {
        "user": st.sampled_from(PRINCIPALS),
        "names": st.lists(st.sampled_from([p for p in PRINCIPALS if p != "*"]), min_size=1, max_size=2),
        "not_names": st.lists(st.sampled_from(PRINCIPALS[:3] + ["allAuthenticatedUsers"]), min_size=1, max_size=2),
        "group": st.sampled_from(GROUPS),
        "groups": st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2),
        "not_groups": st.lists(st.sampled_from(GROUPS[:2]), min_size=1, max_size=1),
        "namespaces": st.lists(st.sampled_from(NAMESPACES), min_size=1, max_size=2),
        "not_namespaces": st.lists(st.sampled_from(NAMESPACES[:3]), min_size=1, max_size=1),
        "ips": st.lists(st.sampled_from(IPS), min_size=1, max_size=2),
        "not_ips": st.lists(st.sampled_from(IPS), min_size=1, max_size=1),
        "properties": st.dictionaries(
            st.sampled_from(["source.principal", "source.namespace", "source.ip", "request.auth.principal", "request.auth.claims[groups]",
                             "request.headers[x-user]", "source.user", "custom.thing"]),
            st.sampled_from(PRINCIPALS[:2] + NAMESPACES[:2] + IPS[:1] + ["issuer/alice", "issuer/*", "admins", "alice", "bob*", "*"]),
            min_size=1, max_size=3),
    }
    return st.fixed_dictionaries({}, optional=fields).filter(bool)


def _rule():
    constraint = st.one_of(
        st.fixed_dictionaries({"key": st.sampled_from(["destination.labels[version]", "destination.labels[app]"]), "values": st.lists(st.sampled_from(["v1", "v2", "api", "web"]), min_size=1, max_size=2)}),
        st.fixed_dictionaries({"key": st.just("request.headers[x-user]"), "values": st.lists(st.sampled_from(HEADERS), min_size=1, max_size=2)}),
        st.fixed_dictionaries({"key": st.just("destination.port"), "values": st.lists(st.sampled_from(["8080", "80", "5432"]), min_size=1, max_size=1)}),
        st.fixed_dictionaries({"key": st.just("destination.name"), "values": st.lists(st.sampled_from(["web", "api-*"]), min_size=1, max_size=1)}),
        st.fixed_dictionaries({"key": st.just("source.bogus"), "values": st.just(["x"])}),
    )
    return st.fixed_dictionaries({"services": st.lists(st.sampled_from(SVC_PATTERNS), min_size=1, max_size=3)}, optional={
        "methods": st.lists(st.sampled_from(METHODS), min_size=1, max_size=2),
        "not_methods": st.lists(st.sampled_from(METHODS[:2]), min_size=1, max_size=1),
        "paths": st.lists(st.sampled_from(PATHS), min_size=1, max_size=2),
        "ports": st.lists(st.sampled_from([8080, 80, 5432]), min_size=1, max_size=1),
        "constraints": st.lists(constraint, min_size=1, max_size=2),
    })


@st.composite
def configs(draw):
    mode = draw(st.sampled_from(["ON", "ON_WITH_INCLUSION", "ON_WITH_EXCLUSION", "OFF", None]))
    cfg = None
    if mode is not None:
        cfg = {"mode": mode}
        if mode != "ON" and mode != "OFF":
            key = "inclusion" if mode == "ON_WITH_INCLUSION" else "exclusion"
            cfg[key] = draw(st.fixed_dictionaries({}, optional={"namespaces": st.lists(st.sampled_from([NS, "other"]), min_size=1, max_size=2),
                                                                "services": st.lists(st.sampled_from(["web.shop.svc.cluster.local", "api-v1.shop.svc.cluster.local"]), min_size=1, max_size=1)}))
        if draw(st.booleans()) and draw(st.booleans()):
            cfg["enforcement_mode"] = "PERMISSIVE"
    roles = draw(st.lists(st.lists(_rule(), min_size=1, max_size=2), min_size=1, max_size=2))
    bindings = []
    for i in range(len(roles)):
        for _ in range(draw(st.integers(0, 2))):
            b = {"subjects": draw(st.lists(_subject(), min_size=1, max_size=2)), "roleRef": {"kind": "ServiceRole", "name": f"role-{i}"}}
            if draw(st.integers(0, 5)) == 0:
                b["mode"] = "PERMISSIVE"
            bindings.append(b)
    return cfg, roles, bindings


def _documents(cfg, roles, bindings) -> list[dict]:
    docs = []
    for name, labels in SERVICES.items():
        pname, port = PORTS[name]
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
                     "spec": {"selector": labels, "ports": [{"name": pname, "port": port}]}})
    if cfg is not None:
        docs.append({"apiVersion": "rbac.istio.io/v1alpha1", "kind": "ClusterRbacConfig", "metadata": {"name": "default"}, "spec": cfg})
    for i, rules in enumerate(roles):
        docs.append({"apiVersion": "rbac.istio.io/v1alpha1", "kind": "ServiceRole", "metadata": {"name": f"role-{i}", "namespace": NS}, "spec": {"rules": rules}})
    for j, b in enumerate(bindings):
        docs.append({"apiVersion": "rbac.istio.io/v1alpha1", "kind": "ServiceRoleBinding", "metadata": {"name": f"binding-{j}", "namespace": NS}, "spec": b})
    return docs


def _requests():
    """A broad concrete sample: every Service (and one not among the inputs), pods with either
    version, principals, IPs, JWTs, groups, headers, methods, paths and each Service's port."""
    dests = [(name, dict(labels), str(PORTS[name][1]), "tcp" if name == "db" else "http") for name, labels in SERVICES.items()]
    dests.append(("web", {"app": "web", "version": "v2"}, "80", "http"))  # a pod with a label its Service does not select on
    dests.append(("other", {"app": "other"}, "9090", "http"))
    principals = [None, "cluster.local/ns/shop/sa/admin", "cluster.local/ns/front/sa/web", "cluster.local/ns/front/sa/x", "cluster.local/ns/op/sa/admin", "spiffe-less"]
    ips = ["10.1.2.3", "10.9.9.9", "192.168.1.1", "203.0.113.7"]
    rps = [None, "issuer/alice", "issuer/bob"]
    claims = [{}, {"groups": ["admins"]}, {"groups": ["developers", "ops"]}, {"groups": []}]
    headers = [{}, {"x-user": "alice"}, {"x-user": "bobby"}]
    ops = [("GET", "/a"), ("POST", "/a/b"), ("PUT", "/c/b"), ("POST", "/x")]
    for (svc, labels, port, proto), principal, ip, rp, cl, hd, (method, path) in itertools.product(dests, principals, ips, rps, claims, headers, ops):
        yield {"namespace": NS, "service": svc, "labels": labels, "port": port, "proto": proto, "principal": principal, "ip": ip, "rp": rp,
               "claims": cl, "headers": hd, "method": method, "path": path, "host": f"{svc}.{NS}"}


# every destination, principal and operation, with the other attributes varied: a fixed sample
ALL_REQUESTS = list(_requests())
REQUESTS = random.Random(20261201).sample(ALL_REQUESTS, 1500)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("differential")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(example=configs(), assume_on=st.booleans())
def test_rbac_conversion_is_exact_or_refused(workdir, example, assume_on):
    cfg, roles, bindings = example
    docs = _documents(cfg, roles, bindings)
    p = workdir / "rbac.yaml"
    p.write_text(yaml.safe_dump_all(docs))
    result = lint([str(p)], Settings(assume_rbac_on=assume_on))
    STATS["examples"] += 1
    assert not [f for f in result.findings if f.code == "ML090"], [f.message for f in result.findings if f.code == "ML090"]
    errors = [f for f in result.findings if f.code in ("ML400", "ML401", "ML402") and f.severity.name == "ERROR"]
    written = [o for o in replacement_objects(result.findings, ("ML400", "ML401", "ML402"))]
    if result.verification is not None:
        for _, why in result.verification.refused.values():
            assert why.describe() and why.old != why.new
    if errors:
        STATS["refused"] += 1
        return
    if not written:
        return  # nothing to convert (RBAC off, or no config and no --assume-rbac-on)
    STATS["converted"] += 1
    if cfg is None:
        cfg = {"mode": "ON_WITH_INCLUSION", "inclusion": {"namespaces": [NS]}} if assume_on else None
    old_roles = [(NS, f"role-{i}", {"rules": r}) for i, r in enumerate(roles)]
    old_bindings = [(NS, f"binding-{j}", b) for j, b in enumerate(bindings)]
    placed = [dict(o, metadata={**o["metadata"], "namespace": o["metadata"].get("namespace", NS)}) for o in written]
    for req in REQUESTS:
        old = direct.old_allows(cfg, old_roles, old_bindings, req)
        new = direct.new_allows(placed, req)
        assert old == new, (req, old, new, written)
    STATS["requests"] += len(REQUESTS)
    assert result.verification.differences == []


# --------------------------------------------------------------------------- authentication

AUTHN_STATS = {"examples": 0, "converted": 0, "refused": 0, "requests": 0}
APP_SERVICES = {"httpbin": ("http", 8000, 80, {"app": "httpbin"}), "ledger": ("http-api", 9080, 9080, {"app": "ledger"}),
                "cache": ("tcp-redis", 6379, 6379, {"app": "cache"})}
ISSUERS = ["https://accounts.example.com", "testing@secure.istio.io"]


def _match():
    return st.one_of(st.fixed_dictionaries({"exact": st.sampled_from(["/health", "/api/v1"])}),
                     st.fixed_dictionaries({"prefix": st.sampled_from(["/api", "/admin"])}),
                     st.fixed_dictionaries({"suffix": st.sampled_from([".json", "/status"])}))


def _origin():
    trig = st.fixed_dictionaries({}, optional={"includedPaths": st.lists(_match(), min_size=1, max_size=2),
                                               "excludedPaths": st.lists(_match(), min_size=1, max_size=2)})
    return st.fixed_dictionaries({"jwt": st.fixed_dictionaries({"issuer": st.sampled_from(ISSUERS), "jwksUri": st.just("https://keys.example.com/jwks")},
                                                              optional={"triggerRules": st.lists(trig, min_size=1, max_size=2)})})


def _target():
    return st.fixed_dictionaries({"name": st.sampled_from(sorted(APP_SERVICES))}, optional={
        "ports": st.lists(st.one_of(st.fixed_dictionaries({"number": st.sampled_from([8000, 9080, 6379])}),
                                    st.fixed_dictionaries({"name": st.sampled_from(["http", "http-api", "tcp-redis"])})), min_size=1, max_size=1)})


def _policy_spec():
    peer = st.one_of(st.just({"mtls": {}}), st.just({"mtls": {"mode": "PERMISSIVE"}}), st.just({"mtls": None}))
    return st.fixed_dictionaries({}, optional={"peers": st.lists(peer, min_size=1, max_size=1), "origins": st.lists(_origin(), min_size=1, max_size=2),
                                               "originIsOptional": st.booleans()})


@st.composite
def authn_configs(draw):
    policies = []
    if draw(st.booleans()):
        policies.append(("default", None, draw(_policy_spec())))
    for i in range(draw(st.integers(0, 2))):
        targets = draw(st.lists(_target(), min_size=1, max_size=2, unique_by=lambda t: t["name"]))
        policies.append((f"policy-{i}", targets, draw(_policy_spec())))
    mesh = draw(st.one_of(st.none(), _policy_spec()))
    return policies, mesh


def _authn_documents(policies, mesh) -> list[dict]:
    docs = []
    for name, (pname, port, target, labels) in APP_SERVICES.items():
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
                     "spec": {"selector": labels, "ports": [{"name": pname, "port": port, "targetPort": target}]}})
    for name, targets, spec in policies:
        body = dict(spec, targets=targets) if targets else dict(spec)
        docs.append({"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy", "metadata": {"name": name, "namespace": NS}, "spec": body})
    if mesh is not None:
        docs.append({"apiVersion": "authentication.istio.io/v1alpha1", "kind": "MeshPolicy", "metadata": {"name": "default"}, "spec": mesh})
    return docs


def _authn_requests():
    for (svc, (pname, port, target, labels)), mtls, token, path in itertools.product(
            APP_SERVICES.items(), (True, False), (None, "INVALID", *ISSUERS), ("/api/v1", "/api/x", "/admin/x.json", "/health", "/status", "/other")):
        yield {"namespace": NS, "service": svc, "labels": labels, "port": str(target), "svc_port": port, "port_name": pname,
               "proto": "tcp" if pname.startswith("tcp") else "http", "mtls": mtls, "token": token, "path": path, "method": "GET",
               "host": svc, "ip": "10.1.2.3", "claims": {}, "headers": {}}


AUTHN_REQUESTS = list(_authn_requests())


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(example=authn_configs())
def test_authn_conversion_is_exact_or_refused(workdir, example):
    policies, mesh = example
    p = workdir / "authn.yaml"
    p.write_text(yaml.safe_dump_all(_authn_documents(policies, mesh)))
    result = lint([str(p)], Settings())
    AUTHN_STATS["examples"] += 1
    assert not [f for f in result.findings if f.code == "ML090"]
    if [f for f in result.findings if f.code == "ML300" and f.severity.name == "ERROR"]:
        AUTHN_STATS["refused"] += 1
        return
    written = replacement_objects(result.findings, ("ML300",))
    if not written:
        return
    AUTHN_STATS["converted"] += 1
    old_policies = [(NS, dict(spec, targets=targets) if targets else spec) for _, targets, spec in policies]
    placed = [dict(o, metadata={**o["metadata"], "namespace": o["metadata"].get("namespace", NS)}) for o in written]
    documented = set()
    for req in AUTHN_REQUESTS:
        old = direct.old_authn_allows(old_policies, mesh, req)
        new = direct.new_authn_allows(placed, req)
        if old != new:
            # only the differences ML300 documents: no peers (mTLS now accepted), invalid tokens now rejected
            trusted = {r["issuer"] for o in placed if o["kind"] == "RequestAuthentication" for r in o["spec"]["jwtRules"]}
            note = "plaintext" if (req["mtls"] and new) else ("invalid_tokens" if (req["token"] is not None and req["token"] not in trusted and old) else None)
            assert note is not None, (req, old, new, written)
            documented.add(note)
    for note in documented:
        assert any(f.code == "ML300" and note in (f.key if hasattr(f, "key") else "") or (note == "plaintext" and "no peers" in f.message) or (note == "invalid_tokens" and "invalid" in f.message)
                   for f in result.findings), note
    AUTHN_STATS["requests"] += len(AUTHN_REQUESTS)
