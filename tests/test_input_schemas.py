"""meshlint's Istio 1.4/1.6 input schemas (meshlint/schema/input.py) and the target schemas for
Gateway, ServiceEntry, Sidecar and Telemetry: checked against the upstream CRDs, the corpus and
galley's validation dataset in ../shared."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml
from upstream_crds import crd_field_types, field_types, strict_errors, verdicts

from meshlint.schema import validate
from meshlint.schema.input import INPUT_SPECS, input_schema
from meshlint.schema.target import SPECS
from meshlint.schema.validator import Validator

DATASET = "corpus/istio__istio/1.4.10/galley/testdata/validation/dataset"


def _errors(doc: dict) -> list[tuple[str, str]]:
    """(JSON path, keyword) of every input-schema error; None when there is no input schema for the kind."""
    group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
    schema = input_schema(group, version, doc.get("kind"))
    if schema is None:
        return None
    return sorted(("/" + "/".join(map(str, e.absolute_path)), e.validator) for e in Validator(schema).iter_errors(doc))


def _docs(path: Path):
    for i, d in enumerate(yaml.safe_load_all(path.read_text())):
        if isinstance(d, dict) and d.get("kind"):
            yield i, d


# ------------------------------------------------------------------------------ field sets

# deliberate differences from the upstream CRDs: (kind, field path) -> the keywords/enum values only meshlint has
NARROWER_THAN_UPSTREAM = {
    # Istio's validation refused any other kind ("roleRef can only be ServiceRole")
    ("ServiceRoleBinding", "spec.roleRef.kind"): {"enum:ServiceRole"},
}


def test_input_schemas_have_exactly_the_fields_istio_1_4_and_1_6_accepted(shared):
    """Field paths and types are the union of the 1.4.10 and 1.6.14 CRDs, no more, no fewer."""
    for (group, version, kind), (spec, _) in INPUT_SPECS.items():
        upstream: dict[str, set] = {}
        for release in ("1.4.10", "1.6.14"):
            for path, types in crd_field_types(shared, release, group, version, kind).items():
                upstream.setdefault(path, set()).update(types)
        assert len(upstream) > 5, (kind, "no upstream CRD schema")
        mine = field_types(spec)
        assert sorted(set(upstream) - set(mine)) == [], (kind, "fields 1.4/1.6 accepted that meshlint rejects")
        assert sorted(set(mine) - set(upstream)) == [], (kind, "fields meshlint accepts that neither 1.4 nor 1.6 knew")
        for path, theirs in upstream.items():
            assert mine[path] ^ theirs == NARROWER_THAN_UPSTREAM.get((kind, path), set()), (kind, path)


# Fields the 1.30.3 CRDs still list but meshlint's target schemas leave out on purpose: they are
# deprecated, ignored or removed in modern Istio, and a deprecation rule reports each one.
DELIBERATELY_REMOVED = {
    "VirtualService": {"spec.http[].corsPolicy.allowOrigin", "spec.http[].corsPolicy.allowOrigin[]", "spec.http[].fault.delay.percent",
                       "spec.http[].mirrorPercent", "spec.http[].mirror_percent"},
    "DestinationRule": {f"spec{sub}.trafficPolicy{port}.{field}" for sub in ("", ".subsets[]") for port in ("", ".portLevelSettings[]")
                        for field in ("loadBalancer.consistentHash.minimumRingSize", "outlierDetection.consecutiveErrors")},
    "RequestAuthentication": {"spec.jwtRules[].jwks_uri"},
}
REMOVED_ENUM_VALUES = {"DestinationRule": {"enum:LEAST_CONN"}}


@pytest.mark.parametrize("group,kind", sorted(SPECS))
def test_target_schemas_have_exactly_the_fields_of_istio_1_30(shared, group, kind):
    """Every field 1.30.3 has, with its types and enum values, except the removed ones listed above:
    a field added upstream and missing here would be reported as unknown on valid modern config."""
    spec, versions = SPECS[(group, kind)]
    for version in versions:
        upstream = crd_field_types(shared, "1.30.3", group, version, kind)
        assert len(upstream) > 5, (kind, version)
        for path in DELIBERATELY_REMOVED.get(kind, ()):
            assert upstream.pop(path), (kind, path)  # still listed upstream: the exception is still needed
        for path, types in upstream.items():
            types -= REMOVED_ENUM_VALUES.get(kind, set())
        assert field_types(spec) == upstream, (kind, version)


# ------------------------------------------------------------------------------ corpus

# Documents of kinds with an input schema that Istio 1.4 would not have accepted either, by
# (corpus path, document index): the test checks that each one is rejected, with these errors.
NOT_ACCEPTED_BY_ISTIO = {
    # galley analyzer test data: minimal fragments that exercise the deprecation analyzer, which
    # runs on config as found; Istio's validation refuses a VirtualService without hosts and an
    # old-style filter without filterType/filterName
    ("istio__istio/1.4.10/galley/pkg/config/analysis/analyzers/testdata/deprecation.yaml", 0): [("/spec", "required")],
    ("istio__istio/1.4.10/galley/pkg/config/analysis/analyzers/testdata/deprecation.yaml", 1): [("/spec", "required")],
    ("istio__istio/1.4.10/galley/pkg/config/analysis/analyzers/testdata/deprecation.yaml", 2): [("/spec/filters/0", "required")] * 2,
    ("istio__istio/1.6.14/galley/pkg/config/analysis/analyzers/testdata/deprecation.yaml", 0): [("/spec/filters/0", "required")] * 2,
}


def _corpus_files(shared: Path):
    """Corpus files with input worth checking: MANIFEST.tsv says they parse, and they are not galley's
    deliberately invalid validation cases (those are checked in the galley test below)."""
    with (shared / "corpus/MANIFEST.tsv").open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["parse"] != "ok":  # the two traffic-mirroring templates: Go templates, not YAML
                continue
            if row["local_path"].endswith("-invalid.yaml") and "/validation/dataset/" in row["local_path"]:
                continue
            yield row["local_path"], shared / "corpus" / row["local_path"]


def test_input_schemas_accept_the_corpus(shared):
    seen: Counter = Counter()
    rejected = {}
    for rel, path in _corpus_files(shared):
        for i, doc in _docs(path):
            errs = _errors(doc)
            if errs is None:
                continue
            seen[doc["kind"]] += 1
            if errs:
                rejected[(rel, i)] = errs
    assert rejected == NOT_ACCEPTED_BY_ISTIO
    assert sum(seen.values()) >= 150
    assert set(seen) == {k for (_, _, k) in INPUT_SPECS}, "every input kind is exercised by the corpus"


# ------------------------------------------------------------------------------ galley validation dataset

# galley rejects these for reasons a JSON schema cannot state; the input schemas accept them
SEMANTIC_ONLY = {
    "authentication-v1alpha1-Policy-invalid.yaml": "target name 'bad.target' must be a short service name without dots",
    "rbac-v1alpha1-ClusterRbacConfig-invalid.yaml": "mode ON_WITH_EXCLUSION needs an exclusion (a condition across two fields)",
    "rbac-v1alpha1-RBacConfig-invalid.yaml": "mode ON_WITH_EXCLUSION needs an exclusion (a condition across two fields)",
}
# the structural reason for each other invalid case, as the input schema reports it
STRUCTURAL = {
    "authentication-v1alpha1-MeshPolicy-invalid.yaml": [("/metadata/name", "const")],  # a MeshPolicy must be named default
    "networking-v1alpha3-DestinationRule-invalid.yaml": [("/spec", "required")],  # host
    "networking-v1alpha3-EnvoyFilter-invalid.yaml": [("/spec/filters/0", "required")],  # filterType
    "networking-v1alpha3-Gateway-invalid.yaml": [("/spec", "required")],  # servers
    "networking-v1alpha3-ServiceEntry-invalid.yaml": [("/spec", "additionalProperties"), ("/spec", "required")],  # discovery; hosts
    "networking-v1alpha3-Sidecar-invalid.yaml": [("/spec/egress", "type")],  # `egress:` is null: galley says "missing egress"
    "networking-v1alpha3-VirtualService-invalid.yaml": [("/spec", "required")],  # hosts
    "rbac-v1alpha1-ServiceRole-invalid.yaml": [("/spec/rules", "type")],  # null rules: "at least 1 rule"
    "rbac-v1alpha1-ServiceRoleBinding-invalid.yaml": [("/spec/subjects", "type")],  # null subjects: "at least 1 subject"
    "security-v1beta1-AuthorizationPolicy-invalid.yaml": [("/spec/rules/0/when/0", "required")],  # key
}


def test_galley_validation_dataset(shared):
    valid = invalid = 0
    for path in sorted((shared / DATASET).glob("*.yaml")):
        docs = [d for _, d in _docs(path)]
        if not docs or _errors(docs[0]) is None:
            assert not path.name.startswith(("networking-", "authentication-", "rbac-", "security-")), path.name
            continue
        errs = [e for d in docs for e in _errors(d)]
        if path.name.endswith("-valid.yaml"):
            assert errs == [], path.name
            valid += 1
        elif path.name in SEMANTIC_ONLY:
            assert errs == [], (path.name, "now rejected structurally: move it to STRUCTURAL")
            invalid += 1
        else:
            assert errs == STRUCTURAL[path.name], path.name
            invalid += 1
    assert valid == invalid == len(SEMANTIC_ONLY) + len(STRUCTURAL) == 13


def test_small_validator_agrees_with_jsonschema_on_input_schemas(shared):
    compared = 0
    for path in sorted((shared / DATASET).glob("*.yaml")):
        for _, d in _docs(path):
            group, _, version = d["apiVersion"].rpartition("/")
            schema = input_schema(group, version, d["kind"])
            if schema is None:
                continue
            mine, theirs = verdicts(schema, d)
            assert mine == theirs, path.name
            compared += 1
    assert compared == 26


def test_input_schema_lookup():
    assert input_schema("networking.istio.io", "v1beta1", "VirtualService") is None  # only v1alpha3 is 1.4 input
    assert input_schema("networking.istio.io", "v1alpha3", "Telemetry") is None
    doc = input_schema("rbac.istio.io", "v1alpha1", "ClusterRbacConfig")
    assert doc["properties"]["kind"] == {"const": "ClusterRbacConfig"} and doc["required"] == ["apiVersion", "kind", "metadata"]
    # deprecated 1.4 fields are accepted as input, and a typo is still an unknown field
    vs = {"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService", "metadata": {"name": "x"},
          "spec": {"hosts": ["a"], "http": [{"appendHeaders": {"x": "y"}, "websocketUpgrade": True, "mirror": {"host": "b"}, "mirrorPercent": 5,
                                             "fault": {"abort": {"percent": 10, "httpStatus": 503}}, "corsPolicy": {"allowOrigin": ["*"]},
                                             "route": [{"destination": {"host": "a"}, "appendRequestHeaders": {"a": "b"}}]}]}}
    assert _errors(vs) == []
    vs["spec"]["http"][0]["websocketUpgrde"] = True
    assert _errors(vs) == [("/spec/http/0", "additionalProperties")]
    # 1.4 refused a JWT without issuer ("issuer must be set"); `mtls:` left empty (null) was fine
    policy = {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy", "metadata": {"name": "p"},
              "spec": {"peers": [{"mtls": None}], "origins": [{"jwt": {"jwks_uri": "https://example.com/jwks"}}], "principalBinding": "USE_ORIGIN"}}
    assert _errors(policy) == [("/spec/origins/0/jwt", "required")]


# ------------------------------------------------------------------------------ new target schemas vs upstream 1.30.3

MODERN = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-ingress}
spec:
  selector: {istio: ingressgateway}
  servers:
  - name: https
    port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["bookinfo/*.example.com"]
    tls: {mode: OPTIONAL_MUTUAL, credentialNames: [cert-rsa, cert-ecdsa], minProtocolVersion: TLSV1_2}
  - port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}
    hosts: ["*"]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: ext}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS, targetPort: 8443}]
  location: MESH_EXTERNAL
  resolution: DNS_ROUND_ROBIN
  endpoints: [{address: api.example.com, ports: {tls: 8443}, labels: {zone: a}, weight: 1, serviceAccount: ext}]
  exportTo: ["."]
---
apiVersion: networking.istio.io/v1alpha3
kind: Sidecar
metadata: {name: default, namespace: prod}
spec:
  workloadSelector: {labels: {app: reviews}}
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
    connectionPool: {http: {maxConcurrentStreams: 10}}
  egress:
  - hosts: ["./*", "istio-system/*"]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY, egressProxy: {host: egress.example.com, port: {number: 443}}}
  inboundConnectionPool: {tcp: {maxConnections: 100, idleTimeout: 1h}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - providers: [{name: zipkin}]
    randomSamplingPercentage: 10.5
    customTags: {env: {literal: {value: prod}}, user: {header: {name: x-user, defaultValue: none}}}
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: REQUEST_COUNT, mode: CLIENT_AND_SERVER}
      tagOverrides: {request_host: {operation: REMOVE}}
  accessLogging:
  - providers: [{name: envoy}]
    filter: {expression: "response.code >= 400"}
---
apiVersion: telemetry.istio.io/v1alpha1
kind: Telemetry
metadata: {name: workload, namespace: prod}
spec:
  selector: {matchLabels: {app: reviews}}
  accessLogging: [{disabled: true, match: {mode: SERVER}}]
"""

# one misspelled field per kind: (kind, pointer into the object, misspelled key, suggestion)
TYPOS = [
    ("Gateway", ("spec", "servers", 0, "tls"), "credentialNmaes", "credentialNames"),
    ("ServiceEntry", ("spec",), "resolutoin", "resolution"),
    ("Sidecar", ("spec", "egress", 0), "hostss", "hosts"),
    ("Telemetry", ("spec", "tracing", 0), "randomSamplingPercent", "randomSamplingPercentage"),
]


def test_new_target_schemas_agree_with_upstream_strict_1_30(shared):
    docs = list(yaml.safe_load_all(MODERN))
    assert {d["kind"] for d in docs} == {"Gateway", "ServiceEntry", "Sidecar", "Telemetry"}
    for d in docs:
        assert validate(d) == [] and strict_errors(shared, "1.30.3", d) == [], d["metadata"]
    for kind, where, typo, suggestion in TYPOS:
        d = yaml.safe_load(yaml.safe_dump(next(x for x in docs if x["kind"] == kind)))
        node = d
        for step in where:
            node = node[step]
        node[typo] = node.pop(suggestion)
        mine, theirs = validate(d), strict_errors(shared, "1.30.3", d)
        assert theirs and any(typo in e for e in theirs), (kind, theirs)
        assert f"/{'/'.join(map(str, where))}: Additional properties are not allowed ('{typo}' was unexpected)" \
               f" (did you mean {typo} → {suggestion}?)" in mine, (kind, mine)


def test_new_target_schemas_reject_what_only_1_4_accepted(shared):
    """A 1.4-only field and a 1.6-only field are unknown in the target API, and upstream agrees."""
    sidecar = {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "s"},
               "spec": {"egress": [{"hosts": ["*/*"]}], "localhost": {"clientTls": {"mode": "DISABLE"}}}}
    gateway = {"apiVersion": "networking.istio.io/v1beta1", "kind": "Gateway", "metadata": {"name": "g"},
               "spec": {"servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}}]}}
    assert validate(sidecar) == ["/spec: Additional properties are not allowed ('localhost' was unexpected)"]
    assert strict_errors(shared, "1.30.3", sidecar) != []
    assert validate(gateway) == ["/spec/servers/0: 'hosts' is a required property"]
    assert strict_errors(shared, "1.30.3", gateway) != []
