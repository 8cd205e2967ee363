"""Rendered streams mapped back to their sources (issue 15, point 2): `kustomize build DIR |
meshlint check -` with origin annotations and `helm template` output with `# Source:` comments.
The streams are real tool output: fixtures/rendered (kubectl kustomize, see its README) and the
Helm-rendered install file of the wavefront adapter in ../shared."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES, REPO

TREE = FIXTURES / "repos" / "kustomize-origins"
OVERLAY = TREE / "overlays" / "prod"
STREAM = FIXTURES / "rendered" / "kustomize-origins-prod.yaml"
HELM = "corpus/vmware-archive__wavefront-adapter-for-istio/HEAD/install/config.yaml"
OUTPUT_SCHEMA = json.loads(resources.files("meshlint").joinpath("schemas/output.schema.json").read_text())


def _check(cli, *args, cwd, stdin=None):
    r = cli("check", "-f", "json", *args, cwd=cwd, stdin=stdin)
    assert r.code in (0, 1) and "Traceback" not in r.err, r.err
    data = r.json()
    jsonschema.validate(data, OUTPUT_SCHEMA)
    return data["findings"]


def _line(text: str, line: int) -> str:
    return text.splitlines()[line - 1]


# --------------------------------------------------------------------------- kustomize build

# code -> (source file under the tree, the key on the finding's source line, the key on its rendered line)
EXPECTED = {
    "ML101": ("base/reviews.yaml", "apiVersion: extensions/v1beta1", "apiVersion: extensions/v1beta1"),
    "ML200": ("base/reviews-routing.yaml", "appendHeaders:", "appendHeaders:"),
    # patched in by the overlay: the base has no such field, the nearest one there is trafficPolicy
    "ML206": ("base/reviews-routing.yaml", "trafficPolicy:", "consecutiveErrors: 5"),
    "ML207": ("base/reviews-routing.yaml", "simple: LEAST_CONN", "simple: LEAST_CONN"),
    "ML300": ("base/mtls.yaml", "kind: Policy", "kind: Policy"),
    "ML201": ("overlays/prod/gateway.yaml", "websocketUpgrade: true", "websocketUpgrade: true"),
}


@pytest.mark.parametrize("cwd", [REPO, TREE, OVERLAY], ids=["repository root", "tree root", "built directory"])
def test_kustomize_stream_findings_name_source_files_and_field_lines(cli, cwd):
    stream = STREAM.read_text()
    found = _check(cli, "-", cwd=cwd, stdin=stream.encode())
    assert sorted(f["code"] for f in found) == sorted(EXPECTED)
    for f in found:
        source, at_source, at_stream = EXPECTED[f["code"]]
        path = cwd / f["file"]
        assert path.resolve() == (TREE / source).resolve(), f
        assert _line(path.read_text(), f["line"]).strip().startswith(at_source), f
        assert f["rendered"]["file"] == "-" and f["rendered"]["by"] == "kustomize" and f["rendered"]["located"] is True
        assert _line(stream, f["rendered"]["line"]).strip().lstrip("- ").startswith(at_stream), f
        # the column is the key's, in both files
        assert _line(path.read_text(), f["line"])[f["column"] - 1:].startswith(at_source.split(":")[0])
        assert _line(stream, f["rendered"]["line"])[f["rendered"]["column"] - 1:].startswith(at_stream.split(":")[0])


def test_rendered_positions_are_those_of_the_plain_stream(cli, tmp_path):
    """The secondary position is exactly where meshlint reports the finding without mapping (the
    API, like convert, does not map)."""
    from meshlint.engine import Settings, lint

    plain = {(f.code, f.line, f.column) for f in lint([str(STREAM)], Settings()).findings}
    mapped = _check(cli, "../../rendered/kustomize-origins-prod.yaml", cwd=TREE)
    assert {(f["code"], f["rendered"]["line"], f["rendered"]["column"]) for f in mapped} == plain
    assert {f["rendered"]["file"] for f in mapped} == {"../../rendered/kustomize-origins-prod.yaml"}


def test_kustomize_stream_text_output(cli):
    r = cli("check", "--color", "never", "-", cwd=TREE, stdin=STREAM.read_bytes())
    assert r.code == 1
    assert "base/reviews-routing.yaml  (rendered in stdin)" in r.out
    assert re.search(r"^  13:5 +error +ML200 \[\*\] .*\(rendered 146:5\)$", r.out, re.MULTILINE), r.out
    assert "overlays/prod/gateway.yaml  (rendered in stdin)" in r.out
    assert all(len(line) <= 120 for line in r.out.splitlines() if line.startswith("  ") and "(rendered" in line)


def test_kustomize_stream_sarif_has_the_stream_as_related_location(cli, shared):
    r = cli("check", "-f", "sarif", "-", cwd=TREE, stdin=STREAM.read_bytes())
    doc = json.loads(r.out)
    jsonschema.Draft7Validator(json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())).validate(doc)
    results = {x["ruleId"]: x for x in doc["runs"][0]["results"]}
    ml200 = results["ML200"]
    loc = ml200["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "fixtures/repos/kustomize-origins/base/reviews-routing.yaml"
    assert loc["region"] == {"startLine": 13, "startColumn": 5}
    related = ml200["relatedLocations"][0]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "stdin"
    assert related["physicalLocation"]["region"] == {"startLine": 146, "startColumn": 5}
    assert related["message"]["text"] == "rendered by kustomize"


def test_source_suppressions_and_per_path_ignores_apply(cli, tmp_path):
    """kustomize drops comments; the source file's own `# meshlint:` comments and the
    configuration's per-path ignores still apply to findings placed there."""
    tree = tmp_path / "repo"
    shutil.copytree(TREE, tree)
    routing = tree / "base" / "reviews-routing.yaml"
    routing.write_text(routing.read_text().replace("      simple: LEAST_CONN\n", "      # meshlint: disable-next-line=ML207\n      simple: LEAST_CONN\n"))
    (tree / ".meshlint.yaml").write_text('per-path-ignores:\n  "base/reviews.yaml": [ML101]\n')
    found = _check(cli, "-", cwd=tree, stdin=STREAM.read_bytes())  # comments do not change kustomize's output
    codes = sorted(f["code"] for f in found)
    assert codes == sorted(set(EXPECTED) - {"ML101", "ML207"}), found
    ml200 = next(f for f in found if f["code"] == "ML200")
    assert _line(routing.read_text(), ml200["line"]).strip() == "appendHeaders:"


def test_the_directory_that_holds_the_objects_is_chosen(cli, tmp_path):
    """Two overlays with origin annotations both have a gateway.yaml (paths are relative to the built
    directory): the one whose file holds the object wins, whatever the walk order."""
    tree = tmp_path / "repo"
    shutil.copytree(TREE, tree)
    canary = tree / "overlays" / "canary"
    canary.mkdir()
    (canary / "kustomization.yaml").write_text((OVERLAY / "kustomization.yaml").read_text())
    (canary / "reviews-outlier.yaml").write_text((OVERLAY / "reviews-outlier.yaml").read_text())
    (canary / "gateway.yaml").write_text("apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata:\n  name: canary-gateway\n"
                                         "spec:\n  selector: {istio: ingressgateway}\n  servers: []\n")
    found = _check(cli, "-", cwd=tree, stdin=STREAM.read_bytes())
    ml201 = next(f for f in found if f["code"] == "ML201")
    assert ml201["file"] == "overlays/prod/gateway.yaml" and ml201["rendered"]["located"], ml201


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_a_fresh_kustomize_build_gives_the_same_findings(cli):
    built = subprocess.run(["kubectl", "kustomize", str(OVERLAY)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "config.kubernetes.io/origin" in built.stdout
    version = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout
    if "Kustomize Version: v5.5.0" in version:
        assert built.stdout == STREAM.read_text()  # the committed stream is what this kustomize produces
    fresh = _check(cli, "-", cwd=TREE, stdin=built.stdout.encode())
    committed = _check(cli, "-", cwd=TREE, stdin=STREAM.read_bytes())
    assert sorted((f["code"], f["file"], f["line"], f["column"]) for f in fresh) == sorted(
        (f["code"], f["file"], f["line"], f["column"]) for f in committed)


# --------------------------------------------------------------------------- origins that cannot be read

_VS = """apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  annotations:
    config.kubernetes.io/origin: |
      {origin}
  name: reviews
  namespace: shop
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {{host: reviews}}
    websocketUpgrade: true
"""


def test_a_source_outside_the_working_tree_is_named_not_read(cli, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "vs.yaml").write_text("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: reviews\n"
                                     "spec:\n  hosts: [reviews]\n  http:\n  - websocketUpgrade: true\n")
    work = tmp_path / "work"
    work.mkdir()
    found = _check(cli, "-", cwd=work, stdin=_VS.format(origin="path: ../outside/vs.yaml").encode())
    assert [(f["code"], f["file"], f["line"], f["rendered"]["located"], f["rendered"]["line"]) for f in found] == [
        ("ML201", "../outside/vs.yaml", 1, False, 14)]


def test_a_remote_base_and_a_missing_file_are_named(cli, tmp_path):
    remote = "repo: https://github.com/example/bookinfo\n      ref: v1.4.0\n      path: base/reviews.yaml"
    found = _check(cli, "-", cwd=tmp_path, stdin=_VS.format(origin=remote).encode())
    assert [(f["file"], f["line"], f["rendered"]["located"]) for f in found] == [
        ("https://github.com/example/bookinfo//base/reviews.yaml?ref=v1.4.0", 1, False)]
    found = _check(cli, "-", cwd=tmp_path, stdin=_VS.format(origin="path: gone/reviews.yaml").encode())
    assert [(f["file"], f["line"], f["rendered"]["located"]) for f in found] == [("gone/reviews.yaml", 1, False)]


def test_convert_and_files_without_origins_are_unchanged(cli, tmp_path):
    plain = tmp_path / "vs.yaml"
    plain.write_text("# Source: https://istio.io/docs/tasks/traffic-management/\n" + _VS.replace(
        "  annotations:\n    config.kubernetes.io/origin: |\n      {origin}\n", ""))
    found = _check(cli, plain, cwd=tmp_path)
    assert found and {(f["file"], "rendered" in f) for f in found} == {(str(plain), False)}  # a comment that is no Helm header
    r = cli("convert", "--diff", "-", cwd=TREE, stdin=STREAM.read_bytes())  # convert edits the stream it is given
    assert "--- a/-\n+++ b/-\n" in r.out and "-apiVersion: extensions/v1beta1" in r.out, (r.out, r.err)
    assert not re.search(r"^(---|\+\+\+) .*base/", r.out, re.MULTILINE) and "base/" not in r.err


# --------------------------------------------------------------------------- helm template

def test_helm_template_findings_name_the_templates(cli, shared):
    from meshlint.engine import Settings, lint

    rendered = shared / HELM
    text = rendered.read_text()
    found = _check(cli, "-", cwd=shared, stdin=rendered.read_bytes())
    assert found and all(f["file"].startswith("wavefront/templates/") for f in found)
    assert all(f["rendered"]["by"] == "helm" and f["rendered"]["located"] is False and (f["line"], f["column"]) == (1, 1) for f in found)
    # each finding's template is the `# Source:` header of the document its rendered line is in
    lines = text.splitlines()
    for f in found:
        i = f["rendered"]["line"] - 1
        while not lines[i].startswith("# Source: "):
            i -= 1
        assert lines[i] == f"# Source: {f['file']}", f
    plain = {(f.code, f.line, f.column) for f in lint([str(rendered)], Settings()).findings}
    assert {(f["code"], f["rendered"]["line"], f["rendered"]["column"]) for f in found} == plain
    handler = [f for f in found if f["file"] == "wavefront/templates/handler.yaml"]
    assert len(handler) == 13  # the handler, 8 instances and 4 rules of handler.yaml
    r = cli("check", "--color", "never", HELM, cwd=shared)
    assert "wavefront/templates/handler.yaml  (rendered in corpus/" in r.out
    assert re.search(r"^  -  +error +ML600 .*\(rendered 252:5\)$", r.out, re.MULTILINE), r.out


# --------------------------------------------------------------------------- README

def test_readme_has_both_recipes_and_the_kustomize_one_runs(cli):
    text = (REPO / "README.md").read_text()
    section = text.split("### Rendered output", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    assert "buildMetadata: [originAnnotations]" in block
    assert re.search(r"^kustomize build \S+ \| meshlint check -", block, re.MULTILINE)
    assert re.search(r"^helm template .* \| meshlint check -", block, re.MULTILINE)
    # the recipe, with the committed real output standing in for `kustomize build overlays/prod`
    r = cli("check", "--color", "never", "-", cwd=TREE, stdin=STREAM.read_bytes())
    assert r.code == 1 and "base/reviews.yaml  (rendered in stdin)" in r.out


def test_a_helm_template_is_named_where_it_is_on_disk(cli, shared, tmp_path):
    """A committed `helm template wavefront > config.yaml` next to its chart: the findings name the
    chart's template files as they are in the repository (looked up, never read)."""
    install = tmp_path / "install"
    (install / "wavefront" / "templates").mkdir(parents=True)
    shutil.copyfile(shared / HELM, install / "config.yaml")  # a scratch copy, never into the repository
    (install / "wavefront" / "Chart.yaml").write_text("apiVersion: v1\nname: wavefront\nversion: 0.1.0\n")
    (install / "wavefront" / "templates" / "handler.yaml").write_text("{{- if .Values.metrics.enabled }}\n{{- end }}\n")
    found = _check(cli, "install", cwd=tmp_path)
    files = {f["file"] for f in found}
    assert "install/wavefront/templates/handler.yaml" in files and "wavefront/templates/attributes.yaml" in files, files
    assert all(f["rendered"]["file"] == "install/config.yaml" for f in found)


def test_an_origin_path_cannot_drive_the_terminal_or_forge_annotations(cli, tmp_path):
    stream = _VS.format(origin="path: x").replace('config.kubernetes.io/origin: |\n      path: x\n',
                                                 'config.kubernetes.io/origin: "path: evil\\e[2J\\u202e\\a.yaml\\n"\n')
    for fmt in ("text", "github"):
        r = cli("check", "-f", fmt, "--color", "always", "-", cwd=tmp_path, stdin=stream.encode())
        assert r.code == 1 and "evil\\x1b[2J\\u202e\\x07.yaml" in r.out, r.out
        assert "\x1b[2J" not in r.out and "\u202e" not in r.out and "\x07" not in r.out


def test_the_api_check_maps_like_the_command(monkeypatch):
    import meshlint

    monkeypatch.chdir(TREE)
    result = meshlint.check({"-": STREAM.read_text()})
    ml200 = next(f for f in result.findings if f.code == "ML200")
    assert (ml200.file, ml200.line, ml200.column) == ("base/reviews-routing.yaml", 13, 5)
    assert (ml200.rendered.file, ml200.rendered.line, ml200.rendered.by, ml200.rendered.located) == ("-", 146, "kustomize", True)
    assert ml200.as_dict()["rendered"]["line"] == 146
