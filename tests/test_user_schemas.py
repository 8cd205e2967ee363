"""--schemas PATH: validation against the user's own CustomResourceDefinitions (their exact Istio version)."""
from __future__ import annotations

import yaml

CRDS_1_30 = "schemas/istio-1.30.3/customresourcedefinitions.gen.yaml"
CRDS_1_6 = "schemas/istio-1.6.14/crd-all.gen.yaml"
CRDS_1_4 = "schemas/istio-1.4.10"  # a directory of CRD files

MODERN = """\
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      warmup: {duration: 30s}
    tls: {mode: ISTIO_MUTUAL, sniHost: reviews.shop}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
"""


def _findings(cli, *args):
    r = cli("check", "-f", "json", *args)
    assert r.code in (0, 1), r.err
    return sorted((f["code"], f["line"], f["path"]) for f in r.json()["findings"]), r.json()["findings"]


def test_check_against_the_users_crds_pins_their_version(cli, tmp_path, shared):
    p = tmp_path / "mesh.yaml"
    p.write_text(MODERN)
    latest, found = _findings(cli, "--schemas", shared / CRDS_1_30, p)
    assert latest == [("ML800", 10, "/spec/trafficPolicy/tls/sniHost")]
    assert found[0]["message"].endswith("Did you mean sni?")
    # the same file for a cluster that runs Istio 1.6: warmup did not exist, and v1 was not served
    old, found = _findings(cli, "--schemas", shared / CRDS_1_6, p)
    assert old == [("ML800", 9, "/spec/trafficPolicy/loadBalancer/warmup"), ("ML800", 10, "/spec/trafficPolicy/tls/sniHost"),
                   ("ML802", 12, "/apiVersion")]
    assert "networking.istio.io/v1 is not served" in next(f["message"] for f in found if f["code"] == "ML802")


def test_a_kubectl_list_export_of_crds_is_read(cli, tmp_path, shared):
    crds = [d for d in yaml.safe_load_all((shared / CRDS_1_6).read_text()) if isinstance(d, dict)]
    export = tmp_path / "crds.yaml"
    export.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": crds}))
    p = tmp_path / "mesh.yaml"
    p.write_text(MODERN)
    got, _ = _findings(cli, "--schemas", export, p)
    assert ("ML800", 9, "/spec/trafficPolicy/loadBalancer/warmup") in got


def test_convert_never_writes_what_the_users_cluster_would_reject(cli, tmp_path, shared):
    original = ("apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n"
                "  trafficPolicy:\n    outlierDetection:\n      consecutiveErrors: 5\n")
    p = tmp_path / "dr.yaml"
    p.write_text(original)
    r = cli("convert", "--in-place", "--schemas", shared / CRDS_1_4, p)  # Istio 1.4 had no consecutiveGatewayErrors
    assert r.code == 1 and "consecutiveGatewayErrors" in r.out and "per the CRDs in" in r.out
    assert p.read_text() == original
    r = cli("convert", "--in-place", "--schemas", shared / CRDS_1_6, p)
    assert r.code == 0, r.out
    assert yaml.safe_load(p.read_text())["spec"]["trafficPolicy"]["outlierDetection"] == {"consecutiveGatewayErrors": 5, "consecutive5xxErrors": 0}


def test_unusable_schemas_are_clear_errors(cli, tmp_path):
    target = tmp_path / "vs.yaml"
    target.write_text(MODERN)
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: CustomResourceDefinition\nspec: [\n")
    cases = {
        str(tmp_path / "missing.yaml"): "no such file",
        str(target): "holds no CustomResourceDefinition",
        str(bad): f"{bad}:3:1: cannot read this file as YAML",
    }
    for path, message in cases.items():
        r = cli("check", "--schemas", path, target)
        assert r.code == 2 and message in r.err and "Traceback" not in r.err, (path, r.err)


def test_validators_are_compiled_once_per_kind(shared):
    from meshlint.schema.user_crds import load_user_schemas

    user = load_user_schemas(str(shared / CRDS_1_30))
    first = user.validator("networking.istio.io", "v1", "VirtualService")
    assert first is not None and user.validator("networking.istio.io", "v1", "VirtualService") is first
    assert user.validator("networking.istio.io", "v9", "VirtualService") is None
    assert "v1" in user.served_versions("networking.istio.io", "VirtualService")
