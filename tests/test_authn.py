"""Alpha authentication → beta security API: the 13 upstream oracle pairs, refusals, the corpus."""
from __future__ import annotations

import json

import pytest
import yaml
from upstream_crds import strict_errors

from meshlint.convert import replacement_objects
from meshlint.engine import Settings, lint

ORACLES = "oracles/security-policy-migrate"


def _pairs(shared):
    return sorted(p.name[: -len("-input.yaml")] for p in (shared / ORACLES).glob("*-input.yaml"))


def _services_in(shared, namespaces, tmp_path) -> list[str]:
    """httpbin.yaml applied to each namespace the policies live in (as `kubectl apply -n NS` would)."""
    docs = [d for d in yaml.safe_load_all((shared / ORACLES / "httpbin.yaml").read_text()) if d]
    # the goldens also target helloworld (selector app: helloworld), which httpbin.yaml lacks:
    # the upstream tests ran against the helloworld sample, so it is supplied here
    docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "helloworld", "labels": {"app": "helloworld"}},
                 "spec": {"ports": [{"name": "http", "port": 5000}], "selector": {"app": "helloworld"}}})
    out = []
    for ns in sorted(namespaces):
        for d in docs:
            d = json.loads(json.dumps(d))
            d["metadata"]["namespace"] = ns
            out.append(d)
    p = tmp_path / "services.yaml"
    p.write_text(yaml.safe_dump_all(out))
    return [str(p)]


def _converted(result):
    return replacement_objects(result.findings, ("ML300",))


def _normal(obj: dict) -> tuple:
    spec = json.loads(json.dumps(obj.get("spec") or {}))
    for rule in spec.get("jwtRules", []):
        rule.pop("forwardOriginalToken", None)  # the current upstream tool sets it too; 1.4-era goldens do not
    for rule in spec.get("rules", []):
        for op in rule.get("to", []):
            for k in op.get("operation", {}):
                op["operation"][k] = sorted(op["operation"][k])
    rules = sorted(json.dumps(r, sort_keys=True) for r in spec.pop("rules", []))
    return (obj["kind"], obj["metadata"]["namespace"], json.dumps(spec, sort_keys=True), tuple(rules))


def test_thirteen_oracle_pairs(shared):
    assert len(_pairs(shared)) == 13


@pytest.mark.parametrize("index", range(13))
def test_oracle_pair_matches_semantically(shared, tmp_path, index):
    name = _pairs(shared)[index]
    inp = shared / ORACLES / f"{name}-input.yaml"
    namespaces = {d["metadata"].get("namespace") for d in yaml.safe_load_all(inp.read_text()) if d and d["kind"] == "Policy"}
    result = lint([str(inp), *_services_in(shared, namespaces - {None}, tmp_path)], Settings(select=("ML300",)))
    errors = [f.message for f in result.findings if f.severity.name == "ERROR"]
    assert errors == []
    mine = _converted(result)
    golden = [d for d in yaml.safe_load_all((shared / ORACLES / f"{name}-output.yaml").read_text()) if d]
    assert sorted(map(_normal, mine)) == sorted(map(_normal, golden))
    for obj in mine:
        assert strict_errors(shared, "1.30.3", obj) == [], obj
        assert obj["metadata"]["annotations"]["meshlint.io/converted-from"].startswith(str(inp))


REFUSALS = {
    "duplicate target": ("targets:\n  - name: httpbin\n  - name: httpbin\n  peers:\n  - mtls: {}\n", "/spec/targets/1/name", "targeted twice"),
    "missing Service": ("targets:\n  - name: nothere\n  peers:\n  - mtls: {}\n", "/spec/targets/0/name", "not among the inputs"),
    "missing port": ("targets:\n  - name: httpbin\n    ports:\n    - number: 9999\n  peers:\n  - mtls: {}\n", "/spec/targets/0/ports/0", "no port 9999"),
    "regex trigger": ("targets:\n  - name: httpbin\n  origins:\n  - jwt:\n      issuer: a\n      trigger_rules:\n      - excluded_paths:\n        - regex: /health.*\n",
                      "/spec/origins/0/jwt/trigger_rules/0/excluded_paths/0/regex", "regex path"),
    "issuers with triggers": ("origins:\n  - jwt:\n      issuer: a\n      triggerRules:\n      - includedPaths: [{exact: /a}]\n  - jwt:\n      issuer: b\n",
                              "/spec/origins/0/jwt/triggerRules", "more than one issuer"),
    "JWT in peers": ("peers:\n  - jwt:\n      issuer: a\n", "/spec/peers/0/jwt", "JWT as a peer"),
    "unknown mTLS mode": ("peers:\n  - mtls:\n      mode: OPTIONAL\n", "/spec/peers/0/mtls/mode", "unknown mTLS mode"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_are_findings_at_their_line(shared, tmp_path, case):
    body, ptr, text = REFUSALS[case]
    p = tmp_path / "policy.yaml"
    p.write_text("apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: p\n  namespace: foo\nspec:\n  " + body)
    result = lint([str(p), *_services_in(shared, {"foo"}, tmp_path)], Settings(select=("ML300",)))
    refused = [f for f in result.findings if f.code == "ML300" and f.severity.name == "ERROR"]
    assert [f.path for f in refused] == [ptr]
    assert text in refused[0].message
    key = ptr.rsplit("/", 1)[-1]
    line = p.read_text().splitlines()[refused[0].line - 1]
    assert key in line or line.lstrip().startswith("-")
    assert _converted(result) == []  # never a silently wrong policy


def test_every_corpus_policy_converts_or_is_refused(shared):
    result = lint([str(shared / "corpus")], Settings())
    policies = [(r.file, r.kind, r.name) for s in result.sources for r in s.resources if r.group == "authentication.istio.io" and r.kind in ("Policy", "MeshPolicy")]
    assert len(policies) >= 15
    decided = {(f.file, f.resource.kind, f.resource.name) for f in result.findings if f.code == "ML300" and (f.fixable or f.severity.name == "ERROR")}
    assert [p for p in policies if p not in decided] == []
    for obj in _converted(result):
        assert strict_errors(shared, "1.30.3", obj) == [], obj


SHOP_HTTP = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n"
NS_JWT = "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata: {name: default, namespace: shop}\nspec:\n  origins:\n  - jwt: {issuer: a, jwksUri: 'https://a/jwks'}\n"


def test_no_peers_explains_the_plaintext_change(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(SHOP_HTTP + NS_JWT)
    result = lint([str(p)], Settings(select=("ML300",)))
    assert any("plain text" in f.message and f.severity.name == "WARNING" for f in result.findings)
    assert any("401" in f.message and f.severity.name == "INFO" for f in result.findings)
    objs = _converted(result)
    assert [o["kind"] for o in objs] == ["PeerAuthentication", "RequestAuthentication", "AuthorizationPolicy"]
    assert objs[0]["spec"] == {"mtls": {"mode": "PERMISSIVE"}}


def test_a_namespace_jwt_policy_is_refused_when_a_tcp_service_would_be_denied(tmp_path):
    """1.4 checked tokens on HTTP only; the converted DENY policy (notRequestPrincipals) loses its
    HTTP-only fields on a TCP port and denies every connection there: a TCP Service of the
    namespace would lose all its traffic."""
    p = tmp_path / "p.yaml"
    p.write_text(SHOP_HTTP + SHOP_HTTP.replace("web", "db").replace("name: http, port: 80, targetPort: 8080", "name: tcp-postgres, port: 5432") + NS_JWT)
    result = lint([str(p)], Settings(select=("ML300",)))
    assert _converted(result) == []
    refused = [f for f in result.findings if f.severity.name == "ERROR"]
    assert len(refused) == 1 and "(TCP)" in refused[0].message and "1.4 allowed, converted denied" in refused[0].message


# --------------------------------------------------------------------------- verification

from meshlint.fixes import ReplaceResource
from meshlint.index import ResourceIndex
from meshlint.verify import Proposal, verify


def _verify_case(shared, tmp_path, name, mutate=None):
    """The oracle case's conversion verified as the engine does; ``mutate`` alters the objects first."""
    inp = shared / ORACLES / f"{name}-input.yaml"
    namespaces = {d["metadata"].get("namespace") for d in yaml.safe_load_all(inp.read_text()) if d and d["kind"] == "Policy"}
    result = lint([str(inp), *_services_in(shared, namespaces - {None}, tmp_path)], Settings(select=("ML300",)))
    if mutate is None:
        return result.verification
    resources = [r for s in result.sources for r in s.resources]
    index = ResourceIndex(resources)
    by_key = {(r.file, r.doc_index, r.item_index): r for r in resources}
    proposals = [Proposal(by_key[(f.file, f.doc, f.item)], f.code, tuple(mutate(list(op.objects))), index.ns(by_key[(f.file, f.doc, f.item)]))
                 for f in result.findings if f.fix is not None for op in f.fix.ops if isinstance(op, ReplaceResource)]
    return verify(proposals, resources, index, "istio-system", lambda code: {"plaintext", "invalid_tokens"})


@pytest.mark.parametrize("name", ["mtls-httpbin", "mtls-httpbin-helloworld", "mtls-mesh", "mtls-namespace", "mtls-port", "both-basic"])
def test_verify_finds_no_difference_where_the_conversion_is_exact(shared, tmp_path, name):
    outcome = _verify_case(shared, tmp_path, name)
    assert outcome.checked > 0
    assert [d.describe() for d in outcome.differences] == []


def test_verify_reports_the_plaintext_change_as_a_documented_note(shared, tmp_path):
    outcome = _verify_case(shared, tmp_path, "jwt-basic")
    assert outcome.differences and not outcome.refused
    assert all(d.note == "plaintext" and dict(d.request)["mtls"] is True and not d.old and d.new for d in outcome.differences)


def test_verify_reports_tokens_checked_beyond_the_trigger_rules(shared, tmp_path):
    outcome = _verify_case(shared, tmp_path, "both-port-level")
    assert outcome.differences and not outcome.refused
    assert all(d.note == "invalid_tokens" and dict(d.request)["token"] == "INVALID" and d.old and not d.new for d in outcome.differences)


def test_verify_refuses_a_widened_conversion(shared, tmp_path):
    def drop_deny(objs):
        return [o for o in objs if o["kind"] != "AuthorizationPolicy"]

    outcome = _verify_case(shared, tmp_path, "jwt-trigger-rule-include", drop_deny)
    assert outcome.refused
    widened = [d for d in outcome.differences if d.widening and d.note is None]
    assert any(dict(d.request).get("token") is None and dict(d.request).get("path") == "/headers" for d in widened)


def test_verify_refuses_an_undocumented_narrowing(shared, tmp_path):
    def strict(objs):
        return [dict(o, spec={**o["spec"], "mtls": {"mode": "STRICT"}}) if o["kind"] == "PeerAuthentication" else o for o in objs]

    outcome = _verify_case(shared, tmp_path, "mtls-port", strict)
    assert outcome.refused
    assert any(not d.new and d.old and d.note is None for d in outcome.differences)


def test_convert_verify_through_the_cli(cli, shared, tmp_path):
    services = _services_in(shared, {"foo"}, tmp_path)
    r = cli("convert", "--verify", "--select", "ML300", shared / ORACLES / "mtls-port-input.yaml", *services)
    assert r.code == 0 and "Verification: no request is decided differently from Istio 1.4" in r.err
    r = cli("convert", "--verify", "--select", "ML300", shared / ORACLES / "jwt-basic-input.yaml", *services)
    assert r.code == 0, r.out + r.err
    # grouped by the policy whose conversion decides the requests, with counts; every request behind -v
    lines = r.err.splitlines()
    at = lines.index("  converted Policy foo/jwt-basic")
    assert lines[at + 1].startswith("    2 request class(es) in 1 destination(s): ") and "documented: plaintext" in lines[at + 1], r.err
    assert "(documented: plaintext)" not in r.err
    verbose = cli("convert", "--verify", "-v", "--select", "ML300", shared / ORACLES / "jwt-basic-input.yaml", *services)
    assert "(documented: plaintext)" in verbose.err and verbose.err.count("\n") > r.err.count("\n")


def test_verify_groups_refusals_by_policy(cli, shared):
    """On istio's own 1.4 test data some conversions are refused: each refused policy is named once
    (with the differences its conversion decides, or the conversion it was refused with), the counts
    add up to the total, lines fit the terminal, and -v adds the requests."""
    r = cli("convert", "--verify", "--color", "never", shared / "corpus/istio__istio")
    lines = r.err.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Verification: "))
    total = int(lines[head].split()[1])
    end = next(i for i in range(head, len(lines)) if "documented by the conversion" in lines[i])
    body = lines[head + 1:end]
    groups = [line for line in body if line.startswith("  ") and not line.startswith("    ")]
    counts = [int(line.split()[0]) for line in body if line.startswith("    ") and "request class(es) in" in line]
    assert groups and all(g.split()[0] in ("refused", "converted", "partly") for g in groups), r.err
    assert sum(counts) == total and all(len(line) <= 120 for line in body), r.err
    refused = int(lines[end].split(";")[1].split()[0])
    named = {n.strip() for g in groups if g.split()[0] == "refused" for n in g.split(" ", 3)[3].split(", ")}
    assert refused > 0 and len(named) == refused, r.err
    verbose = cli("convert", "--verify", "-v", "--color", "never", shared / "corpus/istio__istio")
    vlines = verbose.err.splitlines()
    vhead = next(i for i, line in enumerate(vlines) if line.startswith("Verification: "))
    requests = [line for line in vlines[vhead:] if line.startswith("      ") and ", converted " in line]
    assert len(requests) == total, verbose.err


def test_rbac_verify_through_the_cli(cli, shared):
    d = shared / "corpus/istio__istio/1.4.10/istioctl/cmd/testdata/authz/converter"
    r = cli("convert", "--verify", "--root-namespace", "my-root-namespace", d / "one-rule-one-service.yaml", d / "one-subject.yaml", d / "rbac-global-on.yaml", d / "svc-bookinfo.yaml")
    assert r.code == 0, r.out
    assert "verification difference" not in r.out + r.err


def test_named_target_port_jwt_headers_params_and_use_peer(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("""apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: pay}
spec:
  selector: {app: ledger}
  ports:
  - {name: http, port: 80, targetPort: http-web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger-v1, namespace: pay}
spec:
  template:
    metadata: {labels: {app: ledger, version: v1}}
    spec:
      containers:
      - name: ledger
        ports: [{name: http-web, containerPort: 9080}]
---
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: jwt, namespace: pay}
spec:
  targets:
  - name: ledger
    ports: [{name: http}]
  peers: [{mtls: {mode: STRICT}}]
  origins:
  - jwt:
      issuer: https://issuer.example.com
      jwks_uri: https://issuer.example.com/jwks
      jwt_headers: [x-token]
      jwtParams: [token]
  principalBinding: USE_PEER
""")
    result = lint([str(p)], Settings(select=("ML300",)))
    objs = {o["kind"]: o for o in _converted(result)}
    assert objs["PeerAuthentication"]["spec"]["portLevelMtls"] == {"9080": {"mode": "STRICT"}}
    rule = objs["RequestAuthentication"]["spec"]["jwtRules"][0]
    assert rule == {"issuer": "https://issuer.example.com", "jwksUri": "https://issuer.example.com/jwks", "fromHeaders": [{"name": "x-token"}],
                    "fromParams": ["token"], "forwardOriginalToken": True}
    assert objs["AuthorizationPolicy"]["spec"]["rules"][0]["to"] == [{"operation": {"ports": ["9080"]}}]
    assert any("USE_PEER" in f.message and f.path == "/spec/principalBinding" for f in result.findings)
