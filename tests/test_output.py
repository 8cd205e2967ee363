"""Everything convert writes can be applied as it is (issue 16): diffs that `git apply` and
`patch` accept, output files with the user's umask, one finding per problem, typed EnvoyFilter
config, replacement gateways, duplicate objects, and convert's output passing meshlint's own check."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO

from meshlint.engine import Settings, lint

CONVERT_CASES = sorted(p for p in (FIXTURES / "convert").iterdir() if p.is_dir())


# --------------------------------------------------------------------------- --diff applies

def _copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _apply_checks(patch: str, cwd: Path) -> None:
    """The patch applies to the tree at ``cwd`` with both tools people use."""
    (cwd.parent / "run.patch").write_text(patch, encoding="utf-8")
    git = subprocess.run(["git", "apply", "--check", "-p1", str(cwd.parent / "run.patch")], cwd=cwd, capture_output=True, text=True)
    assert git.returncode == 0, git.stderr
    gnu = subprocess.run(["patch", "-p1", "--dry-run", "--batch", "--force", "-i", str(cwd.parent / "run.patch")], cwd=cwd, capture_output=True, text=True)
    assert gnu.returncode == 0, gnu.stdout + gnu.stderr
    assert "malformed" not in gnu.stdout.lower()


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _diff_applies_and_equals_out(cli, tree: Path, *paths: str) -> tuple[str, str]:
    """Run convert's diff on ``paths`` inside ``tree``; the diff applies with git and patch, and
    applying it for real gives exactly what ``--out`` writes. Returns (diff, summary)."""
    r = cli("convert", *paths, cwd=tree)
    assert r.code in (0, 1), r.err
    assert "Traceback" not in r.err
    if r.out:
        _apply_checks(r.out, tree)
    out = tree.parent / "out"
    w = cli("convert", "--out", out, *paths, cwd=tree)
    assert w.code == r.code, w.out
    applied = _copy_tree(tree, tree.parent / "applied")
    if r.out:
        done = subprocess.run(["git", "apply", "-p1", str(tree.parent / "run.patch")], cwd=applied, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    got = _tree_bytes(applied)
    for name, data in _tree_bytes(out).items():
        assert got.get(name) == data, name
    return r.out, r.err


@pytest.mark.parametrize("case", CONVERT_CASES, ids=[c.name for c in CONVERT_CASES])
def test_diff_of_every_convert_fixture_applies(cli, tmp_path, case):
    if case.name == "cr-only":
        # lines ending in CR alone are one line to git and patch: that diff is shown one line per
        # line for reading (never overprinted), and the summary says so
        r = cli("convert", case / "input.yaml")
        assert "\r" not in r.out and "its diff is for reading" in r.err
        return
    tree = _copy_tree(case, tmp_path / "tree")
    (tree / "expected.yaml").unlink()
    shutil.rmtree(tree / "generated", ignore_errors=True)  # a golden's expected generated files: the diff adds them
    diff, summary = _diff_applies_and_equals_out(cli, tree, "input.yaml")
    if (case / "expected.yaml").read_bytes() != (case / "input.yaml").read_bytes():
        assert diff.startswith("--- a/input.yaml\n+++ b/input.yaml\n@@ ")
    else:
        assert "a/input.yaml" not in diff
    generated = sorted(p.relative_to(case).as_posix() for p in (case / "generated").rglob("*.yaml")) if (case / "generated").exists() else []
    assert [line[6:] for line in diff.splitlines() if line.startswith("+++ b/generated/")] == generated
    assert diff.count("--- /dev/null\n") == len(generated)
    # only the diff is on stdout: the summary is on stderr
    assert "resource(s) converted" in summary and "resource(s) converted" not in diff


def test_diff_of_the_corpus_applies(cli, tmp_path, shared):
    tree = tmp_path / "tree"
    tree.mkdir()
    _copy_tree(shared / "corpus", tree / "corpus")
    diff, _ = _diff_applies_and_equals_out(cli, tree, "corpus")
    # (the corpus read as one cluster holds many differing RBAC configs: its RBAC conversions are refused)
    assert diff.count("\n+++ b/corpus/") >= 15


def test_diff_marks_a_missing_final_newline_and_quotes_odd_paths(cli, tmp_path):
    tree = tmp_path / "tree"
    (tree / "odd dir").mkdir(parents=True)
    (tree / "odd dir" / "dr ü.yaml").write_bytes((FIXTURES / "convert" / "no-final-newline" / "input.yaml").read_bytes())
    diff, _ = _diff_applies_and_equals_out(cli, tree, "odd dir")
    assert diff.count("\\ No newline at end of file\n") == 2
    assert diff.startswith('--- "a/odd dir/dr \\303\\274.yaml"\n')


def test_json_summary_goes_to_stderr_only_when_a_diff_is_shown(cli):
    case = "fixtures/convert/comments/input.yaml"
    r = cli("convert", "--format", "json", case)
    assert r.json()["summary"]["files_changed"] == 1 and r.err == ""
    r = cli("convert", "--diff", "--format", "json", case)
    assert r.out.startswith("--- a/") and '"files_changed": 1' in r.err


# --------------------------------------------------------------------------- modes

@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_get_the_users_umask(cli, tmp_path, umask):
    old = os.umask(umask)
    try:
        out = tmp_path / "out"
        r = cli("convert", "--out", out, "fixtures/convert/comments/input.yaml", "fixtures/rules/custom-gateway/fail/private.yaml")
        assert r.code == 0, r.out
        files = [p for p in out.rglob("*") if p.is_file()]
        assert len(files) >= 3 and any("generated" in str(p) for p in files)
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, p
        inplace = tmp_path / "a.yaml"
        inplace.write_bytes((FIXTURES / "convert" / "comments" / "input.yaml").read_bytes())
        inplace.chmod(0o640)
        assert cli("convert", "--in-place", inplace).code == 0
        assert stat.S_IMODE(inplace.stat().st_mode) == 0o640  # an existing file keeps its mode
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- one finding per problem

def test_ml501_once_per_envoyfilter_and_no_schema_echo():
    result = lint([str(FIXTURES / "rules" / "envoyfilter-old-style" / "fail" / "old.yaml")])
    by_resource: dict[str, list] = {}
    for f in result.findings:
        by_resource.setdefault(f.resource.name, []).append(f)
    assert [f.code for f in by_resource["ledger-lua"] if f.code.startswith(("ML5", "ML8"))] == ["ML500", "ML501"]
    refused = [f for f in by_resource["refused"] if f.code == "ML501"]
    assert len(refused) == 1 and not refused[0].fixable and "port-name prefix" in refused[0].message
    assert not [f for f in result.findings if f.code.startswith("ML8")]


def test_ml100_yields_to_the_conversion_that_replaces_the_kind(cli):
    path = FIXTURES / "rules" / "removed-api-kind" / "fail" / "alpha-apis.yaml"
    full = lint([str(path)])
    converted = {(f.resource.kind, f.resource.name) for f in full.findings if f.fixable}
    assert converted == {("MeshPolicy", "default"), ("ClusterRbacConfig", "default")}
    ml100 = {(f.resource.kind, f.resource.name) for f in full.findings if f.code == "ML100"}
    assert ("MeshPolicy", "default") not in ml100 and ("ClusterRbacConfig", "default") not in ml100
    assert ("Policy", "reviews-jwt") in ml100  # not converted (refused): the removed kind is still reported
    conversion = next(f for f in full.findings if f.code == "ML300" and f.resource.kind == "MeshPolicy")
    assert "removed in Istio 1.6" in conversion.message and "PeerAuthentication" in conversion.message
    # alone, ML100 still reports every removed kind
    assert len([f for f in lint([str(path)], Settings(select=("ML100",))).findings]) == 6


def test_can_be_fixed_count_equals_what_convert_fixes(cli, tmp_path):
    """"N can be fixed" counts exactly the findings that are gone after convert."""
    src = REPO / "fixtures" / "examples" / "gitops-repo"
    before = cli("check", "-f", "json", src).json()["findings"]
    out = tmp_path / "out"
    assert cli("convert", "--out", out, src).code == 0
    after = cli("check", "-f", "json", out / "fixtures" / "examples" / "gitops-repo").json()["findings"]

    def key(f):
        r = f["resource"] or {}
        return (f["code"], r.get("kind"), r.get("namespace"), r.get("name"), f["path"])

    gone = {key(f) for f in before} - {key(f) for f in after}
    fixable = {key(f) for f in before if f["fixable"]}
    assert fixable and gone == fixable


def test_diff_on_a_terminal_escapes_raw_control_characters(tmp_path):
    """Piped, the diff holds the file's bytes (so it applies); on a terminal its lines are escaped
    like every other untrusted text."""
    from meshlint.convert_cli import run_convert
    from meshlint.engine import lint_sources
    from meshlint.loader import load_bytes

    # a right-to-left override in a comment: valid YAML, and it reorders what a reviewer sees
    data = (FIXTURES / "convert" / "comments" / "input.yaml").read_bytes().replace(b"websocketUpgrade: true\n", "websocketUpgrade: true  # \u202e gnp.\n".encode(), 1)
    result = lint_sources([load_bytes(data, "hostile.yaml")], Settings())
    piped, _, _ = run_convert(result, None, False, True, False, "text", False, False)
    shown, _, _ = run_convert(result, None, False, True, False, "text", False, False, terminal=True)
    assert "\u202e" in piped and "\u202e" not in shown and "\\u202e" in shown


def test_generated_files_are_named_in_the_report_and_both_summaries(cli):
    gw = "fixtures/rules/custom-gateway/fail/private.yaml"
    report = cli("report", "-f", "json", gw).json()
    files = {g["file"] for g in report["converted"]["generated"]}
    assert "converted/generated/gateways/istio-system-istio-egressgateway.yaml" in files
    text = cli("convert", gw)
    assert "generated/gateways/istio-system-istio-egressgateway.yaml: would be generated" in text.err
    assert "--- /dev/null\n+++ b/generated/gateways/istio-system-istio-egressgateway.yaml\n" in text.out
    data = cli("convert", "--format", "json", gw).json()
    assert {g["path"] for g in data["generated"]} >= {"generated/gateways/istio-system-istio-egressgateway.yaml"}
    assert data["summary"]["files_generated"] == len(data["generated"]) == 2


# --------------------------------------------------------------------------- replacement gateways

GATEWAYS = FIXTURES / "convert" / "gateways"


def _docs(path: Path) -> dict[str, dict]:
    return {f"{d['kind']} {d['metadata']['name']}": d for d in yaml.safe_load_all(path.read_text())}


def test_replacement_gateways_golden(cli, tmp_path):
    """A ClusterIP egress gateway with named ports, and its internal-load-balancer ingress sibling:
    both replacements keep type, names and annotations (and everything else the Service says)."""
    tree = _copy_tree(GATEWAYS, tmp_path / "tree")
    shutil.rmtree(tree / "generated")
    r = cli("convert", "--out", tmp_path / "out", "input.yaml", cwd=tree)
    assert r.code == 0, r.out
    got = _tree_bytes(tmp_path / "out" / "generated")
    assert got == _tree_bytes(GATEWAYS / "generated")
    assert sorted(got) == ["gateways/istio-system-istio-egressgateway.yaml", "gateways/istio-system-istio-ilbgateway.yaml"]

    egress_file = GATEWAYS / "generated" / "gateways" / "istio-system-istio-egressgateway.yaml"
    assert egress_file.read_text().startswith("# Replacement for gateway Deployment istio-system/istio-egressgateway,")
    egress = _docs(egress_file)
    svc = egress["Service istio-egressgateway"]
    assert svc["spec"]["type"] == "ClusterIP"  # the egress gateway stays off the internet
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [("http2", 80, 8080), ("https", 443, 8443), ("tls", 15443, 15443)]
    assert "clusterIP" not in svc["spec"] and "status" not in svc and "uid" not in svc["metadata"]
    assert "addonmanager.kubernetes.io/mode" not in svc["metadata"]["labels"]
    dep = egress["Deployment istio-egressgateway-asm-managed"]
    pod = dep["spec"]["template"]["spec"]
    assert dep["spec"]["replicas"] == 2
    assert pod["serviceAccountName"] == "istio-egressgateway-service-account"
    assert pod["nodeSelector"] == {"cloud.google.com/gke-nodepool": "mesh"} and pod["tolerations"][0]["key"] == "dedicated"
    assert pod["affinity"]["nodeAffinity"] and pod["containers"] == [{"name": "istio-proxy", "image": "auto", "resources": {
        "limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}}]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert labels.items() >= svc["spec"]["selector"].items()  # the copied Service selects the new pods
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert "sidecar.istio.io/inject" not in dep["spec"]["template"]["metadata"].get("annotations", {})  # 1.4's "false" is gone

    ilb = _docs(GATEWAYS / "generated" / "gateways" / "istio-system-istio-ilbgateway.yaml")
    svc = ilb["Service istio-ilbgateway"]
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["metadata"]["annotations"]["cloud.google.com/load-balancer-type"] == "Internal"
    assert svc["metadata"]["annotations"]["networking.gke.io/internal-load-balancer-allow-global-access"] == "true"
    assert (svc["spec"]["loadBalancerIP"], svc["spec"]["loadBalancerSourceRanges"], svc["spec"]["externalTrafficPolicy"]) == ("10.128.0.50", ["10.0.0.0/8"], "Local")
    assert [(p["name"], p["nodePort"]) for p in svc["spec"]["ports"]] == [("grpc-pilot-mtls", 31011), ("https", 32443)]
    dep = ilb["Deployment istio-ilbgateway-asm-managed"]
    assert "replicas" not in dep["spec"]  # its HorizontalPodAutoscaler decides
    hpa = ilb["HorizontalPodAutoscaler istio-ilbgateway-asm-managed"]
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["scaleTargetRef"]["name"] == "istio-ilbgateway-asm-managed"
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 5)


def _gateway(name: str, ns: str | None, replicas: int = 1) -> str:
    md = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n{md}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{istio: {name}}}\n"
            f"  template:\n    metadata:\n      labels: {{istio: {name}}}\n    spec:\n      containers:\n      - name: istio-proxy\n"
            f"        image: gke.gcr.io/istio/proxyv2:1.4.10-gke.8\n        args: [proxy, router]\n")


def test_gateway_file_names_hold_the_namespace_and_never_overwrite_each_other(cli, tmp_path):
    (tmp_path / "team-a").mkdir()
    (tmp_path / "team-b").mkdir()
    (tmp_path / "prod").mkdir()
    (tmp_path / "team-a" / "gw.yaml").write_text(_gateway("edge-gateway", "team-a"))
    (tmp_path / "team-b" / "gw.yaml").write_text(_gateway("edge-gateway", "team-b"))
    # one name and namespace, two different definitions (an overlay per cluster): both kept, apart
    (tmp_path / "prod" / "gw.yaml").write_text(_gateway("edge-gateway", "team-a", replicas=4))
    r = cli("convert", "--out", tmp_path / "out", "team-a", "team-b", "prod", cwd=tmp_path)
    names = sorted(p.name for p in (tmp_path / "out" / "generated" / "gateways").iterdir())
    assert names == ["team-a-edge-gateway-2.yaml", "team-a-edge-gateway.yaml", "team-b-edge-gateway.yaml"], r.out
    header = (tmp_path / "out" / "generated" / "gateways" / "team-b-edge-gateway.yaml").read_text().splitlines()[0]
    assert "Deployment team-b/edge-gateway" in header and "None" not in header
    replicas = sorted(d["spec"]["replicas"] for n in ("team-a-edge-gateway.yaml", "team-a-edge-gateway-2.yaml")
                      for d in yaml.safe_load_all((tmp_path / "out" / "generated" / "gateways" / n).read_text()) if d["kind"] == "Deployment")
    assert replicas == [1, 4]


def test_knative_gateway_gets_the_same_advice_in_check_and_convert_and_no_replacement(cli, tmp_path):
    (tmp_path / "knative.yaml").write_text(_gateway("cluster-local-gateway", "istio-system")
                                           + "---\napiVersion: v1\nkind: Service\nmetadata: {name: cluster-local-gateway, namespace: istio-system}\n"
                                             "spec:\n  type: ClusterIP\n  selector: {istio: cluster-local-gateway}\n  ports: [{name: http2, port: 80, targetPort: 8080}]\n")
    check = cli("check", "-f", "json", "knative.yaml", cwd=tmp_path).json()["findings"]
    advice = [f["message"] for f in check if f["code"] == "ML710"]
    assert len(advice) == 1 and "Knative's instructions" in advice[0]
    data = cli("convert", "-f", "json", "--out", tmp_path / "out", "knative.yaml", cwd=tmp_path).json()
    assert [f["message"] for f in data["unfixed"] if f["code"] == "ML710"] == advice and data["generated"] == []
    r = cli("convert", "--out", tmp_path / "out2", "knative.yaml", cwd=tmp_path)
    assert not (tmp_path / "out2" / "generated").exists() and "generated" not in r.out


# --------------------------------------------------------------------------- duplicate objects

def test_export_next_to_its_repo_converts_once_for_the_kept_copy(cli, tmp_path):
    """The export (server-set fields) comes first, the repository second: kubectl keeps the
    repository's copy, so that is converted; the export's copy of a replaced policy is removed and
    the gateway replacement is generated once."""
    repo = tmp_path / "repo"
    repo.mkdir()
    policy = "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: default\n  namespace: shop\nspec:\n  peers:\n  - mtls: {}\n"
    (repo / "policy.yaml").write_text(policy)
    (repo / "gateway.yaml").write_text(_gateway("edge-gateway", "istio-system"))
    export = yaml.safe_load_all(policy + "---\n" + _gateway("edge-gateway", "istio-system"))
    items = []
    for d in export:
        d["metadata"].update({"uid": "0b9d4c5e-1", "resourceVersion": "42", "creationTimestamp": "2021-03-02T09:14:51Z"})
        d["status"] = {}
        items.append(d)
    items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep", "namespace": "shop"}, "data": {"a": "b"}})
    (tmp_path / "export.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False))

    check = cli("check", "-f", "json", "export.yaml", "repo", cwd=tmp_path).json()["findings"]
    dup = sorted((f["file"], f["severity"], f["resource"]["kind"]) for f in check if f["code"] == "ML014")
    assert dup == [("export.yaml", "info", "Deployment"), ("export.yaml", "info", "Policy")]
    assert all("repo/" in f["message"] for f in check if f["code"] == "ML014")  # names the kept copy's location

    r = cli("convert", "-f", "json", "--out", tmp_path / "out", "export.yaml", "repo", cwd=tmp_path)
    data = r.json()
    assert [g["path"] for g in data["generated"]] == [str(tmp_path / "out" / "generated" / "gateways" / "istio-system-edge-gateway.yaml")]
    assert [s["file"] for s in data["generated"][0]["from"]] == ["repo/gateway.yaml"]
    out_export = yaml.safe_load((tmp_path / "out" / "export.yaml").read_text())
    assert [i["kind"] for i in out_export["items"]] == ["Deployment", "ConfigMap"]  # its Policy copy is gone, not converted twice
    converted = list(yaml.safe_load_all((tmp_path / "out" / "repo" / "policy.yaml").read_text()))
    assert [d["kind"] for d in converted] == ["PeerAuthentication"]


def test_the_example_export_next_to_its_repository(cli):
    """The add-on export and the GitOps repository it came from: the namespace the repository still
    defines as exported is information (a Namespace's finalizers are the API server's), the one the
    repository has moved on (payments: istio.io/rev) is a warning, naming the repository's copy."""
    examples = FIXTURES / "examples"
    findings = cli("check", "-f", "json", examples / "gke-1.4-addon-export.yaml", examples / "gitops-repo").json()["findings"]
    dup = {(f["resource"]["kind"], f["resource"]["name"]): f for f in findings if f["code"] == "ML014"}
    assert {k: f["severity"] for k, f in dup.items()} == {("Namespace", "shop"): "info", ("Namespace", "payments"): "warning", ("Policy", "default"): "info"}
    assert "gitops-repo/mesh/namespaces.yaml:13" in dup[("Namespace", "payments")]["message"]


def test_differing_copies_are_a_warning_with_both_locations():
    result = lint([str(FIXTURES / "rules" / "duplicate-object" / "fail" / "export-and-repo.yaml")])
    dup = {f.resource.kind: f for f in result.findings if f.code == "ML014"}
    assert str(dup["Deployment"].severity) == "warning" and str(dup["Service"].severity) == "info"
    assert dup["Deployment"].line == 31 and "export-and-repo.yaml:64" in dup["Deployment"].message


# --------------------------------------------------------------------------- self-consistency

def _self_check(sets: list[list[str]]) -> tuple[list[str], int]:
    from selfcheck import check_outputs

    problems, converted = [], 0
    for paths in sets:
        outcome = check_outputs(paths)
        problems += [f"{paths}: {p}" for p in outcome.problems]
        converted += outcome.converted
    return problems, converted


def _yaml_files(root: Path) -> list[list[str]]:
    return [[str(p)] for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in (".yaml", ".yml", ".json")]


def test_convert_output_passes_check_on_every_fixture():
    sets = _yaml_files(FIXTURES / "rules") + [[str(c / "input.yaml")] for c in CONVERT_CASES] + _yaml_files(FIXTURES / "hostile")
    sets += [[str(p)] for p in sorted((FIXTURES / "repos").iterdir()) if p.is_dir()]  # each repository as one run
    problems, converted = _self_check(sets)
    assert problems == []
    assert converted >= 25  # a good share of them convert: the property is not vacuous


def test_convert_output_passes_check_on_every_example():
    examples = FIXTURES / "examples"
    sets = [[str(p)] for p in sorted(examples.iterdir()) if p.suffix == ".yaml" or p.is_dir()]
    sets.append([str(p) for p in sorted(examples.iterdir()) if p.suffix == ".yaml" or p.is_dir()])  # all of them as one run
    problems, converted = _self_check(sets)
    assert problems == []
    assert converted >= 5


def test_convert_output_passes_check_on_every_corpus_file(shared):
    problems, converted = _self_check(_yaml_files(shared / "corpus"))
    assert problems == []
    assert converted >= 30


def test_the_self_check_can_fail(monkeypatch):
    """Were convert to leave its input as it is, or write an object twice, the property says so."""
    import selfcheck

    from meshlint.convert import ConvertResult, FileResult

    monkeypatch.setattr(selfcheck, "convert", lambda result: ConvertResult(result, [FileResult(s.path, s.text, s.text) for s in result.sources]))
    outcome = selfcheck.check_outputs([str(FIXTURES / "convert" / "comments" / "input.yaml")])
    assert any("still fixable" in p for p in outcome.problems)

    def twice(result):
        real = convert_for_real(result)
        f = real.files[0]
        f.new_text = (f.new_text or f.original) + "---\n" + (f.new_text or f.original)
        return real

    from meshlint.convert import convert as convert_for_real

    monkeypatch.setattr(selfcheck, "convert", twice)
    outcome = selfcheck.check_outputs([str(FIXTURES / "convert" / "comments" / "input.yaml")])
    assert any("written twice" in p for p in outcome.problems)


# --------------------------------------------------------------------------- namespaces, rollback, kustomize

def _svc(name: str, ns: str | None) -> str:
    md = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n{md}spec:\n  type: ClusterIP\n  selector: {{istio: {name}}}\n"
            f"  ports:\n  - {{name: http2, port: 80, targetPort: 8080}}\n")


def test_a_namespace_less_gateways_replacement_stays_namespace_less(cli, tmp_path):
    (tmp_path / "gw.yaml").write_text(_gateway("edge-gateway", None) + "---\n" + _svc("edge-gateway", None))
    r = cli("convert", "--out", tmp_path / "out", "-n", "gateways", "gw.yaml", cwd=tmp_path)
    assert r.code == 0, r.out + r.err
    files = list((tmp_path / "out" / "generated" / "gateways").iterdir())
    assert [p.name for p in files] == ["gateways-edge-gateway.yaml"]  # the applied namespace, not 'default'
    text = files[0].read_text()
    assert text.startswith("# Replacement for gateway Deployment gateways/edge-gateway,")
    assert "kubectl apply -n gateways" in " ".join(line.lstrip("# ") for line in text.splitlines())
    docs = list(yaml.safe_load_all(text))
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ServiceAccount", "Role", "RoleBinding"}
    assert all("namespace" not in d["metadata"] for d in docs)  # applied as the original is: -n gateways

    # a kustomization's namespace: the same
    (tmp_path / "kustomization.yaml").write_text("namespace: edge\nresources:\n- gw.yaml\n")
    r = cli("convert", "--out", tmp_path / "out2", "gw.yaml", cwd=tmp_path)
    names = [p.name for p in (tmp_path / "out2" / "generated" / "gateways").iterdir()]
    assert names == ["edge-edge-gateway.yaml"], r.out + r.err
    text = (tmp_path / "out2" / "generated" / "gateways" / names[0]).read_text()
    assert "applied in edge by kustomization kustomization.yaml" in " ".join(line.lstrip("# ") for line in text.splitlines())
    assert all("namespace" not in d["metadata"] for d in yaml.safe_load_all(text))


def test_rollback_never_deletes_what_a_replacement_gateway_copied(cli):
    """The copied Service and ServiceAccount are the originals, applied again: deleting them on
    rollback would take the old gateway's Service (and its load balancer address) with them."""
    data = cli("report", "-f", "json", GATEWAYS / "input.yaml").json()
    rollback = data["rollback"]
    assert "kubectl delete deployment.apps -n istio-system istio-egressgateway-asm-managed --ignore-not-found" in rollback
    deleted = " ".join(c for c in rollback if c.startswith("kubectl delete "))
    for kept in ("service -n istio-system istio-egressgateway ", "service -n istio-system istio-ilbgateway ",
                 "serviceaccount -n istio-system istio-egressgateway-service-account ", "serviceaccount -n istio-system istio-ilbgateway-service-account "):
        assert kept not in deleted + " "
    note = next(c for c in rollback if c.startswith("# not deleted:"))
    assert "Service istio-system/istio-egressgateway" in note and "ServiceAccount istio-system/istio-egressgateway-service-account" in note


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_kustomize_patches_and_alternative_overlays_are_not_duplicates(cli, tmp_path):
    deployment = _gateway("web", None).replace("istio-proxy", "web").replace("args: [proxy, router]", "args: [serve]")
    _write(tmp_path, {
        "base/kustomization.yaml": "resources:\n- web.yaml\n",
        "base/web.yaml": deployment,
        "overlays/prod/kustomization.yaml": "namespace: shop\nresources:\n- ../../base\n- settings.yaml\npatchesStrategicMerge:\n- replicas.yaml\n",
        "overlays/prod/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n",
        "overlays/prod/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: warn\n",
        "overlays/staging/kustomization.yaml": "namespace: shop\nresources:\n- ../../base\n- settings.yaml\npatches:\n- path: replicas.yaml\n",
        "overlays/staging/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
        "overlays/staging/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n",
    })
    findings = cli("check", "-f", "json", ".", cwd=tmp_path).json()["findings"]
    assert [f for f in findings if f["code"] == "ML014"] == []
    # one overlay defining the same object twice is still a finding
    _write(tmp_path, {"overlays/prod/more-settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: info\n",
                      "overlays/prod/kustomization.yaml": "namespace: shop\nresources:\n- ../../base\n- settings.yaml\n- more-settings.yaml\n"})
    dup = [f for f in cli("check", "-f", "json", "overlays", "base", cwd=tmp_path).json()["findings"] if f["code"] == "ML014"]
    assert [(f["file"], f["resource"]["kind"]) for f in dup] == [("overlays/prod/more-settings.yaml", "ConfigMap")]
    assert "overlays/prod/settings.yaml:" in dup[0]["message"]


def test_duplicates_are_judged_in_the_namespace_objects_are_applied_in(cli, tmp_path):
    _write(tmp_path, {".meshlint.yaml": "namespaces:\n  'team-a/*': team-a\n  'team-b/*': team-b\n",
                      "team-a/svc.yaml": _svc("api", None), "team-b/svc.yaml": _svc("api", None).replace("80", "81")})
    findings = cli("check", "-f", "json", "team-a", "team-b", cwd=tmp_path).json()["findings"]
    assert [f for f in findings if f["code"] == "ML014"] == []
    r = cli("check", "-f", "json", "-n", "one", "team-a", "team-b", cwd=tmp_path)  # -n wins over the mapping: one namespace
    dup = [f for f in r.json()["findings"] if f["code"] == "ML014"]
    assert [f["file"] for f in dup] == ["team-a/svc.yaml"]


def test_a_removed_copy_leaves_no_empty_document(cli, tmp_path):
    policy = "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: default\n  namespace: shop\nspec:\n  peers:\n  - mtls: {}\n"
    server = "  uid: 0b9d4c5e-1\n  resourceVersion: '42'\n  creationTimestamp: '2021-03-02T09:14:51Z'\n"
    exported = policy.replace("  namespace: shop\n", "  namespace: shop\n" + server)
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: shop\ndata: {a: b}\n"
    _write(tmp_path, {"export/both.yaml": "# exported from the cluster\n---\n" + exported + "---\n" + cm,
                      "export/only.yaml": exported, "repo/policy.yaml": policy})
    r = cli("convert", "--out", tmp_path / "out", "export", "repo", cwd=tmp_path)
    assert r.code == 0, r.out + r.err
    both = (tmp_path / "out" / "export" / "both.yaml").read_text()
    assert [d["kind"] for d in yaml.safe_load_all(both) if d is not None] == ["ConfigMap"]
    assert None not in list(yaml.safe_load_all(both)) and both.startswith("# exported from the cluster\n")
    only = (tmp_path / "out" / "export" / "only.yaml").read_text()
    assert [d for d in yaml.safe_load_all(only) if d is not None] == [] and only.startswith("# Policy") and "removed by meshlint convert" in only
    assert [d["kind"] for d in yaml.safe_load_all((tmp_path / "out" / "repo" / "policy.yaml").read_text())] == ["PeerAuthentication"]
