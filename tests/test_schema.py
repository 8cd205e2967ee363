"""meshlint's own strict target schemas: agreement with the upstream CRDs, strictness, did-you-mean."""
from __future__ import annotations

from pathlib import Path

import yaml
from conftest import REPO
from upstream_crds import strict_errors, verdicts

from meshlint.convert import convert
from meshlint.engine import Settings, lint
from meshlint.schema import validate


def _docs(paths):
    for p in paths:
        for d in yaml.safe_load_all(Path(p).read_text()):
            if isinstance(d, dict) and d.get("kind"):
                yield d


def test_agrees_with_upstream_strict_1_30_on_oracle_goldens(shared):
    goldens = list((shared / "corpus/istio__istio/1.4.10/istioctl/cmd/testdata/authz/converter").glob("*.golden.yaml"))
    goldens += list((shared / "oracles/security-policy-migrate").glob("*-output.yaml"))
    n = 0
    for d in _docs(goldens):
        d.get("metadata", {}).pop("creationTimestamp", None)
        assert validate(d) == [] and strict_errors(shared, "1.30.3", d) == [], d["metadata"]
        n += 1
    assert n >= 30


def test_agrees_with_upstream_strict_1_30_on_converted_corpus(shared):
    result = lint([str(shared / "corpus")], Settings())
    converted = convert(result)
    n = 0
    for f in converted.files:
        if not f.changed:
            continue
        for d in _docs_text(f.new_text):
            if d.get("kind") in ("VirtualService", "DestinationRule", "AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"):
                mine, theirs = validate(d), strict_errors(shared, "1.30.3", d)
                assert (mine == []) == (theirs == []), (f.path, d["metadata"], mine, theirs)
                n += 1
    assert n >= 10


def _docs_text(text):
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def test_stricter_than_upstream_where_fields_are_removed(shared):
    vs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "x"},
          "spec": {"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}}], "mirror": {"host": "b"}, "mirror_percent": 5,
                                             "corsPolicy": {"allowOrigin": ["x"]}}]}}
    upstream = strict_errors(shared, "1.30.3", vs)
    mine = validate(vs)
    assert upstream == []  # the 1.30 CRD still lists both removed fields
    assert any("mirror_percent" in e for e in mine) and any("allowOrigin" in e for e in mine)


def test_did_you_mean_on_a_misspelled_field():
    errs = validate({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService", "metadata": {"name": "x"},
                     "spec": {"hosts": ["a"], "tls": [{"match": [{"sniHost": ["a"]}], "route": [{"destination": {"host": "a"}}]}]}})
    assert any("did you mean sniHost → sniHosts" in e and e.startswith("/spec/tls/0/match/0") for e in errs)


def test_invalid_conversion_is_not_written(cli, tmp_path):
    f = tmp_path / "vs.yaml"
    original = ("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n  http:\n"
                "  - websocketUpgrade: true\n    route:\n    - destination: {host: a, port: {name: http}}\n")
    f.write_text(original)
    r = cli("convert", "--in-place", f)
    assert r.code == 1 and "not valid for the target API" in r.out and "/port" in r.out
    assert f.read_text() == original


def test_one_invalid_conversion_leaves_only_its_object(cli, tmp_path):
    """An object whose conversion the target API rejects stays as it is; the rest of its file converts,
    and the run says which object and why (text and JSON), with exit code 1."""
    case = REPO / "fixtures/convert/one-object-invalid"
    f = tmp_path / "routing.yaml"
    f.write_bytes((case / "input.yaml").read_bytes())
    r = cli("convert", "--in-place", f)
    assert r.code == 1 and "not converted: VirtualService ratings: the converted object is not valid for the target API" in r.out + r.err
    assert f.read_bytes() == (case / "expected.yaml").read_bytes()
    j = cli("convert", "-f", "json", case / "input.yaml").json()
    [entry] = j["files"]
    assert entry["changed"] and len(entry["errors"]) == 1 and entry["errors"][0].startswith("VirtualService ratings: ")
    assert [c["resource"]["name"] for c in entry["resources"]] == ["reviews"] and j["summary"]["errors"] == 1


SECURITY_AND_TRAFFIC = """apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: jwt, namespace: foo}
spec:
  targets: [{name: httpbin}]
  origins: [{jwt: {issuer: https://issuer.example.com, jwksUri: https://issuer.example.com/jwks}}]
  principalBinding: USE_ORIGIN
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: foo}
spec: {host: reviews, trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}}
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000}]}
"""


def test_an_invalid_security_conversion_holds_back_its_whole_file(tmp_path):
    """Security conversions were verified against 1.4 together: when one of them would be rejected by the
    target API, none of the file's conversions is made (an invalid traffic object only stays itself)."""
    p = tmp_path / "mixed.yaml"
    p.write_text(SECURITY_AND_TRAFFIC)
    result = lint([str(p)], Settings())

    def rejecting(kind):
        return lambda obj: [f"{kind} rejected by the test's schema"] if obj.get("kind") == kind else []

    [held] = convert(result, validate=rejecting("RequestAuthentication")).files
    assert not held.changed and held.errors and "Policy foo/jwt" in held.errors[0] and not held.invalid
    [partial] = convert(result, validate=rejecting("DestinationRule")).files
    assert partial.changed and not partial.errors and [str(r) for r, _ in partial.invalid] == ["DestinationRule foo/reviews"]
    assert "kind: RequestAuthentication" in partial.new_text and "LEAST_CONN" in partial.new_text


def test_check_reports_schema_problems_at_the_field_line_with_did_you_mean(cli, tmp_path):
    p = tmp_path / "vs.yaml"
    p.write_text("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n  tls:\n  - match:\n    - port: 443\n      sniHost: [a]\n    route:\n    - destination: {host: a}\n")
    r = cli("check", "-f", "json", "--select", "ML8", p)
    got = {(f["code"], f["line"], f["path"]) for f in r.json()["findings"]}
    assert ("ML800", 9, "/spec/tls/0/match/0/sniHost") in got
    assert ("ML803", 8, "/spec/tls/0/match/0") in got  # sniHosts is required in a TLS match
    assert any("Did you mean sniHosts?" in f["message"] for f in r.json()["findings"])


def test_schema_rules_leave_deprecated_fields_to_their_rules(cli, tmp_path):
    p = tmp_path / "vs.yaml"
    p.write_text("apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n  http:\n  - websocketUpgrade: true\n    mirror_percent: 5\n    route:\n    - destination: {host: a}\n")
    codes = [f["code"] for f in cli("check", "-f", "json", p).json()["findings"]]
    assert "ML201" in codes and "ML203" in codes
    assert not [c for c in codes if c.startswith("ML8")]


def test_galley_invalid_authorization_policy_is_caught(shared):
    result = lint([str(shared / "corpus/istio__istio/1.4.10/galley/testdata/validation/dataset/security-v1beta1-AuthorizationPolicy-invalid.yaml")], Settings(select=("ML8",)))
    assert [f.code for f in result.findings] == ["ML803"]
    valid = lint([str(shared / "corpus/istio__istio/1.4.10/galley/testdata/validation/dataset/security-v1beta1-AuthorizationPolicy-valid.yaml")], Settings(select=("ML8",)))
    assert valid.findings == []


def test_small_validator_agrees_with_jsonschema_on_meshlint_schemas(shared):
    """The fast validator must give the same verdict and paths as jsonschema on our own schemas."""
    from meshlint.schema.target import document_schema

    docs = list(_docs((shared / "oracles/security-policy-migrate").glob("*-output.yaml")))
    docs += [{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "x"},
              "spec": {"hosts": "a", "http": [{"route": [{"destination": {"subset": 1}, "weight": "x"}], "mirror_percent": 5,
                                               "corsPolicy": {"allowOrigins": [{"exact": "a", "prefix": "b"}]}}]}},
             {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {}, "spec": {"action": "NOPE", "rules": [{"when": [{}]}]}}]
    compared = 0
    for d in docs:
        group, _, version = d["apiVersion"].rpartition("/")
        schema = document_schema(group, version, d["kind"])
        if schema is None:
            continue
        mine, theirs = verdicts(schema, d)
        assert mine == theirs, d["metadata"]
        compared += 1
    assert compared >= 20


INPUT_ERA = """\
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: legacy}
spec:
  hosts: [legacy]
  tls:
  - match:
    - sniHosts: [legacy.example.com]
      sourceSubnet: 10.0.0.0/8
    route:
    - destination: {host: legacy}
  http:
  - route:
    - destination: {host: legacy}
    retries: {attemps: 3}
---
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: jwt, namespace: shop}
spec:
  targets:
  - name: shop
  orgins:
  - jwt: {issuer: https://issuer.example.com}
---
apiVersion: rbac.istio.io/v1alpha1
kind: ServiceRole
metadata: {name: reader, namespace: shop}
spec:
  rules:
  - services: shop.shop.svc.cluster.local
    methods: [GET]
---
apiVersion: telemetry.istio.io/v1alpha1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - randomSamplingPercent: 10
"""


def test_v1alpha3_and_removed_kinds_are_schema_checked_with_removed_and_typo_told_apart(cli, tmp_path):
    """v1alpha3 objects are checked against the current API: a field 1.4 had and the current API
    removed is reported as removed, a typo as unknown with a suggestion. Kinds the current API no
    longer serves (authentication, rbac v1alpha1) are checked against the 1.4/1.6 API."""
    p = tmp_path / "era.yaml"
    p.write_text(INPUT_ERA)
    found = {(f["code"], f["line"], f["path"]): f["message"] for f in cli("check", "-f", "json", "--select", "ML8", p).json()["findings"]}
    assert set(found) == {
        ("ML800", 9, "/spec/tls/0/match/0/sourceSubnet"),
        ("ML800", 15, "/spec/http/0/retries/attemps"),
        ("ML800", 23, "/spec/orgins"),
        ("ML801", 31, "/spec/rules/0/services"),
        ("ML800", 39, "/spec/tracing/0/randomSamplingPercent"),
    }
    assert "was part of the Istio 1.4/1.6 API but the current API no longer has it" in found[("ML800", 9, "/spec/tls/0/match/0/sourceSubnet")]
    assert found[("ML800", 15, "/spec/http/0/retries/attemps")].endswith("Did you mean attempts?")
    assert "no longer has it" not in found[("ML800", 15, "/spec/http/0/retries/attemps")]
    assert found[("ML800", 23, "/spec/orgins")].endswith("Did you mean origins?")
    assert found[("ML800", 39, "/spec/tracing/0/randomSamplingPercent")].endswith("Did you mean randomSamplingPercentage?")


def test_snake_case_fields_are_checked_as_istio_read_them(cli, tmp_path):
    """sni_hosts is sniHosts to Istio 1.4: its spelling is ML209's finding (not a second ML800, nor a
    'sniHosts is missing'), but a wrong value under the snake_case key is still reported, at its line."""
    p = tmp_path / "snake.yaml"
    p.write_text("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n  tls:\n"
                 "  - match:\n    - port: 443\n      sni_hosts: not-a-list\n    route:\n    - destination: {host: a}\n")
    found = sorted((f["code"], f["line"], f["path"]) for f in cli("check", "-f", "json", p).json()["findings"])
    assert found == [("ML209", 9, "/spec/tls/0/match/0/sni_hosts"), ("ML801", 9, "/spec/tls/0/match/0/sni_hosts")]
    alone = sorted((f["code"], f["path"]) for f in cli("check", "-f", "json", "--select", "ML800", p).json()["findings"])
    assert alone == [("ML800", "/spec/tls/0/match/0/sni_hosts")]  # without ML209, the schema rule still says so


def test_deferring_is_by_field_a_deprecation_finding_hides_only_its_own_field(tmp_path):
    """ML203 reports mirror_percent; the schema rule leaves that field alone but still reports a typo beside it."""
    p = tmp_path / "vs.yaml"
    p.write_text("apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n  http:\n"
                 "  - mirror_percent: 5\n    mirror: {host: b}\n    timout: 1s\n    route:\n    - destination: {host: a}\n")
    found = sorted((f.code, f.path) for f in lint([str(p)], Settings()).findings)
    assert found == [("ML203", "/spec/http/0/mirror_percent"), ("ML800", "/spec/http/0/timout")]


def test_an_unknown_kind_gets_the_same_did_you_mean_in_any_case(cli, tmp_path):
    """ML011 (unknown kind) suggests through the same did-you-mean as the schema messages, comparing
    without case ("virtualservice" is VirtualService), and lists the group's kinds when none is close."""
    p = tmp_path / "kinds.yaml"
    p.write_text("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualServce\nmetadata: {name: a}\n---\n"
                 "apiVersion: networking.istio.io/v1beta1\nkind: destinationrule\nmetadata: {name: b}\n---\n"
                 "apiVersion: telemetry.istio.io/v1alpha1\nkind: Frobnicator\nmetadata: {name: c}\n")
    r = cli("check", "-f", "json", "--select", "ML011", p)
    got = {f["line"]: f["message"] for f in r.json()["findings"] if f["code"] == "ML011"}
    assert sorted(got) == [2, 6, 10], got
    assert got[2].endswith(" Did you mean VirtualService?") and got[6].endswith(" Did you mean DestinationRule?"), got
    assert got[10].endswith(" Known kinds: Telemetry."), got
