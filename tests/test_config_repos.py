"""Config repositories as they are applied (issue 15): files that are not Kubernetes objects,
namespaces as kubectl/kustomize apply them, placeholders, every workload API group, rendered streams."""
from __future__ import annotations

import json

import pytest
import yaml
from conftest import FIXTURES, REPO

KUBEFLOW = FIXTURES / "repos" / "kubeflow-like"
MICRO_MESH = FIXTURES / "repos" / "micro-mesh-like"


# --------------------------------------------------------------------------- not every YAML file is an object

def test_kustomize_files_are_skipped_and_counted(cli):
    r = cli("check", "--format", "json", KUBEFLOW)
    data = r.json()
    assert not [f for f in data["findings"] if f["code"] in ("ML002", "ML003")], data["findings"]
    # kustomization.yaml x3, params.yaml x2, the JSON patch, docs/values.json
    assert data["summary"]["notObjects"] == 7
    text = cli("check", KUBEFLOW).out
    assert "7 files are not Kubernetes objects (skipped)." in text


def test_helm_chart_files_are_skipped(cli):
    data = cli("check", "--format", "json", MICRO_MESH).json()
    assert not [f for f in data["findings"] if f["file"].endswith((".yaml", ".tpl")) and "/charts/" in f["file"]], data["findings"]
    assert data["summary"]["notObjects"] == 4  # Chart.yaml, values.yaml, two templates (the .tpl is not YAML)


def test_non_objects_never_change_the_verdict(cli, tmp_path):
    for rel in ("istio/base/kustomization.yaml", "istio/base/params.yaml", "istio/overlays/kubeflow/gateway-port.yaml"):
        (tmp_path / rel.replace("/", "_")).write_bytes((KUBEFLOW / rel).read_bytes())
    (tmp_path / "se.yaml").write_bytes(b"apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: g\n  namespace: kubeflow\n"
                                       b"spec:\n  hosts: [www.googleapis.com]\n  location: MESH_EXTERNAL\n  ports:\n  - {name: https, number: 443, protocol: HTTPS}\n  resolution: DNS\n")
    r = cli("report", "--format", "json", tmp_path)
    report = json.loads(r.out)
    assert report["verdict"]["state"] == "SUCCESS", report["verdict"]
    assert report["inputs"]["not_objects"] == 3
    assert cli("check", tmp_path).code == 0


def test_a_document_meant_as_object_is_still_reported(cli, tmp_path):
    f = tmp_path / "half.yaml"
    f.write_text("kind: VirtualService\nmetadata:\n  name: reviews\n")
    data = cli("check", "--format", "json", f).json()
    assert [x["code"] for x in data["findings"]] == ["ML003"]
    assert data["summary"]["notObjects"] == 0


# --------------------------------------------------------------------------- namespaces as applied

TUTORIAL = FIXTURES / "repos" / "istio-tutorial-like"
OVERLAY = FIXTURES / "repos" / "kustomize-overlay"


def _by_name(data):
    return {f["resource"]["name"]: f["resource"] for f in data["findings"] if f["resource"]}


def test_namespace_flag_applies_to_objects_written_without_one(cli):
    data = cli("check", "--format", "json", "--namespace", "tutorial", TUTORIAL).json()
    res = _by_name(data)
    assert res["service-viewer"]["namespace"] is None  # as written
    assert (res["service-viewer"]["appliedNamespace"], res["service-viewer"]["namespaceFrom"]) == ("tutorial", "--namespace")
    assert "appliedNamespace" not in res["default"]  # ClusterRbacConfig is cluster-scoped
    text = cli("check", "-n", "tutorial", TUTORIAL).out
    assert "namespace-rbac-policy-viewer.yml  (namespace tutorial from --namespace)" in text


def test_without_a_namespace_default_is_assumed_and_said(cli):
    data = cli("check", "--format", "json", TUTORIAL).json()
    assert (_by_name(data)["service-viewer"]["appliedNamespace"], _by_name(data)["service-viewer"]["namespaceFrom"]) == ("default", "assumed")
    assert "name no namespace and none was given: assumed `default`" in cli("check", TUTORIAL).out


def test_tutorial_converts_with_namespace_and_verifies(cli, tmp_path):
    out = tmp_path / "out"
    r = cli("convert", "--namespace", "tutorial", "--verify", "--format", "json", "--out", out, "repos/istio-tutorial-like", cwd=FIXTURES)
    assert r.code == 0, r.out + r.err
    data = r.json()
    assert data["verify"] == [] and data["summary"]["errors"] == 0
    replaced = [p for f in data["files"] for c in f["resources"] for p in c["replaced_by"]]
    assert {p["kind"] for p in replaced} == {"AuthorizationPolicy"}
    assert "tutorial-deny-all" in {p["name"] for p in replaced}  # the inclusion of tutorial is where the roles are
    assert all(p["namespace"] in ("tutorial", None) for p in replaced)
    written = "".join(p.read_text() for p in out.rglob("*.yml"))
    assert "kind: AuthorizationPolicy" in written and "namespace: default" not in written


def test_tutorial_policies_stay_namespace_less(cli, tmp_path):
    import yaml

    out = tmp_path / "out"
    cli("convert", "--namespace", "tutorial", "--out", out, "repos/istio-tutorial-like", cwd=FIXTURES)
    docs = list(yaml.safe_load_all((out / "repos/istio-tutorial-like/istiofiles/namespace-rbac-policy-viewer.yml").read_text()))
    policies = [d for d in docs if d and d["kind"] == "AuthorizationPolicy"]
    assert policies
    assert all("namespace" not in d["metadata"] for d in policies)


def test_kustomize_overlay_namespace_overrides_the_base(cli):
    data = cli("check", "--format", "json", "repos/kustomize-overlay", cwd=FIXTURES).json()
    res = _by_name(data)
    assert res["reviews-reader"]["appliedNamespace"] == "prod"
    assert res["reviews-reader"]["namespaceFrom"] == "kustomization repos/kustomize-overlay/overlays/prod/kustomization.yaml"


def test_a_base_checked_alone_gets_its_own_kustomization_namespace(cli):
    # pre-commit passes single files: their own directory's kustomization is found
    data = cli("check", "--format", "json", "repos/kustomize-overlay/base/reviews-rbac.yaml", cwd=FIXTURES).json()
    res = _by_name(data)
    assert (res["reviews-reader"]["appliedNamespace"], res["reviews-reader"]["namespaceFrom"]) == ("staging", "kustomization repos/kustomize-overlay/base/kustomization.yaml")


def test_kustomize_overlay_converts_into_the_overlay_namespace(cli, tmp_path):
    import shutil
    import subprocess

    import yaml

    out = tmp_path / "out"
    r = cli("convert", "--verify", "--out", out, "repos/kustomize-overlay", cwd=FIXTURES)
    assert r.code == 0 and "Verification: no request is decided differently" in r.out, r.out + r.err
    assert "AuthorizationPolicy prod/" in r.out and "staging" not in r.out and "default/" not in r.out
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    built = subprocess.run(["kubectl", "kustomize", str(out / "repos/kustomize-overlay/overlays/prod")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    policies = [d for d in yaml.safe_load_all(built.stdout) if d["kind"] == "AuthorizationPolicy"]
    assert len(policies) == 2 and {d["metadata"]["namespace"] for d in policies} == {"prod"}


def test_config_maps_path_globs_to_namespaces(cli, tmp_path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "dr.yaml").write_text("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: r\n"
                                               "spec:\n  hosts: [r]\n  http:\n  - route:\n    - destination: {host: r, port: {name: http}}\n")
    (tmp_path / ".meshlint.yaml").write_text("namespaces:\n  'apps/*': shop\n  '*': other\n")
    res = cli("check", "--format", "json", "apps", cwd=tmp_path).json()["findings"][0]["resource"]
    assert (res["appliedNamespace"], res["namespaceFrom"]) == ("shop", ".meshlint.yaml namespaces 'apps/*'")
    res = cli("check", "--format", "json", "-n", "cli", "apps", cwd=tmp_path).json()["findings"][0]["resource"]
    assert (res["appliedNamespace"], res["namespaceFrom"]) == ("cli", "--namespace")  # the command line wins
    report = json.loads(cli("report", "--format", "json", "apps", cwd=tmp_path).out)
    listed = report["review"] + [it for g in report["blocking"]["groups"] for it in g["items"]]
    assert listed and all(f["namespace"] == "shop" and f["namespace_from"].endswith("'apps/*'") for f in listed)
    (tmp_path / ".meshlint.yaml").write_text("namespaces:\n  'apps/*': Not_A_Namespace\n")
    bad = cli("check", "apps", cwd=tmp_path)
    assert bad.code == 2 and "not a namespace name" in bad.err and "Traceback" not in bad.err
    assert cli("check", "-n", "UPPER", TUTORIAL).code == 2


def test_mixer_draft_keeps_the_rule_reach_and_its_namespace_lessness(tmp_path):
    from meshlint.engine import Settings, lint
    from meshlint.fixes import ExtraFile

    objs = """apiVersion: config.istio.io/v1alpha2
kind: handler
metadata: {name: office-ips}
spec: {compiledAdapter: listchecker, params: {overrides: [203.0.113.0/24], blacklist: false, entryType: IP_ADDRESSES}}
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: source-ip}
spec: {compiledTemplate: listentry, params: {value: source.ip | ip("0.0.0.0")}}
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: ledger-office-only}
spec:
  match: destination.labels["app"] == "ledger"
  actions: [{handler: office-ips, instances: [source-ip]}]
"""
    f = tmp_path / "mixer.yaml"
    f.write_text(objs)

    def draft(**kw):
        result = lint([str(f)], Settings(select=("ML600",), **kw))
        return next(o for x in result.findings if x.fix for op in x.fix.ops if isinstance(op, ExtraFile) for o in op.objects)

    assert "namespace" not in draft(namespace="ledger")["metadata"]  # applied with kubectl -n ledger: so is the draft
    assert draft(namespace="istio-system")["metadata"]["namespace"] == "istio-system"  # mesh-wide, as the rule was


# --------------------------------------------------------------------------- every workload API group

def test_old_workload_versions_are_seen_by_the_workload_rules(cli, tmp_path):
    f = tmp_path / "gw.yaml"
    f.write_text("""apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: istio-ilbgateway, namespace: istio-system}
spec:
  template:
    metadata:
      labels: {istio: ilbgateway, app: istio-ilbgateway}
      annotations: {policy.istio.io/check: disable}
    spec:
      containers:
      - name: istio-proxy
        image: gcr.io/istio-release/proxyv2:1.4.10
        args: [proxy, router]
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: internal, namespace: istio-system}
spec:
  selector: {istio: ilbgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
""")
    codes = [x["code"] for x in cli("check", "--format", "json", f).json()["findings"]]
    assert "ML101" in codes and "ML710" in codes and "ML722" in codes  # version, custom gateway, removed annotation
    assert "ML711" not in codes  # the Gateway's selector finds the extensions/v1beta1 gateway


def test_micro_mesh_old_deployment_converts_to_apps_v1(cli, tmp_path):
    out = tmp_path / "out"
    r = cli("convert", "--namespace", "micro-mesh", "--out", out, "repos/micro-mesh-like", cwd=FIXTURES)
    assert r.code == 0, r.out + r.err
    text = (out / "repos/micro-mesh-like/deploy/k8s/api-deployment.yaml").read_text()
    assert text.startswith("# micro-mesh style") and "apiVersion: apps/v1\n" in text and "matchLabels:" in text
    assert (out / "repos/micro-mesh-like/deploy/charts/mesh-gateway/templates/gateway.yaml").read_bytes() == \
        (MICRO_MESH / "deploy/charts/mesh-gateway/templates/gateway.yaml").read_bytes()


# --------------------------------------------------------------------------- placeholders

def test_no_finding_quotes_a_placeholder_value(cli):
    data = cli("check", "--format", "json", KUBEFLOW).json()
    assert not [f for f in data["findings"] if "$(" in f["message"]], data["findings"]
    assert "ML100" in {f["code"] for f in data["findings"]}  # the ClusterRbacConfig's kind is still reported


def test_placeholder_values_give_no_value_findings_and_stay_byte_for_byte(cli, tmp_path):
    f = tmp_path / "vs.yaml"
    text = ("apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: r\n"
            "spec:\n  host: ${SERVICE_HOST}\n  trafficPolicy:\n    loadBalancer:\n      simple: LEAST_CONN\n"
            "    portLevelSettings:\n    - port: {number: '{{ .Values.port }}'}\n      tls: {mode: $(tlsMode)}\n")
    f.write_text(text)
    data = cli("check", "--format", "json", f).json()
    assert [x["code"] for x in data["findings"]] == ["ML207"], data["findings"]  # LEAST_CONN only: port type and tls mode unknown
    cli("convert", "--in-place", f)
    out = f.read_text()
    assert "LEAST_REQUEST" in out and "${SERVICE_HOST}" in out and "'{{ .Values.port }}'" in out and "$(tlsMode)" in out
    assert out == text.replace("LEAST_CONN", "LEAST_REQUEST")


# --------------------------------------------------------------------------- several RBAC configs

def test_an_export_beside_an_unrelated_repo_with_another_rbac_config_converts_alike_every_run(cli, tmp_path):
    """The add-on export and a kustomize repository each hold a ClusterRbacConfig ``default``, and they
    differ: the cluster holds one, so nothing that depends on it is converted, in the first run and in
    every run after it (before, the first run converted the repository's config and the second then
    converted the export's roles under the export's config alone)."""
    import shutil

    shutil.copy(FIXTURES / "examples" / "gke-1.4-addon-export.yaml", tmp_path / "export.yaml")
    shutil.copytree(FIXTURES / "repos" / "kustomize-overlay", tmp_path / "kz")
    found = cli("check", "-f", "json", "export.yaml", "kz", cwd=tmp_path)
    rbac = [f for f in json.loads(found.out)["findings"] if f["code"] in ("ML400", "ML402")]
    rival = [f for f in rbac if "the inputs hold RBAC configs that differ" in f["message"]]
    assert rival and all(f["severity"] == "error" for f in rival)
    assert {f["code"] for f in rival} == {"ML400", "ML402"}
    assert "export.yaml:" in rival[0]["message"] and "kz/overlays/prod/rbac-config.yaml:" in rival[0]["message"]
    first = cli("convert", "--in-place", "export.yaml", "kz", cwd=tmp_path)
    assert first.code in (0, 1) and "refused ML400 ServiceRole" in first.out, first.out + first.err
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    second = cli("convert", "--check", "export.yaml", "kz", cwd=tmp_path)
    assert "0 file(s) would change, 0 resource(s) converted" in second.out, second.out + second.err
    assert {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()} == before


def test_an_rbac_config_that_1_4_never_read_is_removed_in_the_first_run(cli, tmp_path):
    """An RbacConfig beside a ClusterRbacConfig: 1.4 read only the ClusterRbacConfig. Converting the
    RbacConfig in a later run (once the ClusterRbacConfig is converted) would enforce what 1.4 never
    did, so it goes in the run that converts the ClusterRbacConfig."""
    (tmp_path / "rbac.yaml").write_text(
        "apiVersion: rbac.istio.io/v1alpha1\nkind: ClusterRbacConfig\nmetadata:\n  name: default\nspec:\n"
        "  mode: ON_WITH_INCLUSION\n  inclusion:\n    namespaces: [shop]\n---\n"
        "apiVersion: rbac.istio.io/v1alpha1\nkind: RbacConfig\nmetadata:\n  name: default\nspec:\n  mode: 'ON'\n")
    first = cli("convert", "--in-place", "rbac.yaml", cwd=tmp_path)
    assert first.code == 0, first.out + first.err
    text = (tmp_path / "rbac.yaml").read_text()
    assert "kind: RbacConfig" not in text and "name: shop-deny-all" in text and "global-deny-all" not in text
    second = cli("convert", "--check", "rbac.yaml", cwd=tmp_path)
    assert second.code == 0, second.out + second.err


def test_namespace_less_policies_convert_to_namespace_less_objects(cli, tmp_path):
    """Policies written without a namespace (applied with ``kubectl -n``) are replaced by objects
    without one: ``namespace: default`` written into them made ``kubectl -n frontend apply`` fail.
    The messages and the verification still place them where they are applied (--namespace)."""
    case = FIXTURES / "convert" / "authn-namespace-less" / "input.yaml"
    found = cli("check", "-f", "json", "--namespace", "frontend", "--select", "ML300", case)
    (conversion,) = [f for f in found.json()["findings"] if "frontend-jwt" in f["message"]]
    assert "PeerAuthentication frontend/frontend-jwt-frontend" in conversion["message"], conversion["message"]
    out = tmp_path / "out"
    r = cli("convert", "--verify", "--namespace", "frontend", "--out", out, case)
    assert "2 resource(s) converted" in r.out, r.out + r.err
    docs = [d for d in yaml.safe_load_all((out / case.relative_to(REPO)).read_text()) if d]
    assert {d["kind"] for d in docs} == {"PeerAuthentication", "RequestAuthentication", "AuthorizationPolicy", "Service"}
    assert [d["metadata"].get("namespace") for d in docs] == [None] * len(docs)
