"""The engine: plugins through entry points, crash isolation, the index, context files."""
from __future__ import annotations

import textwrap

from meshlint.engine import Settings, lint, lint_sources, root_namespace
from meshlint.index import ResourceIndex
from meshlint.loader import load_bytes

PLUGIN = '''
from meshlint.model import Rule, Severity, Violation

def _check(res, ctx):
    if res.name == "boom":
        raise ValueError("synthetic failure")
    if res.labels.get("team") is None:
        yield Violation("/metadata/labels", {"name": res.name})

def _peek(res, ctx):
    ctx.index.of_kind("Secret")  # not declared in reads
    return []

RULE = Rule(code="XT001", name="team-label", severity=Severity.WARNING, summary="Namespaces need a team label.",
            fixable=False, area="core", messages={"default": "Namespace {name} has no team label."},
            kinds=("/Namespace",), reads=(), check=_check)
def _sloppy(res, ctx):
    yield "/metadata/name"  # a bare string, not a Violation

SLOPPY = Rule(code="XT003", name="yields-strings", severity=Severity.INFO, summary="Yields something that is not a Violation.",
              fixable=False, area="core", messages={"default": "never shown"}, kinds=("/Namespace",), reads=(), check=_sloppy)
PEEK = Rule(code="XT002", name="peeks-undeclared", severity=Severity.INFO, summary="Reads a kind it did not declare.",
            fixable=False, area="core", messages={"default": "never shown"}, kinds=("/Namespace",), reads=(), check=_peek)
'''


def _install_plugin(tmp_path):
    (tmp_path / "meshlint_plugin_demo.py").write_text(PLUGIN)
    dist = tmp_path / "meshlint_plugin_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: meshlint-plugin-demo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[meshlint.rules]\nteam-label = meshlint_plugin_demo:RULE\npeek = meshlint_plugin_demo:PEEK\nsloppy = meshlint_plugin_demo:SLOPPY\n")


def test_entry_point_plugins_run_and_crashes_become_findings(cli, tmp_path):
    _install_plugin(tmp_path)
    target = tmp_path / "ns.yaml"
    target.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: boom\n")
    r = cli("check", "-f", "json", target, env={"PYTHONPATH": str(tmp_path)})
    assert "Traceback" not in r.err
    got = [(f["code"], f["line"], f["resource"]["name"]) for f in r.json()["findings"]]
    assert ("XT001", 3, "shop") in got
    crashed = [f for f in r.json()["findings"] if f["code"] == "ML090"]
    assert {(f["resource"]["name"], any(c in f["message"] for c in ("XT001", "XT002", "XT003"))) for f in crashed} == {("boom", True), ("shop", True)}
    assert any("does not declare in READS" in f["message"] for f in crashed)
    sloppy = [f for f in crashed if "XT003" in f["message"]]
    assert len(sloppy) == 2 and all("not a Violation" in f["message"] for f in sloppy)
    assert "XT001" in cli("rules", env={"PYTHONPATH": str(tmp_path)}).out


def test_context_files_resolve_references_but_are_not_reported(tmp_path):
    ctx_file = tmp_path / "ctx.yaml"
    ctx_file.write_text("apiVersion: authentication.istio.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: default}\n")
    main = tmp_path / "main.yaml"
    main.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    result = lint([str(main)], Settings(context_paths=(str(tmp_path),)))
    assert result.findings == []
    assert result.files == [str(main)]


def _resources(text: str):
    return load_bytes(textwrap.dedent(text).encode(), "x.yaml").resources


def test_index_lookups():
    res = _resources("""
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {selector: {app: reviews}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: reviews-v1, namespace: shop}
        spec:
          template:
            metadata: {labels: {app: reviews, version: v1}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: reviews-other-ns, namespace: other}
        spec:
          template:
            metadata: {labels: {app: reviews, version: v1}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nons}
    """)
    idx = ResourceIndex(res)
    assert idx.get("Service", "shop", "reviews").name == "reviews"
    assert idx.get("Service", None, "nons").name == "nons"  # no namespace means "default"
    assert idx.get("Service", "shop", "missing") is None
    assert [d.name for d in idx.workloads_selected("shop", {"app": "reviews"})] == ["reviews-v1"]
    assert [d.name for d in idx.workloads_selected(None, {"version": "v1"})] == ["reviews-other-ns", "reviews-v1"]
    assert idx.workloads_selected("shop", {"app": "reviews", "version": "v2"}) == []


def test_root_namespace_from_istio_configmap():
    res = _resources("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
            rootNamespace: my-root
            defaultConfig: {}
    """)
    idx = ResourceIndex(res)
    assert root_namespace(idx, Settings()) == "my-root"
    assert root_namespace(idx, Settings(root_namespace="cli-wins")) == "cli-wins"
    assert root_namespace(ResourceIndex([]), Settings()) == "istio-system"


def test_findings_are_deterministically_ordered(tmp_path):
    a = tmp_path / "b.yaml"
    a.write_text("apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRole\nmetadata: {name: x}\n")
    b = tmp_path / "a.yaml"
    b.write_text("apiVersion: rbac.istio.io/v1alpha1\nkind: RbacConfig\nmetadata: {name: y}\n")
    r1 = lint([str(a), str(b)], Settings())
    r2 = lint([str(b), str(a)], Settings())
    assert [(f.file, f.line) for f in r1.findings] == [(f.file, f.line) for f in r2.findings]
    assert [f.file for f in r1.findings] == sorted(f.file for f in r1.findings)


def test_lint_sources_accepts_in_memory_input():
    src = load_bytes(b"apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata: {name: p}\n", "mem.yaml")
    result = lint_sources([src], Settings(select=("ML100",)))
    assert [(f.code, f.file, f.line) for f in result.findings] == [("ML100", "mem.yaml", 2)]


def test_streamed_json_equals_the_contract_data():
    import json

    from meshlint.reporters.json_findings import as_data, render

    src = load_bytes(b"apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata: {name: p, namespace: x}\nspec:\n  peers:\n  - mtls: {}\n", "mem.yaml")
    result = lint_sources([src])
    assert result.findings
    assert json.loads(render(result)) == as_data(result)
    empty = lint_sources([load_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", "e.yaml")])
    assert json.loads(render(empty)) == as_data(empty) and as_data(empty)["findings"] == []
