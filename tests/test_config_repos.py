"""Config repositories as they are applied (issue 15): files that are not Kubernetes objects,
namespaces as kubectl/kustomize apply them, placeholders, every workload API group, rendered streams."""
from __future__ import annotations

import json

from conftest import FIXTURES

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
